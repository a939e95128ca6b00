// The lead's dashboard (docs/web.md): referrals waiting for triage, cases
// waiting for a match and proposals waiting for an answer with the working
// days each has waited, deadlines due this week and overdue, deployments that
// have logged no day for a month, and the days this year of the system leaders
// who serve the lead's scope.
#include <boost/json.hpp>

#include <algorithm>
#include <functional>

#include "cases/case_list.h"
#include "cases/deadline_list.h"
#include "cases/deployments.h"
#include "cases/forecast.h"
#include "cases/kpis.h"
#include "cases/providers.h"
#include "web/page.h"
#include "workflow/date.h"
#include "workflow/engine.h"
#include "workflow/text.h"

namespace s2s::web {
namespace dashboard_page {

namespace json = boost::json;
using std::chrono::days;
using std::chrono::sys_days;
using std::chrono::year_month_day;

constexpr int kRows = 50;  // a section lists at most this many; "and more" says there are others

std::string working_days_text(int n) { return n == 1 ? "1 working day" : std::to_string(n) + " working days"; }

// The cases of the person's scope in `phase` (at most 200, newest first).
cases::CasePage cases_in_phase(PageContext& ctx, const std::string& phase) {
  cases::CaseFilter filter;
  filter.phase = phase;
  filter.limit = 200;
  return cases::list_cases(*ctx.app.db, ctx.actor, filter);
}

// The cases of `listed` that `keep` keeps, longest waiting first, each with
// the working days since the last event a person sent.
json::object waiting_cases(PageContext& ctx, const cases::CasePage& listed,
                           const std::function<bool(const cases::ListedCase&)>& keep) {
  const auto calendar = ctx.app.engine->calendar();
  const auto today = ctx.app.engine->today();
  struct Row {
    int waited = 0;
    json::object item;
  };
  std::vector<Row> rows;
  for (const auto& c : listed.items) {
    if (!keep(c)) continue;
    const auto since = workflow::parse_date(c.changed_on).value_or(today);
    const int waited = sys_days(since) < sys_days(today) ? calendar.working_days_between(since, today) : 0;
    rows.push_back(Row{waited,
                       json::object{{"reference", c.reference},
                                    {"href", "/cases/" + c.reference},
                                    {"school", c.school_name.value_or("URN " + std::to_string(c.school_urn))},
                                    {"kind", words(c.kind)},
                                    {"since", long_date(since)},
                                    {"waited", working_days_text(waited)},
                                    {"overdue", c.overdue}}});
  }
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.waited > b.waited; });
  json::array items;
  for (std::size_t i = 0; i < rows.size() && i < static_cast<std::size_t>(kRows); ++i) items.push_back(rows[i].item);
  return json::object{{"items", items},
                      {"count", std::to_string(rows.size()) + (listed.more ? "+" : "")},
                      {"any", !rows.empty()},
                      {"more", rows.size() > static_cast<std::size_t>(kRows) || listed.more}};
}

// The dashboard's sections for the person, as on `today`.
json::object dashboard_model(PageContext& ctx, std::chrono::year_month_day today) {
  json::object model{{"title", "Dashboard"}};
  // A proposal waits in the matching phase for the proposed system leader's answer.
  const auto proposed = [](const cases::ListedCase& c) { return c.state == "awaiting_provider"; };
  const auto matching = cases_in_phase(ctx, "matching");
  model["triage"] = waiting_cases(ctx, cases_in_phase(ctx, "referral"), [](const auto&) { return true; });
  model["matching"] = waiting_cases(ctx, matching, [&](const auto& c) { return !proposed(c); });
  model["proposals"] = waiting_cases(ctx, matching, proposed);

  // Deadlines due by a week from today, and every overdue one.
  cases::DeadlineFilter filter;
  filter.due_by = year_month_day(sys_days(today) + days(7));
  filter.limit = kRows;
  const auto deadlines = cases::list_deadlines(*ctx.app.db, ctx.app.engine->kinds(), ctx.app.engine->calendar(),
                                               ctx.actor, today, filter);
  json::array due;
  for (const auto& d : deadlines.items) {
    std::string days_text;
    if (d.working_days_late) days_text = working_days_text(*d.working_days_late) + " late";
    if (d.working_days_left) days_text = *d.working_days_left == 0 ? "due today" : working_days_text(*d.working_days_left) + " left";
    due.push_back(json::object{{"reference", d.reference},
                               {"href", "/cases/" + d.reference},
                               {"school", d.school_name},
                               {"what", workflow::purpose_title(d.purpose)},
                               {"due_on", long_date(d.due_on)},
                               {"days", days_text},
                               {"overdue", d.status == "overdue"},
                               {"whose", words(d.owner.role) + (d.owner.name.empty() ? "" : ": " + d.owner.name)}});
  }
  model["deadlines"] = json::object{{"items", due}, {"any", !due.empty()}, {"more", deadlines.more}};

  // Deployments with no day logged in the last month.
  const auto month_ago = year_month_day(sys_days(today) - days(30));
  json::array quiet;
  for (const auto& q : cases::quiet_deployments(*ctx.app.db, ctx.actor, month_ago, kRows)) {
    quiet.push_back(json::object{{"reference", q.reference},
                                 {"href", "/cases/" + q.reference},
                                 {"school", q.school},
                                 {"leader", q.system_leader},
                                 {"last", q.last_day.empty() ? "No day logged since it began on " + long_date(q.accepted_on)
                                                             : long_date(q.last_day)}});
  }
  model["quiet"] = json::object{{"items", quiet}, {"any", !quiet.empty()}};

  // The days of the system leaders who serve the scope this academic year.
  const std::string year = cases::academic_year_of(today);
  const auto serving = cases::days_by_leader_in_scope(*ctx.app.db, ctx.actor, year, kRows);
  json::array leaders;
  for (const auto& l : serving.items) {
    leaders.push_back(json::object{{"name", l.name},
                                   {"href", "/system-leaders/" + std::to_string(l.system_leader_id)},
                                   {"offered", workflow::number_text(l.days.offered)},
                                   {"reserved", workflow::number_text(l.days.reserved)},
                                   {"logged", workflow::number_text(l.days.consumed)},
                                   {"free", workflow::number_text(l.days.unreserved())}});
  }
  model["year"] = year;
  model["leaders"] = json::object{{"items", leaders}, {"any", !leaders.empty()}, {"more", serving.more}};

  // A lead's teaching schools not on course for their 30 days, while there is time to act.
  if (ctx.is("lead")) {
    cases::KpiScope scope;
    scope.academic_year = year;
    cases::keep_report_scope_to(ctx.user(), scope);
    scope.with_references = false;
    scope.with_ahead = true;
    const auto report = ctx.app.reports.kpis(*ctx.app.db, ctx.app.engine->calendar(), scope, today);
    const auto f = cases::forecast(ctx.app.engine->calendar(), *report, today);
    json::array behind;
    for (const auto& t : f.teaching_schools) {
      if (t.outlook == cases::Outlook::on_course) continue;
      behind.push_back(json::object{{"name", t.name},
                                    {"risk", t.outlook == cases::Outlook::at_risk},
                                    {"reason", t.reason}});
    }
    model["forecast"] = json::object{{"items", behind},
                                     {"any", !behind.empty()},
                                     {"teaching_schools", f.teaching_schools.size()},
                                     {"ratings_ok", f.ratings.outlook == cases::Outlook::on_course},
                                     {"ratings_risk", f.ratings.outlook == cases::Outlook::at_risk},
                                     {"ratings", f.ratings.reason}};
  }
  return model;
}

api::HttpResponse dashboard(PageContext& ctx) {
  const std::string& role = ctx.user().role;
  if (role != "lead" && role != "admin" && role != "strategic") {
    throw PageRefusal{403, "You cannot see the dashboard", "The dashboard is for school improvement leads."};
  }
  const auto today = ctx.app.engine->today();
  // Made once for the person's scope, the day and the state of the data, then
  // kept (cases/report_cache.h): at England's size it reads a good deal.
  const std::string key = "dashboard|" + role + "|" + ctx.actor.scope + "|" + workflow::format_date(today);
  // Kept rendered: at England's size laying the page out again costs more
  // than reading it.
  const auto kept = ctx.app.reports.model(*ctx.app.db, key, [&] {
    const RenderedContent content = render_content("dashboard", dashboard_model(ctx, today));
    return json::object{{"title", content.title}, {"html", content.html}};
  });
  return page(ctx,
              RenderedContent{std::string(kept->at("title").as_string()), std::string(kept->at("html").as_string())});
}

}  // namespace dashboard_page

}  // namespace s2s::web
