#pragma once

#include <cstdint>

#include "cases/gias_import.h"
#include "cases/providers.h"
#include "workflow/database.h"

namespace s2s::testing {

// Two primary schools in different LAs (146330 in Nottinghamshire, 121877 in
// Northamptonshire) and the Peak and Trent alliance led by the first: where
// the tests of who hears of a case start. Returns the alliance's id.
inline std::int64_t two_schools_and_an_alliance(workflow::Database& db) {
  cases::import_gias(db,
                     "URN,EstablishmentName,LA (code),LA (name),PhaseOfEducation (name),EstablishmentStatus (name)\n"
                     "146330,Ladybrook Fields Primary Academy,891,Nottinghamshire,Primary,Open\n"
                     "121877,Kettering Park Infant School,928,Northamptonshire,Primary,Open\n");
  return cases::create_alliance(db, "Peak and Trent", 146330);
}

}  // namespace s2s::testing
