// A school's page (docs/web.md): its register details, whether and why it
// counts as in need, and every case it has had that the person may see, with
// the deployments and ratings on each.
#include <boost/json.hpp>

#include <charconv>

#include "cases/case_list.h"
#include "cases/deployments.h"
#include "cases/need.h"
#include "cases/providers.h"
#include "cases/schools.h"
#include "web/page.h"
#include "workflow/engine.h"
#include "workflow/text.h"

namespace s2s::web {
namespace school_page {

namespace json = boost::json;

api::HttpResponse school_page(PageContext& ctx) {
  const std::string& urn_text = ctx.param("urn");
  std::int32_t urn = 0;
  const auto [ptr, ec] = std::from_chars(urn_text.data(), urn_text.data() + urn_text.size(), urn);
  if (ec != std::errc() || ptr != urn_text.data() + urn_text.size()) {
    throw PageRefusal{404, "Page not found", "There is no school with that URN."};
  }
  // The register is public (GIAS): any signed-in person may read it; the
  // cases listed are those within their scope.
  const auto school = cases::find_school(*ctx.app.db, urn);
  if (!school) throw PageRefusal{404, "Page not found", "There is no school with URN " + urn_text + "."};
  json::object model{{"title", school->name}, {"name", school->name}, {"urn", urn_text}};
  json::array details{
      json::object{{"key", "URN"}, {"value", urn_text}},
      json::object{{"key", "Phase"}, {"value", school->phase}},
      json::object{{"key", "Type"}, {"value", school->type}},
      json::object{{"key", "Status"}, {"value", school->status}},
      json::object{{"key", "Local authority"},
                   {"value", school->la_name + " (" + std::to_string(school->la_code) + ")" +
                                 (school->mini_region.empty() ? "" : ", mini region " + school->mini_region)}},
      json::object{{"key", "Trust"},
                   {"value", school->trust_name.empty() ? std::string("None") : school->trust_name}},
      json::object{{"key", "Ofsted"},
                   {"value", school->ofsted_grade ? std::to_string(*school->ofsted_grade) +
                                                        (school->ofsted_date.empty() ? "" : " on " + long_date(school->ofsted_date))
                                                  : std::string("Not known")}},
  };
  if (const auto card = cases::latest_report_card(*ctx.app.db, urn)) {
    std::string text = "Report card, " + long_date(card->inspected_on);
    if (card->safeguarding_met) text += std::string(": safeguarding ") + (*card->safeguarding_met ? "met" : "not met");
    for (const auto& g : card->grades) text += "; " + g.name + ": " + cases::report_card_grade_name(g.grade);
    details.push_back(json::object{{"key", "Latest report card"}, {"value", text}});
  }
  model["details"] = details;
  const auto need = cases::in_need_because(*school);
  model["in_need"] = need.has_value();
  model["need_reason"] = need.value_or("");

  cases::CaseFilter filter;
  filter.school_urn = urn;
  filter.limit = 200;
  json::array rows;
  for (const auto& c : cases::list_cases(*ctx.app.db, ctx.actor, filter).items) {
    std::string supporters;
    std::string ratings;
    for (const auto& d : cases::deployments_of(*ctx.app.db, c.id)) {
      if (d.status != "active" && d.status != "ended") continue;
      const auto leader = cases::find_system_leader(*ctx.app.db, d.system_leader_id);
      supporters += (supporters.empty() ? "" : ", ") + (leader ? leader->name : std::string("a system leader"));
      if (d.rating) ratings += (ratings.empty() ? "" : ", ") + std::to_string(*d.rating) + " of 4";
    }
    rows.push_back(json::object{{"reference", c.reference},
                                {"href", "/cases/" + c.reference},
                                {"kind", words(c.kind)},
                                {"phase", words(c.phase)},
                                {"opened_on", long_date(c.opened_on)},
                                {"supporters", supporters},
                                {"rating", ratings}});
  }
  model["cases"] = rows;
  model["has_cases"] = !rows.empty();
  return page(ctx, "school", std::move(model));
}

}  // namespace school_page

}  // namespace s2s::web
