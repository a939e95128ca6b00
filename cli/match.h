#pragma once

#include "cli/common.h"

namespace s2s::cli {

// s2sd match --case ID|REFERENCE: the system leaders who could take a case,
// ranked with each score explained, and those excluded with the reasons.
[[nodiscard]] Command match_command();

}  // namespace s2s::cli
