// The engine on its own, with a small test kind (tests/support/errand_kind.h)
// instead of the four real ones, on SQLite and PostgreSQL: opening and
// events, a guard's refusal, an undeclared message, an effect and its
// refusal, a deadline and its timer. What the engine promises any kind.
#include <gtest/gtest.h>
#include <soci/soci.h>

#include <atomic>

#include "tests/support/errand_kind.h"
#include "tests/support/test_clock.h"
#include "tests/support/test_database.h"
#include "workflow/date.h"
#include "workflow/engine.h"
#include "workflow/errors.h"
#include "workflow/timer_service.h"

namespace s2s::workflow {
namespace {

using namespace std::chrono;

year_month_day d(const char* text) { return *parse_date(text); }

class EngineCoreTest : public ::testing::Test {
 protected:
  // Monday 2 November 2026, 09:00 in London.
  EngineCoreTest() : clock_(sys_days(d("2026-11-02")) + hours(9)) {}

  void SetUp() override {
    db_ = test_db_.open_migrated();
    kinds_ = testing::errand_registry([this](Database::Connection& connection, const CaseSnapshot& c,
                                             const boost::json::object&) {
      ++effects_;
      // The effect writes in the event's own transaction.
      const long long id = c.id;
      connection.session() << "UPDATE cases SET school_urn = school_urn WHERE id = :id", soci::use(id);
      if (refuse_effect_) throw EngineError(EngineError::Code::guard_failed, "the effect refuses", {}, "no");
    });
    engine_ = std::make_unique<Engine>(db_, kinds_, EngineOptions{{}, clock_.function(), 5});
  }

  long long count(const std::string& query) { return testing::count_rows(*db_, query); }

  testing::TestClock clock_;
  testing::TestDatabase test_db_;
  std::shared_ptr<Database> db_;
  std::shared_ptr<KindRegistry> kinds_;
  std::unique_ptr<Engine> engine_;
  std::atomic<int> effects_{0};
  bool refuse_effect_ = false;
};

TEST_F(EngineCoreTest, AnyKindOpensMovesAndRecordsEachEventWithItsDeadlinesAndMessages) {
  const Case c = engine_->open_case("errand", 100001, {{"what", "post a letter"}}, "lead:amy");
  EXPECT_EQ(c.reference, "ER-2026-0001");
  EXPECT_EQ(c.state, "open");
  EXPECT_EQ(c.version, 1);
  EXPECT_EQ(count("SELECT count(*) FROM outbox WHERE message = 'received'"), 1);

  const Case started = engine_->apply(c.id, "start", {}, "lead:amy", d("2026-11-02"));
  EXPECT_EQ(started.state, "doing");
  EXPECT_EQ(started.phase, Phase::deployment);
  EXPECT_EQ(started.version, 2);
  const auto deadlines = engine_->deadlines(c.id);
  ASSERT_EQ(deadlines.size(), 1u);
  EXPECT_EQ(deadlines[0].purpose, "errand.finish");
  EXPECT_EQ(deadlines[0].due_on, d("2026-11-09"));  // 5 working days after Monday 2 November
  EXPECT_EQ(count("SELECT count(*) FROM outbox WHERE message = 'started'"), 1);

  clock_.set(sys_days(d("2026-11-04")) + hours(9));
  const Case finished = engine_->apply(c.id, "finish", {{"ok", true}}, "lead:amy", d("2026-11-04"));
  EXPECT_EQ(finished.state, "done");
  EXPECT_TRUE(finished.closed_at.has_value());
  EXPECT_EQ(engine_->deadlines(c.id).at(0).status, "met");
  const auto history = engine_->history(c.id);
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(history[2].event, "finish");
  EXPECT_EQ(history[2].from_state, std::optional<std::string>("doing"));
}

TEST_F(EngineCoreTest, AGuardsRefusalGivesItsReasonAndChangesNothing) {
  const Case c = engine_->open_case("errand", 100001, {{"what", "x"}}, "lead:amy");
  (void)engine_->apply(c.id, "start", {}, "lead:amy", d("2026-11-02"));
  try {
    (void)engine_->apply(c.id, "finish", {{"ok", false}}, "lead:amy", d("2026-11-02"));
    FAIL() << "the guard let it through";
  } catch (const EngineError& e) {
    EXPECT_EQ(e.code(), EngineError::Code::guard_failed);
    EXPECT_EQ(e.reason(), "it is not ok");
    EXPECT_EQ(e.category(), ErrorCategory::refused);
  }
  EXPECT_EQ(engine_->get(c.id).version, 2);
  EXPECT_EQ(engine_->history(c.id).size(), 2u);
}

// A kind that queues a message it never declared (no one would hear it)
// fails loudly, and its event leaves nothing behind.
TEST_F(EngineCoreTest, AMessageTheKindNeverDeclaredIsRefusedAndTheEventLeavesNothing) {
  const Case c = engine_->open_case("errand", 100001, {{"what", "x"}}, "lead:amy");
  (void)engine_->apply(c.id, "start", {}, "lead:amy", d("2026-11-02"));
  const auto messages = count("SELECT count(*) FROM outbox");
  try {
    (void)engine_->apply(c.id, "shout", {}, "lead:amy", d("2026-11-02"));
    FAIL() << "an undeclared message was queued";
  } catch (const std::logic_error& e) {
    EXPECT_NE(std::string(e.what()).find("queues message never_declared without declaring who hears it"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(count("SELECT count(*) FROM outbox"), messages);
  EXPECT_EQ(engine_->get(c.id).version, 2);
  EXPECT_FALSE(engine_->get(c.id).data.contains("shouted"));
}

TEST_F(EngineCoreTest, AnEffectRunsInTheEventsTransactionAndItsRefusalUndoesTheEvent) {
  const Case c = engine_->open_case("errand", 100001, {{"what", "x"}}, "lead:amy");
  (void)engine_->apply(c.id, "start", {}, "lead:amy", d("2026-11-02"));
  const Case poked = engine_->apply(c.id, "poke", {}, "lead:amy", d("2026-11-02"));
  EXPECT_EQ(effects_, 1);
  EXPECT_TRUE(poked.data.contains("poked"));
  refuse_effect_ = true;
  const Case second = engine_->open_case("errand", 100001, {{"what", "y"}}, "lead:amy");
  (void)engine_->apply(second.id, "start", {}, "lead:amy", d("2026-11-02"));
  EXPECT_THROW((void)engine_->apply(second.id, "poke", {}, "lead:amy", d("2026-11-02")), EngineError);
  EXPECT_EQ(effects_, 2);
  EXPECT_EQ(engine_->get(second.id).version, 2);
  EXPECT_FALSE(engine_->get(second.id).data.contains("poked"));
}

TEST_F(EngineCoreTest, ADeadlinesTimerFiresOnceTheDayAfterItIsDueAndEscalates) {
  const Case c = engine_->open_case("errand", 100001, {{"what", "x"}}, "lead:amy");
  (void)engine_->apply(c.id, "start", {}, "lead:amy", d("2026-11-02"));
  TimerService timers(*engine_, {.owner = "t"});
  clock_.set(sys_days(d("2026-11-09")) + hours(12));  // the due day: a reminder went two working days before
  (void)timers.run_until_idle();
  EXPECT_EQ(engine_->deadlines(c.id).at(0).status, "open");
  clock_.set(sys_days(d("2026-11-10")) + hours(12));
  (void)timers.run_until_idle();
  EXPECT_EQ(engine_->deadlines(c.id).at(0).status, "overdue");
  EXPECT_EQ(count("SELECT count(*) FROM outbox WHERE message = 'deadline_passed'"), 1);
  EXPECT_EQ(timers.run_until_idle().fired, 0u) << "a timer fires once";
  EXPECT_EQ(count("SELECT count(*) FROM outbox WHERE message = 'deadline_passed'"), 1);
}

TEST_F(EngineCoreTest, ARoleTheKindDoesNotNameMayNotOpenOrSendAndTheSystemMay) {
  const Actor officer("user:1 o", "la_officer", "la:830");
  try {
    (void)engine_->open_case("errand", 100001, {{"what", "x"}}, officer);
    FAIL() << "an LA officer opened an errand";
  } catch (const EngineError& e) {
    EXPECT_EQ(e.code(), EngineError::Code::not_permitted);
    EXPECT_EQ(e.category(), ErrorCategory::forbidden);
  }
  const Case c = engine_->open_case("errand", 100001, {{"what", "x"}}, "s2s");
  const Actor school("user:2 s", "school", "school:100001");
  EXPECT_THROW((void)engine_->apply(c.id, "start", {}, school, d("2026-11-02")), EngineError);
  EXPECT_EQ(engine_->apply(c.id, "drop", {}, school, d("2026-11-02")).state, "dropped");
}

}  // namespace
}  // namespace s2s::workflow
