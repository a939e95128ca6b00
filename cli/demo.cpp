#include "cli/command_list.h"

#include <fmt/format.h>

#include <iostream>
#include <string>
#include <tuple>

#include "cases/demo.h"
#include "cases/users.h"
#include "workflow/database.h"
#include "workflow/engine.h"

namespace s2s::cli {
namespace demo_commands {

int run_demo_load(const Settings& settings) {
  auto db = open_migrated(settings);
  auto engine = make_engine(settings, db);
  const auto demo = cases::load_demo(*engine);
  std::cout << "demo loaded: the Peak and Trent Teaching School Alliance (alliance " << demo.alliance_id << "), "
            << demo.system_leaders.size() << " system leaders, " << demo.cases << " cases, " << demo.overdue_deadlines
            << " overdue deadlines\n\n"
            << "demo users and their bearer tokens, shown only now:\n";
  const std::string leader = std::to_string(demo.deployed_system_leader);
  const std::tuple<const char*, const char*, const char*, std::string> people[] = {
      {"Alex Admin", "admin@demo.example.org", "admin", ""},
      {"Amy Cole", "lead@demo.example.org", "lead", "alliance:" + std::to_string(demo.alliance_id)},
      {"Imran Shah", "system-leader@demo.example.org", "system_leader", "system_leader:" + leader},
      {"Sam Hughes", "school@demo.example.org", "school", "school:" + std::to_string(demo.deployed_school_urn)},
      {"Raj Patel", "la@demo.example.org", "la_officer", "la:830"},
  };
  for (const auto& [name, email, role, scope] : people) {
    const auto created = cases::add_user(*db, name, email, role, scope);
    std::cout << fmt::format("  {:<14} {:<32} {}\n", role, scope.empty() ? email : scope, created.token);
  }
  return 0;
}

}  // namespace demo_commands

}  // namespace s2s::cli
