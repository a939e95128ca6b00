#pragma once

// Civil dates for the workflow engine. Every date the engine stores or compares is a
// civil date in Europe/London (docs/vocabulary.md, "Time"), held as a
// std::chrono::year_month_day and written as ISO 8601 `YYYY-MM-DD`.
//
// All functions here are pure and thread-safe.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace s2s::workflow {

// Parses exactly `YYYY-MM-DD`: ten characters, ASCII digits, '-' at positions 4 and 7,
// and a date that exists (2026-02-30 and 2026-13-01 are rejected). No surrounding
// whitespace, signs or time part is accepted. Returns nullopt on anything else.
[[nodiscard]] std::optional<std::chrono::year_month_day> parse_date(std::string_view text) noexcept;

// Formats as `YYYY-MM-DD`, e.g. "2026-12-18"; the inverse of parse_date.
// Throws std::invalid_argument if `date` is not ok() or its year is outside 0..9999
// (such a date could not be parsed back).
[[nodiscard]] std::string format_date(std::chrono::year_month_day date);

// The offset of Europe/London from UTC at the instant `utc`: 1h during British Summer
// Time, 0s otherwise. BST runs from 01:00 UTC on the last Sunday of March to 01:00 UTC
// on the last Sunday of October (the rule in force since 1996; it is applied to every
// year, so instants before 1996 may differ from history).
[[nodiscard]] std::chrono::seconds london_utc_offset(std::chrono::sys_seconds utc);

// The civil date in Europe/London at the instant `utc`, e.g. 2026-06-30T23:30Z is
// 2026-07-01 (BST) while 2026-12-31T23:30Z is 2026-12-31 (GMT). Sub-second parts are
// truncated towards the past before the offset is applied.
[[nodiscard]] std::chrono::year_month_day london_date(std::chrono::system_clock::time_point utc);

// As people write a date: "1 December 2026" (`date` must be ok()).
[[nodiscard]] std::string long_date(std::chrono::year_month_day date);
// "2026-12-01" (or a timestamp starting so) as "1 December 2026"; the text as
// it is when it does not start with a date.
[[nodiscard]] std::string long_date(std::string_view iso_date);
// "December 2026".
[[nodiscard]] std::string month_name(std::chrono::year_month month);

// The day of the week of `date` (which must be ok()).
[[nodiscard]] std::chrono::weekday weekday_of(std::chrono::year_month_day date);

}  // namespace s2s::workflow
