#include "workflow/calendar.h"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "workflow/date.h"
#include "workflow/embedded.h"

namespace s2s::workflow {
namespace {

using namespace std::chrono;

constexpr year_month_day ymd(int y, unsigned m, unsigned d) { return year_month_day{year{y}, month{m}, day{d}}; }

// The shipped CSV read independently of Calendar::from_csv (plain split on lines and the
// first comma), so the calendar is checked against the file rather than against itself.
std::map<int, std::vector<Holiday>> shipped_rows_by_year() {
  std::string_view csv = embedded::bank_holidays_england_wales_csv();
  std::map<int, std::vector<Holiday>> by_year;
  bool header = true;
  while (!csv.empty()) {
    const std::size_t end = csv.find('\n');
    std::string_view line = csv.substr(0, end);
    csv.remove_prefix(end == std::string_view::npos ? csv.size() : end + 1);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (header) {
      header = false;
      continue;
    }
    if (line.empty()) {
      continue;
    }
    const std::size_t comma = line.find(',');
    const auto date = parse_date(line.substr(0, comma));
    if (!date || comma == std::string_view::npos) {
      ADD_FAILURE() << "unreadable shipped line: " << line;
      continue;
    }
    by_year[static_cast<int>(date->year())].push_back({*date, std::string(line.substr(comma + 1))});
  }
  for (auto& [y, rows] : by_year) {
    std::sort(rows.begin(), rows.end(),
              [](const Holiday& a, const Holiday& b) { return sys_days{a.date} < sys_days{b.date}; });
  }
  return by_year;
}

// Years whose published holidays include one-off or moved days that no rule produces.
const std::set<int> kOneOffYears{2020, 2022, 2023};

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no exception)";
}

TEST(CalendarTest, ShippedCsvCoversEveryYearFrom2016To2028) {
  const auto rows = shipped_rows_by_year();
  ASSERT_EQ(rows.size(), 13u);
  EXPECT_EQ(rows.begin()->first, 2016);
  EXPECT_EQ(rows.rbegin()->first, 2028);
}

TEST(CalendarTest, EveryShippedDateIsANonWorkingDayWithItsTitle) {
  const Calendar& calendar = england_and_wales();
  int checked = 0;
  for (const auto& [y, rows] : shipped_rows_by_year()) {
    for (const Holiday& h : rows) {
      EXPECT_FALSE(calendar.is_working_day(h.date)) << format_date(h.date);
      EXPECT_EQ(calendar.non_working_reason(h.date), (SkippedDay{h.date, SkipReason::bank_holiday, h.name}))
          << format_date(h.date);
      ++checked;
    }
  }
  EXPECT_EQ(checked, 107);
}

TEST(CalendarTest, HolidaysEqualTheShippedDataForEveryDataYear) {
  const Calendar& calendar = england_and_wales();
  for (const auto& [y, rows] : shipped_rows_by_year()) {
    EXPECT_EQ(calendar.holidays(y), rows) << y;
  }
}

TEST(CalendarTest, RulesReproduceThePublishedDataInYearsWithoutOneOffDays) {
  int compared = 0;
  for (const auto& [y, rows] : shipped_rows_by_year()) {
    if (kOneOffYears.contains(y)) {
      continue;
    }
    EXPECT_EQ(Calendar::rule_holidays(y), rows) << y;
    ++compared;
  }
  EXPECT_EQ(compared, 10);
}

TEST(CalendarTest, OneOffDaysComeOnlyFromTheData) {
  const auto rows = shipped_rows_by_year();
  for (const int y : kOneOffYears) {
    EXPECT_NE(Calendar::rule_holidays(y), rows.at(y)) << y;
  }
  // The rules put 2020's Early May holiday on the first Monday; the data moved it to VE day.
  const auto rules_2020 = Calendar::rule_holidays(2020);
  EXPECT_NE(std::find(rules_2020.begin(), rules_2020.end(), Holiday{ymd(2020, 5, 4), "Early May bank holiday"}),
            rules_2020.end());
  const Calendar& calendar = england_and_wales();
  EXPECT_TRUE(calendar.is_working_day(ymd(2020, 5, 4)));
  EXPECT_EQ(calendar.non_working_reason(ymd(2020, 5, 8))->name, "Early May bank holiday (VE day)");
  EXPECT_EQ(calendar.non_working_reason(ymd(2022, 9, 19))->name,
            "Bank Holiday for the State Funeral of Queen Elizabeth II");
  EXPECT_EQ(calendar.non_working_reason(ymd(2023, 5, 8))->name, "Bank holiday for the coronation of King Charles III");
  EXPECT_FALSE(calendar.is_working_day(ymd(2022, 6, 2)));
  EXPECT_FALSE(calendar.is_working_day(ymd(2022, 6, 3)));
  EXPECT_TRUE(calendar.is_working_day(ymd(2022, 5, 30)));  // the rule's Spring day, moved
}

TEST(CalendarTest, YearsOutsideTheDataFollowTheRules) {
  const Calendar& calendar = england_and_wales();
  for (const int y : {2015, 2029, 2030, 2032, 2033, 2100, 2500}) {
    EXPECT_EQ(calendar.holidays(y), Calendar::rule_holidays(y)) << y;
  }
}

TEST(CalendarTest, Rules2015) {
  const std::vector<Holiday> expected{
      {ymd(2015, 1, 1), "New Year\u2019s Day"},  {ymd(2015, 4, 3), "Good Friday"},
      {ymd(2015, 4, 6), "Easter Monday"},        {ymd(2015, 5, 4), "Early May bank holiday"},
      {ymd(2015, 5, 25), "Spring bank holiday"}, {ymd(2015, 8, 31), "Summer bank holiday"},
      {ymd(2015, 12, 25), "Christmas Day"},      {ymd(2015, 12, 28), "Boxing Day (substitute day)"},
  };
  EXPECT_EQ(england_and_wales().holidays(2015), expected);
}

TEST(CalendarTest, Rules2029) {
  const std::vector<Holiday> expected{
      {ymd(2029, 1, 1), "New Year\u2019s Day"},  {ymd(2029, 3, 30), "Good Friday"},
      {ymd(2029, 4, 2), "Easter Monday"},        {ymd(2029, 5, 7), "Early May bank holiday"},
      {ymd(2029, 5, 28), "Spring bank holiday"}, {ymd(2029, 8, 27), "Summer bank holiday"},
      {ymd(2029, 12, 25), "Christmas Day"},      {ymd(2029, 12, 26), "Boxing Day"},
  };
  EXPECT_EQ(england_and_wales().holidays(2029), expected);
}

TEST(CalendarTest, Easter2030FallsOnTwentyFirstApril) {
  const Calendar& calendar = england_and_wales();
  EXPECT_EQ(calendar.non_working_reason(ymd(2030, 4, 19)),
            (SkippedDay{ymd(2030, 4, 19), SkipReason::bank_holiday, "Good Friday"}));
  EXPECT_EQ(calendar.non_working_reason(ymd(2030, 4, 22)),
            (SkippedDay{ymd(2030, 4, 22), SkipReason::bank_holiday, "Easter Monday"}));
  EXPECT_TRUE(calendar.is_working_day(ymd(2030, 4, 18)));
  EXPECT_TRUE(calendar.is_working_day(ymd(2030, 4, 23)));
}

TEST(CalendarTest, SkipsSubstituteBoxingDay) {
  // 2032: Christmas on a Saturday, Boxing Day on a Sunday.
  ASSERT_EQ(weekday_of(ymd(2032, 12, 25)), Saturday);
  const Calendar& calendar = england_and_wales();
  EXPECT_EQ(calendar.non_working_reason(ymd(2032, 12, 27))->name, "Christmas Day (substitute day)");
  EXPECT_EQ(calendar.non_working_reason(ymd(2032, 12, 28))->name, "Boxing Day (substitute day)");
  EXPECT_EQ(calendar.non_working_reason(ymd(2032, 12, 25))->reason, SkipReason::weekend);
  EXPECT_EQ(calendar.add_working_days(ymd(2032, 12, 24), 1), ymd(2032, 12, 29));
}

TEST(CalendarTest, ChristmasOnSundayKeepsBoxingDayOnMonday) {
  ASSERT_EQ(weekday_of(ymd(2033, 12, 25)), Sunday);
  const auto holidays = england_and_wales().holidays(2033);
  ASSERT_EQ(holidays.size(), 8u);
  EXPECT_EQ(holidays[6], (Holiday{ymd(2033, 12, 26), "Boxing Day"}));
  EXPECT_EQ(holidays[7], (Holiday{ymd(2033, 12, 27), "Christmas Day (substitute day)"}));
}

TEST(CalendarTest, NewYearOnSaturdayGivesMondaySubstitute) {
  ASSERT_EQ(weekday_of(ymd(2033, 1, 1)), Saturday);
  const auto holidays = england_and_wales().holidays(2033);
  ASSERT_FALSE(holidays.empty());
  EXPECT_EQ(holidays.front(), (Holiday{ymd(2033, 1, 3), "New Year\u2019s Day (substitute day)"}));
}

TEST(CalendarTest, RulesFollowGregorianEaster) {
  // Published Easter Sundays, including the earliest possible (22 March, 2285).
  for (const year_month_day easter : {ymd(1943, 4, 25), ymd(2008, 3, 23), ymd(2038, 4, 25), ymd(2285, 3, 22)}) {
    const auto holidays = Calendar::rule_holidays(static_cast<int>(easter.year()));
    EXPECT_NE(
        std::find(holidays.begin(), holidays.end(), Holiday{year_month_day{sys_days{easter} - days{2}}, "Good Friday"}),
        holidays.end())
        << format_date(easter);
    EXPECT_NE(std::find(holidays.begin(), holidays.end(),
                        Holiday{year_month_day{sys_days{easter} + days{1}}, "Easter Monday"}),
              holidays.end())
        << format_date(easter);
  }
}

TEST(CalendarTest, RulesGiveEightDistinctWeekdaysEveryYear) {
  for (int y = 1900; y <= 2400; ++y) {
    const auto holidays = Calendar::rule_holidays(y);
    ASSERT_EQ(holidays.size(), 8u) << y;
    for (std::size_t i = 0; i < holidays.size(); ++i) {
      const weekday w = weekday_of(holidays[i].date);
      EXPECT_TRUE(w != Saturday && w != Sunday) << format_date(holidays[i].date);
      EXPECT_EQ(holidays[i].date.year(), year{y});
      if (i > 0) {
        EXPECT_LT(sys_days{holidays[i - 1].date}, sys_days{holidays[i].date}) << y;
      }
      if (holidays[i].name == "Good Friday") {
        EXPECT_EQ(w, Friday);
        EXPECT_EQ(holidays[i + 1].name, "Easter Monday");
        EXPECT_EQ(sys_days{holidays[i + 1].date} - sys_days{holidays[i].date}, days{3});
      }
    }
  }
}

TEST(CalendarTest, YearsBeyondThePrecomputedRangeStillFollowTheRules) {
  const Calendar& calendar = england_and_wales();
  for (const int y : {1, 1200, 1899, 2200, 2500, 9999}) {
    const auto holidays = Calendar::rule_holidays(y);
    ASSERT_EQ(holidays.size(), 8u) << y;
    for (const Holiday& h : holidays) {
      EXPECT_EQ(calendar.non_working_reason(h.date), (SkippedDay{h.date, SkipReason::bank_holiday, h.name}));
    }
  }
  EXPECT_EQ(calendar.add_working_days(ymd(2500, 12, 24), 1),
            calendar.add_working_days(ymd(2500, 12, 24), 1));  // does not crash or loop
}

TEST(CalendarTest, DataYearsUseOnlyTheData) {
  const Calendar calendar = Calendar::from_csv("date,title\n2026-06-01,Made-up day\n");
  EXPECT_EQ(calendar.holidays(2026), (std::vector<Holiday>{{ymd(2026, 6, 1), "Made-up day"}}));
  EXPECT_TRUE(calendar.is_working_day(ymd(2026, 12, 25)));  // 2026 comes from the data only
  EXPECT_FALSE(calendar.is_working_day(ymd(2026, 6, 1)));
  EXPECT_FALSE(calendar.is_working_day(ymd(2027, 1, 1)));  // 2027 from the rules
  EXPECT_EQ(calendar.holidays(2027), Calendar::rule_holidays(2027));
}

TEST(CalendarTest, HeaderOnlyCsvGivesTheRules) {
  const Calendar calendar = Calendar::from_csv("date,title\n");
  EXPECT_EQ(calendar.holidays(2026), Calendar::rule_holidays(2026));
  EXPECT_FALSE(calendar.is_working_day(ymd(2026, 12, 28)));
}

TEST(CalendarTest, AddsWorkingDaysOverChristmasAndNewYear) {
  EXPECT_EQ(england_and_wales().add_working_days(ymd(2026, 12, 18), 10), ymd(2027, 1, 6));
}

TEST(CalendarTest, FromWeekendPlusOneIsMonday) {
  const Calendar& calendar = england_and_wales();
  EXPECT_EQ(calendar.add_working_days(ymd(2026, 12, 19), 1), ymd(2026, 12, 21));  // Saturday
  EXPECT_EQ(calendar.add_working_days(ymd(2026, 12, 20), 1), ymd(2026, 12, 21));  // Sunday
  EXPECT_EQ(calendar.add_working_days(ymd(2026, 3, 7), 1), ymd(2026, 3, 9));
  // Unless the Monday is a bank holiday: Saturday 2026-04-04 -> Tuesday after Easter Monday.
  EXPECT_EQ(calendar.add_working_days(ymd(2026, 4, 4), 1), ymd(2026, 4, 7));
}

TEST(CalendarTest, NegativeCountsGoBackwards) {
  const Calendar& calendar = england_and_wales();
  EXPECT_EQ(calendar.add_working_days(ymd(2027, 1, 6), -10), ymd(2026, 12, 18));
  EXPECT_EQ(calendar.add_working_days(ymd(2026, 12, 19), -1), ymd(2026, 12, 18));  // Saturday
  EXPECT_EQ(calendar.add_working_days(ymd(2026, 4, 7), -1), ymd(2026, 4, 2));      // over Easter
}

TEST(CalendarTest, ZeroReturnsTheSameDateEvenOnANonWorkingDay) {
  const Calendar& calendar = england_and_wales();
  EXPECT_EQ(calendar.add_working_days(ymd(2026, 12, 25), 0), ymd(2026, 12, 25));
  EXPECT_EQ(calendar.add_working_days(ymd(2026, 12, 21), 0), ymd(2026, 12, 21));
}

TEST(CalendarTest, AddingThenSubtractingReturnsToAWorkingDay) {
  const Calendar& calendar = england_and_wales();
  for (sys_days d = sys_days{ymd(2026, 1, 1)}; d < sys_days{ymd(2027, 1, 1)}; d += days{1}) {
    const year_month_day date{d};
    if (!calendar.is_working_day(date)) {
      continue;
    }
    for (const int n : {1, 5, 15}) {
      const year_month_day later = calendar.add_working_days(date, n);
      EXPECT_TRUE(calendar.is_working_day(later));
      EXPECT_EQ(calendar.add_working_days(later, -n), date) << format_date(date) << " " << n;
      EXPECT_EQ(calendar.working_days_between(date, later), n) << format_date(date);
    }
  }
}

TEST(CalendarTest, SkipsClosureDays) {
  const Calendar& base = england_and_wales();
  const Calendar closed = base.with_closures({{ymd(2026, 12, 21), "Alliance INSET day"}});
  EXPECT_EQ(closed.add_working_days(ymd(2026, 12, 18), 1), ymd(2026, 12, 22));
  EXPECT_EQ(closed.add_working_days(ymd(2026, 12, 18), 10), ymd(2027, 1, 7));
  EXPECT_EQ(closed.non_working_reason(ymd(2026, 12, 21)),
            (SkippedDay{ymd(2026, 12, 21), SkipReason::closure, "Alliance INSET day"}));
  // The original calendar is unchanged.
  EXPECT_EQ(base.add_working_days(ymd(2026, 12, 18), 1), ymd(2026, 12, 21));
  EXPECT_TRUE(base.closures().empty());
}

TEST(CalendarTest, WithClosuresReplacesTheEarlierSet) {
  const Calendar first = england_and_wales().with_closures({{ymd(2026, 12, 21), "A"}});
  const Calendar second = first.with_closures({{ymd(2026, 12, 23), "B"}, {ymd(2026, 12, 22), "C"}});
  EXPECT_TRUE(second.is_working_day(ymd(2026, 12, 21)));
  EXPECT_FALSE(second.is_working_day(ymd(2026, 12, 22)));
  EXPECT_EQ(second.closures(), (std::vector<Closure>{{ymd(2026, 12, 22), "C"}, {ymd(2026, 12, 23), "B"}}));
}

TEST(CalendarTest, DuplicateClosureKeepsTheFirstReason) {
  const Calendar calendar = england_and_wales().with_closures(
      {{ymd(2026, 12, 22), "first"}, {ymd(2026, 12, 21), "other"}, {ymd(2026, 12, 22), "second"}});
  EXPECT_EQ(calendar.non_working_reason(ymd(2026, 12, 22))->name, "first");
  EXPECT_EQ(calendar.closures().size(), 2u);
}

TEST(CalendarTest, ReasonPrecedenceIsBankHolidayThenClosureThenWeekend) {
  const Calendar calendar = england_and_wales().with_closures(
      {{ymd(2026, 12, 25), "Closed anyway"}, {ymd(2026, 12, 19), "Saturday closure"}});
  EXPECT_EQ(calendar.non_working_reason(ymd(2026, 12, 25))->reason, SkipReason::bank_holiday);
  EXPECT_EQ(calendar.non_working_reason(ymd(2026, 12, 19)),
            (SkippedDay{ymd(2026, 12, 19), SkipReason::closure, "Saturday closure"}));
  EXPECT_EQ(calendar.non_working_reason(ymd(2026, 12, 20)),
            (SkippedDay{ymd(2026, 12, 20), SkipReason::weekend, "Sunday"}));
  EXPECT_EQ(calendar.non_working_reason(ymd(2026, 12, 26)),
            (SkippedDay{ymd(2026, 12, 26), SkipReason::weekend, "Saturday"}));
  EXPECT_EQ(calendar.non_working_reason(ymd(2026, 12, 21)), std::nullopt);
}

TEST(CalendarTest, SkipReasonNames) {
  EXPECT_EQ(to_string(SkipReason::weekend), "weekend");
  EXPECT_EQ(to_string(SkipReason::bank_holiday), "bank_holiday");
  EXPECT_EQ(to_string(SkipReason::closure), "closure");
}

TEST(CalendarTest, ComputeDeadlineRecordsEverySkippedDay) {
  const DeadlineComputation c = england_and_wales().compute_deadline(ymd(2026, 12, 18), 10);
  EXPECT_EQ(c.start, ymd(2026, 12, 18));
  EXPECT_EQ(c.working_days, 10);
  EXPECT_EQ(c.due, ymd(2027, 1, 6));
  const std::vector<SkippedDay> expected{
      {ymd(2026, 12, 19), SkipReason::weekend, "Saturday"},
      {ymd(2026, 12, 20), SkipReason::weekend, "Sunday"},
      {ymd(2026, 12, 25), SkipReason::bank_holiday, "Christmas Day"},
      {ymd(2026, 12, 26), SkipReason::weekend, "Saturday"},
      {ymd(2026, 12, 27), SkipReason::weekend, "Sunday"},
      {ymd(2026, 12, 28), SkipReason::bank_holiday, "Boxing Day (substitute day)"},
      {ymd(2027, 1, 1), SkipReason::bank_holiday, "New Year\u2019s Day"},
      {ymd(2027, 1, 2), SkipReason::weekend, "Saturday"},
      {ymd(2027, 1, 3), SkipReason::weekend, "Sunday"},
  };
  EXPECT_EQ(c.skipped, expected);
}

TEST(CalendarTest, ComputeDeadlineRecordsClosures) {
  const DeadlineComputation c =
      england_and_wales().with_closures({{ymd(2026, 12, 22), "INSET"}}).compute_deadline(ymd(2026, 12, 21), 1);
  EXPECT_EQ(c.due, ymd(2026, 12, 23));
  EXPECT_EQ(c.skipped, (std::vector<SkippedDay>{{ymd(2026, 12, 22), SkipReason::closure, "INSET"}}));
}

TEST(CalendarTest, ComputeDeadlineBackwardsListsSkippedDaysInDateOrder) {
  const DeadlineComputation c = england_and_wales().compute_deadline(ymd(2026, 4, 7), -2);
  EXPECT_EQ(c.due, ymd(2026, 4, 1));
  ASSERT_EQ(c.skipped.size(), 4u);
  EXPECT_EQ(c.skipped.front().date, ymd(2026, 4, 3));
  EXPECT_EQ(c.skipped.back().date, ymd(2026, 4, 6));
  EXPECT_EQ(DeadlineComputation::from_json(c.to_json()), c);
}

TEST(CalendarTest, ComputeDeadlineExcludesTheStartDay) {
  const DeadlineComputation c = england_and_wales().compute_deadline(ymd(2026, 12, 19), 1);
  EXPECT_EQ(c.due, ymd(2026, 12, 21));
  EXPECT_EQ(c.skipped, (std::vector<SkippedDay>{{ymd(2026, 12, 20), SkipReason::weekend, "Sunday"}}));
}

TEST(CalendarTest, ComputeDeadlineWithZeroDaysSkipsNothing) {
  const DeadlineComputation c = england_and_wales().compute_deadline(ymd(2026, 12, 25), 0);
  EXPECT_EQ(c.due, ymd(2026, 12, 25));
  EXPECT_TRUE(c.skipped.empty());
}

TEST(CalendarTest, DeadlineJsonHasTheDocumentedShape) {
  const DeadlineComputation c = england_and_wales().compute_deadline(ymd(2026, 12, 31), 1);
  EXPECT_EQ(c.to_json(),
            "{\"start\":\"2026-12-31\",\"working_days\":1,\"due\":\"2027-01-04\",\"skipped\":["
            "{\"date\":\"2027-01-01\",\"reason\":\"bank_holiday\","
            "\"name\":\"New Year\u2019s Day\"},"
            "{\"date\":\"2027-01-02\",\"reason\":\"weekend\",\"name\":\"Saturday\"},"
            "{\"date\":\"2027-01-03\",\"reason\":\"weekend\",\"name\":\"Sunday\"}]}");
  // The API's object is the same JSON, member for member and in order.
  const auto object = c.to_json_object();
  EXPECT_EQ(boost::json::serialize(object), c.to_json());
  ASSERT_TRUE(object.at("skipped").is_array());
  EXPECT_EQ(object.at("skipped").as_array().size(), 3u);
  EXPECT_EQ(object.at("working_days").as_int64(), 1);
}

TEST(CalendarTest, DeadlineRoundTripsThroughJson) {
  const Calendar calendar = england_and_wales().with_closures({{ymd(2026, 12, 22), "INSET \"quoted\" \\ day"}});
  const DeadlineComputation c = calendar.compute_deadline(ymd(2026, 12, 18), 10);
  ASSERT_EQ(c.skipped.size(), 10u);
  EXPECT_EQ(DeadlineComputation::from_json(c.to_json()), c);
}

TEST(CalendarTest, DeadlineFromJsonIgnoresUnknownKeys) {
  const DeadlineComputation c = DeadlineComputation::from_json(
      R"({"skipped":[],"due":"2026-12-22","working_days":1,"start":"2026-12-21","v":2})");
  EXPECT_EQ(c, (DeadlineComputation{ymd(2026, 12, 21), 1, ymd(2026, 12, 22), {}}));
}

TEST(CalendarTest, DeadlineFromJsonNamesTheBadField) {
  const auto error_for = [](std::string json) {
    return message_of([&] { (void)DeadlineComputation::from_json(json); });
  };
  const std::string good_day = R"({"date":"2026-12-19","reason":"weekend","name":"Saturday"})";
  const auto with = [&](std::string start, std::string working_days, std::string due, std::string skipped) {
    return R"({"start":)" + start + R"(,"working_days":)" + working_days + R"(,"due":)" + due + R"(,"skipped":)" +
           skipped + "}";
  };
  const std::string ok = with(R"("2026-12-18")", "1", R"("2026-12-21")", "[" + good_day + "]");
  EXPECT_NO_THROW((void)DeadlineComputation::from_json(ok));

  EXPECT_NE(error_for(R"({"working_days":1,"due":"2026-12-21","skipped":[]})").find("\"start\": missing"),
            std::string::npos);
  EXPECT_NE(error_for(with(R"("2026-13-01")", "1", R"("2026-12-21")", "[]")).find("\"start\""), std::string::npos);
  EXPECT_NE(error_for(with(R"("2026-12-18")", R"("1")", R"("2026-12-21")", "[]")).find("\"working_days\""),
            std::string::npos);
  EXPECT_NE(error_for(with(R"("2026-12-18")", "1.5", R"("2026-12-21")", "[]")).find("\"working_days\""),
            std::string::npos);
  EXPECT_NE(error_for(with(R"("2026-12-18")", "1", "20261221", "[]")).find("\"due\""), std::string::npos);
  EXPECT_NE(error_for(with(R"("2026-12-18")", "1", R"("2026-12-17")", "[]")).find("\"due\""), std::string::npos);
  EXPECT_NE(error_for(with(R"("2026-12-18")", "1", R"("2026-12-21")", "{}")).find("\"skipped\""), std::string::npos);
  EXPECT_NE(error_for(with(R"("2026-12-18")", "1", R"("2026-12-21")",
                           "[" + good_day + R"(,{"date":"2026-12-20","reason":"holiday","name":"Sunday"}])"))
                .find("\"skipped[1].reason\""),
            std::string::npos);
  EXPECT_NE(error_for(with(R"("2026-12-18")", "1", R"("2026-12-21")", R"([{"date":"2026-12-19","reason":"weekend"}])"))
                .find("\"skipped[0].name\""),
            std::string::npos);
  EXPECT_NE(error_for(with(R"("2026-12-18")", "1", R"("2026-12-21")",
                           R"([{"date":"2026-12-25","reason":"weekend","name":"x"}])"))
                .find("\"skipped[0].date\""),
            std::string::npos);
  EXPECT_NE(error_for(with(R"("2026-12-18")", "1", R"("2026-12-21")",
                           R"([{"date":"2026-12-21","reason":"weekend","name":"x"}])"))
                .find("\"skipped[0].date\""),
            std::string::npos);
  EXPECT_NE(error_for(with(R"("2026-12-18")", "1", R"("2026-12-21")", "[" + good_day + "," + good_day + "]"))
                .find("\"skipped[1].date\""),
            std::string::npos);
  EXPECT_NE(error_for("{\"start\":").find("not valid JSON"), std::string::npos);
  EXPECT_NE(error_for("[]").find("expected an object"), std::string::npos);
  EXPECT_THROW((void)DeadlineComputation::from_json("{}"), std::invalid_argument);
}

TEST(CalendarTest, WorkingDaysBetweenCountsTheHalfOpenInterval) {
  const Calendar& calendar = england_and_wales();
  EXPECT_EQ(calendar.working_days_between(ymd(2026, 12, 18), ymd(2027, 1, 6)), 10);
  EXPECT_EQ(calendar.working_days_between(ymd(2026, 12, 18), ymd(2026, 12, 18)), 0);
  EXPECT_EQ(calendar.working_days_between(ymd(2027, 1, 6), ymd(2026, 12, 18)), 0);
  EXPECT_EQ(calendar.working_days_between(ymd(2026, 12, 18), ymd(2026, 12, 21)), 1);
  EXPECT_EQ(calendar.working_days_between(ymd(2026, 12, 19), ymd(2026, 12, 20)), 0);
  // 2026: 261 weekdays less the 8 weekday bank holidays.
  EXPECT_EQ(calendar.working_days_between(ymd(2025, 12, 31), ymd(2026, 12, 31)), 253);
}

TEST(CalendarTest, InvalidDatesAreRejected) {
  const Calendar& calendar = england_and_wales();
  EXPECT_THROW((void)calendar.is_working_day(ymd(2026, 2, 30)), std::invalid_argument);
  EXPECT_THROW((void)calendar.add_working_days(ymd(2026, 2, 30), 1), std::invalid_argument);
  EXPECT_THROW((void)calendar.with_closures({{ymd(2026, 13, 1), "x"}}), std::invalid_argument);
}

TEST(CalendarTest, CsvAcceptsBomAndCrlf) {
  const Calendar calendar = Calendar::from_csv(
      "\xEF\xBB\xBF"
      "date,title\r\n2026-06-01,Made-up day\r\n2026-06-02,\"Quoted, with \"\"comma\"\"\"\r\n");
  EXPECT_EQ(calendar.holidays(2026),
            (std::vector<Holiday>{{ymd(2026, 6, 1), "Made-up day"}, {ymd(2026, 6, 2), "Quoted, with \"comma\""}}));
}

TEST(CalendarTest, CsvRowsMayComeInAnyOrder) {
  const Calendar calendar = Calendar::from_csv("date,title\n2026-12-25,Christmas Day\n2026-01-01,New Year\n\n");
  EXPECT_EQ(calendar.holidays(2026),
            (std::vector<Holiday>{{ymd(2026, 1, 1), "New Year"}, {ymd(2026, 12, 25), "Christmas Day"}}));
}

TEST(CalendarTest, CsvBadDateNamesTheLine) {
  const std::string message =
      message_of([] { (void)Calendar::from_csv("date,title\n2026-01-01,New Year\n2026-02-30,Nonsense\n"); });
  EXPECT_NE(message.find("line 3"), std::string::npos) << message;
  EXPECT_NE(message.find("2026-02-30"), std::string::npos) << message;
  EXPECT_THROW((void)Calendar::from_csv("date,title\n2026-01-01,New Year\n2026-02-30,x\n"), CalendarError);
}

TEST(CalendarTest, CsvMissingTitleNamesTheLine) {
  for (const char* csv :
       {"date,title\n2026-01-01,New Year\n2026-05-04\n", "date,title\r\n2026-01-01,New Year\r\n2026-05-04,\r\n"}) {
    const std::string message = message_of([&] { (void)Calendar::from_csv(csv); });
    EXPECT_NE(message.find("line 3"), std::string::npos) << message;
    EXPECT_NE(message.find("missing title"), std::string::npos) << message;
    EXPECT_NE(message.find("2026-05-04"), std::string::npos) << message;
  }
}

TEST(CalendarTest, CsvDuplicateDateNamesBothLines) {
  const std::string message =
      message_of([] { (void)Calendar::from_csv("date,title\n2026-01-01,A\n2026-05-04,B\n2026-01-01,C\n"); });
  EXPECT_NE(message.find("line 4"), std::string::npos) << message;
  EXPECT_NE(message.find("duplicate date 2026-01-01"), std::string::npos) << message;
  EXPECT_NE(message.find("line 2"), std::string::npos) << message;
}

TEST(CalendarTest, CsvBadHeaderNamesLineOne) {
  for (const char* csv : {"", "2026-01-01,New Year\n", "Date,Title\n"}) {
    const std::string message = message_of([&] { (void)Calendar::from_csv(csv); });
    EXPECT_NE(message.find("line 1"), std::string::npos) << message;
  }
}

TEST(CalendarTest, EnglandAndWalesIsBuiltOnce) {
  EXPECT_EQ(&england_and_wales(), &england_and_wales());
  EXPECT_TRUE(england_and_wales().closures().empty());
}

}  // namespace
}  // namespace s2s::workflow
