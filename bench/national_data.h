#pragma once

// The national data set: England at the size docs/performance.md plans for,
// written straight into a migrated, empty database (either backend) for the
// benchmarks. Its cases are copies of the demo's (cases/demo.cpp), which the
// real engine walks through every state of all four kinds, so every row has
// the shape the product writes: history, deadlines, timers, deployments,
// logged days, ratings, day totals and capacity that add up.

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "workflow/database.h"

namespace s2s::bench {

struct NationalShape {
  int schools = 22000;
  int local_authorities = 154;
  int alliances = 700;
  int system_leaders = 8000;
  int cases_per_year = 50000;
  int years = 5;               // academic years kept, this one included
  long day_entries = 1000000;  // logged days across all years

  // England times `scale` (0.01: a test-sized England), every count at least 1.
  [[nodiscard]] static NationalShape england(double scale);
  // What the data set records of itself, to tell a database already holding it.
  [[nodiscard]] std::string describe() const;
};

struct NationalData {
  NationalShape shape;
  long cases = 0;
  long history_rows = 0;
  long day_rows = 0;
  long deadlines = 0;
  long timers = 0;
  std::vector<std::string> mini_regions;  // busiest first
  std::int64_t busiest_alliance = 0;      // the alliance whose schools have the most cases
  std::vector<std::int64_t> sample_case_ids;  // spread over every kind, state and year
  double seconds = 0;                     // to write it (0 when it was there already)
};

// Writes the data set into `db` (migrated, with no cases), or finds it there
// already (same shape, written by an earlier run) and reads back its figures.
// Progress lines go to `log`. Throws std::runtime_error on a database holding
// other cases.
NationalData national_data(workflow::Database& db, const NationalShape& shape, std::ostream& log);

}  // namespace s2s::bench
