// The KPI page (docs/web.md): the action plans' KPIs for an academic year
// over the person's scope, each with its figure, target, status and
// definition, from the same report as the API's and the command line's.
#include <boost/json.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <tuple>
#include <vector>

#include "cases/case_list.h"
#include "cases/forecast.h"
#include "cases/kpis.h"
#include "cases/progress_report.h"
#include "cases/providers.h"
#include "cases/schools.h"
#include "web/charts.h"
#include "web/page.h"
#include "workflow/date.h"
#include "workflow/engine.h"
#include "workflow/text.h"

namespace s2s::web {
namespace report_pages {

namespace json = boost::json;

// The most teaching schools a KPI or chart lists one by one; beyond this
// (England has hundreds) the page shows those furthest below target and a
// chart of how many gave how many days, and the CSV has every one.
constexpr std::size_t kPartsListed = 25;

// A status as people read it, with the GOV.UK tag colour.
json::object status_tag(const std::string& status) {
  if (status == "green") return {{"text", "On track"}, {"class", "govuk-tag--green"}};
  if (status == "amber") return {{"text", "At risk"}, {"class", "govuk-tag--yellow"}};
  if (status == "red") return {{"text", "Off track"}, {"class", "govuk-tag--red"}};
  return {{"text", "No target"}, {"class", "govuk-tag--grey"}};
}

// "2026/27" -> "2025/26".
std::string year_before(const std::string& year) {
  const int first = std::stoi(year.substr(0, 4)) - 1;
  const int second = (first + 1) % 100;
  return std::to_string(first) + "/" + (second < 10 ? "0" : "") + std::to_string(second);
}

std::string figure(const std::optional<double>& actual, const std::string& unit) {
  if (!actual) return "None yet";
  const std::string text = cases::figure_text(*actual);
  if (unit == "percent") return text + "%";
  if (unit == "days") return text + (text == "1" ? " day" : " days");
  if (unit == "working days") return text + " working days";
  return text;
}

// The scope a KPI page is asked for, from its query: the academic year
// (this one by default), and for those who may choose, an alliance, a mini
// region or an LA; a day rate to cost the days. Values that are not numbers
// are left out (a page reads links leniently); a scope that does not exist
// is refused by the report, naming it.
cases::KpiScope asked_scope(PageContext& ctx) {
  const std::string& role = ctx.user().role;
  if (role != "lead" && role != "strategic" && role != "la_officer" && role != "admin") {
    throw PageRefusal{403, "You cannot see the KPIs", "The KPIs are for leads, the strategic group and LA officers."};
  }
  const auto number = [&](std::string_view name, long long most) -> std::optional<long long> {
    const std::string text = query_value(ctx.request.query, name);
    if (text.empty() || text.size() > 12 || text.find_first_not_of("0123456789") != std::string::npos) return {};
    const long long value = std::stoll(text);
    if (value > most) return {};
    return value;
  };
  cases::KpiScope scope;
  scope.academic_year = query_value(ctx.request.query, "academic_year");
  if (!cases::is_academic_year(scope.academic_year)) scope.academic_year = cases::academic_year_of(ctx.app.engine->today());
  if (const auto a = number("alliance", 1LL << 40); a && *a > 0) scope.alliance = *a;
  if (const auto m = query_value(ctx.request.query, "mini_region"); !m.empty()) scope.mini_region = m;
  if (const auto la = number("la", 9999); la && *la > 0) scope.la = static_cast<int>(*la);
  if (const auto rate = number("day_rate", 100000)) scope.day_rate = static_cast<double>(*rate);
  scope.with_overdue_items = false;
  cases::keep_report_scope_to(ctx.user(), scope);
  return scope;
}

// The query that asks for `scope` again: the links between the KPI pages keep it.
std::string scope_query(const cases::KpiScope& scope) {
  std::string out = "academic_year=" + url_encode(scope.academic_year);
  if (scope.alliance) out += "&alliance=" + std::to_string(*scope.alliance);
  if (scope.mini_region) out += "&mini_region=" + url_encode(*scope.mini_region);
  if (scope.la) out += "&la=" + std::to_string(*scope.la);
  if (scope.day_rate > 0) out += "&day_rate=" + cases::figure_text(scope.day_rate);
  return out;
}

// What the report is over, in words.
std::string scope_name(PageContext& ctx, const cases::KpiScope& scope) {
  if (scope.alliance) {
    const auto alliance = cases::find_alliance(*ctx.app.db, *scope.alliance);
    return alliance ? "the schools of " + alliance->name : "the schools of alliance " + std::to_string(*scope.alliance);
  }
  if (scope.mini_region) return "the schools of " + *scope.mini_region;
  if (scope.la) return "the schools of local authority " + std::to_string(*scope.la);
  return "every school";
}

// The KPI report the page asks for: made (or found kept) within the
// person's share of costly requests.
std::shared_ptr<const cases::KpiReport> asked_report(PageContext& ctx, bool with_references,
                                                     const std::string& version = {}) {
  auto scope = asked_scope(ctx);
  scope.with_references = with_references;
  // The page itself (the CSV and the lists of cases behind a KPI ask for the
  // references) shows this year's forecast: it reads what the forecast needs
  // in the report's snapshot.
  scope.with_ahead = !with_references && scope.academic_year == cases::academic_year_of(ctx.app.engine->today());
  const auto ticket = costly(ctx);
  return ctx.app.reports.kpis(*ctx.app.db, ctx.app.engine->calendar(), scope, ctx.app.engine->today(),
                              version.empty() ? cases::data_version(*ctx.app.db) : version);
}

// The same report as the CSV the API and the command line give.
api::HttpResponse kpis_csv(PageContext& ctx) {
  const auto made = asked_report(ctx, true);
  const auto& report = *made;
  api::HttpResponse response;
  response.content_type = "text/csv; charset=utf-8";
  response.body = cases::kpi_csv(report);
  add_security_headers(response);
  response.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + cases::kpi_csv_filename(report) + "\"");
  return response;
}

std::string plural(double n, const char* one, const char* many) {
  return cases::figure_text(n) + " " + (cases::figure_text(n) == "1" ? one : many);
}

// A spend (never negative) to the pound: "£1,350".
std::string money(double pounds) { return "\u00a3" + thousands(static_cast<std::uint64_t>(std::llround(pounds))); }

// "2026-09" -> "September 2026" (whole) or "Sep" (short).
std::string month_name(const std::string& month, bool whole) {
  static constexpr const char* kNames[] = {"January", "February", "March",     "April",   "May",      "June",
                                           "July",    "August",   "September", "October", "November", "December"};
  const int m = std::stoi(month.substr(5, 2));
  const std::string name = kNames[(m - 1) % 12];
  return whole ? name + " " + month.substr(0, 4) : name.substr(0, 3);
}

using cases::find_kpi;

// A chart with its figures as a table: the table's head, and a row per bar.
json::object chart_model(const Chart& chart, bool columns, json::object head, json::array rows) {
  return json::object{{"id", chart.id},
                      {"title", chart.title},
                      {"svg", columns ? column_chart(chart) : horizontal_bar_chart(chart)},
                      {"head", std::move(head)},
                      {"rows", std::move(rows)}};
}

// A table row for the chart's table: {"cells": [{"text": ...}, ...]}.
json::object cells(std::initializer_list<std::string> values) {
  json::array out;
  for (const auto& v : values) out.push_back(json::object{{"text", v}});
  return json::object{{"cells", std::move(out)}};
}

// The six charts of the KPI page, each from the report's own figures.
json::array charts(const cases::KpiReport& report) {
  json::array out;
  // Days to schools in need per teaching school, against each one's 30: a
  // bar each, or for more than a page holds, how many gave how many days.
  if (const auto* days = find_kpi(report, "deployment_days_in_need"); days != nullptr && !days->parts.empty()) {
    Chart chart{"chart-days-in-need", "Days to schools in need, per teaching school", "", {}, {}, "", ""};
    json::array rows;
    int below = 0;
    for (const auto& p : days->parts) below += p.actual < 30 ? 1 : 0;
    const std::string summary = fmt::format(
        "{} of {} teaching schools have given fewer than their 30 days to schools in need.", below, days->parts.size());
    if (days->parts.size() <= kPartsListed) {
      chart.line = ChartLine{30, "Target: 30 days each"};
      for (const auto& p : days->parts) {
        chart.bars.push_back({p.name, p.actual, std::nullopt, plural(p.actual, "day", "days")});
        rows.push_back(
            cells({p.name, cases::figure_text(p.actual), std::string(status_tag(p.status).at("text").as_string())}));
      }
      chart.description = summary;
      out.push_back(chart_model(chart, false, cells({"Teaching school", "Days", "Status"}), std::move(rows)));
    } else {
      chart.title = "Teaching schools by days given to schools in need";
      struct Band {
        const char* label;
        double below;  // days under this fall in the band
      };
      static constexpr Band kBands[] = {{"None", 0.5},          {"Half a day to 9½", 10}, {"10 to 19½", 20},
                                        {"20 to 29½", 30}, {"30 or more", 1e12}};
      std::vector<int> counts(std::size(kBands), 0);
      for (const auto& p : days->parts) {
        for (std::size_t i = 0; i < std::size(kBands); ++i) {
          if (p.actual < kBands[i].below) {
            ++counts[i];
            break;
          }
        }
      }
      for (std::size_t i = 0; i < std::size(kBands); ++i) {
        chart.bars.push_back({kBands[i].label, static_cast<double>(counts[i]), std::nullopt,
                              plural(counts[i], "teaching school", "teaching schools")});
        rows.push_back(cells({kBands[i].label, std::to_string(counts[i])}));
      }
      chart.description = summary + " Each one's days are in the CSV download.";
      out.push_back(chart_model(chart, false, cells({"Days given", "Teaching schools"}), std::move(rows)));
    }
  }
  // The year month by month: days, then ratings.
  {
    Chart days{"chart-days-by-month", "Days given each month", "", {}, {}, "", ""};
    Chart ratings{"chart-ratings-by-month", "Ratings each month", "", {}, {}, "Rated good or better", "Other ratings"};
    json::array rows;
    double total_days = 0;
    int total_ratings = 0;
    int total_good = 0;
    for (const auto& m : report.months) {
      days.bars.push_back({month_name(m.month, false), m.days, std::nullopt, m.days > 0 ? cases::figure_text(m.days) : ""});
      ratings.bars.push_back({month_name(m.month, false), static_cast<double>(m.ratings),
                              static_cast<double>(m.rated_good), m.ratings > 0 ? std::to_string(m.ratings) : ""});
      rows.push_back(cells({month_name(m.month, true), cases::figure_text(m.days), std::to_string(m.ratings),
                            std::to_string(m.rated_good)}));
      total_days += m.days;
      total_ratings += m.ratings;
      total_good += m.rated_good;
    }
    days.description = "Days given to the scope's schools in each month of the academic year so far: " +
                       plural(total_days, "day", "days") + " in all.";
    ratings.description = fmt::format("Ratings the scope's schools gave in each month: {} in all, {} of them good or "
                                      "better.",
                                      total_ratings, total_good);
    json::object head = cells({"Month", "Days", "Ratings", "Rated good or better"});
    out.push_back(chart_model(days, true, head, rows));
    out.push_back(chart_model(ratings, true, std::move(head), std::move(rows)));
  }
  // Working days from referral to match.
  {
    Chart chart{"chart-referral-to-match", "Working days from referral to match", "", {}, {}, "", ""};
    json::array rows;
    for (const auto& band : report.referral_to_match) {
      const std::string label = band.to ? std::to_string(band.from) + "\u2013" + std::to_string(*band.to)
                                        : "over " + std::to_string(band.from - 1);
      chart.bars.push_back({label, static_cast<double>(band.cases), std::nullopt, std::to_string(band.cases)});
      rows.push_back(cells({label, std::to_string(band.cases)}));
    }
    const auto* median = find_kpi(report, "referral_to_match_median");
    const auto* p90 = find_kpi(report, "referral_to_match_p90");
    chart.description = median != nullptr && median->actual && p90 != nullptr && p90->actual
                            ? "Cases matched this year by the working days they waited: half waited " +
                                  cases::figure_text(*median->actual) + " or fewer, nine in ten " +
                                  cases::figure_text(*p90->actual) + " or fewer."
                            : "No case has been matched this year.";
    out.push_back(chart_model(chart, true, cells({"Working days", "Cases matched"}), std::move(rows)));
  }
  // Open cases by phase, in the order cases move through them.
  {
    Chart chart{"chart-open-by-phase", "Open cases by phase", "", {}, {}, "", ""};
    json::array rows;
    int total = 0;
    for (const char* phase : {"referral", "matching", "deployment", "evaluation"}) {
      const auto found = report.open_by_phase.find(phase);
      const int n = found == report.open_by_phase.end() ? 0 : found->second;
      chart.bars.push_back({words(phase), static_cast<double>(n), std::nullopt, std::to_string(n)});
      rows.push_back(cells({words(phase), std::to_string(n)}));
      total += n;
    }
    chart.description = fmt::format("{} open cases, by the phase each is in.", total);
    out.push_back(chart_model(chart, false, cells({"Phase", "Open cases"}), std::move(rows)));
  }
  // Days and spend by funding source.
  if (!report.funding.empty()) {
    Chart chart{"chart-funding", "Days and spend by funding source", "", {}, {}, "", ""};
    json::array rows;
    for (const auto& f : report.funding) {
      const std::string source = cases::funding_label(f.funding_source);
      std::string text = plural(f.days, "day", "days");
      if (f.spend) text += " (" + money(*f.spend) + ")";
      chart.bars.push_back({source, f.days, std::nullopt, text});
      rows.push_back(cells({source, cases::figure_text(f.days), f.spend ? money(*f.spend) : "Not costed"}));
    }
    chart.description = "The days given to the scope's schools this year, by the funding source they were logged "
                        "against.";
    out.push_back(chart_model(chart, false, cells({"Funding source", "Days", "Spend"}), std::move(rows)));
  }
  // Engagement per mini region.
  if (!report.engagement.empty()) {
    Chart chart{"chart-engagement", "Engagement per mini region", "", {}, {}, "With a case this year", "Without"};
    json::array rows;
    for (const auto& e : report.engagement) {
      const std::string region = e.mini_region.empty() ? "No mini region" : e.mini_region;
      chart.bars.push_back({region, static_cast<double>(e.schools), static_cast<double>(e.with_case),
                            fmt::format("{} of {} {}", e.with_case, e.schools, e.schools == 1 ? "school" : "schools")});
      rows.push_back(cells({region, std::to_string(e.schools), std::to_string(e.with_case),
                            std::to_string(e.in_alliance), std::to_string(e.with_neither)}));
    }
    chart.description = "Schools per mini region, and how many of them have had a case this year.";
    out.push_back(chart_model(chart, false,
                              cells({"Mini region", "Schools", "With a case", "In an alliance", "Neither"}),
                              std::move(rows)));
  }
  return out;
}

// An outlook as a GOV.UK tag.
json::object outlook_tag(cases::Outlook outlook) {
  switch (outlook) {
    case cases::Outlook::on_course:
      return {{"text", "On course"}, {"class", "govuk-tag--green"}};
    case cases::Outlook::at_risk:
      return {{"text", "At risk"}, {"class", "govuk-tag--yellow"}};
    case cases::Outlook::will_miss:
      return {{"text", "Will miss"}, {"class", "govuk-tag--red"}};
  }
  return {{"text", "On course"}, {"class", "govuk-tag--green"}};
}

// The forecast as the KPI page shows it: each teaching school (or, beyond
// what a page holds, those not on course, the furthest behind first), and
// the ratings.
json::object forecast_model(const cases::Forecast& f) {
  std::vector<const cases::DaysForecast*> shown;
  int counts[3] = {0, 0, 0};
  for (const auto& t : f.teaching_schools) ++counts[static_cast<int>(t.outlook)];
  std::string note;
  if (f.teaching_schools.size() <= kPartsListed) {
    for (const auto& t : f.teaching_schools) shown.push_back(&t);
  } else {
    for (const auto& t : f.teaching_schools) {
      if (t.outlook != cases::Outlook::on_course) shown.push_back(&t);
    }
    std::stable_sort(shown.begin(), shown.end(), [](const auto* a, const auto* b) {
      return std::tuple(-static_cast<int>(a->outlook), -(a->needed - a->planned)) <
             std::tuple(-static_cast<int>(b->outlook), -(b->needed - b->planned));
    });
    if (shown.size() > kPartsListed) shown.resize(kPartsListed);
    note = fmt::format("Of {} teaching schools, {} are on course, {} at risk and {} will miss; the {} furthest behind "
                       "are listed.",
                       f.teaching_schools.size(), counts[0], counts[1], counts[2], shown.size());
  }
  json::array rows;
  for (const auto* t : shown) {
    rows.push_back(json::object{{"name", t->name},
                                {"given", cases::figure_text(t->logged)},
                                {"planned", cases::figure_text(t->planned)},
                                {"rate", t->needed == 0 ? std::string("-") : cases::figure_text(t->rate_needed)},
                                {"tag", outlook_tag(t->outlook)},
                                {"reason", t->reason}});
  }
  return json::object{{"working_days", f.working_days_left},
                      {"any", !rows.empty()},
                      {"rows", std::move(rows)},
                      {"note", note},
                      {"ratings", json::object{{"tag", outlook_tag(f.ratings.outlook)}, {"reason", f.ratings.reason}}}};
}

api::HttpResponse kpis(PageContext& ctx) {
  // The data's version read once, for the report and its forecast both.
  const std::string version = cases::data_version(*ctx.app.db);
  const auto made = asked_report(ctx, false, version);
  const auto& report = *made;
  const auto& scope = report.scope;
  const std::string& year = scope.academic_year;
  const std::string current = cases::academic_year_of(ctx.app.engine->today());
  const std::string query = scope_query(scope);
  const bool choose = ctx.is("strategic") || ctx.is("admin");
  // The page's model made once for the scope, the day and the state of the
  // data, then kept with the report (cases/report_cache.h): at England's size
  // it lays out hundreds of rows and the lists of alliances and mini regions.
  const std::string key = fmt::format("kpi-page|{}|{}|{}|{}", choose ? "choose" : "", query, report.as_of,
                                      workflow::format_date(ctx.app.engine->today()));
  const auto kept = ctx.app.reports.model(key, [&] {
  json::array rows;
  for (const auto& k : report.kpis) {
    // Each teaching school's part, or for more than a page holds, those
    // furthest below their own target, with the rest in the CSV.
    std::vector<const cases::KpiPart*> shown;
    std::string parts_note;
    if (k.parts.size() <= kPartsListed) {
      for (const auto& p : k.parts) shown.push_back(&p);
    } else {
      int on_target = 0;
      for (const auto& p : k.parts) {
        if (p.status == "green") {
          ++on_target;
        } else if (!p.target.empty()) {
          shown.push_back(&p);
        }
      }
      std::stable_sort(shown.begin(), shown.end(),
                       [](const cases::KpiPart* a, const cases::KpiPart* b) { return a->actual < b->actual; });
      if (shown.size() > kPartsListed) shown.resize(kPartsListed);
      parts_note = k.parts.front().target.empty()
                       ? fmt::format("{} teaching schools: each one's figure is in the CSV download.", k.parts.size())
                       : fmt::format("{} of {} teaching schools are on track for their own target{}. Every teaching "
                                     "school's figure is in the CSV download.",
                                     on_target, k.parts.size(),
                                     shown.empty() ? std::string()
                                                   : fmt::format("; the {} furthest below it are listed",
                                                                 shown.size()));
    }
    json::array parts;
    for (const auto* p : shown) {
      parts.push_back(json::object{{"name", p->name},
                                   {"figure", figure(p->actual, k.unit)},
                                   {"target", p->target},
                                   {"tag", status_tag(p->status)}});
    }
    rows.push_back(json::object{{"id", k.id},
                                {"name", k.name},
                                {"figure", figure(k.actual, k.unit)},
                                {"of", k.unit == "percent" && k.actual
                                           ? cases::figure_text(k.numerator) + " of " + cases::figure_text(k.denominator)
                                           : std::string()},
                                {"target", k.target},
                                {"tag", status_tag(k.status)},
                                {"definition", k.definition},
                                {"cases", "/kpis/" + k.id + "?" + query},
                                {"parts", parts},
                                {"parts_note", parts_note}});
  }
  json::array years;
  for (const std::string& y : {year_before(current), current}) {
    years.push_back(json::object{{"value", y}, {"selected", y == year}});
  }
  json::object model{{"title", "KPIs " + year},
                     {"year", year},
                     {"years", years},
                     {"over", scope_name(ctx, scope)},
                     {"as_of", long_date(report.as_of)},
                     {"csv", "/kpis.csv?" + query},
                     {"day_rate", scope.day_rate > 0 ? cases::figure_text(scope.day_rate) : std::string()},
                     {"rows", rows},
                     {"need_criteria", [&] {
                        json::array out;
                        for (const auto& c : report.need_criteria) out.push_back(json::object{{"text", c}});
                        return out;
                      }()},
                     {"charts", charts(report)}};
  // Will we make it? This year's report only, as it stands today; kept as the report is.
  if (report.ahead && year == current) {
    const auto forecast = ctx.app.reports.model(
        "forecast|" + scope_query(scope) + "|" + report.as_of,
        [&] {
          return forecast_model(cases::forecast(ctx.app.engine->calendar(), report, ctx.app.engine->today()));
        },
        version);
    model["forecast"] = *forecast;
  }
  // The strategic group and admins may report on any alliance, mini region or LA.
  if (choose) {
    json::array alliances;
    for (const auto& [id, name] : cases::alliance_names(*ctx.app.db)) {
      alliances.push_back(json::object{{"value", std::to_string(id)}, {"name", name}, {"selected", scope.alliance == id}});
    }
    json::array regions;
    for (const auto& r : cases::mini_region_names(*ctx.app.db)) {
      regions.push_back(json::object{{"value", r}, {"selected", scope.mini_region == r}});
    }
    model["choose"] = json::object{{"alliances", alliances},
                                   {"regions", regions},
                                   {"la", scope.la ? std::to_string(*scope.la) : std::string()}};
  }
  return model;
  }, version);
  return page(ctx, "kpis", json::object(*kept));
}

// The cases behind one KPI: its figure and definition, and its cases a page at a time.
api::HttpResponse kpi_cases(PageContext& ctx) {
  const auto made = asked_report(ctx, true);
  const auto& report = *made;
  const auto* k = find_kpi(report, ctx.param("id"));
  if (k == nullptr) throw PageRefusal{404, "Page not found", "There is no KPI called " + ctx.param("id") + "."};
  constexpr std::size_t kPerPage = 50;
  std::size_t page_number = 1;
  if (const auto asked = query_value(ctx.request.query, "page");
      !asked.empty() && asked.size() < 7 && asked.find_first_not_of("0123456789") == std::string::npos) {
    page_number = std::max<std::size_t>(1, std::stoul(asked));
  }
  const std::size_t pages = std::max<std::size_t>(1, (k->references.size() + kPerPage - 1) / kPerPage);
  page_number = std::min(page_number, pages);
  const auto first = k->references.begin() + static_cast<std::ptrdiff_t>((page_number - 1) * kPerPage);
  const auto last = k->references.begin() +
                    static_cast<std::ptrdiff_t>(std::min(k->references.size(), page_number * kPerPage));
  json::array items;
  if (first != last) {
    cases::CaseFilter filter;
    filter.references = std::vector<std::string>(first, last);
    filter.limit = static_cast<int>(kPerPage);
    for (const auto& c : cases::list_cases(*ctx.app.db, ctx.actor, filter).items) {
      items.push_back(json::object{{"reference", c.reference},
                                   {"href", "/cases/" + c.reference},
                                   {"kind", words(c.kind)},
                                   {"school", c.school_name.value_or("URN " + std::to_string(c.school_urn))},
                                   {"phase", words(c.phase)},
                                   {"opened_on", long_date(c.opened_on)}});
    }
  }
  const std::string query = scope_query(report.scope);
  const std::string base = "/kpis/" + k->id + "?" + query + "&page=";
  return page(ctx, "kpi_cases",
              json::object{{"title", k->name},
                           {"name", k->name},
                           {"figure", figure(k->actual, k->unit)},
                           {"target", k->target},
                           {"tag", status_tag(k->status)},
                           {"definition", k->definition},
                           {"over", scope_name(ctx, report.scope)},
                           {"year", report.scope.academic_year},
                           {"back", "/kpis?" + query + "#kpi-" + k->id},
                           {"count", std::to_string(k->references.size())},
                           {"items", items},
                           {"any", !items.empty()},
                           {"page", std::to_string(page_number)},
                           {"pages", std::to_string(pages)},
                           {"previous", page_number > 1 ? base + std::to_string(page_number - 1) : std::string()},
                           {"next", page_number < pages ? base + std::to_string(page_number + 1) : std::string()}});
}

// The quarterly progress report for the strategic group, as a page that
// prints cleanly: every KPI now beside the previous quarter's end, open cases
// by phase then and now, days by funding source, and the overdue items.
api::HttpResponse quarterly(PageContext& ctx) {
  const std::string& role = ctx.user().role;
  if (role != "lead" && role != "strategic" && role != "la_officer" && role != "admin") {
    throw PageRefusal{403, "You cannot see the reports", "Reports are for leads, the strategic group and LA officers."};
  }
  const auto today = ctx.app.engine->today();
  const cases::Quarter current = cases::quarter_of(today);
  cases::Quarter quarter = current;
  if (const auto asked = cases::parse_quarter(query_value(ctx.request.query, "quarter"));
      asked && std::chrono::sys_days(asked->first) <= std::chrono::sys_days(today)) {
    quarter = *asked;
  }
  cases::KpiScope scope;
  cases::keep_report_scope_to(ctx.user(), scope);
  const auto ticket = costly(ctx);
  const auto made = ctx.app.reports.progress(*ctx.app.db, ctx.app.engine->calendar(), scope, quarter, today);
  const auto& report = *made;
  json::array rows;
  for (const auto& k : report.current.kpis) {
    const cases::Kpi* before = nullptr;
    for (const auto& e : report.earlier.kpis) {
      if (e.id == k.id) before = &e;
    }
    std::string change;
    if (before != nullptr && before->actual && k.actual) {
      const double d = *k.actual - *before->actual;
      change = (d > 0 ? "+" : "") + cases::figure_text(d);
    }
    auto tag = status_tag(k.status);
    if (before != nullptr && before->status != k.status && before->status != "none") {
      tag["was"] = std::string(status_tag(before->status).at("text").as_string());
    }
    rows.push_back(json::object{{"name", k.name},
                                {"now", figure(k.actual, k.unit)},
                                {"before", before != nullptr ? figure(before->actual, k.unit) : std::string("None")},
                                {"change", change},
                                {"target", k.target},
                                {"tag", tag}});
  }
  json::array phases;
  for (const auto& [phase, n] : report.current.open_by_phase) {
    const auto then = report.earlier.open_by_phase.find(phase);
    phases.push_back(json::object{{"phase", words(phase)},
                                  {"then", std::to_string(then == report.earlier.open_by_phase.end() ? 0 : then->second)},
                                  {"now", std::to_string(n)}});
  }
  json::array funding;
  for (const auto& f : report.current.funding) {
    funding.push_back(json::object{{"source", cases::funding_label(f.funding_source)}, {"days", cases::figure_text(f.days)}});
  }
  json::array overdue;
  for (const auto& o : report.current.overdue) {
    overdue.push_back(json::object{{"reference", o.reference},
                                   {"href", "/cases/" + o.reference},
                                   {"school", o.school},
                                   {"what", workflow::purpose_title(o.purpose)},
                                   {"due_on", long_date(o.due_on)},
                                   {"late", std::to_string(o.working_days_late)}});
  }
  json::array quarters;
  cases::Quarter q = current;
  for (int i = 0; i < 4; ++i) {
    quarters.push_back(json::object{{"value", q.id()}, {"label", q.name()}, {"selected", q.id() == quarter.id()}});
    q = cases::previous_quarter(q);
  }
  json::object forecast;
  if (report.forecast) forecast = forecast_model(*report.forecast);
  return page(ctx, "quarterly",
              json::object{{"title", "Quarterly progress report " + quarter.name()},
                           {"forecast", report.forecast ? json::value(std::move(forecast)) : json::value(false)},
                           {"quarter", quarter.name()},
                           {"previous", report.previous.name()},
                           {"scope", report.scope_name},
                           {"to_date", report.to_date},
                           {"made_on", long_date(report.made_on)},
                           {"quarters", quarters},
                           {"rows", rows},
                           {"phases", phases},
                           {"funding", funding},
                           {"has_funding", !funding.empty()},
                           {"overdue", overdue},
                           {"has_overdue", !overdue.empty()}});
}

}  // namespace report_pages

}  // namespace s2s::web
