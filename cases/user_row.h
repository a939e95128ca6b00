#pragma once

#include <soci/soci.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

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

// A user's columns in the order user_at reads them, each name after `prefix`
// ("u." for a table called u): id, name, email, role, scope_kind, scope_value, scope_phases.
[[nodiscard]] std::string user_columns_sql(std::string_view prefix);
// The user in `row`'s columns from `first`, read as user_columns_sql lists them.
[[nodiscard]] User user_at(const soci::row& row, std::size_t first);

// The user with this id on the caller's session (and transaction), if any;
// with `live_only`, not if revoked.
[[nodiscard]] std::optional<User> read_user(soci::session& sql, std::int64_t id, bool live_only);

}  // namespace s2s::cases
