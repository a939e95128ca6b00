#include "cli/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include <chrono>
#include <memory>
#include <string>

#include "cli/settings.h"

namespace s2s::cli {
namespace {

// A JSON string, quoted and escaped, by Boost.JSON's serializer.
void append_json_string(spdlog::memory_buf_t& out, std::string_view text) {
  const std::string quoted = boost::json::serialize(boost::json::string(text));
  out.append(std::string_view(quoted));
}

// {"ts":"2026-11-23T12:00:00.123Z","level":"info","msg":"..."}: every message
// escaped, so a log shipper never sees a broken line.
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    using namespace std::chrono;
    const auto ms = time_point_cast<milliseconds>(msg.time);
    const auto day = floor<days>(ms);
    const year_month_day ymd{day};
    const hh_mm_ss time{ms - day};
    fmt::format_to(std::back_inserter(dest), R"({{"ts":"{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z","level":)",
                   static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                   time.hours().count(), time.minutes().count(), time.seconds().count(), time.subseconds().count());
    const auto level = spdlog::level::to_string_view(msg.level);
    append_json_string(dest, std::string_view(level.data(), level.size()));
    dest.append(std::string_view(",\"msg\":"));
    append_json_string(dest, std::string_view(msg.payload.data(), msg.payload.size()));
    dest.append(std::string_view("}\n"));
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonFormatter>(); }
};

}  // namespace

void configure_logging(std::string_view format, std::string_view level) {
  const auto parsed = spdlog::level::from_str(std::string(level));
  // from_str answers "off" for anything it does not know.
  if (parsed == spdlog::level::off && level != "off") {
    throw UsageError("unknown log level '" + std::string(level) + "' (trace, debug, info, warn, error, off)");
  }
  auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  if (format == "json") {
    sink->set_formatter(std::make_unique<JsonFormatter>());
  } else if (format == "text") {
    sink->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ %v");
  } else {
    throw UsageError("unknown log format '" + std::string(format) + "' (text or json)");
  }
  auto logger = std::make_shared<spdlog::logger>("s2sd", std::move(sink));
  logger->set_level(parsed);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace s2s::cli
