// The audit trail on SQLite and PostgreSQL: case events (from each case's
// history) and recorded actions together, newest first, narrowed by who,
// by kind and by time, a page at a time.
#include "workflow/audit.h"

#include <gtest/gtest.h>

#include "tests/support/errand_kind.h"
#include "tests/support/test_clock.h"
#include "tests/support/test_database.h"
#include "workflow/date.h"
#include "workflow/engine.h"
#include "workflow/timestamp.h"

namespace s2s::workflow {
namespace {

using namespace std::chrono;

class AuditTest : public ::testing::Test {
 protected:
  AuditTest() : clock_(sys_days(*parse_date("2026-11-02")) + hours(9)) {}

  void SetUp() override {
    db_ = test_db_.open_migrated();
    engine_ = std::make_unique<Engine>(db_, testing::errand_registry({}), EngineOptions{{}, clock_.function(), 5});
  }

  testing::TestClock clock_;
  testing::TestDatabase test_db_;
  std::shared_ptr<Database> db_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(AuditTest, CaseEventsAndActionsComeTogetherNewestFirstAndNarrowByWhoKindAndTime) {
  const auto c = engine_->open_case("errand", 100001, {{"what", "post a letter"}}, "user:1 amy@example.org");
  clock_.set(clock_.now() + minutes(1));
  record_audit(*db_, {"user:2 bo@example.org", "user.revoke", "Cy (cy@example.org)", ""}, clock_.now());
  clock_.set(clock_.now() + minutes(1));
  engine_->apply(c.id, "start", {}, "user:1 amy@example.org", *parse_date("2026-11-02"));
  clock_.set(clock_.now() + minutes(1));
  record_audit(*db_, {"admin:cli root", "closure.add", "2026-12-24", "INSET; 0 deadlines moved"}, clock_.now());

  auto all = audit_trail(*db_, {});
  ASSERT_EQ(all.rows.size(), 4u);
  EXPECT_FALSE(all.more);
  EXPECT_EQ(all.rows[0].what, "closure.add");
  EXPECT_FALSE(all.rows[0].case_event);
  EXPECT_EQ(all.rows[0].detail, "INSET; 0 deadlines moved");
  EXPECT_EQ(all.rows[1].what, "start");
  EXPECT_TRUE(all.rows[1].case_event);
  EXPECT_EQ(all.rows[1].subject, c.reference);
  EXPECT_EQ(all.rows[1].from_state, "open");
  EXPECT_EQ(all.rows[2].what, "user.revoke");
  EXPECT_EQ(all.rows[2].actor, "user:2 bo@example.org");
  EXPECT_EQ(all.rows[3].from_state, "");  // the event that opened the case
  EXPECT_EQ(all.rows[0].recorded_at, format_timestamp(clock_.now()));

  AuditQuery amy;
  amy.who = "AMY@";
  const auto by_amy = audit_trail(*db_, amy);
  ASSERT_EQ(by_amy.rows.size(), 2u);
  EXPECT_TRUE(by_amy.rows[0].case_event && by_amy.rows[1].case_event);
  // A pattern's own wildcards are taken as text.
  AuditQuery wild;
  wild.who = "%";
  EXPECT_TRUE(audit_trail(*db_, wild).rows.empty());

  AuditQuery admin;
  admin.kind = AuditQuery::Kind::administration;
  EXPECT_EQ(audit_trail(*db_, admin).rows.size(), 2u);
  AuditQuery events;
  events.kind = AuditQuery::Kind::case_events;
  EXPECT_EQ(audit_trail(*db_, events).rows.size(), 2u);

  AuditQuery recent;
  recent.since = format_timestamp(clock_.now() - minutes(1));
  EXPECT_EQ(audit_trail(*db_, recent).rows.size(), 2u);

  // A page at a time: newest first, nothing lost or repeated across pages.
  AuditQuery first;
  first.limit = 3;
  const auto one = audit_trail(*db_, first);
  ASSERT_EQ(one.rows.size(), 3u);
  EXPECT_TRUE(one.more);
  AuditQuery second = first;
  second.offset = 3;
  const auto two = audit_trail(*db_, second);
  ASSERT_EQ(two.rows.size(), 1u);
  EXPECT_FALSE(two.more);
  EXPECT_EQ(two.rows[0].what, all.rows[3].what);
  EXPECT_EQ(two.rows[0].recorded_at, all.rows[3].recorded_at);
}

}  // namespace
}  // namespace s2s::workflow
