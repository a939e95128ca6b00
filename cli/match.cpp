#include "cli/command_list.h"

#include <fmt/format.h>

#include <iostream>
#include <string>

#include "cases/matching.h"
#include "cases/providers.h"
#include "workflow/database.h"
#include "workflow/engine.h"

namespace s2s::cli {
namespace match_commands {

int run_match(const Settings& settings) {
  auto db = open_migrated(settings);
  auto engine = make_engine(settings, db);
  const std::string key = settings.require("case");
  const auto found = engine->lookup(key);
  if (!found) {
    const bool id = key.find_first_not_of("0123456789") == std::string::npos;
    throw workflow::NotFound("no case with " + std::string(id ? "id " : "reference ") + key);
  }
  const auto on = settings.get("on") ? parse_date_argument(*settings.get("on"), "--on") : engine->today();
  const auto request = cases::match_request_for(*engine->kinds().find(found->kind), *found, on);
  const auto result = cases::match_providers(*db, request);
  std::cout << found->reference << " (" << found->kind << ", school " << found->school_urn << ", " << found->state
            << "): " << fmt::format("{:g}", request.days) << " days needed in " << result.academic_year;
  if (!request.focus_areas.empty()) {
    std::string focus;
    for (const auto& area : request.focus_areas) focus += (focus.empty() ? "" : ", ") + area;
    std::cout << ", focus " << focus;
  }
  std::cout << "\n\nranked (" << result.ranked.size() << "):\n";
  int rank = 0;
  for (const auto& p : result.ranked) {
    std::string designations;
    for (const auto& d : p.designations) designations += (designations.empty() ? "" : "; ") + d;
    std::cout << fmt::format("{:3}. {:5.1f}  {} (system leader {}), {} [{}]\n", ++rank, p.score, p.name,
                             p.system_leader_id, p.home_school_name, designations);
    for (const auto& c : p.criteria) {
      std::cout << fmt::format("            {:<10} {:4.1f}/{:<3g} {}\n", c.name, c.points, c.weight, c.reason);
    }
  }
  std::cout << "\nexcluded (" << result.excluded.size() << "):\n";
  for (const auto& p : result.excluded) {
    std::string reasons;
    for (const auto& r : p.reasons) reasons += (reasons.empty() ? "" : "; ") + r.code + ": " + r.reason;
    std::cout << "  " << p.name << " (system leader " << p.system_leader_id << "): " << reasons << '\n';
  }
  return 0;
}

}  // namespace match_commands

}  // namespace s2s::cli
