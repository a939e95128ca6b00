#pragma once

#include "cli/common.h"

// The commands over the working-day calendar and the deadlines it times, and
// the case kinds' machines. All but calendar close read no database.
namespace s2s::cli {

// s2sd calendar add-working-days DATE N: the Nth working day after DATE.
[[nodiscard]] Command calendar_add_working_days_command();
// s2sd calendar holidays YEAR: the year's England and Wales bank holidays.
[[nodiscard]] Command calendar_holidays_command();
// s2sd calendar close DATE: an admin closure day; open deadlines move past it.
[[nodiscard]] Command calendar_close_command();
// s2sd diagram KIND: a case kind's state machine as Mermaid.
[[nodiscard]] Command diagram_command();
// s2sd deadlines: every deadline, its working days in force, owner and source.
[[nodiscard]] Command deadlines_command();

}  // namespace s2s::cli
