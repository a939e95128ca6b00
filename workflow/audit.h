#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "workflow/database.h"

// The audit trail (docs/audit.md): who did what. Case events are recorded
// by the engine in each case's history; everything else an administrator
// or a script does (users, providers, the register, closures, notifications,
// webhooks) is recorded here as it is done. This module owns audit_log and
// reads case_history only for the trail.
namespace s2s::workflow {

struct AuditAction {
  std::string actor;    // "user:12 amy@example.org" (the engine's actor name), or "admin:cli"
  std::string action;   // a code from docs/audit.md: "user.invite", "capacity.set", ...
  std::string subject;  // what it was done to, in words: "Pat Head (pat@school.example)"
  std::string detail;   // what changed, in words; may be empty
};

// Records an action that has just been done. Called once the change has
// committed: a process killed between the two loses the record, and a
// change that failed is never recorded. Throws DatabaseUnavailable or
// DatabaseError (the change stands).
void record_audit(Database& db, const AuditAction& action, std::chrono::system_clock::time_point at);

struct AuditRow {
  std::string recorded_at;  // workflow/timestamp.h's stored form
  std::string actor;
  bool case_event = false;  // from a case's history; else an audit_log action
  std::string what;         // the event ("accept_referral") or the action code
  std::string subject;      // a case event's case reference; an action's subject
  std::string detail;       // a case event's school name; an action's detail
  std::string from_state;   // a case event's states ("" when it opened the case)
  std::string to_state;
};

struct AuditQuery {
  std::optional<std::string> who;  // in the actor's name, any case (an email, or part of one)
  enum class Kind { all, case_events, administration } kind = Kind::all;
  std::optional<std::string> since;  // stored-form timestamp: recorded at or after it
  int offset = 0;                    // rows skipped, newest first (at most 10,000)
  int limit = 100;                   // at most 500
};

struct AuditPage {
  std::vector<AuditRow> rows;  // newest first
  bool more = false;
};

// The trail: case events and recorded actions together, newest first.
[[nodiscard]] AuditPage audit_trail(Database& db, const AuditQuery& query);

}  // namespace s2s::workflow
