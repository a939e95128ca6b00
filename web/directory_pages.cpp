// The directory of system leaders, the plans' "searchable database"
// (docs/web.md): search by designation, specialism, phase, mini region or LA
// and free days this year; each leader's page with designations and dates,
// home school, alliance, days, and (to leads) deployments with their ratings
// and a calendar of the days logged.
#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <set>

#include "cases/deployments.h"
#include "cases/providers.h"
#include "cases/schools.h"
#include "web/page.h"
#include "workflow/date.h"
#include "workflow/engine.h"
#include "workflow/text.h"

namespace s2s::web {
namespace directory_pages {

namespace json = boost::json;

constexpr std::array<std::string_view, 6> kDesignations{"NLE", "LLE", "SLE", "NLG", "LLG", "PPR"};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool active_on(const cases::Designation& d, const std::string& day) {
  return d.active_from <= day && (d.active_to.empty() || day <= d.active_to);
}

bool sees_deployments(const PageContext& ctx) { return ctx.is("lead") || ctx.is("admin") || ctx.is("strategic"); }

api::HttpResponse directory(PageContext& ctx) {
  const std::string_view query = ctx.request.query;
  const std::string designation = query_value(query, "designation");
  const std::string specialism = lower(query_value(query, "specialism").substr(0, 100));
  const std::string phase = query_value(query, "phase");
  const std::string region = query_value(query, "mini_region");
  const std::string la = query_value(query, "la");
  const std::string min_free_text = query_value(query, "free");
  double min_free = 0;
  if (!min_free_text.empty()) {
    const auto [ptr, ec] = std::from_chars(min_free_text.data(), min_free_text.data() + min_free_text.size(), min_free);
    if (ec != std::errc() || ptr != min_free_text.data() + min_free_text.size() || min_free < 0) min_free = 0;
  }
  const auto today = ctx.app.engine->today();
  const std::string day = workflow::format_date(today);
  const std::string year = cases::academic_year_of(today);

  const auto leaders = cases::system_leaders(*ctx.app.db);
  std::set<std::int32_t> urns;
  for (const auto& l : leaders) urns.insert(l.home_school_urn);
  std::map<std::int32_t, cases::School> schools;
  {
    auto connection = ctx.app.db->acquire();
    try {
      schools = cases::find_schools(connection, urns);
    } catch (...) {
      connection.rethrow_translated();
    }
  }
  std::map<std::int64_t, cases::Capacity> days;
  for (const auto& d : cases::days_by_leader(*ctx.app.db, year)) days[d.system_leader_id] = d.days;

  json::array rows;
  for (const auto& l : leaders) {
    const auto school = schools.find(l.home_school_urn);
    const cases::School* home = school == schools.end() ? nullptr : &school->second;
    std::vector<const cases::Designation*> held;
    for (const auto& d : l.designations) {
      if (active_on(d, day)) held.push_back(&d);
    }
    if (!designation.empty() &&
        std::none_of(held.begin(), held.end(), [&](const auto* d) { return d->code == designation; })) {
      continue;
    }
    if (!specialism.empty() && std::none_of(held.begin(), held.end(), [&](const auto* d) {
          return lower(d->specialisms).find(specialism) != std::string::npos;
        })) {
      continue;
    }
    if (!phase.empty() && (home == nullptr || home->phase_group != phase)) continue;
    if (!region.empty() && (home == nullptr || home->mini_region != region)) continue;
    if (!la.empty() && (home == nullptr || std::to_string(home->la_code) != la)) continue;
    const auto capacity = days.count(l.id) ? days[l.id] : cases::Capacity{};
    if (capacity.unreserved() < min_free) continue;
    std::string labels;
    for (const auto* d : held) labels += (labels.empty() ? "" : ", ") + d->label();
    rows.push_back(json::object{{"href", "/system-leaders/" + std::to_string(l.id)},
                                {"name", l.name},
                                {"designations", labels.empty() ? std::string("None active") : labels},
                                {"school", home != nullptr ? home->name : std::string()},
                                {"area", home != nullptr ? home->la_name + (home->mini_region.empty() || home->mini_region == home->la_name
                                                                              ? std::string()
                                                                              : " (" + home->mini_region + ")")
                                                         : std::string()},
                                {"free", workflow::number_text(capacity.unreserved())}});
  }
  json::array designations{json::object{{"value", ""}, {"label", "Any designation"}, {"selected", designation.empty()}}};
  for (const auto code : kDesignations) {
    designations.push_back(json::object{{"value", code}, {"label", code}, {"selected", code == designation}});
  }
  json::array phases{json::object{{"value", ""}, {"label", "Any phase"}, {"selected", phase.empty()}}};
  for (const auto group : cases::kPhaseGroups) {
    phases.push_back(json::object{{"value", group}, {"label", words(group)}, {"selected", group == phase}});
  }
  json::array regions{json::object{{"value", ""}, {"label", "Any mini region"}, {"selected", region.empty()}}};
  for (const auto& r : cases::mini_region_names(*ctx.app.db)) {
    regions.push_back(json::object{{"value", r}, {"label", r}, {"selected", r == region}});
  }
  return page(ctx, "directory",
              json::object{{"title", "System leaders"},
                           {"year", year},
                           {"rows", rows},
                           {"count", std::to_string(rows.size())},
                           {"has_rows", !rows.empty()},
                           {"designations", designations},
                           {"specialism", query_value(query, "specialism").substr(0, 100)},
                           {"phases", phases},
                           {"regions", regions},
                           {"la", la},
                           {"free", min_free_text}});
}

api::HttpResponse leader_page(PageContext& ctx) {
  const std::string& id_text = ctx.param("id");
  std::int64_t id = 0;
  const auto [ptr, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
  if (ec != std::errc() || ptr != id_text.data() + id_text.size()) {
    throw PageRefusal{404, "Page not found", "There is no such system leader."};
  }
  const auto leader = cases::find_system_leader(*ctx.app.db, id);
  if (!leader) throw PageRefusal{404, "Page not found", "There is no such system leader."};
  const auto today = ctx.app.engine->today();
  const std::string day = workflow::format_date(today);
  const std::string year = cases::academic_year_of(today);
  json::object model{{"title", leader->name}, {"name", leader->name}, {"email", leader->email}, {"year", year}};
  if (const auto home = cases::find_school(*ctx.app.db, leader->home_school_urn)) {
    model["school"] = home->name + ", " + home->phase + (home->la_name.empty() ? "" : ", " + home->la_name);
  }
  if (leader->alliance_id) {
    if (const auto alliance = cases::find_alliance(*ctx.app.db, *leader->alliance_id)) model["alliance"] = alliance->name;
  }
  json::array designations;
  for (const auto& d : leader->designations) {
    designations.push_back(json::object{{"label", d.label()},
                                        {"from", long_date(d.active_from)},
                                        {"to", d.active_to.empty() ? std::string("open-ended") : long_date(d.active_to)},
                                        {"active", active_on(d, day)}});
  }
  model["designations"] = designations;
  const auto capacity = cases::capacity(*ctx.app.db, id, year);
  model["days"] = json::object{{"offered", workflow::number_text(capacity.offered)},
                               {"reserved", workflow::number_text(capacity.reserved)},
                               {"logged", workflow::number_text(capacity.consumed)},
                               {"free", workflow::number_text(capacity.unreserved())}};
  // Deployments, their ratings and the calendar of days: for the leads who match.
  if (sees_deployments(ctx) || (ctx.is("system_leader") && ctx.user().scope_value == id_text)) {
    json::array deployments;
    for (const auto& d : cases::deployments_of_leader(*ctx.app.db, id)) {
      deployments.push_back(json::object{{"reference", d.reference},
                                         {"href", "/cases/" + d.reference},
                                         {"kind", words(d.kind)},
                                         {"school", d.school},
                                         {"status", words(d.status)},
                                         {"dates", long_date(d.accepted_on.empty() ? d.proposed_on : d.accepted_on) +
                                                       (d.ended_on.empty() ? " to now" : " to " + long_date(d.ended_on))},
                                         {"days", workflow::number_text(d.days_logged)},
                                         {"rating", d.rating ? json::value(std::to_string(*d.rating)) : json::value()}});
    }
    model["deployments"] = deployments;
    model["has_deployments"] = !deployments.empty();
    // The academic year's days logged, month by month.
    const int first_year = std::stoi(year.substr(0, 4));
    const std::chrono::year_month_day from{std::chrono::year(first_year), std::chrono::September, std::chrono::day(1)};
    const std::chrono::year_month_day to{std::chrono::year(first_year + 1), std::chrono::August, std::chrono::day(31)};
    json::array months;
    std::string current;
    json::array entries;
    for (const auto& [date, amount] : cases::logged_days_of_leader(*ctx.app.db, id, from, to)) {
      const std::string month = long_date(date).substr(long_date(date).find(' ') + 1);
      if (month != current && !current.empty()) {
        months.push_back(json::object{{"month", current}, {"entries", entries}});
        entries = json::array();
      }
      current = month;
      entries.push_back(json::object{{"day", long_date(date)},
                                     {"days", workflow::number_text(amount) + (amount == 1 ? " day" : " days")}});
    }
    if (!current.empty()) months.push_back(json::object{{"month", current}, {"entries", entries}});
    model["months"] = months;
    model["has_months"] = !months.empty();
    model["sees_deployments"] = true;
  }
  return page(ctx, "leader", std::move(model));
}

}  // namespace directory_pages

}  // namespace s2s::web
