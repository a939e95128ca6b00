#include "workflow/timestamp.h"

namespace s2s::workflow {

namespace {

// `value`'s last `width` decimal digits into `at`, zero-padded.
void put_digits(char* at, long long value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    at[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

}  // namespace

std::string format_timestamp(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  // Written digit by digit, not through snprintf: each signed-in request
  // formats a few (its session's limits), each event several.
  const auto us = time_point_cast<microseconds>(t);
  const auto day = floor<days>(us);
  const year_month_day ymd{day};
  const hh_mm_ss time{us - day};
  // system_clock counts nanoseconds in 64 bits: its years are 1677 to 2262.
  const int year_number = static_cast<int>(ymd.year());
  std::string out = "0000-00-00T00:00:00.000000Z";
  put_digits(&out[0], year_number, 4);
  put_digits(&out[5], static_cast<unsigned>(ymd.month()), 2);
  put_digits(&out[8], static_cast<unsigned>(ymd.day()), 2);
  put_digits(&out[11], time.hours().count(), 2);
  put_digits(&out[14], time.minutes().count(), 2);
  put_digits(&out[17], time.seconds().count(), 2);
  put_digits(&out[20], time.subseconds().count(), 6);
  return out;
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
