#include "api/json_views.h"

#include <boost/json.hpp>

#include <cmath>

#include "workflow/date.h"

namespace s2s::api {
namespace {

namespace json = boost::json;

}  // namespace

json::value number_json(double value) {
  if (std::trunc(value) == value && std::abs(value) < 9e15) return static_cast<std::int64_t>(value);
  return value;
}

json::object case_json(const workflow::Case& c) {
  return json::object{{"id", c.id},
                      {"kind", json_text(c.kind)},
                      {"reference", json_text(c.reference)},
                      {"school_urn", c.school_urn},
                      {"state", json_text(c.state)},
                      {"phase", json_text(workflow::to_string(c.phase))},
                      {"version", c.version},
                      {"overdue", c.overdue},
                      {"opened_on", workflow::format_date(c.opened_on)},
                      {"opened_at", json_text(c.opened_at)},
                      {"closed_at", c.closed_at ? json::value(json_text(*c.closed_at)) : json::value()},
                      {"updated_at", json_text(c.updated_at)},
                      {"data", c.data}};
}

json::object school_json(const cases::School& s) {
  const auto need = cases::in_need_because(s);
  return json::object{{"urn", s.urn},
                      {"name", json_text(s.name)},
                      {"la_code", s.la_code},
                      {"la_name", json_text(s.la_name)},
                      {"mini_region", text_or_null(s.mini_region)},
                      {"phase", json_text(s.phase)},
                      {"status", json_text(s.status)},
                      {"trust_code", text_or_null(s.trust_code)},
                      {"trust_name", text_or_null(s.trust_name)},
                      {"ofsted_grade", s.ofsted_grade ? json::value(*s.ofsted_grade) : json::value()},
                      {"ofsted_date", text_or_null(s.ofsted_date)},
                      {"ssif_eligible", s.ssif_eligible},
                      {"category_5_6", s.category_5_6},
                      {"phase_group", json_text(s.phase_group)},
                      {"in_need", need ? json::value(json_text(*need)) : json::value()}};
}

json::object history_json(const workflow::HistoryEntry& h) {
  return json::object{{"sequence", h.sequence},
                      {"event", json_text(h.event)},
                      {"from_state", h.from_state ? json::value(json_text(*h.from_state)) : json::value()},
                      {"to_state", json_text(h.to_state)},
                      {"actor", json_text(h.actor)},
                      {"occurred_on", workflow::format_date(h.occurred_on)},
                      {"recorded_at", json_text(h.recorded_at)},
                      {"payload", h.payload},
                      {"timer_id", h.timer_id ? json::value(*h.timer_id) : json::value()}};
}

json::object match_json(const workflow::Case& c, const cases::MatchResult& result) {
  json::array ranked;
  for (const auto& p : result.ranked) {
    json::array criteria;
    for (const auto& k : p.criteria) {
      criteria.push_back(json::object{
          {"name", json_text(k.name)}, {"weight", k.weight}, {"points", k.points}, {"reason", json_text(k.reason)}});
    }
    json::array designations;
    for (const auto& d : p.designations) designations.emplace_back(json_text(d));
    ranked.push_back(json::object{{"system_leader_id", p.system_leader_id},
                                  {"name", json_text(p.name)},
                                  {"home_school_urn", p.home_school_urn},
                                  {"home_school_name", json_text(p.home_school_name)},
                                  {"designations", std::move(designations)},
                                  {"deployed_under", json::object{{"designation_id", p.designation_id},
                                                                  {"designation", json_text(p.designation)}}},
                                  {"unreserved_days", p.unreserved_days},
                                  {"score", p.score},
                                  {"criteria", std::move(criteria)}});
  }
  json::array excluded;
  for (const auto& p : result.excluded) {
    json::array reasons;
    for (const auto& r : p.reasons)
      reasons.push_back(json::object{{"code", json_text(r.code)}, {"reason", json_text(r.reason)}});
    excluded.push_back(json::object{
        {"system_leader_id", p.system_leader_id}, {"name", json_text(p.name)}, {"reasons", std::move(reasons)}});
  }
  return json::object{{"case_id", c.id},
                      {"reference", json_text(c.reference)},
                      {"academic_year", json_text(result.academic_year)},
                      {"ranked", std::move(ranked)},
                      {"excluded", std::move(excluded)}};
}

}  // namespace s2s::api
