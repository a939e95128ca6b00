// The KPI page (docs/web.md): the action plans' KPIs for an academic year
// over the person's scope, each with its figure, target, status and
// definition, from the same report as the API's and the command line's.
#include <boost/json.hpp>

#include "cases/kpis.h"
#include "cases/progress_report.h"
#include "cases/providers.h"
#include "web/page.h"
#include "workflow/engine.h"
#include "workflow/text.h"

namespace s2s::web {
namespace {

namespace json = boost::json;

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

// The report for the academic year asked for (this one by default) over the person's scope.
cases::KpiReport report_for(PageContext& ctx, bool with_references) {
  const std::string& role = ctx.user().role;
  if (role != "lead" && role != "strategic" && role != "la_officer" && role != "admin") {
    throw PageRefusal{403, "You cannot see the KPIs", "The KPIs are for leads, the strategic group and LA officers."};
  }
  std::string year = query_value(ctx.request.query, "academic_year");
  if (year.empty() || !cases::is_academic_year(year)) year = cases::academic_year_of(ctx.app.engine->today());
  cases::KpiScope scope;
  scope.academic_year = year;
  scope.with_references = with_references;
  scope.with_overdue_items = false;
  cases::keep_report_scope_to(ctx.user(), scope);
  return cases::kpi_report(*ctx.app.db, ctx.app.engine->calendar(), scope, ctx.app.engine->today());
}

// The same report as the CSV the API and the command line give.
api::HttpResponse kpis_csv(PageContext& ctx) {
  const auto report = report_for(ctx, true);
  api::HttpResponse response;
  response.content_type = "text/csv; charset=utf-8";
  response.body = cases::kpi_csv(report);
  add_security_headers(response);
  response.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + cases::kpi_csv_filename(report) + "\"");
  return response;
}

api::HttpResponse kpis(PageContext& ctx) {
  const auto report = report_for(ctx, false);
  const auto& scope = report.scope;
  const std::string& year = scope.academic_year;
  const std::string current = cases::academic_year_of(ctx.app.engine->today());
  json::array rows;
  for (const auto& k : report.kpis) {
    json::array parts;
    for (const auto& p : k.parts) {
      parts.push_back(json::object{{"name", p.name},
                                   {"figure", figure(p.actual, k.unit)},
                                   {"target", p.target},
                                   {"tag", status_tag(p.status)}});
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
                                {"parts", parts}});
  }
  json::array years;
  for (const std::string& y : {year_before(current), current}) {
    years.push_back(json::object{{"value", y}, {"selected", y == year}});
  }
  std::string over = "every school";
  if (scope.alliance) over = "the schools of your alliance";
  if (scope.mini_region) over = "the schools of " + *scope.mini_region;
  if (scope.la) over = "the schools of your local authority";
  return page(ctx, "kpis",
              json::object{{"title", "KPIs " + year},
                           {"year", year},
                           {"years", years},
                           {"over", over},
                           {"as_of", long_date(report.as_of)},
                           {"csv", "/kpis.csv?academic_year=" + url_encode(year)},
                           {"rows", rows}});
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
  const auto report = cases::progress_report(*ctx.app.db, ctx.app.engine->calendar(), scope, quarter, today);
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
  return page(ctx, "quarterly",
              json::object{{"title", "Quarterly progress report " + quarter.name()},
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

}  // namespace

void register_report_pages(api::Router& router, api::App& app, const WebOptions& options, LinkMailer* mailer) {
  add_page(router, app, options, mailer, "GET", "/kpis", Access::signed_in, kpis);
  add_page(router, app, options, mailer, "GET", "/kpis.csv", Access::signed_in, kpis_csv);
  add_page(router, app, options, mailer, "GET", "/reports/quarterly", Access::signed_in, quarterly);
}

}  // namespace s2s::web
