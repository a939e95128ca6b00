#include "cli/timers.h"

#include <chrono>
#include <cstddef>
#include <iostream>

#include "workflow/engine.h"
#include "workflow/timer_service.h"

namespace s2s::cli {
namespace timers_commands {

int run_timers(const Settings& settings) {
  auto db = open_migrated(settings);
  auto engine = make_engine(settings, db);
  workflow::TimerService service(*engine, timer_options(settings));
  const auto report = service.run_until_idle();
  std::cout << "fired " << report.fired << ", skipped " << report.skipped << ", failed " << report.failed << '\n';
  return report.failed == 0 ? 0 : 1;
}

}  // namespace timers_commands

std::vector<OptionSpec> timer_option_specs() {
  return {
      {"timer-poll-ms", "MS", "how often to look for due timers", "1000"},
      {"timer-batch", "N", "due timers claimed and fired per transaction", "100"},
      {"timer-lease-seconds", "S", "another process takes a claimed timer over after this", "60"},
  };
}

workflow::TimerServiceOptions timer_options(const Settings& settings) {
  workflow::TimerServiceOptions options;
  options.poll_interval = std::chrono::milliseconds(settings.integer("timer-poll-ms", 10, 3600000));
  options.batch = static_cast<std::size_t>(settings.integer("timer-batch", 1, 10000));
  options.lease = std::chrono::seconds(settings.integer("timer-lease-seconds", 1, 86400));
  return options;
}

}  // namespace s2s::cli
