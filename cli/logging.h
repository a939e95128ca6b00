#pragma once

#include <string_view>

namespace s2s::cli {

// Sets spdlog's default logger for s2sd, writing to standard error:
// format "text" (human-readable, coloured on a terminal) or "json" (one JSON
// object a line: ts, level, msg); level trace|debug|info|warn|error|off.
// Throws UsageError on an unknown format or level. Call once, before threads start.
void configure_logging(std::string_view format, std::string_view level);

}  // namespace s2s::cli
