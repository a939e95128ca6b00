#pragma once

#include <atomic>
#include <chrono>
#include <functional>

namespace s2s::testing {

// A clock tests set by hand, so that timer tests never sleep. Thread-safe.
class TestClock {
 public:
  explicit TestClock(std::chrono::system_clock::time_point start) : ticks_(start.time_since_epoch().count()) {}

  void set(std::chrono::system_clock::time_point t) { ticks_ = t.time_since_epoch().count(); }

  [[nodiscard]] std::chrono::system_clock::time_point now() const {
    return std::chrono::system_clock::time_point(std::chrono::system_clock::duration(ticks_.load()));
  }

  // For EngineOptions::clock; the clock must outlive it.
  [[nodiscard]] std::function<std::chrono::system_clock::time_point()> function() {
    return [this] { return now(); };
  }

 private:
  std::atomic<std::chrono::system_clock::rep> ticks_;
};

}  // namespace s2s::testing
