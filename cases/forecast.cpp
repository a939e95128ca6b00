#include "cases/forecast.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "cases/providers.h"
#include "workflow/date.h"
#include "workflow/errors.h"

namespace s2s::cases {
namespace {

constexpr double kDaysTarget = 30;
constexpr double kRatedTarget = 90;

// "2.5 days", "1 day".
std::string days_text(double days) { return figure_text(days) + (figure_text(days) == "1" ? " day" : " days"); }

double percent(double part, double whole) { return whole > 0 ? 100.0 * part / whole : 0; }

}  // namespace

std::string_view to_string(Outlook outlook) {
  switch (outlook) {
    case Outlook::on_course:
      return "on course";
    case Outlook::at_risk:
      return "at risk";
    case Outlook::will_miss:
      return "will miss";
  }
  return "on course";
}

Forecast forecast(const workflow::Calendar& calendar, const KpiReport& report, std::chrono::year_month_day today) {
  if (report.as_of != workflow::format_date(today) || report.scope.academic_year != academic_year_of(today)) {
    throw workflow::InvalidInput("a forecast is made from this academic year's report as it stands today",
                                 "academic_year");
  }
  if (!report.ahead) {
    throw workflow::InvalidInput("a forecast is made from a report that read what lies ahead (with_ahead)",
                                 "with_ahead");
  }
  Forecast out;
  out.academic_year = report.scope.academic_year;
  const auto first = *workflow::parse_date(report.from);
  const auto last = *workflow::parse_date(report.to);
  out.working_days_left = calendar.working_days_between(today, last);
  const int elapsed = std::max(1, calendar.working_days_between(
                                      std::chrono::year_month_day(std::chrono::sys_days(first) - std::chrono::days(1)),
                                      today));
  const double weeks_elapsed = elapsed / 5.0;
  const double weeks_left = out.working_days_left / 5.0;

  const Kpi* days = find_kpi(report, "deployment_days_in_need");
  const auto& planned = report.ahead->planned;
  if (days != nullptr) {
    for (const auto& part : days->parts) {
      DaysForecast f;
      f.alliance_id = part.alliance_id;
      f.name = part.name;
      f.logged = part.actual;
      const auto reserved = planned.find(part.alliance_id);
      f.planned = reserved == planned.end() ? 0 : reserved->second;
      f.needed = std::max(0.0, kDaysTarget - f.logged);
      f.pace = f.logged / weeks_elapsed;
      f.rate_needed = f.needed == 0 ? 0 : weeks_left > 0 ? f.needed / weeks_left : f.needed;
      f.projected = f.logged + f.pace * weeks_left;
      const std::string given = days_text(f.logged) + " given";
      if (f.needed == 0) {
        f.outlook = Outlook::on_course;
        f.reason = given + ": its 30 are met.";
      } else if (f.logged + f.planned >= kDaysTarget) {
        f.outlook = Outlook::on_course;
        f.reason = given + " and " + days_text(f.planned) + " planned: 30 are in reach if the plans are kept.";
      } else if (out.working_days_left > 0 && f.projected >= kDaysTarget) {
        f.outlook = Outlook::at_risk;
        f.reason = fmt::format("{} and {} planned: {} more to plan. At its pace so far ({} a week) it would give {} by "
                               "31 August.",
                               given, days_text(f.planned), days_text(kDaysTarget - f.logged - f.planned),
                               days_text(f.pace), days_text(f.projected));
      } else {
        f.outlook = Outlook::will_miss;
        f.reason = out.working_days_left == 0
                       ? given + ": the year is over."
                       : fmt::format("{} and {} planned. At its pace so far ({} a week) it gives {} by 31 August; it "
                                     "needs {} a week from now.",
                                     given, days_text(f.planned), days_text(f.pace), days_text(f.projected),
                                     days_text(f.rate_needed));
      }
      out.teaching_schools.push_back(std::move(f));
    }
  }

  RatingsForecast& r = out.ratings;
  if (const Kpi* rated = find_kpi(report, "rated_good_or_better")) {
    r.rated = static_cast<int>(rated->denominator);
    r.rated_good = static_cast<int>(rated->numerator);
  }
  r.outstanding = report.ahead->ratings_outstanding;
  r.closing = report.ahead->ratings_closing;
  const int all = r.rated + r.outstanding;
  if (r.rated > 0) r.share = percent(r.rated_good, r.rated);
  if (all > 0) {
    r.best = percent(r.rated_good + r.outstanding, all);
    r.worst = percent(r.rated_good, all);
  }
  const std::string waiting =
      r.outstanding == 0 ? std::string("no rating is outstanding")
                         : fmt::format("{} {} outstanding, {} due within {} working days", r.outstanding,
                                       r.outstanding == 1 ? "rating" : "ratings", r.closing, kRatingsClosingWithin);
  if (all == 0) {
    r.outlook = Outlook::at_risk;
    r.reason = "No support has been rated or asked to be rated yet this year.";
  } else if (*r.best < kRatedTarget) {
    r.outlook = Outlook::will_miss;
    r.reason = fmt::format("Even if every outstanding rating is good or better, {}% would be: {}.",
                           figure_text(*r.best), waiting);
  } else if (*r.worst >= kRatedTarget) {
    r.outlook = Outlook::on_course;
    r.reason = fmt::format("{}% rated good or better; {}.", figure_text(r.share.value_or(0)), waiting);
  } else {
    r.outlook = Outlook::at_risk;
    r.reason = r.share ? fmt::format("{}% rated good or better so far; {}.", figure_text(*r.share), waiting)
                       : fmt::format("No rating given yet; {}.", waiting);
  }
  return out;
}

}  // namespace s2s::cases
