#include "cases/demo.h"

#include <gtest/gtest.h>
#include <soci/soci.h>

#include <map>
#include <set>

#include "cases/kinds.h"
#include "cases/matching.h"
#include "cases/providers.h"
#include "tests/support/test_database.h"
#include "workflow/errors.h"
#include "workflow/date.h"

namespace s2s::cases {
namespace {

class DemoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = test_db_.open_migrated();
    engine_ = std::make_unique<workflow::Engine>(db_, all_kinds());
  }
  long long count(const std::string& query) { return testing::count_rows(*db_, query); }

  testing::TestDatabase test_db_;
  std::shared_ptr<workflow::Database> db_;
  std::unique_ptr<workflow::Engine> engine_;
};

TEST_F(DemoTest, EveryKindHasCasesInEveryPhaseWithDaysRatingsAndOverdueDeadlines) {
  const DemoData demo = load_demo(*engine_);
  EXPECT_EQ(count("SELECT count(*) FROM cases"), demo.cases);
  std::map<std::string, std::set<std::string>> phases;
  {
    auto connection = db_->acquire();
    soci::rowset<soci::row> rows = (connection.session().prepare << "SELECT DISTINCT kind, phase FROM cases");
    for (const auto& row : rows) phases[row.get<std::string>(0)].insert(row.get<std::string>(1));
  }
  for (const auto* kind : all_kinds()->all()) {
    for (const char* phase : {"referral", "matching", "deployment", "evaluation", "closed"}) {
      EXPECT_TRUE(phases[std::string(kind->name())].count(phase)) << kind->name() << " has no case in " << phase;
    }
  }
  EXPECT_GT(count("SELECT count(*) FROM deployment_days"), 10);
  EXPECT_GT(count("SELECT count(*) FROM deployment_days WHERE corrects_entry IS NOT NULL"), 0);
  EXPECT_GE(count("SELECT count(*) FROM deployments WHERE rating IS NOT NULL"), 3);
  EXPECT_GE(demo.overdue_deadlines, 3);
  EXPECT_EQ(count("SELECT count(*) FROM deadlines WHERE status = 'overdue'"), demo.overdue_deadlines);
  EXPECT_EQ(count("SELECT count(*) FROM timers WHERE status = 'pending' AND fire_on <= '" +
                  workflow::format_date(engine_->today()) + "'"),
            0)
      << "every timer the demo's past made due has fired";
  EXPECT_GT(capacity(*db_, demo.deployed_system_leader, academic_year_of(engine_->today())).reserved, 0);
}

TEST_F(DemoTest, MatchingOnTheDemoRanksAndExplains) {
  (void)load_demo(*engine_);
  long long id = 0;
  {
    auto connection = db_->acquire();
    connection.session() << "SELECT min(id) FROM cases WHERE kind = 'support_request' AND state = 'matching'",
        soci::into(id);
  }
  ASSERT_GT(id, 0);
  const auto result = match_providers(*db_, match_request_for(*all_kinds()->find(engine_->get(id).kind), engine_->get(id), engine_->today()));
  EXPECT_FALSE(result.ranked.empty());
  EXPECT_FALSE(result.excluded.empty());
  for (const auto& p : result.ranked) EXPECT_EQ(p.criteria.size(), 6u);
}

TEST_F(DemoTest, IsLoadedOnlyIntoADatabaseWithoutCases) {
  (void)load_demo(*engine_);
  const auto cases = count("SELECT count(*) FROM cases");
  EXPECT_THROW((void)load_demo(*engine_), workflow::Refused);
  EXPECT_EQ(count("SELECT count(*) FROM cases"), cases);
  EXPECT_EQ(count("SELECT count(*) FROM alliances"), 1);
}

}  // namespace
}  // namespace s2s::cases
