#pragma once

#include "cli/common.h"

// The commands an admin records providers with: alliances, system leaders,
// their designations and the days they offer.
namespace s2s::cli {

// s2sd alliance add: an alliance led by a teaching school already imported.
[[nodiscard]] Command alliance_add_command();
// s2sd system-leader add: a system leader with a home school and perhaps an alliance.
[[nodiscard]] Command system_leader_add_command();
// s2sd designation add: a system leader's designation, active from a date.
[[nodiscard]] Command designation_add_command();
// s2sd capacity set: the days a system leader offers in an academic year.
[[nodiscard]] Command capacity_set_command();

}  // namespace s2s::cli
