#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "workflow/engine.h"

namespace s2s::workflow {

struct TimerServiceOptions {
  std::string owner;                              // lease owner; empty: host:pid:random
  std::chrono::milliseconds poll_interval{1000};  // how often to look for due timers
  std::size_t batch = 100;                        // timers taken and fired per transaction
  std::chrono::seconds lease{60};  // after a failure, another process takes a claimed timer over after this
  std::chrono::seconds calendar_reload{30};       // picks up closure days other processes added
};

// Fires due timers on a Boost.Asio timer in a background thread: at start
// (timers that fell due while s2sd was down) and then every poll_interval.
// Several processes may run one each against one PostgreSQL: each takes
// its batches skipping rows others have locked (docs/timers.md). Logs
// failures and keeps going.
class TimerService {
 public:
  TimerService(Engine& engine, TimerServiceOptions options);
  TimerService(const TimerService&) = delete;
  TimerService& operator=(const TimerService&) = delete;
  ~TimerService();  // stop()

  // Fires due timers until a round claims none; returns the totals. Tests
  // call this directly, driving the engine's clock. Not concurrently with itself.
  FireReport run_until_idle();

  void start();
  void stop();  // waits for the round in progress; idempotent

  [[nodiscard]] const std::string& owner() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace s2s::workflow
