#include "workflow/timestamp.h"

#include <chrono>

#include <gtest/gtest.h>

namespace s2s::workflow {
namespace {

using namespace std::chrono;

system_clock::time_point utc(int y, unsigned m, unsigned d, int hh, int mm, int ss, long long us) {
  return system_clock::time_point{sys_days{year_month_day{year{y}, month{m}, day{d}}} + hours{hh} + minutes{mm} +
                                  seconds{ss} + microseconds{us}};
}

TEST(TimestampTest, WritesEveryFieldFixedWidthInUtc) {
  EXPECT_EQ(format_timestamp(utc(2026, 11, 23, 12, 0, 0, 123456)), "2026-11-23T12:00:00.123456Z");
  EXPECT_EQ(format_timestamp(utc(2026, 1, 2, 3, 4, 5, 6)), "2026-01-02T03:04:05.000006Z");
  EXPECT_EQ(format_timestamp(utc(2024, 2, 29, 23, 59, 59, 999999)), "2024-02-29T23:59:59.999999Z");
  EXPECT_EQ(format_timestamp(system_clock::time_point{}), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(format_timestamp(utc(2199, 12, 31, 23, 59, 59, 999999)), "2199-12-31T23:59:59.999999Z");
}

TEST(TimestampTest, AnInstantBeforeTheEpochCountsBackFromMidnight) {
  // A microsecond before 1970: the last of 31 December 1969, not a negative time of day.
  EXPECT_EQ(format_timestamp(system_clock::time_point{} - microseconds{1}), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(format_timestamp(utc(1900, 3, 1, 0, 0, 0, 0)), "1900-03-01T00:00:00.000000Z");
}

TEST(TimestampTest, NanosecondsAreDroppedNotRounded) {
  const auto t = utc(2026, 12, 4, 21, 30, 0, 0) + nanoseconds{999};
  EXPECT_EQ(format_timestamp(t), "2026-12-04T21:30:00.000000Z");
}

TEST(TimestampTest, WhatItWritesNormalizesToItself) {
  const auto text = format_timestamp(utc(2026, 6, 30, 8, 15, 42, 500));
  EXPECT_EQ(normalize_timestamp(text), text);
  EXPECT_EQ(normalize_timestamp("2026-06-30 08:15:42.0005+00"), text);
}

}  // namespace
}  // namespace s2s::workflow
