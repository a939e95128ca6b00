#include "workflow/timestamp.h"

#include <cstdio>

namespace s2s::workflow {

std::string format_timestamp(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto us = time_point_cast<microseconds>(t);
  const auto day = floor<days>(us);
  const year_month_day ymd{day};
  const hh_mm_ss time{us - day};
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02ld:%02ld:%02ld.%06ldZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<long>(time.hours().count()), static_cast<long>(time.minutes().count()),
                static_cast<long>(time.seconds().count()), static_cast<long>(time.subseconds().count()));
  return buffer;
}

std::string normalize_timestamp(std::string_view text) {
  // PostgreSQL in UTC: "YYYY-MM-DD HH:MM:SS[.f{1,6}]+00"
  if (text.size() < 22 || text[10] != ' ' || !text.ends_with("+00")) return std::string(text);
  std::string out(text.substr(0, 19));
  out[10] = 'T';
  std::string fraction;
  if (text.size() > 22 && text[19] == '.') fraction = std::string(text.substr(20, text.size() - 23));
  fraction.resize(6, '0');
  return out + "." + fraction + "Z";
}

}  // namespace s2s::workflow
