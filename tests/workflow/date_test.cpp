#include "workflow/date.h"

#include <chrono>
#include <stdexcept>

#include <gtest/gtest.h>

namespace s2s::workflow {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

constexpr year_month_day ymd(int y, unsigned m, unsigned d) { return year_month_day{year{y}, month{m}, day{d}}; }

// An instant given as UTC civil time.
sys_seconds utc(int y, unsigned m, unsigned d, int hh, int mm, int ss = 0) {
  return sys_days{ymd(y, m, d)} + hours{hh} + minutes{mm} + seconds{ss};
}

TEST(DateTest, ParsesIsoDate) {
  EXPECT_EQ(parse_date("2026-12-18"), ymd(2026, 12, 18));
  EXPECT_EQ(parse_date("2024-02-29"), ymd(2024, 2, 29));
  EXPECT_EQ(parse_date("0000-01-01"), ymd(0, 1, 1));
  EXPECT_EQ(parse_date("9999-12-31"), ymd(9999, 12, 31));
}

TEST(DateTest, RejectsDatesThatDoNotExist) {
  EXPECT_EQ(parse_date("2026-02-30"), std::nullopt);
  EXPECT_EQ(parse_date("2026-02-29"), std::nullopt);
  EXPECT_EQ(parse_date("2100-02-29"), std::nullopt);
  EXPECT_EQ(parse_date("2026-13-01"), std::nullopt);
  EXPECT_EQ(parse_date("2026-00-10"), std::nullopt);
  EXPECT_EQ(parse_date("2026-04-31"), std::nullopt);
  EXPECT_EQ(parse_date("2026-01-00"), std::nullopt);
}

TEST(DateTest, RejectsAnythingButExactlyYyyyMmDd) {
  for (const char* text :
       {"", "2026-1-01", "2026-01-1", "26-01-01", "2026/01/01", "20260101", "2026-01-01 ", " 2026-01-01",
        "2026-01-01T00:00", "+026-01-01", "2026-0a-01", "2026--1-01", "2026-01-+1", "２０２６-01-01", "12026-01-01"}) {
    EXPECT_EQ(parse_date(text), std::nullopt) << '"' << text << '"';
  }
}

TEST(DateTest, FormatsWithZeroPadding) {
  EXPECT_EQ(format_date(ymd(2026, 12, 18)), "2026-12-18");
  EXPECT_EQ(format_date(ymd(2027, 1, 6)), "2027-01-06");
  EXPECT_EQ(format_date(ymd(987, 3, 4)), "0987-03-04");
}

TEST(DateTest, FormatRoundTripsThroughParse) {
  for (sys_days d = sys_days{ymd(2023, 12, 25)}; d < sys_days{ymd(2025, 1, 10)}; d += days{1}) {
    const year_month_day date{d};
    EXPECT_EQ(parse_date(format_date(date)), date);
  }
}

TEST(DateTest, FormatRejectsUnrepresentableDates) {
  EXPECT_THROW((void)format_date(ymd(2026, 2, 30)), std::invalid_argument);
  EXPECT_THROW((void)format_date(ymd(10000, 1, 1)), std::invalid_argument);
  EXPECT_THROW((void)format_date(ymd(-1, 1, 1)), std::invalid_argument);
}

TEST(DateTest, WeekdayOf) {
  EXPECT_EQ(weekday_of(ymd(2026, 12, 18)), Friday);
  EXPECT_EQ(weekday_of(ymd(2026, 12, 19)), Saturday);
  EXPECT_EQ(weekday_of(ymd(2027, 1, 4)), Monday);
}

TEST(DateTest, LondonOffsetChangesAtOneAmUtcOnLastSundayOfMarch) {
  // 2026: the clocks go forward on Sunday 29 March.
  EXPECT_EQ(london_utc_offset(utc(2026, 3, 28, 12, 0)), 0s);
  EXPECT_EQ(london_utc_offset(utc(2026, 3, 29, 0, 59, 59)), 0s);
  EXPECT_EQ(london_utc_offset(utc(2026, 3, 29, 1, 0)), 3600s);
  EXPECT_EQ(london_utc_offset(utc(2026, 3, 22, 1, 0)), 0s);  // a week early: not the last Sunday
}

TEST(DateTest, LondonOffsetChangesAtOneAmUtcOnLastSundayOfOctober) {
  // 2026: the clocks go back on Sunday 25 October.
  EXPECT_EQ(london_utc_offset(utc(2026, 10, 18, 1, 0)), 3600s);
  EXPECT_EQ(london_utc_offset(utc(2026, 10, 25, 0, 59, 59)), 3600s);
  EXPECT_EQ(london_utc_offset(utc(2026, 10, 25, 1, 0)), 0s);
  EXPECT_EQ(london_utc_offset(utc(2026, 12, 31, 23, 59, 59)), 0s);
  EXPECT_EQ(london_utc_offset(utc(2026, 7, 1, 12, 0)), 3600s);
}

TEST(DateTest, LondonOffsetUsesEachYearsOwnLastSundays) {
  // 2027: 28 March and 31 October; 2025: 30 March and 26 October.
  EXPECT_EQ(london_utc_offset(utc(2027, 3, 28, 0, 59)), 0s);
  EXPECT_EQ(london_utc_offset(utc(2027, 3, 28, 1, 0)), 3600s);
  EXPECT_EQ(london_utc_offset(utc(2027, 10, 31, 0, 59)), 3600s);
  EXPECT_EQ(london_utc_offset(utc(2027, 10, 31, 1, 0)), 0s);
  EXPECT_EQ(london_utc_offset(utc(2025, 3, 30, 1, 0)), 3600s);
  EXPECT_EQ(london_utc_offset(utc(2025, 10, 26, 1, 0)), 0s);
  EXPECT_EQ(london_utc_offset(utc(2025, 10, 25, 23, 30)), 3600s);
}

TEST(DateTest, LondonDateAroundSpringForward) {
  EXPECT_EQ(london_date(utc(2026, 3, 28, 23, 30)), ymd(2026, 3, 28));  // GMT
  EXPECT_EQ(london_date(utc(2026, 3, 28, 23, 59, 59)), ymd(2026, 3, 28));
  EXPECT_EQ(london_date(utc(2026, 3, 29, 0, 0)), ymd(2026, 3, 29));
  EXPECT_EQ(london_date(utc(2026, 3, 29, 23, 0)), ymd(2026, 3, 30));  // BST: 00:00 local
  EXPECT_EQ(london_date(utc(2026, 3, 29, 22, 59, 59)), ymd(2026, 3, 29));
}

TEST(DateTest, LondonDateAroundFallBack) {
  EXPECT_EQ(london_date(utc(2026, 10, 24, 22, 59, 59)), ymd(2026, 10, 24));
  EXPECT_EQ(london_date(utc(2026, 10, 24, 23, 0)), ymd(2026, 10, 25));  // BST: 00:00 local
  EXPECT_EQ(london_date(utc(2026, 10, 25, 0, 30)), ymd(2026, 10, 25));
  EXPECT_EQ(london_date(utc(2026, 10, 25, 23, 30)), ymd(2026, 10, 25));  // GMT again
  EXPECT_EQ(london_date(utc(2026, 10, 26, 0, 0)), ymd(2026, 10, 26));
}

TEST(DateTest, LondonDateAroundMidnight) {
  EXPECT_EQ(london_date(utc(2026, 6, 30, 22, 59, 59)), ymd(2026, 6, 30));
  EXPECT_EQ(london_date(utc(2026, 6, 30, 23, 30)), ymd(2026, 7, 1));
  EXPECT_EQ(london_date(utc(2026, 12, 31, 23, 30)), ymd(2026, 12, 31));
  EXPECT_EQ(london_date(utc(2027, 1, 1, 0, 0)), ymd(2027, 1, 1));
  EXPECT_EQ(london_date(utc(2026, 12, 31, 23, 59, 59)), ymd(2026, 12, 31));
}

TEST(DateTest, LondonDateTruncatesSubSecondsTowardsThePast) {
  const system_clock::time_point just_before_bst_midnight = utc(2026, 6, 30, 22, 59, 59) + 999ms;
  EXPECT_EQ(london_date(just_before_bst_midnight), ymd(2026, 6, 30));
  const system_clock::time_point before_epoch = sys_days{ymd(1969, 12, 31)} + 23h + 500ms;
  EXPECT_EQ(london_date(before_epoch), ymd(1969, 12, 31));
}

}  // namespace
}  // namespace s2s::workflow
