#pragma once

#include <chrono>
#include <string>
#include <string_view>

// UTC instants as stored: fixed-width ISO 8601 text, so that SQLite compares
// them correctly as strings and PostgreSQL parses them as timestamptz.
namespace s2s::workflow {

// "2026-11-23T12:00:00.123456Z"
[[nodiscard]] std::string format_timestamp(std::chrono::system_clock::time_point t);

// The stored form from what a backend returns: PostgreSQL's text form of a
// timestamptz in UTC ("2026-11-23 12:00:00.123+00") or our own. Unrecognised
// text is returned unchanged.
[[nodiscard]] std::string normalize_timestamp(std::string_view text);

}  // namespace s2s::workflow
