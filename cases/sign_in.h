#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cases/users.h"
#include "workflow/database.h"

// Signing in to the web pages (docs/web.md): one-time links sent by email and
// the sessions they start. The owner of tables sign_in_links and web_sessions.
// A link's and a session's secret are never stored, only their SHA-256.
namespace s2s::cases {

struct SessionPolicy {
  std::chrono::minutes link_lifetime{15};  // a sign-in link is good for this long, and once
  int links_per_address_per_hour = 5;      // more requests for one address send nothing
  std::chrono::minutes idle{60};           // a session unused this long has ended
  std::chrono::hours absolute{12};         // and any session this old
};

struct SignInLink {
  User user;
  std::string token;  // goes into the emailed link; stored only as its hash
};

// A new one-time link for the live (not revoked) user with this email,
// leading to `next_path` once used; nullopt when there is no such user or the
// address has had links_per_address_per_hour links in the last hour. The
// caller answers the same either way, so nobody learns which addresses are known.
[[nodiscard]] std::optional<SignInLink> create_sign_in_link(workflow::Database& db, std::string_view email,
                                                            std::string_view next_path,
                                                            std::chrono::system_clock::time_point now,
                                                            const SessionPolicy& policy);

struct StartedSession {
  User user;
  std::string session_token;  // the cookie's value; stored only as its hash
  std::string next_path;      // the page the link was made for
};

// Uses the link: marks it used and starts a session, in one transaction.
// nullopt for an unknown, used or expired link, or a user revoked since;
// nothing changes then.
[[nodiscard]] std::optional<StartedSession> redeem_sign_in_link(workflow::Database& db, std::string_view token,
                                                                std::chrono::system_clock::time_point now,
                                                                const SessionPolicy& policy);

struct Session {
  std::int64_t id = 0;
  User user;
  std::string csrf_token;  // what every form of this session must carry
};

// The live session with this token: not ended, used within `idle`, younger
// than `absolute`, and its user not revoked. Notes the use (at most once a
// minute, so reading pages does not write on every request).
[[nodiscard]] std::optional<Session> find_session(workflow::Database& db, std::string_view token,
                                                  std::chrono::system_clock::time_point now,
                                                  const SessionPolicy& policy);

// The same lookup as a part of another statement, so that a page reads the
// session beside what it shows in one round trip (find_session_and_case_page,
// cases/case_list.h). The statement's text holds columns() (with the
// placeholder :touch) and, in the same SELECT, from_where() (with :h,
// :idle and :born); the caller binds touch_before, hash, idle_since and
// born_since in that order.
class SessionQuery {
 public:
  [[nodiscard]] static std::string columns();
  [[nodiscard]] static std::string from_where();

  // False for a token that cannot be a session's (empty or over-long): there is nothing to look up.
  bool set(std::string_view token, std::chrono::system_clock::time_point now, const SessionPolicy& policy);
  // The session in `row`'s columns from `first` (a row the statement read
  // with columns()), if its hash is this token's.
  [[nodiscard]] std::optional<Session> session_at(const soci::row& row, std::size_t first);
  // Notes the session's use when session_at found it last noted over a minute ago.
  void note_use(workflow::Database& db, std::int64_t session_id, std::chrono::system_clock::time_point now) const;

  std::string touch_before;
  std::string hash;
  std::string idle_since;
  std::string born_since;

 private:
  std::string token_;
  bool stale_ = false;
};

// Ends the session with this token (signing out); nothing for an unknown one.
void end_session(workflow::Database& db, std::string_view token, std::chrono::system_clock::time_point now);

// Whether `candidate` is the CSRF token of the session with `session_token`,
// compared in constant time.
[[nodiscard]] bool csrf_matches(std::string_view session_token, std::string_view candidate);

// The CSRF token of a session: derived from its secret, so nothing more is stored.
[[nodiscard]] std::string csrf_token_of(std::string_view session_token);

}  // namespace s2s::cases
