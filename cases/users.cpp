#include "cases/users.h"

#include <soci/soci.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <set>
#include <tuple>

#include "cases/schools.h"
#include "cases/user_row.h"
#include "workflow/sha256.h"
#include "workflow/timestamp.h"

namespace s2s::cases {
namespace {

constexpr std::array<std::string_view, 6> kRoles = {"lead",   "strategic",  "system_leader",
                                                    "school", "la_officer", "admin"};

// The scope kinds each role may have; admin and strategic have none.
bool scope_fits(std::string_view role, std::string_view kind) {
  if (role == "admin" || role == "strategic") return kind.empty();
  if (role == "lead") return kind == "mini_region" || kind == "alliance";
  if (role == "school") return kind == "school";
  if (role == "system_leader") return kind == "system_leader";
  if (role == "la_officer") return kind == "la";
  return false;
}

// A positive integer in canonical form (no sign, no leading zero) that fits
// 32 bits: scopes are compared as numbers, and "0891" must not mean 891.
bool all_digits(std::string_view s) {
  return !s.empty() && s.size() <= 9 && s.front() != '0' &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The phase groups as given ("primary,middle"), checked and in their
// canonical order without repeats; "" for none.
std::string canonical_phases(std::string_view phases) {
  std::set<std::string> wanted;
  for (auto& item : phase_list(phases)) {
    if (!is_phase_group(item)) {
      throw UserError("phase '" + item + "' is not one of " + phase_groups_text());
    }
    wanted.insert(std::move(item));
  }
  std::string out;
  for (const auto group : kPhaseGroups) {
    if (wanted.contains(std::string(group))) out += (out.empty() ? "" : ",") + std::string(group);
  }
  return out;
}

}  // namespace

std::string actor_scope(const User& user) {
  if (user.scope_kind.empty()) return {};
  std::string scope = user.scope_kind + ":" + user.scope_value;
  if (!user.scope_phases.empty()) scope += ";phase:" + user.scope_phases;
  return scope;
}

workflow::Actor actor_of(const User& user) {
  return workflow::Actor("user:" + std::to_string(user.id) + " " + user.email, user.role, actor_scope(user));
}

namespace {

// A role's scope and phases checked: (kind, value, canonical phases). Throws UserError naming what does not fit.
std::tuple<std::string, std::string, std::string> checked_scope(std::string_view role, std::string_view scope,
                                                                std::string_view phases) {
  std::string kind;
  std::string value;
  if (!scope.empty()) {
    const auto colon = scope.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == scope.size()) {
      throw UserError("scope '" + std::string(scope) + "' is not KIND:VALUE (e.g. school:144871)");
    }
    kind = std::string(scope.substr(0, colon));
    value = std::string(scope.substr(colon + 1));
  }
  if (!scope_fits(role, kind)) {
    throw UserError("a " + std::string(role) + " needs " +
                    (role == "admin" || role == "strategic" ? std::string("no scope")
                     : role == "lead"                       ? std::string("--scope mini_region:NAME or alliance:ID")
                     : role == "school"                     ? std::string("--scope school:URN")
                     : role == "la_officer"                 ? std::string("--scope la:CODE")
                                                            : std::string("--scope system_leader:ID")) +
                    (kind.empty() ? "" : ", not " + kind));
  }
  if ((kind == "school" || kind == "la" || kind == "alliance" || kind == "system_leader") && !all_digits(value)) {
    throw UserError("scope " + kind + ":" + value + ": " + value +
                    " is not a number (digits, no leading zero, at most 9 of them)");
  }
  if (value.find(';') != std::string::npos) throw UserError("scope " + kind + ":" + value + ": ';' is not allowed");
  if (!phases.empty() && role != "lead") {
    throw UserError("only a lead's scope may be narrowed to phases, not a " + std::string(role) + "'s");
  }
  std::string phase_list = phases.empty() ? std::string() : canonical_phases(phases);
  return {kind, value, phase_list};
}

}  // namespace

NewUser add_user(workflow::Database& db, std::string_view name, std::string_view email, std::string_view role,
                 std::string_view scope, std::string_view phases) {
  if (name.empty()) throw UserError("name is required");
  if (email.find('@') == std::string_view::npos || email.front() == '@' || email.back() == '@') {
    throw UserError("email '" + std::string(email) + "' is not an email address");
  }
  if (std::find(kRoles.begin(), kRoles.end(), role) == kRoles.end()) {
    throw UserError("role '" + std::string(role) + "' is not one of lead, system_leader, school, la_officer, admin");
  }
  auto [kind, value, phase_list] = checked_scope(role, scope, phases);

  NewUser created;
  created.user = User{0, std::string(name), std::string(email), std::string(role), kind, value, phase_list};
  created.token = workflow::random_token("s2s_");
  const std::string hash = workflow::sha256_hex(created.token);
  const std::string prefix = created.token.substr(0, 12);
  const std::string now = workflow::format_timestamp(std::chrono::system_clock::now());
  db.transact([&](soci::session& sql) {
    int taken = 0;
    sql << "SELECT count(*) FROM users WHERE lower(email) = lower(:email)", soci::use(created.user.email),
        soci::into(taken);
    if (taken > 0) {
      throw UserError("a user with email " + created.user.email + " already exists", workflow::ErrorCategory::conflict);
    }
    soci::indicator kind_ind = kind.empty() ? soci::i_null : soci::i_ok;
    soci::indicator value_ind = kind_ind;
    soci::indicator phases_ind = phase_list.empty() ? soci::i_null : soci::i_ok;
    long long id = 0;
    sql << "INSERT INTO users (name, email, role, scope_kind, scope_value, scope_phases, created_at)"
           " VALUES (:name, :email, :role, :kind, :value, :phases, :now) RETURNING id",
        soci::use(created.user.name), soci::use(created.user.email), soci::use(created.user.role),
        soci::use(kind, kind_ind), soci::use(value, value_ind), soci::use(phase_list, phases_ind), soci::use(now),
        soci::into(id);
    created.user.id = id;
    sql << "INSERT INTO api_tokens (user_id, token_hash, token_prefix, created_at) VALUES (:u, :h, :p, :now)",
        soci::use(id), soci::use(hash), soci::use(prefix), soci::use(now);
  });
  return created;
}

void set_notify(workflow::Database& db, std::string_view email, std::string_view mode) {
  if (mode != "immediate" && mode != "digest") {
    throw UserError("notify must be immediate or digest, not '" + std::string(mode) + "'");
  }
  const std::string address(email);
  const std::string value(mode);
  db.transact([&](soci::session& sql) {
    long long id = 0;
    sql << "SELECT id FROM users WHERE lower(email) = lower(:email)", soci::use(address), soci::into(id);
    if (!sql.got_data()) throw UserError("no user with email " + address, workflow::ErrorCategory::not_found);
    sql << "UPDATE users SET notify = :m WHERE id = :id", soci::use(value), soci::use(id);
  });
}

int revoke_tokens(workflow::Database& db, std::string_view email) {
  const std::string address(email);
  const std::string now = workflow::format_timestamp(std::chrono::system_clock::now());
  return db.transact([&](soci::session& sql) {
    long long id = 0;
    sql << "SELECT id FROM users WHERE lower(email) = lower(:email)", soci::use(address), soci::into(id);
    if (!sql.got_data()) throw UserError("no user with email " + address, workflow::ErrorCategory::not_found);
    int live = 0;
    sql << "SELECT count(*) FROM api_tokens WHERE user_id = :id AND revoked_at IS NULL", soci::use(id),
        soci::into(live);
    sql << "UPDATE api_tokens SET revoked_at = :now WHERE user_id = :id AND revoked_at IS NULL", soci::use(now),
        soci::use(id);
    sql << "UPDATE web_sessions SET ended_at = :now WHERE user_id = :id AND ended_at IS NULL", soci::use(now),
        soci::use(id);
    sql << "UPDATE users SET revoked_at = COALESCE(revoked_at, :now) WHERE id = :id", soci::use(now), soci::use(id);
    return live;
  });
}

std::string user_columns_sql(std::string_view prefix) {
  std::string out;
  for (const char* column : {"id", "name", "email", "role", "scope_kind", "scope_value", "scope_phases"}) {
    if (!out.empty()) out += ", ";
    out.append(prefix).append(column);
  }
  return out;
}

User user_at(const soci::row& row, std::size_t first) {
  // row_text reads a NULL scope or phases as "", which is none.
  return User{workflow::row_integer(row, first),  workflow::row_text(row, first + 1),
              workflow::row_text(row, first + 2), workflow::row_text(row, first + 3),
              workflow::row_text(row, first + 4), workflow::row_text(row, first + 5),
              workflow::row_text(row, first + 6)};
}

std::string TokenQuery::columns() { return "t.token_hash, " + user_columns_sql("u."); }

std::string TokenQuery::from_where() {
  return " FROM api_tokens t JOIN users u ON u.id = t.user_id"
         " WHERE t.token_hash = :hash AND t.revoked_at IS NULL AND t.purpose = :purpose";
}

bool TokenQuery::set(std::string_view token, std::string_view kind) {
  if (token.empty()) return false;
  hash = workflow::sha256_hex(token);
  purpose = kind;
  return true;
}

std::optional<User> TokenQuery::user_at(const soci::row& row, std::size_t first) const {
  if (row.get_indicator(first) == soci::i_null) return std::nullopt;
  // The index found it by hash; compare again without a data-dependent early exit.
  if (!workflow::equal_in_constant_time(workflow::row_text(row, first), hash)) return std::nullopt;
  return cases::user_at(row, first + 1);
}

namespace {

// The lookup every API request without a read of its own makes, kept with
// the connection: planned once.
struct TokenLookup {
  explicit TokenLookup(soci::session& sql)
      : statement((sql.prepare << "SELECT " + TokenQuery::columns() + TokenQuery::from_where(), soci::use(query.hash),
                   soci::use(query.purpose), soci::into(row))) {}
  TokenQuery query;
  soci::row row;
  soci::statement statement;
};

std::optional<User> lookup(workflow::Database& db, std::string_view token, const char* purpose) {
  TokenQuery query;
  if (!query.set(token, purpose)) return std::nullopt;  // not a token: no connection taken
  auto connection = db.acquire();
  try {
    auto& st = connection.local<TokenLookup>([](soci::session& sql) { return std::make_unique<TokenLookup>(sql); });
    st.query = std::move(query);
    if (!workflow::execute_once(st.statement, connection.backend())) return std::nullopt;
    return st.query.user_at(st.row, 0);
  } catch (...) {
    connection.rethrow_translated();
  }
}

}  // namespace

std::optional<User> authenticate(workflow::Database& db, std::string_view token) { return lookup(db, token, "api"); }

std::optional<User> authenticate_feed(workflow::Database& db, std::string_view token) {
  return lookup(db, token, "feed");
}

std::string new_feed_token(workflow::Database& db, std::string_view email) {
  const std::string address(email);
  const std::string token = workflow::random_token("s2sfeed_");
  const std::string hash = workflow::sha256_hex(token);
  const std::string prefix = token.substr(0, 16);
  const std::string now = workflow::format_timestamp(std::chrono::system_clock::now());
  db.transact([&](soci::session& sql) {
    long long id = 0;
    sql << "SELECT id FROM users WHERE lower(email) = lower(:email)", soci::use(address), soci::into(id);
    if (!sql.got_data()) throw UserError("no user with email " + address, workflow::ErrorCategory::not_found);
    sql << "UPDATE api_tokens SET revoked_at = :now WHERE user_id = :id AND purpose = 'feed' AND revoked_at IS NULL",
        soci::use(now), soci::use(id);
    sql << "INSERT INTO api_tokens (user_id, token_hash, token_prefix, created_at, purpose)"
           " VALUES (:u, :h, :p, :now, 'feed')",
        soci::use(id), soci::use(hash), soci::use(prefix), soci::use(now);
  });
  return token;
}

std::vector<ListedUser> list_users(workflow::Database& db) {
  return db.read([](soci::session& session) {
    std::vector<ListedUser> out;
    soci::rowset<soci::row> rows =
        (session.prepare
         << "SELECT " + user_columns_sql("") +
                ", notify, CASE WHEN revoked_at IS NULL THEN 0 ELSE 1 END FROM users ORDER BY name, id");
    for (const auto& row : rows) {
      ListedUser u;
      u.user = user_at(row, 0);
      u.notify = workflow::row_text(row, 7);
      u.revoked = workflow::row_integer(row, 8) != 0;
      out.push_back(std::move(u));
    }
    return out;
  });
}

std::optional<User> read_user(soci::session& sql, std::int64_t id, bool live_only) {
  UserRow row;
  row.id = id;
  sql << std::string("SELECT name, email, role, scope_kind, scope_value, scope_phases FROM users WHERE id = :id") +
             (live_only ? " AND revoked_at IS NULL" : ""),
      soci::use(row.id), soci::into(row.name), soci::into(row.email), soci::into(row.role),
      soci::into(row.kind, row.kind_ind), soci::into(row.value, row.value_ind), soci::into(row.phases, row.phases_ind);
  if (!sql.got_data()) return std::nullopt;
  return row.user();
}

std::optional<User> find_user(workflow::Database& db, std::int64_t id) {
  return db.read([&](soci::session& sql) { return read_user(sql, id, false); });
}

namespace {

// The user id in an actor name ("user:12 amy@example.org"), if it names one.
std::optional<std::int64_t> actor_user_id(std::string_view actor_name) {
  if (!actor_name.starts_with("user:")) return std::nullopt;
  const auto digits = actor_name.substr(5, actor_name.find(' ') - 5);
  std::int64_t id = 0;
  const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
  if (ec != std::errc() || ptr != digits.data() + digits.size() || digits.empty()) return std::nullopt;
  return id;
}

}  // namespace

std::map<std::string, User> users_of_actors(workflow::Database& db, const std::set<std::string>& actor_names) {
  std::map<std::int64_t, std::vector<std::string>> wanted;  // by user id, the actor names that give it
  for (const auto& actor : actor_names) {
    if (const auto id = actor_user_id(actor)) wanted[*id].push_back(actor);
  }
  std::map<std::string, User> out;
  if (wanted.empty()) return out;
  std::string ids;
  for (const auto& [id, actors] : wanted) ids += (ids.empty() ? "" : ",") + std::to_string(id);
  // One bulk read, sized for every id asked (each matches one row at most):
  // one round trip.
  const std::size_t n = wanted.size();
  std::vector<long long> id(n);
  std::vector<std::string> name(n), email(n), role(n), kind(n), value(n), phases(n);
  std::vector<soci::indicator> kind_ind(n), value_ind(n), phases_ind(n);
  db.read([&](soci::session& sql) {
    sql << "SELECT id, name, email, role, scope_kind, scope_value, scope_phases FROM users WHERE id IN (" + ids + ")",
        soci::into(id), soci::into(name), soci::into(email), soci::into(role), soci::into(kind, kind_ind),
        soci::into(value, value_ind), soci::into(phases, phases_ind);
    if (!sql.got_data()) id.clear();
  });
  for (std::size_t i = 0; i < id.size(); ++i) {
    UserRow row{id[i],    name[i],   email[i],    role[i],      kind[i],
                value[i], phases[i], kind_ind[i], value_ind[i], phases_ind[i]};
    for (const auto& actor : wanted[id[i]]) out.emplace(actor, row.user());
  }
  return out;
}

void set_user_scope(workflow::Database& db, std::int64_t id, std::string_view scope, std::string_view phases) {
  const auto user = find_user(db, id);
  if (!user) throw UserError("no user " + std::to_string(id), workflow::ErrorCategory::not_found);
  const auto [kind, value, phase_list] = checked_scope(user->role, scope, phases);
  db.transact([&](soci::session& sql) {
    soci::indicator kind_ind = kind.empty() ? soci::i_null : soci::i_ok;
    soci::indicator phases_ind = phase_list.empty() ? soci::i_null : soci::i_ok;
    const long long user_id = id;
    sql << "UPDATE users SET scope_kind = :kind, scope_value = :value, scope_phases = :phases WHERE id = :id",
        soci::use(kind, kind_ind), soci::use(value, kind_ind), soci::use(phase_list, phases_ind), soci::use(user_id);
  });
}

}  // namespace s2s::cases
