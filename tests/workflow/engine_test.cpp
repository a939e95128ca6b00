#include "workflow/engine.h"

#include <gtest/gtest.h>
#include <soci/soci.h>
#include <boost/json.hpp>

#include <atomic>
#include <fstream>
#include <iterator>
#include <thread>

#include "workflow/errors.h"

#include "cases/gias_import.h"
#include "cases/kinds.h"
#include "cases/providers.h"
#include "tests/support/test_clock.h"
#include "tests/support/test_database.h"
#include "workflow/case_store.h"
#include "workflow/date.h"
#include "workflow/timer_service.h"

namespace s2s::workflow {
namespace {

using namespace std::chrono;
using boost::json::object;
using testing::TestClock;
using testing::TestDatabase;

year_month_day d(const char* text) { return *parse_date(text); }

const object kReferral{{"source", "self"}, {"summary", "Maths leadership support"}};
const object kAccept{{"priority", "high"},
                     {"focus_areas", boost::json::array{"maths"}},
                     {"requested_days", 6},
                     {"funding_source", "SSIF"}};

class EngineTest : public ::testing::Test {
 protected:
  // Monday 2 November 2026, 09:00 in London.
  EngineTest() : clock_(sys_days(d("2026-11-02")) + hours(9)) {}

  void SetUp() override {
    db_ = test_db_.open_migrated({.pool_size = 12});
    engine_ = std::make_unique<Engine>(db_, cases::all_kinds(), EngineOptions{{}, clock_.function(), 5});
    // A system leader with 20 days to offer this academic year.
    std::ifstream sample(std::string(S2S_TEST_DATA_DIR) + "/gias_sample.csv", std::ios::binary);
    cases::import_gias(*db_, std::string(std::istreambuf_iterator<char>(sample), std::istreambuf_iterator<char>()));
    leader_ = cases::create_system_leader(*db_, "Sam Leader", "sam@example.org", 144871, std::nullopt);
    cases::add_designation(*db_, leader_, "SLE", "maths", d("2020-09-01"), std::nullopt);
    cases::set_capacity(*db_, leader_, "2026/27", 20);
  }

  Case open_support_request() { return engine_->open_case("support_request", 120588, kReferral, "lead:amy"); }

  // Moves a support request through to deployment.
  Case deployed() {
    const Case c = open_support_request();
    const auto today = engine_->today();
    engine_->apply(c.id, "accept_referral", kAccept, "lead:amy", today);
    engine_->apply(c.id, "propose_provider", {{"provider_id", leader_}}, "lead:amy", today);
    engine_->apply(c.id, "provider_accepts", {}, "system_leader:7", today);
    return engine_->apply(c.id, "agree_plan",
                          {{"objectives", "Improve KS2 maths"},
                           {"planned_days", 6},
                           {"starts_on", "2026-11-02"},
                           {"ends_on", "2026-12-18"}},
                          "lead:amy", today);
  }

  // The k-th day of the deployment deployed() agrees (from 2 November 2026).
  static std::string nth_day(int k) { return format_date(year_month_day(sys_days(d("2026-11-02")) + days(k))); }

  long long count(const std::string& query) { return testing::count_rows(*db_, query); }

  // Expects `fn` to throw EngineError with `code`, and the case to be unchanged.
  template <class F>
  EngineError expect_refused(std::int64_t case_id, EngineError::Code code, F fn) {
    const Case before = engine_->get(case_id);
    const auto history_before = engine_->history(case_id).size();
    const auto timers_before = count("SELECT count(*) FROM timers");
    const auto outbox_before = count("SELECT count(*) FROM outbox");
    try {
      fn();
    } catch (const EngineError& e) {
      EXPECT_EQ(e.code(), code) << e.what();
      const Case after = engine_->get(case_id);
      EXPECT_EQ(after.version, before.version);
      EXPECT_EQ(after.state, before.state);
      EXPECT_EQ(after.data, before.data);
      EXPECT_EQ(engine_->history(case_id).size(), history_before);
      EXPECT_EQ(count("SELECT count(*) FROM timers"), timers_before);
      EXPECT_EQ(count("SELECT count(*) FROM outbox"), outbox_before);
      return e;
    }
    ADD_FAILURE() << "expected an EngineError";
    return EngineError(EngineError::Code::unknown_case, "none");
  }

  TestClock clock_;
  std::int64_t leader_ = 0;
  TestDatabase test_db_;
  std::shared_ptr<Database> db_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineTest, OpeningACaseGivesAReferenceHistoryDeadlineAndNotification) {
  const Case first = open_support_request();
  const Case second = open_support_request();
  EXPECT_EQ(first.reference, "SR-2026-0001");
  EXPECT_EQ(second.reference, "SR-2026-0002");
  EXPECT_EQ(first.state, "referred");
  EXPECT_EQ(first.phase, Phase::referral);
  EXPECT_EQ(first.version, 1);
  EXPECT_EQ(first.opened_on, d("2026-11-02"));
  EXPECT_EQ(first.data.at("summary"), "Maths leadership support");

  const auto history = engine_->history(first.id);
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].event, "opened");
  EXPECT_FALSE(history[0].from_state.has_value());
  EXPECT_EQ(history[0].to_state, "referred");
  EXPECT_EQ(history[0].actor, "lead:amy");

  const auto deadlines = engine_->deadlines(first.id);
  ASSERT_EQ(deadlines.size(), 1u);
  EXPECT_EQ(deadlines[0].purpose, "support_request.triage");
  EXPECT_EQ(deadlines[0].due_on, d("2026-11-09"));  // 5 working days after Monday 2 November
  EXPECT_EQ(deadlines[0].computation.start, d("2026-11-02"));
  EXPECT_EQ(deadlines[0].computation.working_days, 5);
  EXPECT_EQ(deadlines[0].status, "open");
  // A reminder two working days before (Thursday 5th) and the deadline itself the day after it is due.
  EXPECT_EQ(count("SELECT count(*) FROM timers WHERE event = 'reminder_due' AND fire_on = '2026-11-05'"), 2);
  EXPECT_EQ(count("SELECT count(*) FROM timers WHERE event = 'deadline_passed' AND fire_on = '2026-11-10'"), 2);
  EXPECT_EQ(count("SELECT count(*) FROM outbox WHERE message = 'referral_received'"), 2);
}

TEST_F(EngineTest, AnEventMovesTheCaseBumpsItsVersionAndIsRecorded) {
  const Case c = open_support_request();
  const Case moved = engine_->apply(c.id, "accept_referral", kAccept, "lead:amy", d("2026-11-02"), 1);
  EXPECT_EQ(moved.state, "matching");
  EXPECT_EQ(moved.phase, Phase::matching);
  EXPECT_EQ(moved.version, 2);
  EXPECT_EQ(moved.data.at("priority"), "high");
  EXPECT_EQ(engine_->get(c.id).version, 2);
  const auto history = engine_->history(c.id);
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[1].sequence, 2);
  EXPECT_EQ(history[1].event, "accept_referral");
  EXPECT_EQ(history[1].from_state, "referred");
  EXPECT_EQ(history[1].to_state, "matching");
  EXPECT_EQ(history[1].payload.at("funding_source"), "SSIF");
}

TEST_F(EngineTest, LeavingAStateSettlesItsDeadlineAndCancelsItsTimers) {
  const Case c = open_support_request();
  engine_->apply(c.id, "accept_referral", kAccept, "lead:amy", d("2026-11-02"));
  const auto deadlines = engine_->deadlines(c.id);
  ASSERT_EQ(deadlines.size(), 2u);
  EXPECT_EQ(deadlines[0].purpose, "support_request.triage");
  EXPECT_EQ(deadlines[0].status, "met");
  EXPECT_EQ(deadlines[0].settled_on, d("2026-11-02"));
  EXPECT_EQ(deadlines[1].purpose, "support_request.matching");
  EXPECT_EQ(deadlines[1].armed_in_state, "matching");
  EXPECT_EQ(deadlines[1].status, "open");
  EXPECT_EQ(count("SELECT count(*) FROM timers WHERE deadline_id = " + std::to_string(deadlines[0].id) +
                  " AND status = 'cancelled'"),
            2);
  EXPECT_EQ(count("SELECT count(*) FROM timers WHERE deadline_id = " + std::to_string(deadlines[1].id) +
                  " AND status = 'pending'"),
            2);
}

TEST_F(EngineTest, WithdrawingCancelsOpenDeadlines) {
  const Case c = open_support_request();
  const Case w =
      engine_->apply(c.id, "withdraw", {{"reason", "school joined a trust"}}, "school:100001", d("2026-11-02"));
  EXPECT_EQ(w.phase, Phase::withdrawn);
  EXPECT_TRUE(w.closed_at.has_value());
  EXPECT_EQ(engine_->deadlines(c.id)[0].status, "cancelled");
  EXPECT_EQ(count("SELECT count(*) FROM timers WHERE status = 'pending'"), 0);
}

TEST_F(EngineTest, AnEventTheStateDoesNotTakeListsTheOnesItDoes) {
  const Case c = open_support_request();
  const auto e = expect_refused(c.id, EngineError::Code::event_not_allowed,
                                [&] { engine_->apply(c.id, "close", {}, "lead:amy", d("2026-11-02")); });
  EXPECT_EQ(e.allowed(), (std::vector<std::string>{"accept_referral", "decline_referral", "withdraw"}));
}

TEST_F(EngineTest, AnEventTheKindDoesNotHaveIsUnknownAndListsTheKindsEvents) {
  const Case c = open_support_request();
  const auto e = expect_refused(c.id, EngineError::Code::unknown_event,
                                [&] { engine_->apply(c.id, "no_such_event", {}, "lead:amy", d("2026-11-02")); });
  EXPECT_EQ(e.field(), "event");
  // Every event of the kind, whatever the state takes now.
  EXPECT_EQ(e.allowed().size(), cases::all_kinds()->find("support_request")->events().size());
  EXPECT_NE(std::find(e.allowed().begin(), e.allowed().end(), "submit_rating"), e.allowed().end());
  EXPECT_NE(std::string(e.what()).find("a support_request has no event 'no_such_event' (its events: accept_referral, "),
            std::string::npos)
      << e.what();
  // Timer events are the engine's own: no kind has them, and nobody sends them.
  expect_refused(c.id, EngineError::Code::unknown_event,
                 [&] { engine_->apply(c.id, "deadline_passed", {}, "lead:amy", d("2026-11-02")); });
  // Unknown before stale: resending with a fresh version would not help.
  expect_refused(c.id, EngineError::Code::unknown_event,
                 [&] { engine_->apply(c.id, "no_such_event", {}, "lead:amy", d("2026-11-02"), 7); });
}

TEST_F(EngineTest, ACaseIsFoundByItsIdOrItsReferenceInAnyLetterCase) {
  const Case c = open_support_request();
  ASSERT_EQ(c.reference, "SR-2026-0001");
  EXPECT_EQ(engine_->lookup("SR-2026-0001")->id, c.id);
  EXPECT_EQ(engine_->lookup("sr-2026-0001")->id, c.id);
  EXPECT_EQ(engine_->lookup(std::to_string(c.id))->reference, c.reference);
  for (const char* none : {"SR-2026-0002", "SR-1999-0001", "0", "", "99999999999999999999", "-1", "1.0", "abc"}) {
    EXPECT_FALSE(engine_->lookup(none).has_value()) << none;
  }
}

TEST_F(EngineTest, AFailedGuardGivesItsReasonAndChangesNothing) {
  const Case c = deployed();
  engine_->apply(c.id, "complete_deployment", {}, "lead:amy", d("2026-11-02"));
  const auto e = expect_refused(c.id, EngineError::Code::guard_failed,
                                [&] { engine_->apply(c.id, "close", {}, "lead:amy", d("2026-11-02")); });
  EXPECT_NE(e.reason().find("impact must be recorded"), std::string::npos) << e.reason();
  const auto days = expect_refused(c.id, EngineError::Code::event_not_allowed, [&] {
    engine_->apply(c.id, "log_days", {{"date", "2026-11-02"}, {"days", 0.5}, {"activity", "x"}}, "sl:7",
                   d("2026-11-02"));
  });
  (void)days;
}

TEST_F(EngineTest, InvalidPayloadsNameTheFieldAndChangeNothing) {
  const Case c = open_support_request();
  const auto apply = [&](object payload) {
    return [this, &c, payload] { engine_->apply(c.id, "accept_referral", payload, "lead:amy", d("2026-11-02")); };
  };
  object missing = kAccept;
  missing.erase("priority");
  EXPECT_EQ(expect_refused(c.id, EngineError::Code::payload_invalid, apply(missing)).field(), "priority");
  object wrong_type = kAccept;
  wrong_type["requested_days"] = "six";
  EXPECT_EQ(expect_refused(c.id, EngineError::Code::payload_invalid, apply(wrong_type)).field(), "requested_days");
  object unknown = kAccept;
  unknown["assigned_to"] = "someone";
  const auto e = expect_refused(c.id, EngineError::Code::payload_invalid, apply(unknown));
  EXPECT_EQ(e.field(), "assigned_to");
  EXPECT_NE(e.reason().find("unknown field"), std::string::npos);
  object bad_choice = kAccept;
  bad_choice["priority"] = "whenever";
  EXPECT_EQ(expect_refused(c.id, EngineError::Code::payload_invalid, apply(bad_choice)).field(), "priority");
  object bad_list = kAccept;
  bad_list["focus_areas"] = boost::json::array{1, 2};
  EXPECT_EQ(expect_refused(c.id, EngineError::Code::payload_invalid, apply(bad_list)).field(), "focus_areas");
  // The wrong type with its article.
  engine_->apply(c.id, "accept_referral", kAccept, "lead:amy", d("2026-11-02"));
  const auto not_integer = expect_refused(c.id, EngineError::Code::payload_invalid, [&] {
    engine_->apply(c.id, "propose_provider", {{"provider_id", "Sam"}}, "lead:amy", d("2026-11-02"));
  });
  EXPECT_EQ(not_integer.field(), "provider_id");
  EXPECT_EQ(not_integer.reason(), "must be an integer");
  EXPECT_EQ(std::string(not_integer.what()), "provider_id: must be an integer");
}

TEST_F(EngineTest, AGradeOutsideOneToFourIsAnInvalidPayloadNamingTheRange) {
  Case c = deployed();
  c = engine_->apply(c.id, "complete_deployment", {}, "lead:amy", d("2026-11-02"));
  const auto rate = [&](boost::json::value grade) {
    return [this, &c, grade] { engine_->apply(c.id, "submit_rating", {{"grade", grade}}, "school", d("2026-11-02")); };
  };
  const auto high = expect_refused(c.id, EngineError::Code::payload_invalid, rate(5));
  EXPECT_EQ(high.field(), "grade");
  EXPECT_EQ(high.reason(), "must be from 1 to 4, not 5");
  EXPECT_EQ(expect_refused(c.id, EngineError::Code::payload_invalid, rate(0)).reason(), "must be from 1 to 4, not 0");
  EXPECT_EQ(expect_refused(c.id, EngineError::Code::payload_invalid, rate(-2)).reason(), "must be from 1 to 4, not -2");
  EXPECT_EQ(expect_refused(c.id, EngineError::Code::payload_invalid, rate(2.5)).reason(), "must be an integer");
  EXPECT_EQ(
      engine_->apply(c.id, "submit_rating", {{"grade", 4}}, "school", d("2026-11-02")).data.at("rating").at("grade"),
      4);
}

// Found by the payload fuzz target: a field name with a NUL at its start made
// the refusal's message read as empty. Names that are not plain text are
// described, not repeated.
TEST(ValidatePayloadTest, AFieldNameThatIsNotPlainTextIsDescribedNotRepeated) {
  static constexpr FieldSpec kFields[] = {{"days", FieldType::number}};
  for (const std::string& name :
       {std::string("\0ty@", 4), std::string(), std::string("a\x1b[2J"), std::string(300, 'x')}) {
    try {
      validate_payload({{"days", 1}, {name, 1}}, kFields);
      ADD_FAILURE() << "accepted";
    } catch (const EngineError& e) {
      EXPECT_EQ(e.code(), EngineError::Code::payload_invalid);
      EXPECT_EQ(e.field(), name);
      const std::string message = e.what();
      EXPECT_FALSE(message.empty());
      EXPECT_EQ(message.find(name.empty() ? std::string("\x01") : name), std::string::npos) << message;
      EXPECT_NE(message.find("expected days"), std::string::npos) << message;
    }
  }
}

TEST(ValidatePayloadTest, RangesReadAsPeopleWriteNumbers) {
  static constexpr FieldSpec kAtLeast[] = {{"days", FieldType::number, true, {}, {}, 0.5}};
  static constexpr FieldSpec kAtMost[] = {{"days", FieldType::number, true, {}, {}, std::nullopt, 12.5}};
  const auto reason = [](std::span<const FieldSpec> fields, double days) {
    try {
      validate_payload({{"days", days}}, fields);
    } catch (const EngineError& e) {
      EXPECT_EQ(e.code(), EngineError::Code::payload_invalid);
      return e.reason();
    }
    return std::string("accepted");
  };
  EXPECT_EQ(reason(kAtLeast, 0.25), "must be at least 0.5, not 0.25");
  EXPECT_EQ(reason(kAtLeast, 0.5), "accepted");
  EXPECT_EQ(reason(kAtMost, 13), "must be at most 12.5, not 13");
  EXPECT_EQ(reason(kAtMost, 1e6), "must be at most 12.5, not 1000000");
  EXPECT_EQ(reason(kAtMost, 12.5), "accepted");
}

TEST_F(EngineTest, ADateThatDoesNotExistIsRefusedNamingTheField) {
  const Case c = deployed();
  const auto e = expect_refused(c.id, EngineError::Code::payload_invalid, [&] {
    engine_->apply(c.id, "log_days", {{"date", "2026-02-30"}, {"days", 1}, {"activity", "x"}}, "sl:7", d("2026-11-02"));
  });
  EXPECT_EQ(e.field(), "date");
}

TEST_F(EngineTest, OccurredOnMayNotBeInTheFutureNorBeforeTheCaseOpened) {
  const Case c = open_support_request();
  EXPECT_EQ(expect_refused(c.id, EngineError::Code::payload_invalid,
                           [&] { engine_->apply(c.id, "accept_referral", kAccept, "lead:amy", d("2026-11-03")); })
                .field(),
            "occurred_on");
  EXPECT_EQ(expect_refused(c.id, EngineError::Code::payload_invalid,
                           [&] { engine_->apply(c.id, "accept_referral", kAccept, "lead:amy", d("2026-11-01")); })
                .field(),
            "occurred_on");
  // Earlier than the day it is recorded is fine: a referral accepted last week, typed in today.
  const Case earlier = engine_->open_case("support_request", 100002, kReferral, "lead:amy", d("2026-10-20"));
  EXPECT_EQ(engine_->apply(earlier.id, "accept_referral", kAccept, "lead:amy", d("2026-10-23")).state, "matching");
  EXPECT_EQ(engine_->deadlines(earlier.id)[1].computation.start, d("2026-10-23"));
}

TEST_F(EngineTest, AStaleExpectedVersionIsAConflict) {
  const Case c = open_support_request();
  engine_->apply(c.id, "accept_referral", kAccept, "lead:amy", d("2026-11-02"), 1);
  expect_refused(c.id, EngineError::Code::version_conflict, [&] {
    engine_->apply(c.id, "withdraw", {{"reason", "x"}}, "lead:amy", d("2026-11-02"), 1);
  });
}

TEST_F(EngineTest, UnknownCaseAndKindAreTypedErrors) {
  try {
    engine_->apply(999999, "close", {}, "lead:amy", d("2026-11-02"));
    FAIL();
  } catch (const EngineError& e) {
    EXPECT_EQ(e.code(), EngineError::Code::unknown_case);
  }
  try {
    (void)engine_->open_case("fishing_licence", 100001, {}, "lead:amy");
    FAIL();
  } catch (const EngineError& e) {
    EXPECT_EQ(e.code(), EngineError::Code::unknown_kind);
  }
}

TEST_F(EngineTest, ConcurrentAppliesNeverLoseAnUpdate) {
  const Case c = deployed();
  constexpr int kThreads = 8;
  constexpr int kEach = 10;
  clock_.set(sys_days(d("2026-12-18")) + hours(9));  // two half days on each of 40 dates
  std::atomic<int> applied{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        engine_->apply(c.id, "log_days",
                       {{"date", nth_day((t * kEach + i) / 2)}, {"days", 0.5}, {"activity", "coaching"}},
                       "system_leader:7", d("2026-12-18"));
        ++applied;
      }
    });
  }
  for (auto& t : threads) t.join();
  const Case after = engine_->get(c.id);
  EXPECT_EQ(applied, kThreads * kEach);
  EXPECT_EQ(after.version, c.version + kThreads * kEach);
  EXPECT_DOUBLE_EQ(after.data.at("days_logged").to_number<double>(), 0.5 * kThreads * kEach);
  const auto history = engine_->history(c.id);
  ASSERT_EQ(static_cast<int>(history.size()), after.version);
  for (std::size_t i = 0; i < history.size(); ++i) EXPECT_EQ(history[i].sequence, static_cast<int>(i) + 1);
}

TEST_F(EngineTest, ConcurrentCallersWithOneExpectedVersionHaveExactlyOneWinner) {
  const Case c = deployed();
  constexpr int kThreads = 6;
  std::atomic<int> won{0};
  std::atomic<int> conflicts{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      try {
        engine_->apply(c.id, "log_days", {{"date", "2026-11-02"}, {"days", 1}, {"activity", "visit"}},
                       "system_leader:7", d("2026-11-02"), c.version);
        ++won;
      } catch (const EngineError& e) {
        if (e.code() == EngineError::Code::version_conflict) ++conflicts;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(won, 1);
  EXPECT_EQ(conflicts, kThreads - 1);
  EXPECT_EQ(engine_->get(c.id).version, c.version + 1);
}

TEST_F(EngineTest, DueTimersFireOnceMarkTheCaseOverdueAndEscalate) {
  const Case c = open_support_request();
  TimerService timers(*engine_, {.owner = "test"});
  EXPECT_EQ(timers.run_until_idle().fired, 0u) << "nothing is due on the day of opening";

  clock_.set(sys_days(d("2026-11-05")) + hours(8));  // reminder day
  auto report = timers.run_until_idle();
  EXPECT_EQ(report.fired, 1u);
  EXPECT_FALSE(engine_->get(c.id).overdue);
  EXPECT_EQ(count("SELECT count(*) FROM outbox WHERE message = 'deadline_reminder'"), 1);

  clock_.set(sys_days(d("2026-11-09")) + hours(23));  // due day itself: not yet passed
  EXPECT_EQ(timers.run_until_idle().fired, 0u);
  clock_.set(sys_days(d("2026-11-10")) + hours(1));
  report = timers.run_until_idle();
  EXPECT_EQ(report.fired, 1u);
  const Case after = engine_->get(c.id);
  EXPECT_TRUE(after.overdue);
  EXPECT_EQ(after.version, 3);
  EXPECT_EQ(after.state, "referred");
  EXPECT_EQ(engine_->deadlines(c.id)[0].status, "overdue");
  const auto history = engine_->history(c.id);
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(history[1].event, "reminder_due");
  EXPECT_EQ(history[1].occurred_on, d("2026-11-05"));
  EXPECT_EQ(history[2].event, "deadline_passed");
  EXPECT_EQ(history[2].actor, "system");
  EXPECT_TRUE(history[2].timer_id.has_value());
  EXPECT_EQ(
      count("SELECT count(*) FROM outbox WHERE message = 'deadline_passed' AND CAST(payload AS TEXT) LIKE '%lead%'"),
      1);
  EXPECT_EQ(timers.run_until_idle().claimed, 0u) << "fired timers never fire again";

  // Accepting late settles the deadline as late and clears the overdue mark.
  const Case accepted = engine_->apply(c.id, "accept_referral", kAccept, "lead:amy", d("2026-11-10"));
  EXPECT_FALSE(accepted.overdue);
  EXPECT_EQ(engine_->deadlines(c.id)[0].status, "late");
}

TEST_F(EngineTest, TimersThatFellDueWhileDownFireOnStart) {
  const Case c = open_support_request();
  engine_.reset();  // the process stops
  TestClock later(sys_days(d("2026-11-20")) + hours(9));
  Engine restarted(test_db_.open(), cases::all_kinds(), EngineOptions{{}, later.function(), 5});
  TimerService timers(restarted, {.owner = "restarted"});
  const auto report = timers.run_until_idle();
  EXPECT_EQ(report.fired, 2u);  // the reminder and the passed deadline
  EXPECT_TRUE(restarted.get(c.id).overdue);
}

TEST_F(EngineTest, AnExpiredLeaseIsTakenOverAndTheTimerFiresExactlyOnce) {
  open_support_request();
  clock_.set(sys_days(d("2026-11-20")) + hours(9));
  // A process claims both due timers, then dies before firing them.
  db_->transact([&](Database::Connection& connection) {
    CaseStore store(connection);
    const auto claimed =
        store.claim_due_timers("dead", "2026-11-20", "2026-11-20T09:00:00.000000Z", "2026-11-20T09:01:00.000000Z", 10);
    EXPECT_EQ(claimed.size(), 2u);
  });
  EXPECT_EQ(engine_->fire_due_timers("alive", 10, seconds(60)).claimed, 0u) << "the lease is still live";
  clock_.set(sys_days(d("2026-11-20")) + hours(9) + minutes(2));
  const auto report = engine_->fire_due_timers("alive", 10, seconds(60));
  EXPECT_EQ(report.claimed, 2u);
  EXPECT_EQ(report.fired, 2u);
  // The dead process's leases are gone: its late marking would find nothing.
  db_->transact([&](Database::Connection& connection) {
    CaseStore store(connection);
    EXPECT_FALSE(store.mark_timer_fired(1, "dead", "2026-11-20T09:03:00.000000Z"));
  });
  EXPECT_EQ(count("SELECT count(*) FROM case_history WHERE timer_id IS NOT NULL"), 2);
}

TEST_F(EngineTest, AClosureDayMovesOpenDeadlinesAndTheirTimers) {
  const Case c = open_support_request();
  const int moved = engine_->add_closure(d("2026-11-04"), "INSET day", "admin:1");
  EXPECT_EQ(moved, 1);
  const auto deadline = engine_->deadlines(c.id)[0];
  EXPECT_EQ(deadline.due_on, d("2026-11-10"));
  const auto& skipped = deadline.computation.skipped;
  EXPECT_TRUE(std::any_of(skipped.begin(), skipped.end(), [](const SkippedDay& s) {
    return s.reason == SkipReason::closure && s.name == "INSET day";
  }));
  EXPECT_EQ(count("SELECT count(*) FROM timers WHERE event = 'deadline_passed' AND status = 'pending'"
                  " AND fire_on = '2026-11-11'"),
            1);
  EXPECT_FALSE(engine_->calendar().is_working_day(d("2026-11-04")));
  EXPECT_THROW(engine_->add_closure(d("2026-11-04"), "again", "admin:1"), EngineError);
}

}  // namespace
}  // namespace s2s::workflow

namespace s2s::workflow {
namespace {

TEST_F(EngineTest, PostgresOnlyAConnectionKilledMidwayIsReplacedAndNothingIsLost) {
  const Case c = deployed();
  // Kill every server process serving this pool, as a server restart would.
  {
    auto other = test_db_.open({.pool_size = 1});
    auto connection = other->acquire();
    int killed = 0;
    // Each test database names its connections after itself: only ours die.
    connection.session() << "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                            " WHERE application_name = current_setting('application_name')"
                            " AND pid <> pg_backend_pid()",
        soci::into(killed);
    EXPECT_GT(killed, 0);
  }
  int unavailable = 0;
  clock_.set(sys_days(d("2026-12-18")) + hours(9));
  for (int i = 0; i < 20; ++i) {
    try {
      engine_->apply(c.id, "log_days", {{"date", nth_day(i)}, {"days", 0.5}, {"activity", "x"}}, "sl:7",
                     d("2026-12-18"));
    } catch (const DatabaseUnavailable&) {
      ++unavailable;  // each dead pooled connection fails once, then is replaced
    }
  }
  const Case after = engine_->get(c.id);
  EXPECT_EQ(after.version, c.version + 20 - unavailable);
  EXPECT_EQ(static_cast<int>(engine_->history(c.id).size()), after.version);
}

}  // namespace
}  // namespace s2s::workflow

namespace s2s::workflow {
namespace {

TEST_F(EngineTest, AClosurePushingAnOverdueDeadlinePastTodayReopensIt) {
  const Case c = open_support_request();
  TimerService timers(*engine_, {.owner = "test"});
  clock_.set(sys_days(d("2026-11-10")) + hours(9));
  timers.run_until_idle();
  ASSERT_TRUE(engine_->get(c.id).overdue);
  // An INSET day on Wednesday 4 November: triage is now due on Tuesday 10th, today.
  EXPECT_EQ(engine_->add_closure(d("2026-11-04"), "INSET day", "admin:1"), 1);
  EXPECT_FALSE(engine_->get(c.id).overdue);
  const auto deadline = engine_->deadlines(c.id)[0];
  EXPECT_EQ(deadline.status, "open");
  EXPECT_EQ(deadline.due_on, d("2026-11-10"));
  clock_.set(sys_days(d("2026-11-11")) + hours(9));
  EXPECT_EQ(timers.run_until_idle().fired, 1u) << "it can pass again, on the new date";
  EXPECT_TRUE(engine_->get(c.id).overdue);
}

}  // namespace
}  // namespace s2s::workflow

namespace s2s::workflow {
namespace {

TEST_F(EngineTest, AFailingTimerIsIsolatedRetriedWithBackoffAndFinallyMarkedFailed) {
  const Case c = open_support_request();
  clock_.set(sys_days(d("2026-11-10")) + hours(9));
  // Sabotage the deadline_passed timer: a history row already claims its id, so recording it fails.
  long long timer_id = 0;
  {
    auto connection = db_->acquire();
    connection.session() << "SELECT id FROM timers WHERE event = 'deadline_passed'", soci::into(timer_id);
    connection.session() << "INSERT INTO case_history (case_id, sequence, event, to_state, actor, occurred_on,"
                            " recorded_at, payload, timer_id) VALUES (:c, 99, 'x', 'referred', 'test', '2026-11-02',"
                            " '2026-11-02T00:00:00.000000Z', '{}', :t)",
        soci::use(static_cast<long long>(c.id)), soci::use(timer_id);
  }
  auto report = engine_->fire_due_timers("w", 10, seconds(60));
  EXPECT_EQ(report.claimed, 2u);
  EXPECT_EQ(report.fired, 1u) << "the reminder still fires";
  EXPECT_EQ(report.failed, 1u);
  EXPECT_EQ(engine_->get(c.id).version, 2) << "only the reminder changed the case";
  EXPECT_FALSE(engine_->get(c.id).overdue) << "the failed firing left nothing behind";
  EXPECT_EQ(count("SELECT count(*) FROM timers WHERE status = 'pending' AND last_error IS NOT NULL"), 1);

  EXPECT_EQ(engine_->fire_due_timers("w", 10, seconds(60)).claimed, 0u) << "backing off";
  for (int attempt = 2; attempt <= 5; ++attempt) {
    clock_.set(clock_.now() + minutes(10));
    report = engine_->fire_due_timers("w", 10, seconds(60));
    EXPECT_EQ(report.claimed, 1u) << "attempt " << attempt;
    EXPECT_EQ(report.failed, 1u);
  }
  EXPECT_EQ(count("SELECT count(*) FROM timers WHERE status = 'failed' AND attempts = 5"), 1);
  clock_.set(clock_.now() + hours(10));
  EXPECT_EQ(engine_->fire_due_timers("w", 10, seconds(60)).claimed, 0u) << "given up";
}

}  // namespace
}  // namespace s2s::workflow

namespace s2s::workflow {
namespace {

TEST_F(EngineTest, AcceptingReservesTheRequestedDaysLoggingConsumesThemAndWithdrawingReleasesTheRest) {
  const Case c = deployed();  // requested 6 days
  auto held = cases::capacity(*db_, leader_, "2026/27");
  EXPECT_DOUBLE_EQ(held.reserved, 6);
  engine_->apply(c.id, "log_days", {{"date", "2026-11-02"}, {"days", 1}, {"activity", "coaching"}}, "sl",
                 d("2026-11-02"));
  held = cases::capacity(*db_, leader_, "2026/27");
  EXPECT_DOUBLE_EQ(held.consumed, 1);
  EXPECT_DOUBLE_EQ(held.reserved, 6);
  engine_->apply(c.id, "withdraw", {{"reason", "school joined a trust"}}, "lead:amy", d("2026-11-02"));
  held = cases::capacity(*db_, leader_, "2026/27");
  EXPECT_DOUBLE_EQ(held.reserved, 1) << "the 5 unused days go back";
  EXPECT_DOUBLE_EQ(held.consumed, 1);
}

TEST_F(EngineTest, AnAcceptanceBeyondCapacityIsRefusedAndChangesNothing) {
  const Case c = open_support_request();
  const auto today = engine_->today();
  engine_->apply(c.id, "accept_referral", kAccept, "lead:amy", today);
  engine_->apply(c.id, "propose_provider", {{"provider_id", leader_}}, "lead:amy", today);
  cases::set_capacity(*db_, leader_, "2026/27", 5);  // 6 days were requested: taken elsewhere meanwhile
  const auto e = expect_refused(c.id, EngineError::Code::guard_failed,
                                [&] { engine_->apply(c.id, "provider_accepts", {}, "sl", today); });
  EXPECT_NE(e.reason().find("does not have 6 unreserved days in 2026/27"), std::string::npos) << e.reason();
  EXPECT_DOUBLE_EQ(cases::capacity(*db_, leader_, "2026/27").reserved, 0);
  EXPECT_EQ(engine_->get(c.id).state, "awaiting_provider");
}

TEST_F(EngineTest, CompletingADeploymentGivesBackTheDaysItDidNotUse) {
  const Case c = deployed();
  engine_->apply(c.id, "log_days", {{"date", "2026-11-02"}, {"days", 0.5}, {"activity", "x"}}, "sl", d("2026-11-02"));
  engine_->apply(c.id, "complete_deployment", {}, "lead:amy", d("2026-11-02"));
  const auto held = cases::capacity(*db_, leader_, "2026/27");
  EXPECT_DOUBLE_EQ(held.reserved, 0.5);
  EXPECT_DOUBLE_EQ(held.consumed, 0.5);
}

}  // namespace
}  // namespace s2s::workflow
