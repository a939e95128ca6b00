#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "workflow/calendar.h"
#include "workflow/case_kind.h"
#include "workflow/database.h"

// The deadlines people act on: the unsettled deadlines of the cases within a
// person's scope, soonest first, each with whose move it is and the working
// days left or late (docs/deadlines.md).
namespace s2s::cases {

// Whose move a deadline is: its DeadlineSpec's owner role, and the person or
// school where the case knows them.
struct DeadlineOwner {
  std::string role;  // lead, system_leader or school
  // For system_leader: the case's deployed system leader, else the proposed one.
  std::optional<std::int64_t> system_leader_id;
  // The system leader's name, or for school the case's school; empty when the
  // case names nobody (a lead's move: the case records no lead).
  std::string name;
};

struct ListedDeadline {
  std::int64_t id = 0;
  std::int64_t case_id = 0;
  std::string reference;
  std::string kind;
  std::string state;
  std::string purpose;
  std::chrono::year_month_day due_on{};
  std::string status;  // open or overdue
  std::string school_name;
  DeadlineOwner owner;
  // Counted on the calendar as deadlines are: the working days after today up
  // to and including the due day, so 0 on the due day. Once the due day has
  // passed, working_days_late instead: the working days after the due day up
  // to and including today (0 on a non-working day straight after it).
  std::optional<int> working_days_left;
  std::optional<int> working_days_late;
};

struct DeadlineFilter {
  std::optional<std::string> status;                  // open or overdue; none: both
  std::optional<std::chrono::year_month_day> due_by;  // due on or before
  std::optional<std::int64_t> after;                  // the last id of the previous page: the next page follows it
  int limit = 50;
};

struct DeadlinePage {
  std::vector<ListedDeadline> items;
  bool more = false;  // another page follows the last item
};

// The open and overdue deadlines of the cases within `actor`'s scope
// (scope_condition's rules), ordered by due day, then case reference, then id,
// `filter.limit` at most. Owners come from `kinds` (a purpose no kind declares
// any more is the lead's, who watches every deadline) and system leaders'
// names from the providers. Reads on its own connections; thread-safe.
[[nodiscard]] DeadlinePage list_deadlines(workflow::Database& db, const workflow::KindRegistry& kinds,
                                          const workflow::Calendar& calendar, const workflow::Actor& actor,
                                          std::chrono::year_month_day today, const DeadlineFilter& filter);

}  // namespace s2s::cases
