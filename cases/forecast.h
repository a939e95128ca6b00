#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cases/kpis.h"
#include "workflow/calendar.h"
#include "workflow/database.h"

// Will we make it? (docs/need.md): for each teaching school of a report's
// scope, its days to schools in need so far this academic year, the days
// still planned for them (what agreed plans and acceptances have reserved and
// not yet logged), and whether it is on course for its 30 by 31 August; and
// the same for the 90% of support rated good or better, with the ratings
// still to come.
namespace s2s::cases {

enum class Outlook { on_course, at_risk, will_miss };
[[nodiscard]] std::string_view to_string(Outlook outlook);  // "on course", "at risk", "will miss"

struct DaysForecast {
  std::int64_t alliance_id = 0;
  std::string name;         // as the KPI names the teaching school
  double logged = 0;        // days given to schools in need so far this year
  double planned = 0;       // days reserved for schools in need and not yet logged
  double needed = 0;        // days short of 30 still to give: 0 once met
  double pace = 0;          // days given a week so far this year
  double rate_needed = 0;   // days a week it must give from today to make 30
  double projected = 0;     // what it gives by 31 August at its pace so far
  Outlook outlook = Outlook::on_course;
  std::string reason;       // in words, with the figures
};

struct RatingsForecast {
  int rated = 0;        // cases rated this year (their last rating)
  int rated_good = 0;   // of them, rated 1 or 2
  int outstanding = 0;  // ratings asked for and not yet given (their deadline open)
  int closing = 0;      // of them, due within 10 working days
  std::optional<double> share;  // rated good now, percent
  std::optional<double> best;   // if every outstanding rating is good
  std::optional<double> worst;  // if none is
  Outlook outlook = Outlook::on_course;
  std::string reason;
};

struct Forecast {
  std::string academic_year;
  int working_days_left = 0;  // from today to 31 August
  std::vector<DaysForecast> teaching_schools;  // in the report's order
  RatingsForecast ratings;
};

// The forecast for `report`: a KPI report of the current academic year,
// standing at today and made with_ahead (the reservations and the open
// rating deadlines read in its snapshot). Throws workflow::InvalidInput for
// a report of another year or day, or made without them.
[[nodiscard]] Forecast forecast(const workflow::Calendar& calendar, const KpiReport& report,
                                std::chrono::year_month_day today);

}  // namespace s2s::cases
