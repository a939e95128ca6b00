#pragma once

#include "cli/common.h"

namespace s2s::cli {

// s2sd migrate: applies the pending migrations; with --status lists applied
// and pending ones and exits 3 when any is pending.
[[nodiscard]] Command migrate_command();
Command backup_command();

}  // namespace s2s::cli
