#include "cases/forecast.h"

#include <fmt/format.h>
#include <soci/soci.h>

#include <algorithm>
#include <map>

#include "cases/need.h"
#include "cases/providers.h"
#include "workflow/date.h"
#include "workflow/errors.h"

namespace s2s::cases {
namespace {

using workflow::row_integer;
using workflow::row_number;

constexpr double kDaysTarget = 30;
constexpr double kRatedTarget = 90;
constexpr int kClosingWithin = 10;  // working days: a rating window closing soon

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

Forecast forecast(workflow::Database& db, const workflow::Calendar& calendar, const KpiReport& report,
                  std::chrono::year_month_day today) {
  if (report.as_of != workflow::format_date(today) || report.scope.academic_year != academic_year_of(today)) {
    throw workflow::InvalidInput("a forecast is made from this academic year's report as it stands today",
                                 "academic_year");
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
  std::map<std::int64_t, double> planned;
  int outstanding = 0;
  int closing = 0;
  auto connection = db.acquire();
  try {
    auto& sql = connection.session();
    const auto need = need_sql(need_rules(connection));
    // What the teaching schools' system leaders have reserved for schools in
    // need and not yet logged, to schools anywhere of the scope's phases: a
    // deployment's reservation stands whole while its days are logged.
    static const std::string kLogged =
        "COALESCE((SELECT sum(t.half_days) FROM deployment_day_totals t WHERE t.case_id = d.case_id AND"
        " t.system_leader_id = d.system_leader_id AND t.academic_year = d.academic_year), 0)";
    std::string ids;
    if (days != nullptr) {
      for (const auto& part : days->parts) ids += (ids.empty() ? "" : ", ") + std::to_string(part.alliance_id);
    }
    if (!ids.empty()) {
      const std::string phases = kpi_phase_condition(report.scope);
      soci::rowset<soci::row> rows =
          (sql.prepare << "SELECT l.alliance_id, CAST(sum(CASE WHEN d.half_days_reserved > " + kLogged +
                              " THEN d.half_days_reserved - " + kLogged +
                              " ELSE 0 END) AS DOUBLE PRECISION) FROM deployments d"
                              " JOIN system_leaders l ON l.id = d.system_leader_id JOIN cases c ON c.id = d.case_id"
                          " LEFT JOIN schools s ON s.urn = c.school_urn" +
                              need.join + " WHERE d.status = 'active' AND d.academic_year = :y AND c.kind ="
                                          " 'support_request' AND " +
                              need.position + " > 0 AND l.alliance_id IN (" + ids + ")" +
                              (phases.empty() ? "" : " AND " + phases) + " GROUP BY l.alliance_id",
           soci::use(out.academic_year));
      for (const auto& r : rows) planned[row_integer(r, 0)] = row_number(r, 1) / 2.0;
    }
    // The ratings asked for and not yet given, on the scope's cases.
    const std::string place = kpi_school_condition(connection, report.scope);
    const std::string soon = workflow::format_date(calendar.add_working_days(today, kClosingWithin));
    soci::rowset<soci::row> rows =
        (sql.prepare << "SELECT count(*), COALESCE(sum(CASE WHEN dl.due_on <= :soon THEN 1 ELSE 0 END), 0)"
                        " FROM deadlines dl JOIN cases c ON c.id = dl.case_id" +
                            std::string(place.empty() ? " LEFT JOIN schools s ON s.urn = c.school_urn"
                                                      : " JOIN schools s ON s.urn = c.school_urn AND " + place) +
                            " WHERE dl.purpose = 'support_request.rating' AND dl.settled_on IS NULL",
         soci::use(soon));
    for (const auto& r : rows) {
      outstanding = static_cast<int>(row_integer(r, 0));
      closing = static_cast<int>(row_integer(r, 1));
    }
  } catch (...) {
    connection.rethrow_translated();
  }

  if (days != nullptr) {
    for (const auto& part : days->parts) {
      DaysForecast f;
      f.alliance_id = part.alliance_id;
      f.name = part.name;
      f.logged = part.actual;
      f.planned = planned.contains(part.alliance_id) ? planned[part.alliance_id] : 0;
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
  r.outstanding = outstanding;
  r.closing = closing;
  const int all = r.rated + r.outstanding;
  if (r.rated > 0) r.share = percent(r.rated_good, r.rated);
  if (all > 0) {
    r.best = percent(r.rated_good + r.outstanding, all);
    r.worst = percent(r.rated_good, all);
  }
  const std::string waiting =
      r.outstanding == 0 ? std::string("no rating is outstanding")
                         : fmt::format("{} {} outstanding, {} due within {} working days", r.outstanding,
                                       r.outstanding == 1 ? "rating" : "ratings", r.closing, kClosingWithin);
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
