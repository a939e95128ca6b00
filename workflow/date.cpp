#include "workflow/date.h"

#include <stdexcept>

#include <fmt/format.h>

namespace s2s::workflow {
namespace {

using namespace std::chrono;

// Reads `count` ASCII digits at `pos`; false if any is not a digit. Deliberately not
// std::isdigit, which depends on the locale.
bool read_digits(std::string_view text, std::size_t pos, std::size_t count, int& out) noexcept {
  int value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    const char c = text[i];
    if (c < '0' || c > '9') {
      return false;
    }
    value = value * 10 + (c - '0');
  }
  out = value;
  return true;
}

}  // namespace

std::optional<year_month_day> parse_date(std::string_view text) noexcept {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') {
    return std::nullopt;
  }
  int y = 0;
  int m = 0;
  int d = 0;
  if (!read_digits(text, 0, 4, y) || !read_digits(text, 5, 2, m) || !read_digits(text, 8, 2, d)) {
    return std::nullopt;
  }
  const year_month_day date{year{y}, month{static_cast<unsigned>(m)}, day{static_cast<unsigned>(d)}};
  if (!date.ok()) {
    return std::nullopt;
  }
  return date;
}

std::string format_date(year_month_day date) {
  const int y = static_cast<int>(date.year());
  if (!date.ok() || y < 0 || y > 9999) {
    throw std::invalid_argument(fmt::format("format_date: not a representable date (year {}, month {}, day {})", y,
                                            static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day())));
  }
  return fmt::format("{:04}-{:02}-{:02}", y, static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
}

seconds london_utc_offset(sys_seconds utc) {
  // Both changes of a year fall in the same UTC calendar year as any instant between
  // them, so the UTC year of `utc` picks the right pair of boundaries.
  const year y = year_month_day{floor<days>(utc)}.year();
  const sys_seconds bst_starts = sys_days{y / March / Sunday[last]} + hours{1};
  const sys_seconds bst_ends = sys_days{y / October / Sunday[last]} + hours{1};
  return (utc >= bst_starts && utc < bst_ends) ? seconds{hours{1}} : seconds{0};
}

year_month_day london_date(system_clock::time_point utc) {
  const sys_seconds instant = floor<seconds>(utc);
  return year_month_day{floor<days>(instant + london_utc_offset(instant))};
}

weekday weekday_of(year_month_day date) { return weekday{sys_days{date}}; }

namespace {
constexpr std::string_view kMonths[] = {"January", "February", "March",     "April",   "May",      "June",
                                        "July",    "August",   "September", "October", "November", "December"};
}  // namespace

std::string long_date(year_month_day date) {
  return std::to_string(static_cast<unsigned>(date.day())) + " " + month_name(date.year() / date.month());
}

std::string long_date(std::string_view iso_date) {
  const auto day = iso_date.size() >= 10 ? parse_date(iso_date.substr(0, 10)) : std::nullopt;
  return day ? long_date(*day) : std::string(iso_date);
}

std::string month_name(year_month month) {
  return std::string(kMonths[static_cast<unsigned>(month.month()) - 1]) + " " +
         std::to_string(static_cast<int>(month.year()));
}

}  // namespace s2s::workflow
