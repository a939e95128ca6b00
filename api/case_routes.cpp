// /api/v1/cases and what hangs off a case: its deadlines, history, matches,
// events, deployments, day entries and ratings. Every case is checked against
// the caller's scope before anything about it is said; one outside it is a 404.
#include <boost/json.hpp>

#include <algorithm>
#include <charconv>

#include "api/http_headers.h"
#include "api/json_views.h"
#include "api/rest.h"
#include "api/routes.h"
#include "cases/case_list.h"
#include "cases/deployments.h"
#include "cases/matching.h"
#include "cases/schools.h"
#include "workflow/date.h"

namespace s2s::api {
namespace case_routes {

namespace json = boost::json;
using workflow::Case;

std::string etag(int version) { return "\"" + std::to_string(version) + "\""; }

// The case the path's {id} names, by its id (42) or its reference
// (SR-2026-0042), if it exists and lies within the caller's scope; else 404,
// the same answer either way.
Case visible_case(RouteContext& ctx) {
  const std::string& key = ctx.param("id");
  auto found = cases::find_visible_case(*ctx.app.engine, ctx.caller.actor, key);
  if (!found) not_found("no case " + key);
  ctx.case_kind = ctx.app.engine->kinds().find(found->kind);
  return std::move(*found);
}

json::object field_json(const workflow::FieldSpec& f) {
  json::object out{
      {"name", json_text(f.name)}, {"type", json_text(workflow::to_string(f.type))}, {"required", f.required}};
  if (!f.one_of.empty()) {
    json::array values;
    std::string_view rest = f.one_of;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      values.emplace_back(json_text(rest.substr(0, comma)));
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    out["one_of"] = std::move(values);
  }
  if (f.min) out["minimum"] = number_json(*f.min);
  if (f.max) out["maximum"] = number_json(*f.max);
  if (!f.help.empty()) out["help"] = json_text(f.help);
  return out;
}

// The events the caller may send to the case now: the state takes them and
// their `who` names the caller's role.
json::array allowed_events_json(RouteContext& ctx, const Case& c) {
  json::array out;
  for (const workflow::EventInfo* info : cases::actions_for(*ctx.app.engine, c, ctx.role())) {
    json::array fields;
    for (const auto& f : info->fields) fields.push_back(field_json(f));
    out.push_back(json::object{
        {"event", json_text(info->name)}, {"summary", json_text(info->summary)}, {"fields", std::move(fields)}});
  }
  return out;
}

json::object deadline_json(const workflow::Deadline& d) {
  json::object out{{"id", d.id},
                   {"purpose", json_text(d.purpose)},
                   {"armed_in_state", json_text(d.armed_in_state)},
                   {"due_on", workflow::format_date(d.due_on)},
                   {"status", json_text(d.status)},
                   {"settled_on", d.settled_on ? json::value(workflow::format_date(*d.settled_on)) : json::value()},
                   {"computation", d.computation.to_json_object()}};
  return out;
}

// The case as a GET and an event's answer show it.
json::object case_detail(RouteContext& ctx, const cases::CaseView& view) {
  const Case& c = view.c;
  json::object out = case_json(c);
  cases::redact_case_data(ctx.caller.actor, out["data"].as_object());
  if (view.school) out["school"] = school_json(*view.school);
  // Who is supporting the school, and how to reach them.
  if (const auto& s = view.supporter) {
    out["supported_by"] = json::object{{"system_leader_id", s->system_leader_id},
                                       {"name", json_text(s->name)},
                                       {"designation", text_or_null(s->designation)},
                                       {"home_school", json::object{{"urn", s->home_school_urn},
                                                                    {"name", json_text(s->home_school_name)}}},
                                       {"email", json_text(s->email)},
                                       {"status", json_text(s->status)}};
  } else {
    out["supported_by"] = nullptr;
  }
  json::array deadlines;
  for (const auto& d : view.deadlines) deadlines.push_back(deadline_json(d));
  out["deadlines"] = std::move(deadlines);
  out["allowed_events"] = allowed_events_json(ctx, c);
  return out;
}

// `c` with what hangs off it: `known` when the caller has read it already
// (cases::find_visible_case_view), else read now in one statement.
HttpResponse case_response(RouteContext& ctx, int status, const Case& c, const cases::CaseView* known = nullptr) {
  json::object body;
  try {
    body = case_detail(ctx, known != nullptr ? *known : cases::case_view_of(*ctx.app.engine, c));
  } catch (const workflow::DatabaseUnavailable&) {
    // After a committed change the answer must not be a failure (a retry
    // would apply it twice): the case as the engine returned it, without
    // what hangs off it, which a GET shows once the database is back.
    if (!ctx.committed) throw;
    body = case_json(c);
    cases::redact_case_data(ctx.caller.actor, body["data"].as_object());
  }
  HttpResponse response = json_response(status, body);
  response.headers.emplace_back("ETag", etag(c.version));
  return response;
}

// If-Match: "<version>" (or * for any) for the case `c`. Anything else is a 400.
std::optional<int> if_match(const HttpRequest& request, const Case& c) {
  const auto header = request.header("If-Match");
  if (!header) return std::nullopt;
  const IfMatch parsed = parse_if_match(*header);
  const std::string shown = echoable(*header) ? ": " + std::string(*header) : std::string();
  switch (parsed.kind) {
    case IfMatch::Kind::any:
      return std::nullopt;
    case IfMatch::Kind::version:
      return parsed.version;
    case IfMatch::Kind::weak:
      // RFC 9110: a weak tag never matches If-Match.
      throw Problem(412, "precondition-failed", "The case has changed",
                    "If-Match takes the case's strong ETag, now " + etag(c.version) + ", not a weak one" + shown);
    case IfMatch::Kind::invalid:
      break;
  }
  bad_request("If-Match", "If-Match must be the case's ETag, a quoted version such as \"3\"" +
                              (shown.empty() ? std::string() : ", got '" + std::string(*header) + "'"));
}

HttpResponse open_case(RouteContext& ctx) {
  no_query(ctx.request);
  const auto body = json_body(ctx.request);
  JsonFields fields(body, "$");
  const std::string kind_name = *fields.text("kind", true);
  const auto urn = fields.integer("school_urn", 1, 99999999, true);
  const auto occurred_on = fields.date("occurred_on");
  const auto data = fields.object("data").value_or(json::object{});
  fields.done();
  const workflow::CaseKind* kind = ctx.app.engine->kinds().find(kind_name);
  if (kind == nullptr) {
    std::string known;
    for (const auto* k : ctx.app.engine->kinds().all()) known += (known.empty() ? "" : ", ") + std::string(k->name());
    bad_request("$.kind", "$.kind: no case kind '" + kind_name + "'; one of " + known);
  }
  if (occurred_on && std::chrono::sys_days(*occurred_on) > std::chrono::sys_days(ctx.app.engine->today())) {
    bad_request("$.occurred_on", "$.occurred_on lies in the future: " + workflow::format_date(*occurred_on));
  }
  if (occurred_on && static_cast<int>(occurred_on->year()) < 2000) {
    bad_request("$.occurred_on", "$.occurred_on must be in 2000 or later: " + workflow::format_date(*occurred_on));
  }
  if (!cases::find_school(*ctx.app.db, static_cast<std::int32_t>(*urn))) {
    throw Problem(422, "unknown-school", "Unknown school",
                  "$.school_urn: no school with URN " + std::to_string(*urn) + " in the register",
                  {{"field", "$.school_urn"}});
  }
  if (const auto problem = cases::referral_link_problem(*ctx.app.engine, ctx.caller.actor, data)) {
    bad_request("$.data." + problem->first, "$.data." + problem->first + ": " + problem->second);
  }
  Case opened;
  try {
    opened = ctx.app.engine->open_case(kind_name, static_cast<std::int32_t>(*urn), data, ctx.caller.actor, occurred_on,
                                       ctx.in_same_transaction());
  } catch (const workflow::EngineError& e) {
    // Schools are public (GIAS): saying one lies outside the caller's scope leaks nothing.
    if (e.code() == workflow::EngineError::Code::out_of_scope) {
      throw Problem(403, "forbidden", "Forbidden",
                    "the school " + std::to_string(*urn) + " lies outside your scope (" + ctx.caller.actor.scope + ")");
    }
    throw;
  }
  ctx.committed = true;
  ctx.app.metrics.count_event(opened.kind, "open");
  HttpResponse response = case_response(ctx, 201, opened);
  response.headers.emplace_back("Location", "/api/v1/cases/" + std::to_string(opened.id));
  return response;
}

// 400 for a filter whose value is none of `values`, naming them.
[[noreturn]] void refuse_filter(std::string_view name, const std::string& what,
                                const std::vector<std::string_view>& values, const std::string& got) {
  std::string listed;
  json::array one_of;
  for (const auto v : values) {
    listed += (listed.empty() ? "" : ", ") + std::string(v);
    one_of.emplace_back(json_text(v));
  }
  bad_request(name, what + " (" + listed + "), got '" + got + "'", std::move(one_of));
}

HttpResponse list_cases(RouteContext& ctx) {
  Query query(ctx.request.query);
  const auto kind = query.text("kind");
  const auto state = query.text("state");
  const auto phase = query.text("phase");
  const auto urn = query.integer("school_urn", 1, 99999999);
  const auto mini_region = query.text("mini_region");
  const auto la = query.integer("la", 1, 9999);
  const auto overdue = query.boolean("overdue");
  const auto text = query.text("text");
  const Page page = read_page(query, ctx.app);
  query.done();
  const auto kinds = ctx.app.engine->kinds().all();
  if (kind && ctx.app.engine->kinds().find(*kind) == nullptr) {
    std::vector<std::string_view> names;
    for (const auto* k : kinds) names.push_back(k->name());
    refuse_filter("kind", "query parameter kind must be a case kind", names, *kind);
  }
  if (state) {
    // The kind's states, or every kind's (each once).
    std::vector<std::string_view> states;
    for (const auto* k : kinds) {
      if (kind && k->name() != *kind) continue;
      for (const auto& s : k->states()) {
        if (std::find(states.begin(), states.end(), s.name) == states.end()) states.push_back(s.name);
      }
    }
    if (std::find(states.begin(), states.end(), *state) == states.end()) {
      refuse_filter(
          "state", kind ? "query parameter state must be a state of " + *kind : "query parameter state must be a state",
          states, *state);
    }
  }
  if (phase && !workflow::phase_from_string(*phase)) {
    std::vector<std::string_view> phases;
    using workflow::Phase;
    for (const Phase p : {Phase::referral, Phase::matching, Phase::deployment, Phase::evaluation, Phase::closed,
                          Phase::declined, Phase::withdrawn}) {
      phases.push_back(workflow::to_string(p));
    }
    refuse_filter("phase", "query parameter phase must be a phase", phases, *phase);
  }
  cases::CaseFilter filter;
  filter.kind = kind;
  filter.state = state;
  filter.phase = phase;
  filter.school_urn = urn;
  filter.mini_region = mini_region;
  filter.la = la;
  filter.overdue = overdue;
  filter.text = text;
  filter.after = page.after;
  filter.limit = page.limit;
  const cases::CasePage found = cases::list_cases(*ctx.app.db, ctx.caller.actor, filter);

  json::array items;
  for (const auto& c : found.items) {
    json::object item{{"id", c.id},
                      {"kind", json_text(c.kind)},
                      {"reference", json_text(c.reference)},
                      {"school_urn", c.school_urn},
                      {"school_name", nullptr},
                      {"state", json_text(c.state)},
                      {"phase", json_text(c.phase)},
                      {"version", c.version},
                      {"opened_on", json_text(c.opened_on)},
                      {"opened_at", json_text(c.opened_at)},
                      {"closed_at", nullptr},
                      {"updated_at", json_text(c.updated_at)},
                      {"overdue", c.overdue}};
    if (c.school_name) item["school_name"] = json_text(*c.school_name);
    if (c.closed_at) item["closed_at"] = json_text(*c.closed_at);
    items.push_back(std::move(item));
  }
  const std::int64_t last = found.items.empty() ? 0 : found.items.back().id;
  return page_response(std::move(items), found.more, last);
}

// The case as its route read it with the caller's token (CaseRead::with_caller).
HttpResponse get_case(RouteContext& ctx) {
  no_query(ctx.request);
  const std::string& key = ctx.param("id");
  const auto& found = ctx.case_view;
  if (!found) not_found("no case " + key);
  ctx.case_kind = ctx.app.engine->kinds().find(found->c.kind);
  return case_response(ctx, 200, found->c, &*found);
}

HttpResponse case_history(RouteContext& ctx) {
  no_query(ctx.request);
  const Case c = visible_case(ctx);
  json::array items;
  for (auto& h : ctx.app.engine->history(c.id)) {
    cases::redact_history_payload(ctx.caller.actor, h.event, h.payload);
    items.push_back(history_json(h));
  }
  return json_response(200, json::object{{"case_id", c.id}, {"reference", json_text(c.reference)}, {"items", items}});
}

HttpResponse case_matches(RouteContext& ctx) {
  Query query(ctx.request.query);
  const auto on = query.date("on");
  query.done();
  const Case c = visible_case(ctx);
  const auto* kind = ctx.app.engine->kinds().find(c.kind);
  if (kind == nullptr) not_found("no case " + c.reference);
  const auto request = cases::match_request_for(*kind, c, on.value_or(ctx.app.engine->today()));
  return json_response(200, match_json(c, cases::match_providers(*ctx.app.db, request)));
}

HttpResponse send_event(RouteContext& ctx) {
  no_query(ctx.request);
  // Looked up first: a case outside the caller's scope is a 404 whatever else is wrong.
  const Case c = visible_case(ctx);
  const auto expected = if_match(ctx.request, c);
  const auto body = json_body(ctx.request);
  JsonFields fields(body, "$");
  const std::string event = *fields.text("event", true);
  const auto occurred_on = fields.date("occurred_on").value_or(ctx.app.engine->today());
  const auto data = fields.object("data").value_or(json::object{});
  fields.done();
  if (std::chrono::sys_days(occurred_on) > std::chrono::sys_days(ctx.app.engine->today())) {
    bad_request("$.occurred_on", "$.occurred_on lies in the future: " + workflow::format_date(occurred_on));
  }
  const Case moved =
      ctx.app.engine->apply(c.id, event, data, ctx.caller.actor, occurred_on, expected, ctx.in_same_transaction());
  ctx.committed = true;
  ctx.app.metrics.count_event(moved.kind, event);
  return case_response(ctx, 200, moved);
}

HttpResponse case_days(RouteContext& ctx) {
  no_query(ctx.request);
  const Case c = visible_case(ctx);
  json::array items;
  double in_force = 0;
  for (const auto& d : cases::deployment_days(*ctx.app.db, c.id)) {
    if (!d.corrected_by) in_force += d.days;
    items.push_back(json::object{
        {"entry", d.entry},
        {"system_leader_id", d.system_leader_id},
        {"day", json_text(d.day)},
        {"days", d.days},
        {"activity", json_text(d.activity)},
        {"funding_source", d.funding_source.empty() ? json::value() : json::value(json_text(d.funding_source))},
        {"corrects", d.corrects ? json::value(*d.corrects) : json::value()},
        {"corrected_by", d.corrected_by ? json::value(*d.corrected_by) : json::value()}});
  }
  return json_response(200, json::object{{"case_id", c.id}, {"days_in_force", in_force}, {"items", items}});
}

HttpResponse case_deployments(RouteContext& ctx) {
  no_query(ctx.request);
  const Case c = visible_case(ctx);
  json::array items;
  for (const auto& d : cases::deployments_of(*ctx.app.db, c.id)) {
    const auto text_or_null = [](const std::string& s) {
      return s.empty() ? json::value() : json::value(json_text(s));
    };
    items.push_back(json::object{{"system_leader_id", d.system_leader_id},
                                 {"status", json_text(d.status)},
                                 {"proposed_on", json_text(d.proposed_on)},
                                 {"accepted_on", text_or_null(d.accepted_on)},
                                 {"ended_on", text_or_null(d.ended_on)},
                                 {"academic_year", text_or_null(d.academic_year)},
                                 {"days_reserved", d.days_reserved},
                                 {"rating", d.rating ? json::value(*d.rating) : json::value()}});
  }
  return json_response(200, json::object{{"case_id", c.id}, {"items", items}});
}

// Every rating the school submitted, oldest first (the last is in force).
HttpResponse case_ratings(RouteContext& ctx) {
  no_query(ctx.request);
  const Case c = visible_case(ctx);
  json::array items;
  for (const auto& h : ctx.app.engine->history(c.id)) {
    if (h.event != "submit_rating") continue;
    json::object item{{"sequence", h.sequence},
                      {"grade", h.payload.contains("grade") ? h.payload.at("grade") : json::value()},
                      {"comment", h.payload.contains("comment") ? h.payload.at("comment") : json::value()},
                      {"rated_on", workflow::format_date(h.occurred_on)},
                      {"by", json_text(h.actor)}};
    items.push_back(std::move(item));
  }
  return json_response(200, json::object{{"case_id", c.id}, {"items", items}});
}

}  // namespace case_routes

HttpResponse committed_answer(RouteContext& ctx, std::int64_t case_id) {
  const auto view = cases::find_visible_case_view(*ctx.app.engine, ctx.caller.actor, std::to_string(case_id));
  if (!view) not_found("no case " + std::to_string(case_id));
  const bool opening = ctx.request.path == "/api/v1/cases";
  HttpResponse response = case_routes::case_response(ctx, opening ? 201 : 200, view->c, &*view);
  if (opening) response.headers.emplace_back("Location", "/api/v1/cases/" + std::to_string(view->c.id));
  return response;
}

}  // namespace s2s::api
