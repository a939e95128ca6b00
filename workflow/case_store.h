#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "workflow/database.h"

// The engine's storage layer: every SQL statement on cases, history,
// deadlines, timers, the outbox and calendar closures, with bound parameters.
// Works inside the caller's transaction on one session; not thread-safe.
// Dates travel as "YYYY-MM-DD" text, timestamps as format_timestamp() text,
// JSON documents as text.
namespace s2s::workflow {

struct CaseRow {
  std::int64_t id = 0;
  std::string kind;
  std::string reference;
  std::int32_t school_urn = 0;
  std::string state;
  std::string phase;
  int version = 0;
  std::string data;  // JSON object
  std::string opened_on;
  std::string opened_at;
  std::optional<std::string> closed_at;
  std::string updated_at;
  bool overdue = false;
};

struct HistoryRow {
  int sequence = 0;
  std::string event;
  std::optional<std::string> from_state;
  std::string to_state;
  std::string actor;
  std::string occurred_on;
  std::string recorded_at;
  std::string payload;
  std::optional<std::int64_t> timer_id;
};

struct DeadlineRow {
  std::int64_t id = 0;
  std::int64_t case_id = 0;
  std::string purpose;
  std::string armed_in_state;
  std::string due_on;
  std::string computation;
  std::string status;
  std::optional<std::string> settled_on;
};

// For reads that join a case, or its deadlines, to rows of their own (a
// case's page reads it with its school, supporter and deadlines in one
// statement, cases/case_list.h): the columns over a table or alias, as text
// where the backends differ, and the row read back from column `first` on.
// A case's columns do not include `overdue`, which such a read decides.
[[nodiscard]] std::string case_columns_sql(std::string_view table);  // 12 columns
[[nodiscard]] CaseRow case_row_at(const soci::row& row, std::size_t first);
[[nodiscard]] std::string deadline_columns_sql(std::string_view table);  // 8 columns
// nullopt when the deadline's id is NULL (a LEFT JOIN that found none).
[[nodiscard]] std::optional<DeadlineRow> deadline_row_at(const soci::row& row, std::size_t first);
[[nodiscard]] std::string history_columns_sql(std::string_view table);  // 9 columns
// nullopt when the history row's sequence is NULL (a row of another part).
[[nodiscard]] std::optional<HistoryRow> history_row_at(const soci::row& row, std::size_t first);

struct ClaimedTimer {
  std::int64_t id = 0;
  std::int64_t case_id = 0;
  std::int64_t deadline_id = 0;
  std::string event;
  std::string fire_on;
  int attempts = 0;
  // The deadline it watches, as it was when claimed.
  std::string purpose;
  std::string due_on;
};

struct ClosureRow {
  std::string day;
  std::string reason;
};

// What the engine's tables hold now, for the metrics gauges.
struct CaseGauges {
  long long timers_pending = 0;
  long long timers_fired = 0;  // every timer ever fired
  long long timers_failed = 0;
  long long timers_cancelled = 0;
  long long timers_due = 0;  // pending, and their day (fire_on) is `today` or before
  long long deadlines_overdue = 0;
};

// Counts timers by status, the due ones, and the overdue deadlines, on its own
// connection; thread-safe. `today` is "YYYY-MM-DD". Throws
// DatabaseUnavailable or DatabaseError.
[[nodiscard]] CaseGauges case_gauges(Database& db, const std::string& today);

class CaseStore {
 public:
  // The statements every event runs are prepared once per connection and
  // kept with it (Connection::local): one round trip each on PostgreSQL.
  explicit CaseStore(Database::Connection& connection);

  // The transaction's connection, for effect handlers.
  [[nodiscard]] Database::Connection& connection() noexcept { return connection_; }

  // `for_update`: PostgreSQL locks the row until the transaction ends, so
  // concurrent events on one case queue up instead of conflicting.
  [[nodiscard]] std::optional<CaseRow> load_case(std::int64_t id, bool for_update = false);
  // The case with this reference (exactly as stored), in one kept statement.
  [[nodiscard]] std::optional<CaseRow> load_case_by_reference(const std::string& reference);
  // The next number for PREFIX-YEAR-NNNN references (1, 2, ...).
  [[nodiscard]] int next_reference_number(std::string_view prefix, int year);
  // Inserts at version 1 and returns the new id.
  [[nodiscard]] std::int64_t insert_case(const CaseRow& row);
  // Writes the new state only if the case is still at `expected_version`;
  // false when someone else moved it first.
  [[nodiscard]] bool update_case(std::int64_t id, int expected_version, const std::string& state,
                                 const std::string& phase, const std::string& data, const std::string& updated_at,
                                 const std::optional<std::string>& closed_at);
  // Bumps the version of a case whose state does not change (an event the
  // engine records by itself) and returns what identifies it, version being
  // the new one; nullopt if there is no such case. Locks the row until commit.
  [[nodiscard]] std::optional<CaseRow> bump_version(std::int64_t id, const std::string& updated_at);
  void insert_history(std::int64_t case_id, const HistoryRow& row);
  [[nodiscard]] std::vector<HistoryRow> history(std::int64_t case_id);
  // Who opened the case (its first history entry's actor); nullopt for no such case.
  [[nodiscard]] std::optional<std::string> opened_by(std::int64_t case_id);

  [[nodiscard]] std::int64_t insert_deadline(const DeadlineRow& row, const std::string& created_at);
  [[nodiscard]] std::vector<DeadlineRow> deadlines(std::int64_t case_id);
  // open or overdue; every case when case_id is nullopt.
  [[nodiscard]] std::vector<DeadlineRow> unsettled_deadlines(std::optional<std::int64_t> case_id);
  void set_deadline_status(std::int64_t id, const std::string& status, const std::optional<std::string>& settled_on);
  void move_deadline(std::int64_t id, const std::string& due_on, const std::string& computation);

  void insert_timer(std::int64_t case_id, std::int64_t deadline_id, const std::string& event,
                    const std::string& fire_on, const std::string& created_at);
  // Cancels the pending timers of a deadline.
  void cancel_timers(std::int64_t deadline_id);
  // Leases up to `limit` due timers (fire_on <= today, pending, no live lease)
  // to `owner` until `lease_until`, in the order they fell due (fire_on, id).
  // PostgreSQL skips rows others have locked.
  [[nodiscard]] std::vector<ClaimedTimer> claim_due_timers(const std::string& owner, const std::string& today,
                                                           const std::string& now, const std::string& lease_until,
                                                           int limit);
  // Marks up to `limit` due timers fired, as claim_due_timers chooses them,
  // without a lease: their rows stay locked until this transaction ends,
  // which must fire them (Engine::fire_due_timers); a rollback leaves them due.
  [[nodiscard]] std::vector<ClaimedTimer> take_due_timers(const std::string& today, const std::string& now, int limit);
  // Marks the timer fired if it is still pending and leased to `owner`; false otherwise.
  [[nodiscard]] bool mark_timer_fired(std::int64_t id, const std::string& owner, const std::string& now);
  // Gives a leased timer back after a failed attempt: pending again from
  // `retry_at`, or failed for good.
  void release_timer(std::int64_t id, const std::string& owner, const std::string& error, bool give_up,
                     const std::string& retry_at);

  void insert_outbox(std::optional<std::int64_t> case_id, const std::string& message, const std::string& payload,
                     const std::string& now);

  // The same writes for many rows in one statement each, whatever their
  // number, for timers fired together (Engine::fire_due_timers).
  // Marks those of `ids` still pending and leased to `owner` fired; returns them.
  [[nodiscard]] std::vector<std::int64_t> mark_timers_fired(const std::vector<std::int64_t>& ids,
                                                            const std::string& owner, const std::string& now);
  // Bumps each case's version by its count (case id to count), as
  // bump_version does by one; returns the cases found, version the new one.
  [[nodiscard]] std::vector<CaseRow> bump_versions(const std::map<std::int64_t, int>& counts,
                                                   const std::string& updated_at);
  // Overdue, and not settled, as set_deadline_status(id, "overdue", nullopt) makes one.
  void set_deadlines_overdue(const std::vector<std::int64_t>& ids);
  // (case id, row) pairs.
  void insert_history_rows(const std::vector<std::pair<std::int64_t, HistoryRow>>& rows);
  struct OutboxRow {
    std::int64_t case_id = 0;
    std::string message;
    std::string payload;
  };
  void insert_outbox_rows(const std::vector<OutboxRow>& rows, const std::string& now);

  [[nodiscard]] std::vector<ClosureRow> closures();
  void insert_closure(const std::string& day, const std::string& reason, const std::string& actor,
                      const std::string& now);

 private:
  struct HotStatements;
  HotStatements& hot();
  static CaseRow loaded_row(HotStatements& st);

  // The session, asked for at each use: asking sends what the connection holds back (a deferred BEGIN, queued writes).
  soci::session& sql() { return connection_.session(); }

  Database::Connection& connection_;
  Backend backend_;
};

}  // namespace s2s::workflow
