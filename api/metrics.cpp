#include "api/metrics.h"

#include <fmt/format.h>

namespace s2s::api {

std::string label_value(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void Metrics::observe_request(std::string_view method, std::string_view route, int status, double seconds) {
  const std::lock_guard lock(mutex_);
  ++requests_[{std::string(method), std::string(route), status}];
  Histogram& h = latency_[{std::string(method), std::string(route)}];
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) {
      ++h.buckets[i];
      break;
    }
  }
  ++h.count;
  h.sum += seconds;
}

void Metrics::count_event(std::string_view kind, std::string_view event) {
  const std::lock_guard lock(mutex_);
  ++events_[{std::string(kind), std::string(event)}];
}

std::string Metrics::render() const {
  const std::lock_guard lock(mutex_);
  std::string out;
  out += "# HELP s2s_http_requests_total HTTP requests answered, by method, route pattern and status.\n";
  out += "# TYPE s2s_http_requests_total counter\n";
  for (const auto& [key, count] : requests_) {
    const auto& [method, route, status] = key;
    out += fmt::format("s2s_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{}\"}} {}\n", method,
                       label_value(route), status, count);
  }
  out += "# HELP s2s_http_request_duration_seconds Time from a request's first byte to its handler's answer.\n";
  out += "# TYPE s2s_http_request_duration_seconds histogram\n";
  for (const auto& [key, h] : latency_) {
    const auto& [method, route] = key;
    const std::string labels = fmt::format("method=\"{}\",route=\"{}\"", method, label_value(route));
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
      cumulative += h.buckets[i];
      out +=
          fmt::format("s2s_http_request_duration_seconds_bucket{{{},le=\"{}\"}} {}\n", labels, kBuckets[i], cumulative);
    }
    out += fmt::format("s2s_http_request_duration_seconds_bucket{{{},le=\"+Inf\"}} {}\n", labels, h.count);
    out += fmt::format("s2s_http_request_duration_seconds_sum{{{}}} {}\n", labels, h.sum);
    out += fmt::format("s2s_http_request_duration_seconds_count{{{}}} {}\n", labels, h.count);
  }
  out += "# HELP s2s_events_applied_total Events applied to cases through the API, by case kind and event.\n";
  out += "# TYPE s2s_events_applied_total counter\n";
  for (const auto& [key, count] : events_) {
    out += fmt::format("s2s_events_applied_total{{kind=\"{}\",event=\"{}\"}} {}\n", label_value(key.first),
                       label_value(key.second), count);
  }
  return out;
}

}  // namespace s2s::api
