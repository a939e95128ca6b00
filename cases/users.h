#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "workflow/case_kind.h"
#include "workflow/database.h"
#include "workflow/errors.h"

// People, their role and scope, and their bearer tokens (stored hashed): the
// owner of tables users and api_tokens. Every adapter asks here; none reads
// those tables itself.
namespace s2s::cases {

// A user cannot be created as asked: unknown role, a scope that does not fit
// the role, a malformed scope, an email already taken. Nothing was written.
class UserError : public workflow::Error {
 public:
  explicit UserError(const std::string& message, workflow::ErrorCategory category = workflow::ErrorCategory::invalid)
      : workflow::Error(category, message) {}
};

struct User {
  std::int64_t id = 0;
  std::string name;
  std::string email;
  std::string role;          // lead, strategic, system_leader, school, la_officer, admin
  std::string scope_kind;    // mini_region, alliance, school, system_leader, la; empty for admin and strategic
  std::string scope_value;   // "Derbyshire", "12", "144871", ...
  std::string scope_phases;  // a lead narrowed to phase groups: "primary,middle"; empty for every phase
};

// The user's scope as the engine's actor carries it: "mini_region:Lincolnshire",
// with ";phase:primary,middle" when narrowed to phases; "" for none.
[[nodiscard]] std::string actor_scope(const User& user);

// The engine's actor for the user: named "user:ID EMAIL" (what the history
// records, and what cases/recipients.cpp joins on to find the person
// again), with the user's role and actor_scope. The one place that name is built.
[[nodiscard]] workflow::Actor actor_of(const User& user);

struct NewUser {
  User user;
  std::string token;  // the bearer token: shown once, stored only as its SHA-256
};

// Creates a user with a first token. `scope` is KIND:VALUE ("school:144871")
// or empty; which kinds a role takes: lead mini_region or alliance; school
// school; system_leader system_leader; la_officer la; admin and strategic
// none. `phases` narrows a lead to phase groups ("primary,middle", see
// kPhaseGroups). Throws UserError (nothing written), or workflow
// database errors.
[[nodiscard]] NewUser add_user(workflow::Database& db, std::string_view name, std::string_view email,
                               std::string_view role, std::string_view scope, std::string_view phases = {});

// Gives the user with this id a new scope (and, for a lead, phases), checked
// as add_user checks them against the user's role. It applies to their next
// request: sessions and tokens read the scope each time. Throws UserError
// (not_found for no such user; nothing written).
void set_user_scope(workflow::Database& db, std::int64_t id, std::string_view scope, std::string_view phases = {});

// How the user with this email hears of their cases: "immediate" (each
// message as it happens) or "digest" (one message a day). Throws UserError.
void set_notify(workflow::Database& db, std::string_view email, std::string_view mode);

// Revokes the user with this email: every live token, every web session
// (they end at once), and any later sign-in (cases/sign_in.h). Returns how
// many tokens were live. Throws UserError for an unknown email.
int revoke_tokens(workflow::Database& db, std::string_view email);

// A new calendar-feed token for the user with this email (their earlier feed
// tokens are revoked): it opens only GET /api/v1/deadlines.ics, read-only, and
// is never a bearer token. Shown once, stored as its SHA-256. Throws UserError.
[[nodiscard]] std::string new_feed_token(workflow::Database& db, std::string_view email);

// The user a feed token belongs to, if it is a live feed token.
[[nodiscard]] std::optional<User> authenticate_feed(workflow::Database& db, std::string_view token);

// A user as an administrator's list shows them.
struct ListedUser {
  User user;
  std::string notify;  // immediate or digest
  bool revoked = false;
};

// Every user, by name then id. For the admin console.
[[nodiscard]] std::vector<ListedUser> list_users(workflow::Database& db);

// The user with this id, revoked or not; nullopt for none.
[[nodiscard]] std::optional<User> find_user(workflow::Database& db, std::int64_t id);

// The users these actor names ("user:12 amy@example.org", as actor_of makes
// them) name, by actor name, in one read, revoked or not; a system actor or an
// unknown user is absent.
[[nodiscard]] std::map<std::string, User> users_of_actors(workflow::Database& db,
                                                          const std::set<std::string>& actor_names);

// The user a bearer token belongs to, if it is known and not revoked. The
// token is hashed before it is looked up; the hashes are compared in constant time.
[[nodiscard]] std::optional<User> authenticate(workflow::Database& db, std::string_view token);

// The same lookup as a part of another statement, so that a request reads its
// caller beside what it asks for in one round trip (find_caller_and_case_view,
// cases/case_list.h). The statement's text holds columns() and, in the same
// SELECT, from_where() (with :hash and :purpose); the caller binds hash and
// purpose in that order.
class TokenQuery {
 public:
  [[nodiscard]] static std::string columns();
  [[nodiscard]] static std::string from_where();

  // False for an empty token: there is nothing to look up.
  bool set(std::string_view token, std::string_view purpose = "api");
  // The user in `row`'s columns from `first` (a row the statement read with
  // columns()), if the token's hash is this one.
  [[nodiscard]] std::optional<User> user_at(const soci::row& row, std::size_t first) const;

  std::string hash;
  std::string purpose;
};

}  // namespace s2s::cases
