// The need register (docs/need.md): every school in need within the
// person's scope, why, its last inspection and the support it has had, those
// nobody has reached first, with each mini region's reach and a CSV.
#include <boost/json.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>
#include <tuple>

#include "cases/cold_spots.h"
#include "cases/kpis.h"
#include "cases/need.h"
#include "web/charts.h"
#include "web/forms.h"
#include "web/page.h"
#include "workflow/errors.h"
#include "workflow/engine.h"

namespace s2s::web {
namespace need_page {

namespace json = boost::json;

namespace {

// The rows the page lists; the CSV has every one.
constexpr std::size_t kRowsShown = 500;

void refuse_unless_allowed(const PageContext& ctx) {
  if (!(ctx.is("lead") || ctx.is("la_officer") || ctx.is("strategic") || ctx.is("admin"))) {
    throw PageRefusal{403, "You cannot see the need register",
                      "The schools in need are for school improvement leads, local authority officers and the "
                      "strategic group."};
  }
}

// Words as a table cell starts them: "Urgent improvement in ...".
std::string sentence(std::string text) {
  if (!text.empty()) text[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(text[0])));
  return text;
}

// The support as a GOV.UK tag: red where nobody has reached the school.
json::object support_tag(cases::Support support) {
  switch (support) {
    case cases::Support::none:
      return {{"text", "No support"}, {"class", "govuk-tag--red"}};
    case cases::Support::supported_before:
      return {{"text", "Supported before"}, {"class", "govuk-tag--yellow"}};
    case cases::Support::referred:
      return {{"text", "Referred"}, {"class", "govuk-tag--blue"}};
    case cases::Support::in_progress:
      return {{"text", "In progress"}, {"class", "govuk-tag--turquoise"}};
    case cases::Support::supported_this_year:
      return {{"text", "Supported this year"}, {"class", "govuk-tag--green"}};
  }
  return {{"text", "No support"}, {"class", "govuk-tag--red"}};
}

}  // namespace

api::HttpResponse need_register(PageContext& ctx) {
  refuse_unless_allowed(ctx);
  const auto reg = cases::need_register(*ctx.app.db, ctx.actor, ctx.app.engine->today());
  const bool refers = ctx.is("lead") || ctx.is("la_officer") || ctx.is("admin");
  json::array rows;
  int unreached = 0;
  for (const auto& row : reg.rows) {
    if (row.support == cases::Support::none || row.support == cases::Support::supported_before) ++unreached;
    if (rows.size() >= kRowsShown) continue;
    json::object r{{"urn", std::to_string(row.urn)},
                   {"name", row.name},
                   {"la", row.la_name},
                   {"why", sentence(row.because)},
                   {"inspection", sentence(row.last_inspection)},
                   {"support", support_tag(row.support)},
                   {"case", row.case_reference}};
    if (refers && (row.support == cases::Support::none || row.support == cases::Support::supported_before)) {
      r["refer"] = "/refer?kind=support_request&urn=" + std::to_string(row.urn);
    }
    rows.push_back(std::move(r));
  }
  json::array reach;
  for (const auto& r : reg.reach) {
    reach.push_back(json::object{
        {"region", r.mini_region.empty() ? std::string("No mini region") : r.mini_region},
        {"in_need", r.in_need},
        {"reached", r.reached},
        {"share", r.in_need > 0 ? fmt::format("{}%", (100 * r.reached + r.in_need / 2) / r.in_need) : std::string("-")}});
  }
  json::array criteria;
  for (const auto& c : reg.criteria) criteria.push_back(json::object{{"text", c}});
  json::object model{{"title", "Schools in need"},
                     {"year", reg.academic_year},
                     {"count", fmt::format("{} {} in your area {} in need", reg.rows.size(),
                                           reg.rows.size() == 1 ? "school" : "schools",
                                           reg.rows.size() == 1 ? "is" : "are")},
                     {"unreached", fmt::format("{} of them {} had no support this year", unreached,
                                               unreached == 1 ? "has" : "have")},
                     {"any", !reg.rows.empty()},
                     {"rows", rows},
                     {"more", reg.rows.size() > kRowsShown ? fmt::format("The first {} of {} are listed; every one is in the CSV.", kRowsShown, reg.rows.size()) : std::string()},
                     {"reach", reach},
                     {"criteria", criteria}};
  return page(ctx, "need", std::move(model));
}

namespace {

// The tile map of the cold spots: each LA of the scope coloured by its free
// days for each school in need against the setting (below it: cold; below
// twice it: tight; else enough), its neighbours pale; and the words for the
// scope's LAs that have no square.
std::pair<std::string, std::string> tile_map_of(const cases::ColdSpots& spots) {
  const double d = spots.days_per_school;
  TileMap map{"cold-map", "Free days for each school in need, by local authority", "", {}};
  std::vector<std::string> cold_names;
  int drawn = 0;
  for (const auto& t : spots.tiles) {
    MapTile tile{t.x, t.y, t.la_code, t.short_name, "", "out", t.name + ": outside your area"};
    if (t.area >= 0) {
      const auto& a = spots.las[static_cast<std::size_t>(t.area)];
      ++drawn;
      const double free = a.free_days + a.free_days_near;
      if (a.in_need == 0) {
        tile.band = "none";
        tile.title = fmt::format("{}: no school in need; {} free days near", t.name, cases::figure_text(free));
      } else {
        tile.band = a.cold ? "cold" : a.free_days_per_school < 2 * d ? "tight" : "enough";
        tile.figure = cases::figure_text(a.free_days_per_school);
        tile.title = fmt::format("{}: {} {} in need, {} free days near ({} for each){}", t.name, a.in_need,
                                 a.in_need == 1 ? "school" : "schools", cases::figure_text(free), tile.figure,
                                 a.cold ? ", a cold spot" : "");
        if (a.cold) cold_names.push_back(t.name);
      }
    }
    map.tiles.push_back(std::move(tile));
  }
  if (cold_names.empty()) {
    map.description = fmt::format("None of the {} local authorities drawn is a cold spot.", drawn);
  } else {
    std::string names;
    for (std::size_t i = 0; i < cold_names.size() && i < 6; ++i) names += (i ? ", " : "") + cold_names[i];
    if (cold_names.size() > 6) names += fmt::format(" and {} more", cold_names.size() - 6);
    map.description = fmt::format("{} of the {} local authorities drawn {}: {}.", cold_names.size(), drawn,
                                  cold_names.size() == 1 ? "is a cold spot" : "are cold spots", names);
  }
  std::string off_map;
  for (const int i : spots.off_map) {
    const auto& a = spots.las[static_cast<std::size_t>(i)];
    off_map += fmt::format("{}{} (code {})", off_map.empty() ? "" : ", ", a.name, a.la_code);
  }
  if (!off_map.empty()) off_map = "No square on the map for " + off_map + ": the table below has the figures.";
  return {tile_map(map), off_map};
}

}  // namespace

// Cold spots: each mini region's and LA's schools in need against the free
// days of the system leaders who could serve them, and where to recruit.
api::HttpResponse cold_spots(PageContext& ctx) {
  refuse_unless_allowed(ctx);
  const auto spots = cases::cold_spots(*ctx.app.db, ctx.actor, ctx.app.engine->today(), ctx.options.cold_spot_days);
  const auto area = [](const cases::AreaCapacity& a) {
    // "2 NLE, 1 SLE": the designations its system leaders hold.
    std::string designations;
    for (const auto& [d, n] : a.designations) designations += fmt::format("{}{} {}", designations.empty() ? "" : ", ", n, d);
    return json::object{{"name", a.name},
                        {"code", a.la_code},
                        {"mini_region", a.mini_region},
                        {"in_need", a.in_need},
                        {"leader_count", a.leaders},
                        {"leaders", fmt::format("{} system {}{}", a.leaders, a.leaders == 1 ? "leader" : "leaders",
                                                designations.empty() ? "" : ": " + designations)},
                        {"designations", designations},
                        {"free", cases::figure_text(a.free_days)},
                        {"leaders_near",
                         fmt::format("{} system {}", a.leaders_near, a.leaders_near == 1 ? "leader" : "leaders")},
                        {"free_near", cases::figure_text(a.free_days_near)},
                        {"per_school", a.in_need > 0 ? cases::figure_text(a.free_days_per_school) : std::string("-")},
                        {"cold", a.cold}};
  };
  json::array regions, las;
  int cold = 0;
  for (const auto& r : spots.mini_regions) regions.push_back(area(r));
  for (const auto& l : spots.las) {
    las.push_back(area(l));
    cold += l.cold ? 1 : 0;
  }
  json::array recruit;
  const auto [map, off_map] = tile_map_of(spots);
  std::set<std::string> regions_asked;
  for (const auto& [region, wants] : spots.recruit) regions_asked.insert(region);
  for (const auto& [region, wants] : spots.recruit_phases) regions_asked.insert(region);
  for (const auto& region : regions_asked) {
    json::array items, by_phase;
    if (const auto found = spots.recruit.find(region); found != spots.recruit.end()) {
      for (const auto& d : found->second) {
        items.push_back(json::object{{"focus", d.focus_area}, {"asked", d.asked}, {"offered", d.offered}});
      }
    }
    if (const auto found = spots.recruit_phases.find(region); found != spots.recruit_phases.end()) {
      for (const auto& d : found->second) {
        by_phase.push_back(json::object{{"phase", words(d.focus_area)}, {"asked", d.asked}, {"offered", d.offered}});
      }
    }
    recruit.push_back(json::object{{"region", region.empty() ? std::string("No mini region") : region},
                                   {"any_items", !items.empty()},
                                   {"items", std::move(items)},
                                   {"phases", std::move(by_phase)}});
  }
  json::object model{{"title", "Cold spots"},
                     {"year", spots.academic_year},
                     {"days", cases::figure_text(spots.days_per_school)},
                     {"cold", fmt::format("{} of {} local {} {}", cold, spots.las.size(),
                                          spots.las.size() == 1 ? "authority" : "authorities",
                                          cold == 1 ? "is a cold spot" : "are cold spots")},
                     {"regions", regions},
                     {"las", las},
                     {"any", !las.empty()},
                     {"map", map},
                     {"off_map", off_map},
                     {"days_twice", cases::figure_text(2 * spots.days_per_school)},
                     {"recruit", recruit},
                     {"any_recruit", !recruit.empty()}};
  return page(ctx, "cold_spots", std::move(model));
}

api::HttpResponse need_csv(PageContext& ctx) {
  refuse_unless_allowed(ctx);
  const auto reg = cases::need_register(*ctx.app.db, ctx.actor, ctx.app.engine->today());
  api::HttpResponse response;
  response.content_type = "text/csv; charset=utf-8";
  response.body = cases::need_register_csv(reg);
  add_security_headers(response);
  response.headers.emplace_back("Content-Disposition",
                                "attachment; filename=\"" + cases::need_register_csv_filename(reg) + "\"");
  return response;
}

// The criteria of need (admins): each rule in order with its words, one
// added at a position, one removed; every change in the audit trail.
namespace {

struct CriteriaForm {
  std::string basis, flag, grade_from, grade_to, area, position, because;
  bool category = false;
};

// "1 exceptional" .. "5 urgent improvement"; graded judgements 1 to 4.
json::array grade_options(const std::string& chosen, bool report_card) {
  static constexpr const char* kGraded[] = {"outstanding", "good", "requires improvement", "inadequate"};
  json::array out;
  for (int g = 1; g <= (report_card ? 5 : 4); ++g) {
    const std::string value = std::to_string(g);
    out.push_back(json::object{{"value", value},
                               {"label", value + " " + (report_card ? cases::report_card_grade_name(g) : kGraded[g - 1])},
                               {"selected", chosen == value}});
  }
  return out;
}

api::HttpResponse criteria_page(PageContext& ctx, const CriteriaForm& form, const std::vector<FieldError>& errors,
                                int status) {
  const auto rules = cases::need_rules(*ctx.app.db);
  json::array rows;
  for (const auto& rule : rules) {
    rows.push_back(json::object{{"position", rule.position},
                                {"because", rule.because},
                                {"remove", "/admin/need/" + std::to_string(rule.id) + "/remove"}});
  }
  json::array areas{json::object{{"value", ""}, {"label", "Any area"}, {"selected", form.area.empty()}}};
  {
    auto connection = ctx.app.db->acquire();
    for (const auto& a : cases::inspection_areas(connection)) {
      areas.push_back(json::object{{"value", a.area}, {"label", a.name}, {"selected", form.area == a.area}});
    }
  }
  json::array bases;
  for (const auto& [value, label, hint] :
       {std::tuple{"register", "A flag on the register", "SSIF-eligible, or in a Category 5/6 area"},
        std::tuple{"graded", "The last graded judgement", "when no report card is newer"},
        std::tuple{"report_card", "A grade on the latest report card", "when no graded judgement is newer"},
        std::tuple{"safeguarding", "Safeguarding not met on the latest report card", ""}}) {
    bases.push_back(json::object{{"value", value}, {"label", label}, {"hint", hint}, {"checked", form.basis == value}});
  }
  json::object model{{"title", std::string(errors.empty() ? "" : "Error: ") + "Criteria of need"},
                     {"rows", rows},
                     {"bases", bases},
                     {"flags", json::array{json::object{{"value", "ssif_eligible"}, {"label", "SSIF-eligible"},
                                                        {"checked", form.flag == "ssif_eligible"}},
                                           json::object{{"value", "category_5_6"}, {"label", "In a Category 5/6 area"},
                                                        {"checked", form.flag == "category_5_6"}}}},
                     {"graded_from", grade_options(form.basis == "graded" ? form.grade_from : "", false)},
                     {"graded_to", grade_options(form.basis == "graded" ? form.grade_to : "", false)},
                     {"card_from", grade_options(form.basis == "report_card" ? form.grade_from : "", true)},
                     {"card_to", grade_options(form.basis == "report_card" ? form.grade_to : "", true)},
                     {"areas", areas},
                     {"category", form.category},
                     {"position", form.position.empty() ? std::to_string(rules.size() + 1) : form.position},
                     {"because", form.because},
                     {"errors", error_summary(errors)},
                     {"has_errors", !errors.empty()}};
  for (const auto& e : errors) model[e.field + "_error"] = e.message;
  const std::string done = query_value(ctx.request.query, "done");
  if (errors.empty() && done == "added") model["banner"] = "The criterion is added";
  if (errors.empty() && done == "removed") model["banner"] = "The criterion is removed";
  return page(ctx, "admin_need", std::move(model), status);
}

}  // namespace

api::HttpResponse criteria(PageContext& ctx) {
  admins_only(ctx);
  return criteria_page(ctx, CriteriaForm{}, {}, 200);
}

api::HttpResponse add_criterion(PageContext& ctx) {
  admins_only(ctx);
  CriteriaForm form{ctx.form.text("basis"),    ctx.form.text("flag"),     "", "", ctx.form.text("area"),
                    ctx.form.text("position"), ctx.form.text("because"), ctx.form.text("category") == "yes"};
  // The grade selects of the graded judgement and of the report card share their names' ends.
  const std::string prefix = form.basis == "graded" ? "graded_" : "card_";
  form.grade_from = ctx.form.text(prefix + "from");
  form.grade_to = ctx.form.text(prefix + "to");
  const auto number = [](const std::string& text) -> std::optional<int> {
    int value = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
    return value;
  };
  cases::NeedRule rule;
  rule.basis = form.basis == "safeguarding" ? "report_card" : form.basis;
  rule.safeguarding_not_met = form.basis == "safeguarding";
  if (!form.flag.empty()) rule.flag = form.flag;
  rule.grade_from = number(form.grade_from);
  rule.grade_to = number(form.grade_to);
  if (!form.area.empty()) rule.area = form.area;
  rule.and_category_5_6 = form.category;
  rule.because = form.because;
  const auto position = number(form.position);
  if (!form.position.empty() && !position) {
    return criteria_page(ctx, form, {{"position", "The position must be a whole number, like 3"}}, 400);
  }
  cases::NeedRule added;
  try {
    added = cases::add_need_rule(*ctx.app.db, rule, position);
  } catch (const workflow::InvalidInput& e) {
    std::string message = e.what();
    if (!message.empty()) message[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(message[0])));
    const std::string field = e.field() == "grade_from" || e.field() == "grade_to" ? prefix + e.field().substr(6)
                                                                                     : e.field();
    return criteria_page(ctx, form, {{field.empty() ? "basis" : field, message}}, 422);
  }
  audit(ctx, "need.rule_add", added.because, "criterion " + std::to_string(added.position));
  return redirect(ctx, "/admin/need?done=added");
}

api::HttpResponse remove_criterion(PageContext& ctx) {
  admins_only(ctx);
  const std::string& text = ctx.param("id");
  std::int64_t id = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || ptr != text.data() + text.size()) throw PageRefusal{404, "Page not found", "No such criterion."};
  std::string because;
  for (const auto& rule : cases::need_rules(*ctx.app.db)) {
    if (rule.id == id) because = rule.because;
  }
  try {
    cases::remove_need_rule(*ctx.app.db, id);
  } catch (const workflow::NotFound&) {
    throw PageRefusal{404, "Page not found", "No such criterion."};
  }
  audit(ctx, "need.rule_remove", because);
  return redirect(ctx, "/admin/need?done=removed");
}

}  // namespace need_page
}  // namespace s2s::web
