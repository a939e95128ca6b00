#pragma once

#include <soci/soci.h>

#include <cstdint>
#include <optional>
#include <string>

#include "cases/users.h"

// Reading a user from the users table, for cases/ alone (users.cpp, the owner,
// and sign_in.cpp, which looks users up in its own transactions and kept
// statements). Not for adapters: they call users.h.
namespace s2s::cases {

// The variables a statement reads a user's columns into; user() makes the
// User (a NULL scope or phases is none).
struct UserRow {
  long long id = 0;
  std::string name;
  std::string email;
  std::string role;
  std::string kind;
  std::string value;
  std::string phases;
  soci::indicator kind_ind = soci::i_ok;
  soci::indicator value_ind = soci::i_ok;
  soci::indicator phases_ind = soci::i_ok;

  [[nodiscard]] User user() const {
    return User{id,
                name,
                email,
                role,
                kind_ind == soci::i_null ? std::string() : kind,
                value_ind == soci::i_null ? std::string() : value,
                phases_ind == soci::i_null ? std::string() : phases};
  }
};

// The user with this id on the caller's session (and transaction), if any;
// with `live_only`, not if revoked.
[[nodiscard]] std::optional<User> read_user(soci::session& sql, std::int64_t id, bool live_only);

}  // namespace s2s::cases
