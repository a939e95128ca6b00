#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "workflow/engine.h"

// The demo data set: an East Midlands alliance on the sample GIAS schools,
// made-up system leaders, and cases of all four kinds in every phase with
// logged days, ratings and some overdue deadlines, so that a newcomer sees a
// living system. Dates are set back from today on the working-day calendar.
namespace s2s::cases {

struct DemoData {
  std::int64_t alliance_id = 0;
  std::vector<std::pair<std::string, std::int64_t>> system_leaders;  // name, id
  int cases = 0;
  int overdue_deadlines = 0;
  std::int32_t deployed_school_urn = 0;     // a school with a support request in deployment
  std::int64_t deployed_system_leader = 0;  // the system leader deployed there
};

// Who does what in the demo, as its history names them (the system leaders
// by name and "(system leader)").
inline constexpr const char* kDemoLead = "Amy Cole (lead, Derbyshire)";
inline constexpr const char* kDemoLaOfficer = "Raj Patel (LA officer)";

// Loads the demo into a migrated database that has no cases yet; throws
// workflow::Refused (nothing loaded) when it has some. Not one transaction: a
// failure part way leaves what was loaded, and a new database is the cure.
DemoData load_demo(workflow::Engine& engine);

}  // namespace s2s::cases
