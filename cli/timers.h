#pragma once

#include <vector>

#include "cli/common.h"

namespace s2s::workflow {
struct TimerServiceOptions;
}  // namespace s2s::workflow

namespace s2s::cli {

// --timer-poll-ms, --timer-batch and --timer-lease-seconds: taken by timers run
// and by serve, which runs the timer service continuously.
[[nodiscard]] std::vector<OptionSpec> timer_option_specs();

// The timer service's options from those flags. Throws UsageError.
[[nodiscard]] workflow::TimerServiceOptions timer_options(const Settings& settings);

}  // namespace s2s::cli
