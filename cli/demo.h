#pragma once

#include "cli/common.h"

namespace s2s::cli {

// s2sd demo load: the demo data set, into a database without cases, and a
// bearer token for a demo user of each role.
[[nodiscard]] Command demo_load_command();

}  // namespace s2s::cli
