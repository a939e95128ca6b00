#pragma once

#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cases/deployments.h"
#include "cases/schools.h"
#include "cases/sign_in.h"
#include "workflow/case_kind.h"
#include "workflow/database.h"
#include "workflow/engine.h"

// The case list: the cases within a person's scope, newest first, narrowed by
// optional filters (GET /api/v1/cases).
namespace s2s::cases {

// Filters, each applied when set; values are checked by the caller (a kind,
// state or phase that does not exist simply matches nothing here).
struct CaseFilter {
  std::optional<std::string> kind;
  std::optional<std::string> state;
  std::optional<std::string> phase;
  std::optional<std::int64_t> school_urn;
  std::optional<std::string> mini_region;  // the school's local authority lies in it
  std::optional<std::int64_t> la;          // the school's local authority code
  std::optional<bool> overdue;             // has (true) or has not (false) an overdue deadline
  std::optional<std::string> text;         // in the reference, the school's name or the summary, any case
  // Only these cases, by reference (the cases behind a KPI, a page at a
  // time): at most 200; an empty list when set matches nothing.
  std::optional<std::vector<std::string>> references;
  std::optional<std::int64_t> after;  // the last id of the previous page: the next page follows it
  int limit = 50;
};

struct ListedCase {
  std::int64_t id = 0;
  std::string kind;
  std::string reference;
  std::int64_t school_urn = 0;
  std::optional<std::string> school_name;  // none when the school is not known
  std::string state;
  std::string phase;
  int version = 0;
  std::string opened_on;                 // YYYY-MM-DD
  std::string opened_at;                 // workflow/timestamp.h's stored form
  std::optional<std::string> closed_at;  // likewise; none while open
  std::string updated_at;
  std::string changed_on;  // YYYY-MM-DD: the day of its last event sent by a person (not a timer's)
  bool overdue = false;    // has an overdue deadline
};

struct CasePage {
  std::vector<ListedCase> items;
  bool more = false;  // another page follows the last item
};

// The cases within `actor`'s scope (scope_condition's rules) that match
// `filter`, by id descending, `filter.limit` at most. Every value is bound.
// Reads on its own connection; thread-safe. Throws DatabaseUnavailable or
// DatabaseError.
[[nodiscard]] CasePage list_cases(workflow::Database& db, const workflow::Actor& actor, const CaseFilter& filter);

// Every case within `actor`'s scope that matches `filter` (its limit and
// `after` ignored), newest first, `most` at most, as CSV that opens cleanly in
// Excel: UTF-8 with a BOM, a header row, CRLF line ends, and text that would
// start a formula (=, +, -, @) quoted with a leading apostrophe.
[[nodiscard]] std::string case_list_csv(workflow::Database& db, const workflow::Actor& actor, CaseFilter filter,
                                        int most = 5000);

// The case named by its id ("42") or reference ("SR-2026-0042") if it exists
// and lies within `actor`'s scope; nullopt otherwise, the same answer either
// way (a case outside someone's scope does not exist for them). What every
// adapter uses before it says anything about a case.
[[nodiscard]] std::optional<workflow::Case> find_visible_case(workflow::Engine& engine, const workflow::Actor& actor,
                                                              std::string_view id_or_reference);
// The same with what its page and JSON show beside it, all read in one
// statement: its school (whose place and phase decide a lead's or an LA
// officer's scope; nullopt for a school not on the register), who supports it
// (nullopt until a provider has accepted) and its deadlines, oldest first.
struct CaseView {
  workflow::Case c;
  std::optional<School> school;
  std::optional<Supporter> supporter;
  std::vector<workflow::Deadline> deadlines;
  std::optional<std::vector<workflow::HistoryEntry>> history;  // read with_history only: oldest first
  std::map<std::string, std::string> user_names;               // with_history: by actor, the users its history names
};
// What a view reads beside the case: its school, supporter and deadlines
// (the JSON), and with_history its history too (its page), still in one statement.
enum class CaseViewParts { deadlines, with_history };
[[nodiscard]] std::optional<CaseView> find_visible_case_view(workflow::Engine& engine, const workflow::Actor& actor,
                                                             std::string_view id_or_reference,
                                                             CaseViewParts parts = CaseViewParts::deadlines);
// A signed-in person's case page, read with their session in one statement
// (one round trip where find_session then find_visible_case_view take two):
// `session` is the live session with `session_token`, as find_session finds
// it (its use noted as find_session notes it), and `view` the case with its
// history only when the session is live, the case exists and it lies in the
// session's user's scope (its school's need not worked out: the page does not
// show it).
struct SignedInCaseView {
  std::optional<Session> session;
  std::optional<CaseView> view;
};
[[nodiscard]] SignedInCaseView find_session_and_case_page(workflow::Engine& engine, std::string_view session_token,
                                                          std::chrono::system_clock::time_point now,
                                                          const SessionPolicy& policy,
                                                          std::string_view id_or_reference);
// The statement find_session_and_case_page runs for a case by id, as
// `backend` is sent it: its placeholders, in order, are :id, :after (the
// history entries after this sequence: those not kept), then :touch, :h,
// :idle and :born (SessionQuery). For running the same SQL beside s2sd
// (bench/national_bench.cpp).
[[nodiscard]] std::string case_page_sql(workflow::Backend backend);
// An API caller's view of one case (its JSON), read with their bearer token
// in one statement (one round trip where authenticate then
// find_visible_case_view take two): `user` is the token's live user, as
// authenticate finds them, and `view` the case only when there is one, it
// exists and it lies in that user's scope.
struct CallerCaseView {
  std::optional<User> user;
  std::optional<CaseView> view;
};
[[nodiscard]] CallerCaseView find_caller_and_case_view(workflow::Engine& engine, std::string_view bearer_token,
                                                       std::string_view id_or_reference);
// The view of a case the caller has just changed and may see (the answer to
// an event): `c` as the engine returned it, with the rest read afresh.
[[nodiscard]] CaseView case_view_of(workflow::Engine& engine, workflow::Case c);

// What is wrong with the links a referral's sender gives it, if anything, as
// (field, message): a `linked_case` must exist and lie within the sender's
// scope, and a referral that says a risk assessment recommended it (source
// "risk_assessment") must name that assessment. The engine's own linked
// openings are made by the engine and do not pass through here.
[[nodiscard]] std::optional<std::pair<std::string, std::string>> referral_link_problem(workflow::Engine& engine,
                                                                                       const workflow::Actor& actor,
                                                                                       const boost::json::object& data);

// The events `role` may send to the case now: its state takes them and their
// `who` names the role. In the kind's declared order.
[[nodiscard]] std::vector<const workflow::EventInfo*> actions_for(const workflow::Engine& engine,
                                                                  const workflow::Case& c, std::string_view role);
// The same from a case's kind and state alone (a listed case, not loaded).
[[nodiscard]] std::vector<const workflow::EventInfo*> actions_for(const workflow::KindRegistry& kinds,
                                                                  std::string_view kind, std::string_view state,
                                                                  std::string_view role);

}  // namespace s2s::cases
