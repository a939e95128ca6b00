// The national data set the benchmarks measure (bench/national_data.h,
// docs/performance.md), written small: its rows must add up as the engine's
// own would, or the benchmarks would measure something s2s never serves.
#include "bench/national_data.h"

#include <gtest/gtest.h>
#include <soci/soci.h>

#include <set>
#include <sstream>
#include <string>

#include "cases/kinds.h"
#include "cases/kpis.h"
#include "cases/providers.h"
#include "cases/users.h"
#include "tests/support/test_database.h"
#include "workflow/calendar.h"
#include "workflow/date.h"
#include "workflow/engine.h"

namespace s2s::bench {
namespace {

class NationalDataTest : public ::testing::Test {
 protected:
  void SetUp() override { db_ = test_db_.open_migrated(); }
  long long count(const std::string& query) { return testing::count_rows(*db_, query); }

  testing::TestDatabase test_db_;
  std::shared_ptr<workflow::Database> db_;
};

TEST_F(NationalDataTest, ASmallEnglandAddsUpAsTheEngineWouldHaveWrittenItAndIsWrittenOnce) {
  std::ostringstream log;
  const auto shape = NationalShape::england(0.01);
  const NationalData data = national_data(*db_, shape, log);
  EXPECT_EQ(data.cases, long{shape.cases_per_year} * shape.years);
  EXPECT_EQ(count("SELECT count(*) FROM cases"), data.cases);
  EXPECT_NEAR(static_cast<double>(data.day_rows), static_cast<double>(shape.day_entries), 1.0);
  EXPECT_GT(data.history_rows, 5 * data.cases);
  EXPECT_EQ(count("SELECT count(*) FROM schools"), shape.schools);
  EXPECT_EQ(count("SELECT count(DISTINCT kind) FROM cases"), 4);
  // The four kinds in their phases (of the 22 the kinds have, a few rare ones may miss at this size).
  EXPECT_GE(count("SELECT count(*) FROM (SELECT DISTINCT kind, phase FROM cases) k"), 20);

  // Each case's version is its last history sequence, its history numbered 1, 2, ... without a gap.
  EXPECT_EQ(count("SELECT count(*) FROM cases c WHERE c.version <> (SELECT count(*) FROM case_history h"
                  " WHERE h.case_id = c.id) OR c.version <> (SELECT max(h.sequence) FROM case_history h"
                  " WHERE h.case_id = c.id)"),
            0);
  // The day totals are the days in force (no later entry corrects them).
  EXPECT_EQ(count("SELECT count(*) FROM (SELECT case_id, system_leader_id, sum(half_days) AS h"
                  " FROM deployment_day_totals GROUP BY case_id, system_leader_id) t"
                  " WHERE t.h <> (SELECT COALESCE(sum(d.half_days), 0) FROM deployment_days d"
                  " WHERE d.case_id = t.case_id AND d.system_leader_id = t.system_leader_id AND NOT EXISTS"
                  " (SELECT 1 FROM deployment_days x WHERE x.case_id = d.case_id AND x.corrects_entry = d.entry))"),
            0);
  // Each deployment's last day is its leader's last day of support in force, as log_day keeps it.
  EXPECT_EQ(count("SELECT count(*) FROM deployments p WHERE p.last_day IS DISTINCT FROM (SELECT MAX(d.day)"
                  " FROM deployment_days d WHERE d.case_id = p.case_id AND d.system_leader_id = p.system_leader_id"
                  " AND d.half_days > 0 AND NOT EXISTS (SELECT 1 FROM deployment_days x WHERE x.case_id = d.case_id"
                  " AND x.corrects_entry = d.entry))"),
            0);
  EXPECT_GT(count("SELECT count(*) FROM deployments WHERE last_day IS NOT NULL"), 0);
  // Capacity holds what the deployments of its year reserved, and offers no less.
  EXPECT_EQ(count("SELECT count(*) FROM capacity y WHERE y.half_days_reserved > y.half_days_offered"
                  " OR y.half_days_reserved <> (SELECT COALESCE(sum(p.half_days_reserved), 0) FROM deployments p"
                  " WHERE p.system_leader_id = y.system_leader_id AND p.academic_year = y.academic_year)"),
            0);
  EXPECT_EQ(count("SELECT count(*) FROM (SELECT reference FROM cases GROUP BY reference HAVING count(*) > 1) r"), 0);
  // No day is worked in the future, and the history runs in date order.
  EXPECT_EQ(count("SELECT count(*) FROM deployment_days WHERE day > '" +
                  workflow::format_date(workflow::london_date(std::chrono::system_clock::now())) + "'"),
            0);
  EXPECT_EQ(count("SELECT count(*) FROM case_history h JOIN case_history n ON n.case_id = h.case_id"
                  " AND n.sequence = h.sequence + 1 WHERE n.occurred_on < h.occurred_on"),
            0);
  // A case closed, declined or withdrawn has no timer waiting.
  EXPECT_EQ(count("SELECT count(*) FROM timers t JOIN cases c ON c.id = t.case_id"
                  " WHERE t.status = 'pending' AND c.phase IN ('closed', 'declined', 'withdrawn')"),
            0);

  // The history names the lead, the LA officers and the system leaders as the
  // engine names users, each of them a user with that email; "the school"
  // and "system" stay words.
  std::set<std::string> actors;
  {
    auto connection = db_->acquire();
    soci::rowset<std::string> rows =
        (connection.session().prepare << "SELECT DISTINCT actor FROM case_history WHERE actor LIKE 'user:%'");
    for (const auto& actor : rows) actors.insert(actor);
  }
  EXPECT_GT(actors.size(), 10u);
  const auto named = cases::users_of_actors(*db_, actors);
  EXPECT_EQ(named.size(), actors.size());
  for (const auto& [actor, user] : named) EXPECT_TRUE(actor.ends_with(" " + user.email)) << actor;
  std::set<std::string> roles;
  for (const auto& [actor, user] : named) roles.insert(user.role);
  EXPECT_EQ(roles, (std::set<std::string>{"la_officer", "lead", "system_leader"}));
  EXPECT_EQ(count("SELECT count(*) FROM case_history WHERE actor LIKE '%(lead, Derbyshire)' OR actor LIKE"
                  " '%(system leader)' OR actor LIKE '%(LA officer)'"),
            0);

  // The engine reads the cases as its own, and a new case takes the next reference.
  workflow::Engine engine(db_, cases::all_kinds());
  ASSERT_FALSE(data.sample_case_ids.empty());
  for (const auto id : data.sample_case_ids) {
    const auto c = engine.get(id);
    EXPECT_EQ(static_cast<int>(engine.history(id).size()), c.version) << c.reference;
  }
  const auto opened = engine.open_case("support_request", 100001, {{"source", "self"}, {"summary", "new"}}, "test");
  EXPECT_EQ(count("SELECT count(*) FROM cases WHERE reference = '" + opened.reference + "'"), 1);

  // The KPI report counts it: England's days and the busiest mini region's.
  cases::KpiScope england;
  england.academic_year = cases::academic_year_of(engine.today());
  const auto report = cases::kpi_report(*db_, workflow::england_and_wales(), england, engine.today());
  double days = 0;
  for (const auto& m : report.months) days += m.days;
  EXPECT_GT(days, 0) << "no days counted this year";
  int open = 0;
  for (const auto& [phase, n] : report.open_by_phase) open += n;
  EXPECT_GT(open, 0) << "no open cases";
  ASSERT_FALSE(data.mini_regions.empty());
  EXPECT_GT(data.busiest_alliance, 0);

  // Asked again, it finds the data set and writes nothing.
  const NationalData again = national_data(*db_, shape, log);
  EXPECT_EQ(again.seconds, 0);
  EXPECT_EQ(again.cases, data.cases + 1);  // with the case opened since
  // Another shape on a database holding cases is refused, naming the problem.
  try {
    (void)national_data(*db_, NationalShape::england(0.02), log);
    ADD_FAILURE() << "a database holding other cases was written to";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("give an empty one"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace s2s::bench
