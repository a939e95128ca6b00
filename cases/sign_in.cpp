#include "cases/sign_in.h"

#include <soci/soci.h>

#include "cases/user_row.h"
#include "workflow/sha256.h"
#include "workflow/timestamp.h"

namespace s2s::cases {
namespace {

using Clock = std::chrono::system_clock;

std::string at(Clock::time_point t) { return workflow::format_timestamp(t); }

}  // namespace

std::string csrf_token_of(std::string_view session_token) {
  return workflow::sha256_hex("s2s csrf " + std::string(session_token));
}

bool csrf_matches(std::string_view session_token, std::string_view candidate) {
  return !session_token.empty() && workflow::equal_in_constant_time(csrf_token_of(session_token), candidate);
}

std::optional<SignInLink> create_sign_in_link(workflow::Database& db, std::string_view email,
                                              std::string_view next_path, Clock::time_point now,
                                              const SessionPolicy& policy) {
  if (email.empty() || email.size() > 320) return std::nullopt;
  const std::string address(email);
  const std::string next(next_path);
  const std::string now_text = at(now);
  const std::string hour_ago = at(now - std::chrono::hours(1));
  const std::string expires = at(now + policy.link_lifetime);
  return db.transact([&](soci::session& sql) -> std::optional<SignInLink> {
    long long id = 0;
    sql << "SELECT id FROM users WHERE lower(email) = lower(:email) AND revoked_at IS NULL", soci::use(address),
        soci::into(id);
    if (!sql.got_data()) return std::nullopt;
    auto user = read_user(sql, id, true);
    if (!user) return std::nullopt;
    int recent = 0;
    sql << "SELECT count(*) FROM sign_in_links WHERE user_id = :id AND created_at > :since", soci::use(id),
        soci::use(hour_ago), soci::into(recent);
    if (recent >= policy.links_per_address_per_hour) return std::nullopt;
    SignInLink link{std::move(*user), workflow::random_token("")};
    const std::string hash = workflow::sha256_hex(link.token);
    sql << "INSERT INTO sign_in_links (user_id, token_hash, next_path, created_at, expires_at)"
           " VALUES (:u, :h, :n, :c, :e)",
        soci::use(id), soci::use(hash), soci::use(next), soci::use(now_text), soci::use(expires);
    return link;
  });
}

std::optional<StartedSession> redeem_sign_in_link(workflow::Database& db, std::string_view token, Clock::time_point now,
                                                  const SessionPolicy& /*policy*/) {
  if (token.empty() || token.size() > 128) return std::nullopt;
  const std::string hash = workflow::sha256_hex(token);
  const std::string now_text = at(now);
  return db.transact([&](soci::session& sql) -> std::optional<StartedSession> {
    long long link_id = 0;
    long long user_id = 0;
    std::string next;
    std::string stored;
    sql << "SELECT id, user_id, next_path, token_hash FROM sign_in_links"
           " WHERE token_hash = :h AND used_at IS NULL AND expires_at > :now",
        soci::use(hash), soci::use(now_text), soci::into(link_id), soci::into(user_id), soci::into(next),
        soci::into(stored);
    if (!sql.got_data() || !workflow::equal_in_constant_time(stored, hash)) return std::nullopt;
    // Used once: of two requests racing with one link, one updates the row.
    soci::statement use_link =
        (sql.prepare << "UPDATE sign_in_links SET used_at = :now WHERE id = :id AND used_at IS NULL",
         soci::use(now_text), soci::use(link_id));
    use_link.execute(true);
    if (use_link.get_affected_rows() != 1) return std::nullopt;
    auto user = read_user(sql, user_id, true);
    if (!user) return std::nullopt;  // revoked since the link was sent: the link is spent all the same
    StartedSession started{std::move(*user), workflow::random_token(""), std::move(next)};
    const std::string session_hash = workflow::sha256_hex(started.session_token);
    sql << "INSERT INTO web_sessions (user_id, token_hash, created_at, last_seen_at) VALUES (:u, :h, :c, :c2)",
        soci::use(user_id), soci::use(session_hash), soci::use(now_text), soci::use(now_text);
    return started;
  });
}

std::string SessionQuery::columns() {
  return "s.id, s.token_hash, CASE WHEN s.last_seen_at < :touch THEN 1 ELSE 0 END, " + user_columns_sql("u.");
}

std::string SessionQuery::from_where() {
  return " FROM web_sessions s JOIN users u ON u.id = s.user_id"
         " WHERE s.token_hash = :h AND s.ended_at IS NULL AND s.last_seen_at > :idle"
         " AND s.created_at > :born AND u.revoked_at IS NULL";
}

bool SessionQuery::set(std::string_view token, Clock::time_point now, const SessionPolicy& policy) {
  if (token.empty() || token.size() > 128) return false;
  token_ = token;
  hash = workflow::sha256_hex(token);
  touch_before = at(now - std::chrono::minutes(1));
  idle_since = at(now - policy.idle);
  born_since = at(now - policy.absolute);
  stale_ = false;
  return true;
}

std::optional<Session> SessionQuery::session_at(const soci::row& row, std::size_t first) {
  if (row.get_indicator(first) == soci::i_null) return std::nullopt;
  if (!workflow::equal_in_constant_time(workflow::row_text(row, first + 1), hash)) return std::nullopt;
  stale_ = workflow::row_integer(row, first + 2) != 0;
  return Session{workflow::row_integer(row, first), user_at(row, first + 3), csrf_token_of(token_)};
}

// Noting the use writes, so it happens at most once a minute per session.
void SessionQuery::note_use(workflow::Database& db, std::int64_t session_id, Clock::time_point now) const {
  if (!stale_) return;
  const std::string now_text = at(now);
  const long long id = session_id;
  db.transact([&](soci::session& sql) {
    sql << "UPDATE web_sessions SET last_seen_at = :now WHERE id = :id", soci::use(now_text), soci::use(id);
  });
}

namespace {

// The lookup every signed-in page without a read of its own makes, kept with
// the connection (planned once): the session with its user, if live.
struct SessionLookup {
  explicit SessionLookup(soci::session& sql)
      : statement((sql.prepare << "SELECT " + SessionQuery::columns() + SessionQuery::from_where(),
                   soci::use(query.touch_before), soci::use(query.hash), soci::use(query.idle_since),
                   soci::use(query.born_since), soci::into(row))) {}
  SessionQuery query;
  soci::row row;
  soci::statement statement;
};

}  // namespace

std::optional<Session> find_session(workflow::Database& db, std::string_view token, Clock::time_point now,
                                    const SessionPolicy& policy) {
  std::optional<Session> found;
  SessionQuery query;
  {
    auto connection = db.acquire();
    try {
      auto& st =
          connection.local<SessionLookup>([](soci::session& sql) { return std::make_unique<SessionLookup>(sql); });
      if (!st.query.set(token, now, policy)) return std::nullopt;
      if (!workflow::execute_once(st.statement, connection.backend())) return std::nullopt;
      found = st.query.session_at(st.row, 0);
      query = st.query;
    } catch (...) {
      connection.rethrow_translated();
    }
  }
  if (found) query.note_use(db, found->id, now);
  return found;
}

void end_session(workflow::Database& db, std::string_view token, Clock::time_point now) {
  if (token.empty() || token.size() > 128) return;
  const std::string hash = workflow::sha256_hex(token);
  const std::string now_text = at(now);
  db.transact([&](soci::session& sql) {
    sql << "UPDATE web_sessions SET ended_at = :now WHERE token_hash = :h AND ended_at IS NULL", soci::use(now_text),
        soci::use(hash);
  });
}

}  // namespace s2s::cases
