// The need register (docs/need.md): every school in need within the
// person's scope, why, its last inspection and the support it has had, those
// nobody has reached first, with each mini region's reach and a CSV.
#include <boost/json.hpp>

#include <fmt/format.h>

#include <algorithm>

#include "cases/need.h"
#include "web/page.h"
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
                   {"why", row.because},
                   {"inspection", row.last_inspection},
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
                     {"count", reg.rows.size()},
                     {"unreached", unreached},
                     {"any", !reg.rows.empty()},
                     {"rows", rows},
                     {"more", reg.rows.size() > kRowsShown ? fmt::format("The first {} of {} are listed; every one is in the CSV.", kRowsShown, reg.rows.size()) : std::string()},
                     {"reach", reach},
                     {"criteria", criteria}};
  return page(ctx, "need", std::move(model));
}

api::HttpResponse need_csv(PageContext& ctx) {
  refuse_unless_allowed(ctx);
  const auto reg = cases::need_register(*ctx.app.db, ctx.actor, ctx.app.engine->today());
  api::HttpResponse response;
  response.content_type = "text/csv; charset=utf-8";
  response.body = cases::need_register_csv(reg);
  add_security_headers(response);
  std::string year = reg.academic_year;
  std::replace(year.begin(), year.end(), '/', '-');
  response.headers.emplace_back("Content-Disposition", "attachment; filename=\"schools-in-need-" + year + ".csv\"");
  return response;
}

}  // namespace need_page
}  // namespace s2s::web
