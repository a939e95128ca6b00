#pragma once

#include <boost/json/object.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "workflow/calendar.h"
#include "workflow/case_kind.h"
#include "workflow/database.h"
#include "workflow/errors.h"
#include "workflow/payload.h"

// The engine: opens cases, applies events through each kind's machine, and
// fires due timers. One event on one case is one database transaction: the new
// state and version, the history row, deadline and timer changes, and outbox
// messages commit together or not at all.
namespace s2s::workflow {

struct Case {
  std::int64_t id = 0;
  std::string kind;
  std::string reference;  // SR-2026-0042
  std::int32_t school_urn = 0;
  std::string state;
  Phase phase = Phase::referral;
  int version = 0;  // bumped by every event; the last history sequence
  boost::json::object data;
  std::chrono::year_month_day opened_on{};
  std::string opened_at;                 // UTC, ISO 8601
  std::optional<std::string> closed_at;  // set on entering a terminal phase
  std::string updated_at;
  bool overdue = false;  // some deadline of the case has passed unmet
};

struct HistoryEntry {
  int sequence = 0;
  std::string event;
  std::optional<std::string> from_state;  // none for the event that opened the case
  std::string to_state;
  std::string actor;
  std::chrono::year_month_day occurred_on{};
  std::string recorded_at;
  boost::json::object payload;
  std::optional<std::int64_t> timer_id;  // the timer that fired it
};

struct Deadline {
  std::int64_t id = 0;
  std::string purpose;
  std::string armed_in_state;
  std::chrono::year_month_day due_on{};
  DeadlineComputation computation;
  std::string status;  // open, overdue, met, late, cancelled
  std::optional<std::chrono::year_month_day> settled_on;
};

// Why an event or a case was refused. The case, its history and its timers
// are unchanged whenever this is thrown.
class EngineError : public Error {
 public:
  enum class Code {
    unknown_case,       // no such case
    unknown_kind,       // no such case kind
    unknown_event,      // the case's kind has no such event: allowed() lists the kind's events
    event_not_allowed,  // the state does not take the event: allowed() lists what it does take
    guard_failed,       // the event is allowed but its conditions are not met: reason()
    payload_invalid,    // field() is missing, of the wrong type, or out of range: reason()
    version_conflict,   // the case changed since the caller read it
    not_permitted,      // the actor's role may never send this event or open this kind
    out_of_scope,       // the case lies outside the actor's scope: to them it does not exist
  };

  EngineError(Code code, std::string message, std::string field = {}, std::string reason = {},
              std::vector<std::string> allowed = {})
      : Error(category_of(code), message, std::move(field)),
        code_(code),
        reason_(std::move(reason)),
        allowed_(std::move(allowed)) {}

  [[nodiscard]] Code code() const noexcept { return code_; }
  [[nodiscard]] const std::string& reason() const noexcept { return reason_; }
  [[nodiscard]] const std::vector<std::string>& allowed() const noexcept { return allowed_; }

  // What kind of failure each code is: a case outside the caller's scope is
  // not found, as one that does not exist.
  [[nodiscard]] static constexpr ErrorCategory category_of(Code code) noexcept {
    switch (code) {
      case Code::unknown_case:
      case Code::out_of_scope:
        return ErrorCategory::not_found;
      case Code::unknown_kind:
      case Code::unknown_event:
      case Code::payload_invalid:
        return ErrorCategory::invalid;
      case Code::event_not_allowed:
      case Code::version_conflict:
        return ErrorCategory::conflict;
      case Code::guard_failed:
        return ErrorCategory::refused;
      case Code::not_permitted:
        return ErrorCategory::forbidden;
    }
    return ErrorCategory::internal;
  }

 private:
  Code code_;
  std::string reason_;
  std::vector<std::string> allowed_;
};

struct EngineOptions {
  // Working days per deadline purpose (overrides the kinds' defaults) and reminder lead time.
  DeadlinePolicy policy;
  // The time source: "today" is its date in Europe/London. Tests drive it.
  std::function<std::chrono::system_clock::time_point()> clock = [] { return std::chrono::system_clock::now(); };
  // Attempts at a timer event before its timer is marked failed.
  int max_timer_attempts = 5;
  // How far back a person may date an event or a referral (docs/machines.md,
  // step 5): people whose role is in `backdate_roles` from the start of the
  // academic year `backdate_years` before the current one (1: the current and
  // the previous), everyone else from the start of the current term (1
  // September, 1 January or 1 April). The system's own events are not limited.
  int backdate_years = 1;
  std::string backdate_roles = "lead,admin";
  // The memory for cases' histories kept for their pages (workflow/kept_history.h), in bytes about:
  // a region's lead's 5,000 cases in turn take about 35 MB by the estimate (26 MB resident), and
  // their timelines as their pages show them (ShownEntries) about 51 MB more.
  std::size_t kept_history_bytes = std::size_t{96} << 20;
};

class KeptHistory;

// What one round of timer firing did.
struct FireReport {
  std::size_t claimed = 0;  // leased by this call
  std::size_t fired = 0;    // applied to their case, exactly once
  std::size_t skipped = 0;  // already fired or cancelled by someone else meanwhile
  std::size_t failed = 0;   // the event failed: retried later, or marked failed after max attempts
};

// Thread-safe; share one per process.
class Engine {
 public:
  Engine(std::shared_ptr<Database> db, std::shared_ptr<const KindRegistry> kinds, EngineOptions options = {});
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;
  ~Engine();

  // Opens a case in the kind's initial state with a fresh reference (PREFIX-YEAR-NNNN,
  // numbered per prefix and year). occurred_on defaults to today. A person
  // (an actor with a role) must be one the kind may be opened by, and the
  // school within their scope. Throws EngineError.
  // Work the caller adds to an opening's or event's own transaction (an
  // idempotency key's record), given the case's id: it commits with it or not at all.
  using InTransaction = std::function<void(Database::Connection&, std::int64_t case_id)>;

  Case open_case(std::string_view kind, std::int32_t school_urn, const boost::json::object& payload, const Actor& actor,
                 std::optional<std::chrono::year_month_day> occurred_on = std::nullopt, const InTransaction& also = {});

  // Applies one event. With expected_version, a case that has moved on is a
  // version_conflict; without it, a concurrent change is retried. A person
  // must have a role the event names (not_permitted) and the case within
  // their scope (out_of_scope). Throws EngineError.
  Case apply(std::int64_t case_id, std::string_view event, const boost::json::object& payload, const Actor& actor,
             std::chrono::year_month_day occurred_on, std::optional<int> expected_version = std::nullopt,
             const InTransaction& also = {});

  [[nodiscard]] std::optional<Case> find(std::int64_t case_id);
  // The case named by its id ("42") or its reference ("SR-2026-0042", in any
  // letter case); nullopt when there is none. Checks no scope.
  [[nodiscard]] std::optional<Case> lookup(std::string_view id_or_reference);
  [[nodiscard]] Case get(std::int64_t case_id);  // throws EngineError unknown_case
  [[nodiscard]] std::vector<HistoryEntry> history(std::int64_t case_id);
  [[nodiscard]] std::vector<Deadline> deadlines(std::int64_t case_id);
  // The events a case's state takes now.
  [[nodiscard]] std::vector<std::string_view> allowed_events(const Case& c) const;

  // Takes up to `batch` due timers, fires them as events on their cases and
  // commits, in one transaction; when one fails, claims a batch again (lease
  // `lease` for `owner`) and fires each timer alone (docs/timers.md). Due:
  // fire_on is today or earlier, and no live lease. A timer whose lease
  // expired (its process died) is taken over.
  FireReport fire_due_timers(std::string_view owner, std::size_t batch, std::chrono::seconds lease);

  // Adds an admin closure day and recomputes every open deadline (and its
  // timers) that the change moves. Returns how many deadlines moved.
  int add_closure(std::chrono::year_month_day day, std::string_view reason, std::string_view actor);
  // Reloads closure days (another process may have added some).
  void reload_calendar();
  // The working-day calendar with the closures in force.
  [[nodiscard]] Calendar calendar() const;

  [[nodiscard]] std::chrono::year_month_day today() const;
  [[nodiscard]] std::chrono::system_clock::time_point now() const;
  [[nodiscard]] const KindRegistry& kinds() const noexcept;
  [[nodiscard]] Database& database() noexcept;
  // Cases' histories as their pages last read them (workflow/kept_history.h).
  [[nodiscard]] KeptHistory& kept_history() noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A case named by its id ("42") or its reference ("sr-2026-0042", which is
// stored upper case): `id` is 0 when it is a reference. nullopt for digits
// that are no id (0, or too large).
struct CaseKey {
  std::int64_t id = 0;
  std::string reference;
};
[[nodiscard]] std::optional<CaseKey> case_key(std::string_view id_or_reference);

// A case, a deadline and a history entry from their stored rows
// (workflow/case_store.h), for reads that select them with rows of their own.
// Throw DatabaseError for a stored row that does not parse.
struct CaseRow;
struct DeadlineRow;
struct HistoryRow;
[[nodiscard]] Case case_from_row(const CaseRow& row);
[[nodiscard]] Deadline deadline_from_row(const DeadlineRow& row);
[[nodiscard]] HistoryEntry history_from_row(const HistoryRow& row);

}  // namespace s2s::workflow
