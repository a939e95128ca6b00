// Reference data and the caller's own views: schools (search, edits and GIAS
// uploads), alliances, system leaders and their capacity, the working-day
// calendar and its closures, the caller's deadlines, the case kinds, and who
// the caller is.
#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include <algorithm>
#include <set>

#include "api/json_views.h"
#include "api/rest.h"
#include "api/routes.h"
#include "cases/deadline_list.h"
#include "cases/deployments.h"
#include "cases/gias_import.h"
#include "cases/kpis.h"
#include "cases/need.h"
#include "cases/progress_report.h"
#include "cases/providers.h"
#include "cases/schools.h"
#include "notifications/dispatcher.h"
#include "notifications/templates.h"
#include "workflow/date.h"
#include "workflow/text.h"
#include "workflow/timestamp.h"

namespace s2s::api {
namespace reference_routes {

namespace json = boost::json;

// --- schools ------------------------------------------------------------------

cases::School school_or_404(RouteContext& ctx) {
  const std::int64_t urn = ctx.id_param("urn");
  auto school = urn <= 99999999 ? cases::find_school(*ctx.app.db, static_cast<std::int32_t>(urn)) : std::nullopt;
  if (!school) not_found("no school with URN " + std::to_string(urn));
  return std::move(*school);
}

HttpResponse search_schools(RouteContext& ctx) {
  Query query(ctx.request.query);
  const auto q = query.text("q");
  const auto la = query.integer("la", 1, 9999);
  const auto mini_region = query.text("mini_region");
  const Page page = read_page(query, ctx.app);
  query.done();
  cases::SchoolSearch search;
  search.text = q;
  search.la = la;
  search.mini_region = mini_region;
  search.after = page.after;
  search.limit = page.limit;
  const cases::SchoolPage found = cases::search_schools(*ctx.app.db, search);
  json::array items;
  for (const auto& school : found.items) items.push_back(school_json(school));
  return page_response(std::move(items), found.more, found.items.empty() ? 0 : found.items.back().urn);
}

HttpResponse get_school(RouteContext& ctx) {
  no_query(ctx.request);
  return json_response(200, school_json(school_or_404(ctx)));
}

HttpResponse edit_school(RouteContext& ctx) {
  no_query(ctx.request);
  const auto school = school_or_404(ctx);
  const auto body = json_body(ctx.request);
  JsonFields fields(body, "$");
  cases::SchoolEdit edit;
  if (fields.is_null("ofsted_grade")) {
    edit.ofsted_grade = 0;
  } else if (const auto grade = fields.integer("ofsted_grade", 1, 4)) {
    edit.ofsted_grade = static_cast<int>(*grade);
  }
  if (fields.is_null("ofsted_date")) {
    edit.ofsted_date = "";
  } else if (const auto date = fields.date("ofsted_date")) {
    edit.ofsted_date = workflow::format_date(*date);
  }
  for (const char* flag : {"ssif_eligible", "category_5_6"}) {
    if (fields.is_null(flag))
      bad_request(fields.path_of(flag), fields.path_of(flag) + " must be true or false, not null");
  }
  edit.ssif_eligible = fields.boolean("ssif_eligible");
  edit.category_5_6 = fields.boolean("category_5_6");
  for (const auto& [name, target] : {std::pair{"trust_code", &edit.trust_code}, {"trust_name", &edit.trust_name}}) {
    if (fields.is_null(name)) {
      *target = "";
    } else if (auto text = fields.text(name)) {
      *target = std::move(*text);
    }
  }
  // Read again so that a null counts as read (is_null does not mark it).
  (void)fields.integer("ofsted_grade", 1, 4);
  (void)fields.date("ofsted_date");
  (void)fields.text("trust_code");
  (void)fields.text("trust_name");
  fields.done();
  auto edited = cases::edit_school(*ctx.app.db, school.urn, edit, ctx.app.engine->today());
  ctx.audit("school.edit", school.name + " (URN " + std::to_string(school.urn) + ")", json::serialize(body));
  return json_response(200, school_json(edited));
}

HttpResponse import_schools(RouteContext& ctx) {
  const auto type = ctx.request.header("Content-Type").value_or("");
  if (media_type(ctx.request) != "text/csv") {
    throw Problem(415, "unsupported-media-type", "Unsupported media type",
                  "send the GIAS extract as text/csv" +
                      (type.empty() ? std::string(" (Content-Type is missing)") : ", not " + std::string(type)));
  }
  Query query(ctx.request.query);
  query.done();
  const auto report = cases::import_gias(*ctx.app.db, ctx.request.body);
  ctx.audit("schools.import", "a GIAS extract of " + std::to_string(ctx.request.body.size()) + " bytes",
            std::to_string(report.rows) + " rows: " + std::to_string(report.inserted) + " new, " +
                std::to_string(report.updated) + " changed, " + std::to_string(report.skipped) + " refused");
  json::array problems;
  for (const auto& p : report.problems) problems.emplace_back(json_text(p));
  const char* encoding = report.encoding == cases::TextEncoding::utf8       ? "utf-8"
                         : report.encoding == cases::TextEncoding::utf8_bom ? "utf-8 with BOM"
                                                                            : "windows-1252";
  return json_response(200, json::object{{"encoding", encoding},
                                         {"rows", report.rows},
                                         {"inserted", report.inserted},
                                         {"updated", report.updated},
                                         {"unchanged", report.unchanged},
                                         {"skipped", report.skipped},
                                         {"problems", std::move(problems)}});
}

// --- alliances and system leaders ------------------------------------------------

json::object alliance_json(const cases::Alliance& a) {
  json::array members;
  for (const auto urn : a.members) members.emplace_back(urn);
  return json::object{{"id", a.id},
                      {"name", json_text(a.name)},
                      {"lead_school_urn", a.lead_school_urn},
                      {"members", std::move(members)}};
}

HttpResponse list_alliances(RouteContext& ctx) {
  no_query(ctx.request);
  json::array items;
  for (const auto& a : cases::alliances(*ctx.app.db)) items.push_back(alliance_json(a));
  return json_response(200, json::object{{"items", std::move(items)}});
}

HttpResponse get_alliance(RouteContext& ctx) {
  no_query(ctx.request);
  const auto id = ctx.id_param("id");
  const auto alliance = cases::find_alliance(*ctx.app.db, id);
  if (!alliance) not_found("no alliance " + std::to_string(id));
  return json_response(200, alliance_json(*alliance));
}

json::object leader_json(const cases::SystemLeader& l) {
  json::array designations;
  for (const auto& d : l.designations) {
    designations.push_back(json::object{{"id", d.id},
                                        {"designation", json_text(d.code)},
                                        {"specialisms", json_text(d.specialisms)},
                                        {"active_from", json_text(d.active_from)},
                                        {"active_to", text_or_null(d.active_to)},
                                        {"ended_by_case_id", d.ended_by_case_id ? json::value(*d.ended_by_case_id)
                                                                                : json::value()}});
  }
  return json::object{{"id", l.id},
                      {"name", json_text(l.name)},
                      {"email", json_text(l.email)},
                      {"home_school_urn", l.home_school_urn},
                      {"alliance_id", l.alliance_id ? json::value(*l.alliance_id) : json::value()},
                      {"designations", std::move(designations)}};
}

// A system leader sees only their own record; leads and admins see everyone.
bool may_see_leader(const RouteContext& ctx, std::int64_t id) {
  if (!ctx.is("system_leader")) return true;
  return ctx.caller.user.scope_kind == "system_leader" && ctx.caller.user.scope_value == std::to_string(id);
}

cases::SystemLeader leader_or_404(RouteContext& ctx) {
  const auto id = ctx.id_param("id");
  auto leader = may_see_leader(ctx, id) ? cases::find_system_leader(*ctx.app.db, id) : std::nullopt;
  if (!leader) not_found("no system leader " + std::to_string(id));
  return std::move(*leader);
}

HttpResponse list_leaders(RouteContext& ctx) {
  no_query(ctx.request);
  json::array items;
  for (const auto& l : cases::system_leaders(*ctx.app.db)) {
    if (may_see_leader(ctx, l.id)) items.push_back(leader_json(l));
  }
  return json_response(200, json::object{{"items", std::move(items)}});
}

HttpResponse get_leader(RouteContext& ctx) {
  no_query(ctx.request);
  return json_response(200, leader_json(leader_or_404(ctx)));
}

json::object capacity_json(std::int64_t id, const std::string& year, const cases::Capacity& c) {
  return json::object{{"system_leader_id", id}, {"academic_year", json_text(year)}, {"offered", c.offered},
                      {"reserved", c.reserved}, {"consumed", c.consumed},           {"unreserved", c.unreserved()}};
}

HttpResponse get_capacity(RouteContext& ctx) {
  const auto leader = leader_or_404(ctx);
  Query query(ctx.request.query);
  auto year = query.text("academic_year").value_or(cases::academic_year_of(ctx.app.engine->today()));
  query.done();
  if (!cases::is_academic_year(year)) {
    bad_request("academic_year", "query parameter academic_year must look like 2026/27, got '" + year + "'");
  }
  return json_response(200, capacity_json(leader.id, year, cases::capacity(*ctx.app.db, leader.id, year)));
}

HttpResponse set_capacity(RouteContext& ctx) {
  no_query(ctx.request);
  const auto leader = leader_or_404(ctx);
  const auto body = json_body(ctx.request);
  JsonFields fields(body, "$");
  const auto year = *fields.text("academic_year", true);
  const auto days = *fields.number("days", true);
  fields.done();
  if (!cases::is_academic_year(year)) {
    bad_request("$.academic_year", "$.academic_year must look like 2026/27, got '" + year + "'");
  }
  cases::set_capacity(*ctx.app.db, leader.id, year, days);
  ctx.audit("capacity.set", leader.name, workflow::number_text(days) + " days in " + year);
  return json_response(200, capacity_json(leader.id, year, cases::capacity(*ctx.app.db, leader.id, year)));
}

// --- calendar -------------------------------------------------------------------

// Closures another process added; the arithmetic goes on with those known
// when the database cannot be reached.
void refresh_calendar(App& app) {
  try {
    app.engine->reload_calendar();
  } catch (const workflow::DatabaseUnavailable& e) {
    spdlog::warn("calendar closures not reloaded: {}", e.what());
  }
}

void refresh_calendar(RouteContext& ctx) { refresh_calendar(ctx.app); }

HttpResponse working_days(RouteContext& ctx) {
  refresh_calendar(ctx);
  Query query(ctx.request.query);
  const auto from = query.date("from");
  const auto add = query.integer("add", -1000, 1000);
  query.done();
  if (!from) bad_request("from", "query parameter from is required (YYYY-MM-DD)");
  if (const int y = static_cast<int>(from->year()); y < 1900 || y > 2200) {
    bad_request("from", "query parameter from must lie in the years 1900 to 2200");
  }
  if (!add) bad_request("add", "query parameter add is required (working days, -1000 to 1000)");
  const auto computation = ctx.app.engine->calendar().compute_deadline(*from, static_cast<int>(*add));
  return json_response(200, json::object{{"from", workflow::format_date(*from)},
                                         {"add", *add},
                                         {"date", workflow::format_date(computation.due)},
                                         {"computation", computation.to_json_object()}});
}

HttpResponse holidays(RouteContext& ctx) {
  refresh_calendar(ctx);
  Query query(ctx.request.query);
  const auto year = query.integer("year", 1900, 2200);
  query.done();
  if (!year) bad_request("year", "query parameter year is required");
  const auto calendar = ctx.app.engine->calendar();
  json::array items;
  for (const auto& h : calendar.holidays(static_cast<int>(*year))) {
    items.push_back(json::object{{"date", workflow::format_date(h.date)}, {"title", json_text(h.name)}});
  }
  json::array closures;
  for (const auto& c : calendar.closures()) {
    if (static_cast<int>(c.date.year()) != *year) continue;
    closures.push_back(json::object{{"date", workflow::format_date(c.date)}, {"reason", json_text(c.reason)}});
  }
  return json_response(200, json::object{{"year", *year}, {"bank_holidays", std::move(items)}, {"closures", closures}});
}

HttpResponse list_closures(RouteContext& ctx) {
  Query query(ctx.request.query);
  query.done();
  ctx.app.engine->reload_calendar();
  json::array items;
  for (const auto& c : ctx.app.engine->calendar().closures()) {
    items.push_back(json::object{{"date", workflow::format_date(c.date)}, {"reason", json_text(c.reason)}});
  }
  return json_response(200, json::object{{"items", std::move(items)}});
}

HttpResponse add_closure(RouteContext& ctx) {
  no_query(ctx.request);
  const auto body = json_body(ctx.request);
  JsonFields fields(body, "$");
  const auto day = *fields.date("date", true);
  const auto reason = *fields.text("reason", true);
  fields.done();
  if (reason.empty() || reason.size() > 200) bad_request("$.reason", "$.reason must be 1 to 200 characters");
  ctx.app.engine->reload_calendar();
  for (const auto& c : ctx.app.engine->calendar().closures()) {
    if (c.date == day) {
      throw Problem(409, "already-closed", "Already a closure day",
                    workflow::format_date(day) + " is already a closure day (" + c.reason + ")", {{"field", "$.date"}});
    }
  }
  int moved = 0;
  try {
    moved = ctx.app.engine->add_closure(day, reason, ctx.caller.actor.name);
  } catch (const workflow::Error&) {
    // Another request closed the day between the check and the insert.
    ctx.app.engine->reload_calendar();
    for (const auto& c : ctx.app.engine->calendar().closures()) {
      if (c.date == day) {
        throw Problem(409, "already-closed", "Already a closure day",
                      workflow::format_date(day) + " is already a closure day (" + c.reason + ")",
                      {{"field", "$.date"}});
      }
    }
    throw;
  }
  ctx.committed = true;
  ctx.audit("closure.add", workflow::format_date(day),
            reason + "; " + std::to_string(moved) + (moved == 1 ? " deadline moved" : " deadlines moved"));
  HttpResponse response = json_response(
      201,
      json::object{{"date", workflow::format_date(day)}, {"reason", json_text(reason)}, {"deadlines_moved", moved}});
  response.headers.emplace_back("Location", "/api/v1/calendar/closures");
  return response;
}

// --- the caller's deadlines -------------------------------------------------------

// Whose move a deadline is, as the lists give it: the role, and the system
// leader or school where the case names one.
json::object owner_json(const cases::DeadlineOwner& owner) {
  return json::object{
      {"role", json_text(owner.role)},
      {"system_leader_id", owner.system_leader_id ? json::value(*owner.system_leader_id) : json::value()},
      {"name", text_or_null(owner.name)}};
}

HttpResponse caller_deadlines(RouteContext& ctx) {
  Query query(ctx.request.query);
  cases::DeadlineFilter filter;
  filter.status = query.text("status");
  filter.due_by = query.date("before");
  const Page page = read_page(query, ctx.app);
  query.done();
  if (filter.status && *filter.status != "open" && *filter.status != "overdue") {
    bad_request("status", "query parameter status must be open or overdue, got '" + *filter.status + "'");
  }
  filter.after = page.after;
  filter.limit = page.limit;
  refresh_calendar(ctx);
  const auto today = ctx.app.engine->today();
  const auto list = cases::list_deadlines(*ctx.app.db, ctx.app.engine->kinds(), ctx.app.engine->calendar(),
                                          ctx.caller.actor, today, filter);
  json::array items;
  for (const auto& d : list.items) {
    json::object item{{"id", d.id},
                      {"case_id", d.case_id},
                      {"reference", json_text(d.reference)},
                      {"kind", json_text(d.kind)},
                      {"state", json_text(d.state)},
                      {"purpose", json_text(d.purpose)},
                      {"due_on", workflow::format_date(d.due_on)},
                      {"status", json_text(d.status)},
                      {"school_name", text_or_null(d.school_name)},
                      {"owner", owner_json(d.owner)},
                      {"days_left", (std::chrono::sys_days(d.due_on) - std::chrono::sys_days(today)).count()}};
    if (d.working_days_left) item["working_days_left"] = *d.working_days_left;
    if (d.working_days_late) item["working_days_late"] = *d.working_days_late;
    items.push_back(std::move(item));
  }
  return page_response(std::move(items), list.more, list.items.empty() ? 0 : list.items.back().id);
}

// --- kinds and the caller ------------------------------------------------------------

HttpResponse list_kinds(RouteContext& ctx) {
  no_query(ctx.request);
  json::array kinds;
  const auto& policy_owner = *ctx.app.engine;
  for (const auto* kind : policy_owner.kinds().all()) {
    json::array states;
    for (const auto& s : kind->states()) {
      states.push_back(json::object{{"name", json_text(s.name)}, {"phase", json_text(workflow::to_string(s.phase))}});
    }
    const auto fields_json = [](std::span<const workflow::FieldSpec> fields) {
      json::array out;
      for (const auto& f : fields) {
        json::object field{{"name", json_text(f.name)},
                           {"type", json_text(workflow::to_string(f.type))},
                           {"required", f.required},
                           {"one_of", json_text(f.one_of)},
                           {"help", json_text(f.help)}};
        if (f.min) field["minimum"] = number_json(*f.min);
        if (f.max) field["maximum"] = number_json(*f.max);
        out.push_back(std::move(field));
      }
      return out;
    };
    json::array events;
    for (const auto& e : kind->events()) {
      events.push_back(json::object{{"name", json_text(e.name)},
                                    {"who", json_text(e.who)},
                                    {"summary", json_text(e.summary)},
                                    {"fields", fields_json(e.fields)}});
    }
    json::array deadlines;
    for (const auto& d : kind->deadlines()) {
      deadlines.push_back(json::object{{"purpose", json_text(d.purpose)},
                                       {"default_working_days", d.default_working_days},
                                       {"description", json_text(d.description)},
                                       {"owner", json_text(d.owner)},
                                       {"source", json::object{{"kind", json_text(workflow::to_string(d.source.kind))},
                                                               {"text", json_text(d.source.text)}}}});
    }
    kinds.push_back(json::object{{"name", json_text(kind->name())},
                                 {"reference_prefix", json_text(kind->reference_prefix())},
                                 {"opened_by", json_text(kind->opened_by())},
                                 {"open_fields", fields_json(kind->open_fields())},
                                 {"initial_state", json_text(kind->initial_state())},
                                 {"states", std::move(states)},
                                 {"events", std::move(events)},
                                 {"deadlines", std::move(deadlines)}});
  }
  return json_response(200, json::object{{"items", std::move(kinds)}});
}

HttpResponse me(RouteContext& ctx) {
  no_query(ctx.request);
  const cases::User& u = ctx.caller.user;
  return json_response(200, json::object{{"id", u.id},
                                         {"name", json_text(u.name)},
                                         {"email", json_text(u.email)},
                                         {"role", json_text(u.role)},
                                         {"scope", text_or_null(ctx.caller.actor.scope)}});
}

// --- KPI reports ---------------------------------------------------------------------

json::object kpi_json(const cases::Kpi& k, bool with_references) {
  json::object out{{"id", json_text(k.id)},
                   {"name", json_text(k.name)},
                   {"definition", json_text(k.definition)},
                   {"target", text_or_null(k.target)},
                   {"unit", json_text(k.unit)},
                   {"actual", k.actual ? json::value(*k.actual) : json::value()},
                   {"numerator", k.numerator},
                   {"denominator", k.denominator},
                   {"status", json_text(k.status)}};
  if (k.previous) {
    out["previous"] = *k.previous;
    if (k.actual) out["change"] = *k.actual - *k.previous;
  }
  const auto refs_json = [](const std::vector<std::string>& references) {
    json::array refs;
    for (const auto& r : references) refs.emplace_back(json_text(r));
    return refs;
  };
  if (!k.parts.empty()) {
    json::array parts;
    for (const auto& part : k.parts) {
      json::object p{{"alliance_id", part.alliance_id},
                     {"name", json_text(part.name)},
                     {"actual", part.actual},
                     {"status", json_text(part.status)}};
      if (with_references) p["cases"] = refs_json(part.references);
      parts.push_back(std::move(p));
    }
    out["teaching_schools"] = std::move(parts);
  }
  if (with_references) out["cases"] = refs_json(k.references);
  return out;
}

// The schools a report covers (alliance, mini_region, la) and its costing
// (day_rate), from its query parameters.
void read_report_scope(Query& query, cases::KpiScope& scope) {
  scope.alliance = query.integer("alliance", 1, 1LL << 40);
  scope.mini_region = query.text("mini_region");
  if (const auto la = query.integer("la", 1, 9999)) scope.la = static_cast<int>(*la);
  if (const auto rate = query.integer("day_rate", 0, 100000)) scope.day_rate = static_cast<double>(*rate);
}

// The scope kept to the caller's: leads see their own mini region or
// alliance (and phases, when narrowed to them), LA officers their LA, the
// strategic group and admins anything. A scope outside the
// caller's is a 403 (regions are not secret).
void keep_to_caller(RouteContext& ctx, cases::KpiScope& scope) { cases::keep_report_scope_to(ctx.caller.user, scope); }

// The need register of the caller's scope (docs/need.md): every school in
// need, why, its last inspection and its support, those nobody has reached
// first; each mini region's reach; the criteria in force. format=csv gives
// the register as CSV.
HttpResponse need_register(RouteContext& ctx) {
  Query query(ctx.request.query);
  const auto format = query.text("format").value_or("json");
  query.done();
  if (format != "json" && format != "csv") bad_request("format", "query parameter format must be json or csv");
  const auto ticket = ctx.costly();
  const auto reg = cases::need_register(*ctx.app.db, ctx.caller.actor, ctx.app.engine->today());
  if (format == "csv") {
    HttpResponse response;
    response.content_type = "text/csv; charset=utf-8";
    response.body = cases::need_register_csv(reg);
    response.headers.emplace_back("Content-Disposition",
                                  "attachment; filename=\"" + cases::need_register_csv_filename(reg) + "\"");
    return response;
  }
  json::array criteria;
  for (const auto& c : reg.criteria) criteria.emplace_back(json_text(c));
  json::array reach;
  for (const auto& r : reg.reach) {
    reach.push_back(json::object{
        {"mini_region", text_or_null(r.mini_region)}, {"in_need", r.in_need}, {"reached", r.reached}});
  }
  json::array schools;
  for (const auto& row : reg.rows) {
    schools.push_back(json::object{{"urn", row.urn},
                                   {"name", json_text(row.name)},
                                   {"la_name", json_text(row.la_name)},
                                   {"mini_region", text_or_null(row.mini_region)},
                                   {"phase", json_text(row.phase)},
                                   {"in_need", json_text(row.because)},
                                   {"last_inspection", json_text(row.last_inspection)},
                                   {"support", json_text(cases::to_string(row.support))},
                                   {"case", text_or_null(row.case_reference)}});
  }
  return json_response(200, json::object{{"academic_year", json_text(reg.academic_year)},
                                         {"criteria", std::move(criteria)},
                                         {"reach", std::move(reach)},
                                         {"schools", std::move(schools)}});
}

HttpResponse kpi_report(RouteContext& ctx) {
  Query query(ctx.request.query);
  cases::KpiScope scope;
  scope.academic_year = query.text("academic_year").value_or(cases::academic_year_of(ctx.app.engine->today()));
  read_report_scope(query, scope);
  scope.as_of = query.date("as_of");
  const auto explain = query.text("explain");
  const auto format = query.text("format").value_or("json");
  query.done();
  if (!cases::is_academic_year(scope.academic_year)) {
    bad_request("academic_year",
                "query parameter academic_year must look like 2026/27, got '" + scope.academic_year + "'");
  }
  if (format != "json" && format != "csv") bad_request("format", "query parameter format must be json or csv");
  keep_to_caller(ctx, scope);
  scope.with_references = explain.has_value() || format == "csv";
  scope.with_overdue_items = false;
  // A scope the report refuses (an unknown alliance, a date out of range) is
  // workflow::InvalidInput naming the parameter: a 400.
  const auto ticket = ctx.costly();
  const auto made = ctx.app.reports.kpis(*ctx.app.db, ctx.app.engine->calendar(), scope, ctx.app.engine->today());
  const auto& report = *made;
  if (explain &&
      std::none_of(report.kpis.begin(), report.kpis.end(), [&](const auto& k) { return k.id == *explain; })) {
    bad_request("explain", "query parameter explain: no KPI '" + *explain + "'");
  }
  if (format == "csv") {
    HttpResponse response;
    response.content_type = "text/csv; charset=utf-8";
    response.body = cases::kpi_csv(report);
    response.headers.emplace_back("Content-Disposition",
                                  "attachment; filename=\"" + cases::kpi_csv_filename(report) + "\"");
    return response;
  }
  json::array kpis;
  for (const auto& k : report.kpis) {
    if (explain && k.id != *explain) continue;
    kpis.push_back(kpi_json(k, explain.has_value()));
  }
  json::object phases;
  for (const auto& [phase, n] : report.open_by_phase) phases[phase] = n;
  json::array funding;
  for (const auto& f : report.funding) {
    // Days logged without a source are named as such; without a day rate
    // there is no spend to give (null, not 0).
    funding.push_back(json::object{{"funding_source", json_text(cases::funding_label(f.funding_source))},
                                   {"days", f.days},
                                   {"spend", f.spend ? json::value(*f.spend) : json::value()}});
  }
  json::array engagement;
  for (const auto& e : report.engagement) {
    engagement.push_back(json::object{{"mini_region", text_or_null(e.mini_region)},
                                      {"schools", e.schools},
                                      {"with_case", e.with_case},
                                      {"in_alliance", e.in_alliance},
                                      {"with_neither", e.with_neither}});
  }
  json::array months;
  for (const auto& m : report.months) {
    months.push_back(json::object{
        {"month", m.month}, {"days", m.days}, {"ratings", m.ratings}, {"rated_good", m.rated_good}});
  }
  json::array waits;
  for (const auto& w : report.referral_to_match) {
    waits.push_back(json::object{
        {"from", w.from}, {"to", w.to ? json::value(*w.to) : json::value()}, {"cases", w.cases}});
  }
  json::object scope_json{
      {"academic_year", json_text(scope.academic_year)},
      {"from", json_text(report.from)},
      {"to", json_text(report.to)},
      {"as_of", json_text(report.as_of)},
      {"alliance", scope.alliance ? json::value(*scope.alliance) : json::value()},
      {"mini_region", scope.mini_region ? json::value(json_text(*scope.mini_region)) : json::value()},
      {"la", scope.la ? json::value(*scope.la) : json::value()},
      {"phases", [&] {
         json::array phases;
         for (const auto& p : scope.phases) phases.emplace_back(json_text(p));
         return phases;
       }()}};
  return json_response(200, json::object{{"scope", std::move(scope_json)},
                                         {"kpis", std::move(kpis)},
                                         {"open_by_phase", std::move(phases)},
                                         {"funding", std::move(funding)},
                                         {"engagement", std::move(engagement)},
                                         {"months", std::move(months)},
                                         {"referral_to_match", std::move(waits)}});
}

// The quarterly progress report for the strategic group, as an HTML page
// (the default) or Markdown.
HttpResponse quarterly_report(RouteContext& ctx) {
  Query query(ctx.request.query);
  cases::KpiScope scope;
  read_report_scope(query, scope);
  const auto quarter_text = query.text("quarter");
  const auto format = query.text("format").value_or("html");
  query.done();
  if (format != "html" && format != "markdown") {
    bad_request("format", "query parameter format must be html or markdown");
  }
  const auto today = ctx.app.engine->today();
  const auto quarter = quarter_text ? cases::parse_quarter(*quarter_text) : cases::quarter_of(today);
  if (!quarter) {
    bad_request("quarter", "query parameter quarter must look like " + std::string(cases::kQuarterForm) + ", got '" +
                               *quarter_text + "'");
  }
  keep_to_caller(ctx, scope);
  const auto ticket = ctx.costly();
  const auto made = ctx.app.reports.progress(*ctx.app.db, ctx.app.engine->calendar(), scope, *quarter, today);
  const auto& report = *made;
  HttpResponse response;
  if (format == "html") {
    response.content_type = "text/html; charset=utf-8";
    response.body = cases::progress_html(report);
    // A page of escaped text and its own styles: nothing else may load or run.
    response.headers.emplace_back("Content-Security-Policy",
                                  "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'");
  } else {
    response.content_type = "text/markdown; charset=utf-8";
    response.body = cases::progress_markdown(report);
    std::string name = quarter->id();
    std::replace(name.begin(), name.end(), '/', '-');
    response.headers.emplace_back("Content-Disposition", "attachment; filename=\"progress-" + name + ".md\"");
  }
  return response;
}

// --- the calendar feed ---------------------------------------------------------------

// RFC 5545 text: backslash, semicolon, comma and newline escaped.
std::string ics_text(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '\\' || c == ';' || c == ',') out += '\\';
    if (c == '\n') {
      out += "\\n";
    } else if (c != '\r') {
      out += c;
    }
  }
  return out;
}

// One content line, folded at 75 octets (never inside a UTF-8 sequence), CRLF-ended.
void ics_line(std::string& out, const std::string& line) {
  std::size_t start = 0;
  std::size_t width = 75;
  while (line.size() - start > width) {
    std::size_t cut = start + width;
    while (cut > start && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;
    out += line.substr(start, cut - start) + "\r\n ";
    start = cut;
    width = 74;  // the continuation's leading space counts
  }
  out += line.substr(start) + "\r\n";
}

std::string ics_date(const std::string& iso) {
  std::string out;
  for (const char c : iso) {
    if (c != '-') out += c;
  }
  return out;
}

// "Whose move: Sam Leader (system leader).", "Whose move: the school, Ashgrove
// Park Primary Academy.", "Whose move: the lead."
std::string whose_move(const cases::DeadlineOwner& owner) {
  if (owner.role == "system_leader") {
    return owner.name.empty() ? "Whose move: the system leader." : "Whose move: " + owner.name + " (system leader).";
  }
  if (owner.role == "school") {
    return owner.name.empty() ? "Whose move: the school." : "Whose move: the school, " + owner.name + ".";
  }
  return "Whose move: the " + owner.role + ".";
}

// "3 working days left.", "Due today.", "2 working days late."
std::string working_days_text(const cases::ListedDeadline& d) {
  const auto plural = [](int n) { return std::to_string(n) + (n == 1 ? " working day" : " working days"); };
  if (d.working_days_late) return plural(*d.working_days_late) + " late.";
  if (d.working_days_left.value_or(0) == 0) return "Due today.";
  return plural(*d.working_days_left) + " left.";
}

// GET /api/v1/deadlines.ics?token=FEED_TOKEN: the feed token's user's open and
// overdue deadlines as an iCalendar that Outlook and Google Calendar subscribe to.
HttpResponse deadlines_feed(App& app, const HttpRequest& request) {
  Query query(request.query);
  const auto token = query.text("token");
  query.done();
  const auto user = token ? cases::authenticate_feed(*app.db, *token) : std::nullopt;
  if (!user) {
    throw Problem(401, "unauthenticated", "Authentication required",
                  "give the feed's token as ?token= (s2sd user feed EMAIL makes one); API tokens do not open feeds");
  }
  const workflow::Actor actor = cases::actor_of(*user);
  refresh_calendar(app);
  const auto today = app.engine->today();
  cases::DeadlineFilter filter;
  filter.limit = 2000;
  const auto list = cases::list_deadlines(*app.db, app.engine->kinds(), app.engine->calendar(), actor, today, filter);
  const std::string stamp = [&] {
    std::string t = workflow::format_timestamp(app.engine->now());  // 2026-11-23T12:00:00.123456Z
    std::string out;
    for (const char c : t.substr(0, 19)) {
      if (c != '-' && c != ':') out += c;
    }
    return out + "Z";
  }();
  std::string out;
  ics_line(out, "BEGIN:VCALENDAR");
  ics_line(out, "VERSION:2.0");
  ics_line(out, "PRODID:-//s2s//school-to-school support deadlines//EN");
  ics_line(out, "CALSCALE:GREGORIAN");
  ics_line(out, "METHOD:PUBLISH");
  ics_line(out, "X-WR-CALNAME:" + ics_text("s2s deadlines (" + user->name + ")"));
  for (const auto& d : list.items) {
    const std::string what = workflow::purpose_title(d.purpose);
    const std::string due = workflow::format_date(d.due_on);
    const std::string overdue = d.status == "overdue" ? "Overdue: " : "";
    ics_line(out, "BEGIN:VEVENT");
    ics_line(out, "UID:deadline-" + std::to_string(d.id) + "@s2s");
    ics_line(out, "DTSTAMP:" + stamp);
    ics_line(out, "DTSTART;VALUE=DATE:" + ics_date(due));
    ics_line(out, "DTEND;VALUE=DATE:" + ics_date(workflow::format_date(std::chrono::year_month_day(
                                            std::chrono::sys_days(d.due_on) + std::chrono::days(1)))));
    ics_line(out, "SUMMARY:" + ics_text(overdue + what + " due: " + d.reference + " (" + d.school_name + ")"));
    ics_line(out, "DESCRIPTION:" + ics_text("Deadline " + d.purpose + " of " + d.reference + ", due " + due + ". " +
                                            whose_move(d.owner) + " " + working_days_text(d)));
    ics_line(out, "URL:" + app.options.public_url + "/cases/" + d.reference);
    ics_line(out, "TRANSP:TRANSPARENT");
    ics_line(out, "END:VEVENT");
  }
  ics_line(out, "END:VCALENDAR");
  HttpResponse response;
  response.content_type = "text/calendar; charset=utf-8";
  response.body = std::move(out);
  response.headers.emplace_back("Cache-Control", "private, max-age=300");
  return response;
}

// --- notifications -----------------------------------------------------------------

HttpResponse list_notifications(RouteContext& ctx) {
  Query query(ctx.request.query);
  const auto status = query.text("status").value_or("dead");
  const auto limit =
      query.integer("limit", 1, ctx.app.options.max_page_size).value_or(ctx.app.options.default_page_size);
  query.done();
  if (status != "pending" && status != "sent" && status != "dead") {
    bad_request("status", "query parameter status must be pending, sent or dead, got '" + status + "'");
  }
  json::array items;
  for (const auto& n : notifications::notifications(*ctx.app.db, status, static_cast<std::size_t>(limit))) {
    json::array deliveries;
    for (const auto& d : n.deliveries) {
      deliveries.push_back(json::object{{"id", d.id},
                                        {"channel", json_text(d.channel)},
                                        {"recipient", json_text(d.recipient)},
                                        {"recipient_name", json_text(d.recipient_name)},
                                        {"status", json_text(d.status)},
                                        {"attempts", d.attempts},
                                        {"last_error", text_or_null(d.last_error)}});
    }
    items.push_back(json::object{{"id", n.outbox_id},
                                 {"case_id", n.case_id ? json::value(*n.case_id) : json::value()},
                                 {"message", json_text(n.message)},
                                 {"status", json_text(n.status)},
                                 {"created_at", json_text(n.created_at)},
                                 {"deliveries", std::move(deliveries)}});
  }
  return json_response(200, json::object{{"items", std::move(items)}});
}

}  // namespace reference_routes

void register_feed_route(Router& router, App& app) {
  // Authenticated by its own read-only feed token (calendar apps cannot send a bearer).
  // Guessing feed tokens is slowed like guessing bearer tokens.
  router.add("GET", "/api/v1/deadlines.ics", [&app](const HttpRequest& request, const Router::Params&) {
    try {
      HttpResponse response;
      guard_login(app, request, [&] { response = reference_routes::deadlines_feed(app, request); });
      return response;
    } catch (...) {
      return problem_response(app, request);
    }
  });
}

}  // namespace s2s::api
