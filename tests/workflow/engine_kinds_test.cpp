// The seeds' deadlines through the engine, the database and the timers: the
// dates that matter are the events' occurred_on, never the day they are typed in.
#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <fstream>
#include <iterator>

#include "cases/gias_import.h"
#include "cases/kinds.h"
#include "cases/providers.h"
#include "tests/support/test_clock.h"
#include "tests/support/test_database.h"
#include "workflow/date.h"
#include "workflow/engine.h"
#include "workflow/timer_service.h"

namespace s2s::workflow {
namespace {

using namespace std::chrono;
using boost::json::object;

year_month_day d(const char* text) { return *parse_date(text); }

class EngineKindsTest : public ::testing::Test {
 protected:
  EngineKindsTest() : clock_(sys_days(d("2026-11-02")) + hours(9)) {}

  void SetUp() override {
    db_ = test_db_.open_migrated();
    engine_ = std::make_unique<Engine>(db_, cases::all_kinds(), EngineOptions{{}, clock_.function(), 5});
    // A national leader of education, accredited as a pupil premium reviewer, with 20 days to offer.
    std::ifstream sample(std::string(S2S_TEST_DATA_DIR) + "/gias_sample.csv", std::ios::binary);
    cases::import_gias(*db_, std::string(std::istreambuf_iterator<char>(sample), std::istreambuf_iterator<char>()));
    leader_ = cases::create_system_leader(*db_, "Nia Leader", "nia@example.org", 144871, std::nullopt);
    cases::add_designation(*db_, leader_, "NLE", "", d("2020-09-01"), std::nullopt);
    cases::add_designation(*db_, leader_, "PPR", "", d("2020-09-01"), std::nullopt);
    cases::set_capacity(*db_, leader_, "2026/27", 20);
  }

  void at(const char* day) { clock_.set(sys_days(d(day)) + hours(9)); }

  const Deadline& deadline(const std::vector<Deadline>& all, std::string_view purpose) {
    for (const auto& dl : all) {
      if (dl.purpose == purpose) return dl;
    }
    ADD_FAILURE() << "no deadline " << purpose;
    return all.front();
  }

  // A designation review at panel decision, opened and worked on 2 November.
  Case at_panel_decision() {
    const Case c =
        engine_->open_case("designation_review", 112934,
                           {{"subject_type", "teaching_school"}, {"subject_name", "Brackenfield TSA"}}, "lead:amy");
    engine_->apply(c.id, "accept_review", {}, "lead:amy", d("2026-11-02"));
    engine_->apply(c.id, "assign_reviewer", {{"reviewer_id", leader_}}, "lead:amy", d("2026-11-02"));
    return engine_->apply(c.id, "submit_review", {{"findings", "criteria no longer met"}}, "sl:12", d("2026-11-02"));
  }

  testing::TestClock clock_;
  std::int64_t leader_ = 0;
  testing::TestDatabase test_db_;
  std::shared_ptr<Database> db_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineKindsTest, AnAppealWindowClosingUnheardMakesContactDueWithinTenWorkingDays) {
  const Case c = at_panel_decision();
  at("2026-11-04");
  // The panel sat on Tuesday 3 November; the decision is typed in a day later.
  engine_->apply(c.id, "panel_de_designates", {{"reason", "standards"}}, "lead:amy", d("2026-11-03"));
  const auto window = deadline(engine_->deadlines(c.id), "designation_review.appeal_window");
  EXPECT_EQ(window.due_on, d("2026-11-17"));  // 10 working days after 3 November

  TimerService timers(*engine_, {.owner = "t"});
  at("2026-11-17");
  EXPECT_EQ(timers.run_until_idle().fired, 0u) << "the window is open all of its last day, and it has no reminder";
  at("2026-11-18");
  EXPECT_EQ(timers.run_until_idle().fired, 1u);

  const Case after = engine_->get(c.id);
  EXPECT_EQ(after.state, "contact_due");
  const auto history = engine_->history(c.id);
  EXPECT_EQ(history.back().event, "appeal_window_closes");
  EXPECT_EQ(history.back().actor, "system");
  EXPECT_EQ(history.back().occurred_on, d("2026-11-17"));
  const auto all = engine_->deadlines(c.id);
  EXPECT_EQ(deadline(all, "designation_review.appeal_window").status, "met");
  const auto contact = deadline(all, "designation_review.contact");
  EXPECT_EQ(contact.computation.start, d("2026-11-17"));
  EXPECT_EQ(contact.due_on, d("2026-12-01"));
  EXPECT_EQ(contact.status, "open");
}

TEST_F(EngineKindsTest, AnUpheldAppealStartsTheContactDeadlineFromThePanelDateNotTheTypingDate) {
  const Case c = at_panel_decision();
  engine_->apply(c.id, "panel_de_designates", {{"reason", "standards"}}, "lead:amy", d("2026-11-02"));
  at("2026-11-06");
  engine_->apply(c.id, "lodge_appeal", {{"grounds", "new evidence"}}, "school:100010", d("2026-11-06"));
  at("2026-12-10");
  // Appeals panel on Friday 27 November, recorded on 10 December.
  const Case upheld = engine_->apply(c.id, "appeal_upheld", {}, "lead:amy", d("2026-11-27"));
  EXPECT_EQ(upheld.state, "contact_due");
  const auto contact = deadline(engine_->deadlines(c.id), "designation_review.contact");
  EXPECT_EQ(contact.computation.start, d("2026-11-27"));
  EXPECT_EQ(contact.due_on, d("2026-12-11"));
  // Contact on the last day is on time.
  at("2026-12-11");
  engine_->apply(c.id, "record_contact", {{"method", "visit"}, {"summary", "options explained"}}, "lead:amy",
                 d("2026-12-11"));
  EXPECT_EQ(deadline(engine_->deadlines(c.id), "designation_review.contact").status, "met");
}

TEST_F(EngineKindsTest, AnAppealAfterTheWindowIsRefused) {
  const Case c = at_panel_decision();
  engine_->apply(c.id, "panel_de_designates", {{"reason", "standards"}}, "lead:amy", d("2026-11-02"));
  at("2026-11-20");
  try {
    engine_->apply(c.id, "lodge_appeal", {{"grounds", "late"}}, "school:100010", d("2026-11-20"));
    FAIL() << "expected guard_failed";
  } catch (const EngineError& e) {
    EXPECT_EQ(e.code(), EngineError::Code::guard_failed);
    EXPECT_NE(e.reason().find("2026-11-16"), std::string::npos) << e.reason();
  }
}

TEST_F(EngineKindsTest, ARiskAssessmentRecommendingSupportOpensALinkedSupportRequest) {
  const Case ra = engine_->open_case("risk_assessment", 120588,
                                     {{"source", "local_authority"}, {"summary", "falling outcomes"}}, "la:derby");
  EXPECT_EQ(ra.reference, "RA-2026-0001");
  engine_->apply(ra.id, "accept_request", {}, "lead:amy", d("2026-11-02"));
  engine_->apply(ra.id, "propose_assessor", {{"provider_id", leader_}}, "lead:amy", d("2026-11-02"));
  engine_->apply(ra.id, "assessor_accepts", {}, "sl:3", d("2026-11-02"));
  const auto report = deadline(engine_->deadlines(ra.id), "risk_assessment.report");
  EXPECT_EQ(report.due_on, d("2026-11-23"));  // 15 working days after acceptance
  at("2026-11-20");
  engine_->apply(ra.id, "submit_report", {{"risk_level", "high"}, {"recommendations", "maths leadership"}}, "sl:3",
                 d("2026-11-20"));
  EXPECT_EQ(deadline(engine_->deadlines(ra.id), "risk_assessment.report").status, "met");

  const Case done = engine_->apply(ra.id, "recommend_support", {{"summary", "maths leadership support"}}, "lead:amy",
                                   d("2026-11-20"));
  EXPECT_EQ(done.state, "support_recommended");
  EXPECT_EQ(done.phase, Phase::closed);
  ASSERT_TRUE(done.data.contains("linked_cases"));
  const auto& link = done.data.at("linked_cases").as_array().at(0).as_object();
  EXPECT_EQ(link.at("kind"), "support_request");
  EXPECT_EQ(link.at("reference"), "SR-2026-0001");

  const Case sr = engine_->get(link.at("id").as_int64());
  EXPECT_EQ(sr.kind, "support_request");
  EXPECT_EQ(sr.school_urn, 120588);
  EXPECT_EQ(sr.state, "referred");
  EXPECT_EQ(sr.data.at("linked_case"), "RA-2026-0001");
  EXPECT_EQ(sr.data.at("source"), "risk_assessment");
  EXPECT_EQ(sr.opened_on, d("2026-11-20"));
  EXPECT_EQ(engine_->deadlines(sr.id).at(0).purpose, "support_request.triage");
}

TEST_F(EngineKindsTest, APupilPremiumReportIsDueFromTheLastVisit) {
  const Case pp = engine_->open_case("pupil_premium_review", 137220, {{"source", "self"}, {"summary", "PP review"}},
                                     "school:100030");
  EXPECT_EQ(pp.reference, "PP-2026-0001");
  engine_->apply(pp.id, "accept_referral", {}, "lead:amy", d("2026-11-02"));
  engine_->apply(pp.id, "propose_reviewer", {{"provider_id", leader_}}, "lead:amy", d("2026-11-02"));
  engine_->apply(pp.id, "reviewer_accepts", {}, "sl:5", d("2026-11-02"));
  at("2026-11-16");
  engine_->apply(pp.id, "log_visit", {{"date", "2026-11-12"}, {"days", 1}, {"activity", "review visit"}}, "sl:5",
                 d("2026-11-12"));
  engine_->apply(pp.id, "visits_complete", {{"last_visit_on", "2026-11-12"}}, "sl:5", d("2026-11-16"));
  const auto report = deadline(engine_->deadlines(pp.id), "pupil_premium.report");
  EXPECT_EQ(report.computation.start, d("2026-11-12"));
  EXPECT_EQ(report.due_on, d("2026-11-26"));
}

TEST_F(EngineKindsTest, DeadlineDaysComeFromConfigurationWhenSet) {
  Engine configured(db_, cases::all_kinds(),
                    EngineOptions{{{{"risk_assessment.report", 20}}, 3}, clock_.function(), 5});
  const Case ra =
      configured.open_case("risk_assessment", 148502, {{"source", "lead"}, {"summary", "concern"}}, "lead:amy");
  configured.apply(ra.id, "accept_request", {}, "lead:amy", d("2026-11-02"));
  configured.apply(ra.id, "propose_assessor", {{"provider_id", leader_}}, "lead:amy", d("2026-11-02"));
  configured.apply(ra.id, "assessor_accepts", {}, "sl:3", d("2026-11-02"));
  const auto report = deadline(configured.deadlines(ra.id), "risk_assessment.report");
  EXPECT_EQ(report.computation.working_days, 20);
  EXPECT_EQ(report.due_on, d("2026-11-30"));
}

}  // namespace
}  // namespace s2s::workflow
