#pragma once

#include "cli/common.h"

// The commands over schools: the GIAS import, and what GIAS lacks.
namespace s2s::cli {

// s2sd import gias FILE.csv: upserts schools from a GIAS extract by URN.
[[nodiscard]] Command import_gias_command();
// s2sd school show URN: a school as the KPIs see it.
[[nodiscard]] Command school_show_command();
// s2sd school set URN: an admin's edit of what GIAS lacks, then the school as it now is.
[[nodiscard]] Command school_set_command();

}  // namespace s2s::cli
