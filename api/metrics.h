#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>

// Counters and latency histograms the process keeps for GET /metrics
// (Prometheus text format). Thread-safe.
namespace s2s::api {

class Metrics {
 public:
  // One answered request. `route` is the pattern it matched ("/api/v1/cases/{id}"),
  // never the raw path, so that the series stay few.
  void observe_request(std::string_view method, std::string_view route, int status, double seconds);
  // One event applied to a case through the API.
  void count_event(std::string_view kind, std::string_view event);

  // The series above in the text exposition format, each with HELP and TYPE.
  [[nodiscard]] std::string render() const;

  static constexpr std::array<double, 12> kBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                   0.05,   0.1,   0.25,   0.5,   1.0,  2.5};

 private:
  struct Histogram {
    std::array<std::uint64_t, kBuckets.size()> buckets{};  // cumulative when rendered
    std::uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, int>, std::uint64_t> requests_;  // method, route, status
  std::map<std::pair<std::string, std::string>, Histogram> latency_;             // method, route
  std::map<std::pair<std::string, std::string>, std::uint64_t> events_;          // kind, event
};

// Escapes a label value for the exposition format (backslash, quote, newline).
[[nodiscard]] std::string label_value(std::string_view text);

}  // namespace s2s::api
