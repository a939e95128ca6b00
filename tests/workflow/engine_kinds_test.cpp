// The action plans' deadlines (docs/deadlines.md) through the engine, the
// database and the timers: the dates that matter are the events' occurred_on,
// never the day they are typed in.
#include <gtest/gtest.h>
#include <soci/soci.h>
#include <boost/json.hpp>

#include <fstream>
#include <iterator>

#include "cases/gias_import.h"
#include "cases/kinds.h"
#include "cases/matching.h"
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

// The message of the EngineError `f` throws; "" when it throws none.
template <class F>
std::string refusal_of(F&& f) {
  try {
    f();
  } catch (const workflow::EngineError& e) {
    return e.what();
  }
  return "";
}

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
    // The system leader whose SLE designation is reviewed.
    reviewed_ = cases::create_system_leader(*db_, "Rex Reviewed", "rex@example.org", 112934, std::nullopt);
    reviewed_designation_ = cases::add_designation(*db_, reviewed_, "SLE", "maths", d("2020-09-01"), std::nullopt);
    cases::set_capacity(*db_, reviewed_, "2026/27", 20);
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
        engine_->open_case("designation_review", 112934, {{"designation_id", reviewed_designation_}}, "lead:amy");
    engine_->apply(c.id, "accept_review", {}, "lead:amy", d("2026-11-02"));
    engine_->apply(c.id, "assign_reviewer", {{"reviewer_id", leader_}}, "lead:amy", d("2026-11-02"));
    return engine_->apply(c.id, "submit_review", {{"findings", "criteria no longer met"}}, "sl:12", d("2026-11-02"));
  }

  testing::TestClock clock_;
  std::int64_t leader_ = 0;
  std::int64_t reviewed_ = 0;
  std::int64_t reviewed_designation_ = 0;
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

// A batch of due timers is fired together: reminders and passed deadlines
// of several cases, each case's in order, beside a kind's own event, which
// moves its case as the machine says. Every write is as one firing makes it.
TEST_F(EngineKindsTest, ABatchOfDueTimersFiresTogetherEachCaseInOrder) {
  at("2026-11-02");
  const Case review = at_panel_decision();
  engine_->apply(review.id, "panel_de_designates", {{"reason", "standards"}}, "lead:amy", d("2026-11-02"));
  std::vector<Case> referrals;
  for (const int urn : {120588, 148502, 144871}) {
    referrals.push_back(engine_->open_case("support_request", urn, {{"source", "lead"}, {"summary", "maths"}},
                                           "lead:amy", d("2026-11-02")));
  }
  // Each referral's decision was due on 9 November, its reminder on 5 November.
  at("2026-11-30");
  const auto report = engine_->fire_due_timers("batch", 100, seconds(60));
  EXPECT_EQ(report.claimed, 7u);
  EXPECT_EQ(report.fired, 7u);
  EXPECT_EQ(report.skipped, 0u);
  EXPECT_EQ(report.failed, 0u);

  EXPECT_EQ(engine_->get(review.id).state, "contact_due");
  EXPECT_EQ(engine_->history(review.id).back().event, "appeal_window_closes");
  for (const Case& c : referrals) {
    const Case after = engine_->get(c.id);
    EXPECT_EQ(after.version, 3);
    EXPECT_EQ(after.state, "referred");
    EXPECT_TRUE(after.overdue);
    const auto history = engine_->history(c.id);
    ASSERT_EQ(history.size(), 3u);
    EXPECT_EQ(history[1].sequence, 2);
    EXPECT_EQ(history[1].event, "reminder_due");
    EXPECT_EQ(history[1].occurred_on, d("2026-11-05"));
    EXPECT_EQ(history[2].sequence, 3);
    EXPECT_EQ(history[2].event, "deadline_passed");
    EXPECT_EQ(history[2].occurred_on, d("2026-11-10"));
    EXPECT_EQ(history[2].from_state, std::optional<std::string>("referred"));
    EXPECT_EQ(history[2].actor, "system");
    ASSERT_TRUE(history[2].timer_id.has_value());
    const auto& payload = history[2].payload;
    EXPECT_EQ(payload.at("purpose").as_string(), "support_request.triage");
    EXPECT_EQ(payload.at("due_on").as_string(), "2026-11-09");
    EXPECT_EQ(engine_->deadlines(c.id)[0].status, "overdue");

    auto connection = db_->acquire();
    soci::rowset<soci::row> rows =
        (connection.session().prepare << "SELECT message, CAST(payload AS TEXT) FROM outbox WHERE case_id = :c"
                                         " AND message LIKE 'deadline%' ORDER BY id",
         soci::use(static_cast<long long>(c.id)));
    std::vector<std::pair<std::string, boost::json::object>> outbox;
    for (const auto& r : rows) {
      outbox.emplace_back(r.get<std::string>(0), boost::json::parse(r.get<std::string>(1)).as_object());
    }
    ASSERT_EQ(outbox.size(), 2u);
    EXPECT_EQ(outbox[0].first, "deadline_reminder");
    EXPECT_EQ(outbox[0].second.at("escalate_to").as_string(), "case");
    EXPECT_EQ(outbox[1].first, "deadline_passed");
    EXPECT_EQ(outbox[1].second.at("escalate_to").as_string(), "lead");
    EXPECT_EQ(outbox[1].second.at("reference").as_string(), c.reference);
    EXPECT_EQ(outbox[1].second.at("event").as_string(), "deadline_passed");
    EXPECT_EQ(outbox[1].second.at("state").as_string(), "referred");
  }
  EXPECT_EQ(testing::count_rows(*db_, "SELECT count(*) FROM timers WHERE status = 'fired' AND lease_owner IS NULL"), 7);
  EXPECT_EQ(engine_->fire_due_timers("batch", 100, seconds(60)).claimed, 0u) << "fired timers never fire again";
}

// A de-designation that becomes final (here, the appeal window closing
// unheard) ends the reviewed designation that day, in the same transaction;
// the leads of open deployments made under it hear of it, and matching
// passes it over from then on.
TEST_F(EngineKindsTest, AFinalDeDesignationEndsTheReviewedDesignationAndTellsTheLeadsOfItsDeployments) {
  at("2026-11-02");
  // Rex is deployed, under his SLE (maths) designation, to support Hasland Vale.
  const Case support = engine_->open_case("support_request", 148502, {{"source", "lead"}, {"summary", "maths"}},
                                          "lead:amy", d("2026-11-02"));
  engine_->apply(support.id, "accept_referral",
                 {{"priority", "high"},
                  {"focus_areas", boost::json::array{"maths"}},
                  {"requested_days", 2},
                  {"funding_source", "SSIF"}},
                 "lead:amy", d("2026-11-02"));
  engine_->apply(support.id, "propose_provider", {{"provider_id", reviewed_}}, "lead:amy", d("2026-11-02"));
  engine_->apply(support.id, "provider_accepts", {}, "sl:rex", d("2026-11-02"));
  const auto outbox_for = [&](const char* message) {
    auto connection = db_->acquire();
    std::vector<long long> cases;
    const std::string name = message;
    soci::rowset<soci::row> rows =
        (connection.session().prepare << "SELECT case_id FROM outbox WHERE message = :m ORDER BY id",
         soci::use(name));
    for (const auto& r : rows) cases.push_back(workflow::row_integer(r, 0));
    return cases;
  };
  {
    auto connection = db_->acquire();
    long long under = 0;
    const long long case_id = support.id;
    connection.session() << "SELECT designation_id FROM deployments WHERE case_id = :c", soci::use(case_id),
        soci::into(under);
    EXPECT_EQ(under, reviewed_designation_) << "the deployment keeps the designation it was made under";
  }

  const Case c = at_panel_decision();
  at("2026-11-04");
  engine_->apply(c.id, "panel_de_designates", {{"reason", "standards"}}, "lead:amy", d("2026-11-03"));
  // Not final yet: the designation stands while the appeal window is open.
  EXPECT_TRUE(cases::find_system_leader(*db_, reviewed_)->designations.at(0).active_to.empty());
  EXPECT_TRUE(outbox_for("designation_ended").empty());

  TimerService timers(*engine_, {.owner = "t"});
  at("2026-11-18");
  (void)timers.run_until_idle();  // the window closed unheard on the 17th
  EXPECT_EQ(engine_->get(c.id).state, "contact_due");
  const auto held = cases::find_system_leader(*db_, reviewed_)->designations.at(0);
  EXPECT_EQ(held.active_to, "2026-11-16") << "not held from the day the decision became final";
  EXPECT_EQ(held.ended_by_case_id, c.id);
  EXPECT_EQ(outbox_for("designation_ended"), std::vector<long long>{support.id});
  EXPECT_EQ(outbox_for("contact_due"), std::vector<long long>{c.id});

  // Matching passes the ended designation over.
  const Case next = engine_->open_case("support_request", 120004, {{"source", "lead"}, {"summary", "maths"}},
                                       "lead:amy", d("2026-11-18"));
  const Case matching = engine_->apply(next.id, "accept_referral",
                                       {{"priority", "high"},
                                        {"focus_areas", boost::json::array{"maths"}},
                                        {"requested_days", 2},
                                        {"funding_source", "SSIF"}},
                                       "lead:amy", d("2026-11-18"));
  const auto eligibility = cases::match_providers(*db_, cases::match_request_for(*cases::all_kinds()->find("support_request"), matching, d("2026-11-18")));
  bool excluded = false;
  for (const auto& e : eligibility.excluded) {
    if (e.system_leader_id == reviewed_) excluded = e.reasons.at(0).code == "inactive";
  }
  EXPECT_TRUE(excluded);
  EXPECT_THROW(engine_->apply(next.id, "propose_provider", {{"provider_id", reviewed_}}, "lead:amy", d("2026-11-18")),
               workflow::EngineError);
}

TEST_F(EngineKindsTest, ADesignationRetainedOrRestoredOnAppealIsNotEnded) {
  at("2026-11-02");
  const Case retained = at_panel_decision();
  const Case appealed = at_panel_decision();
  at("2026-11-20");
  engine_->apply(retained.id, "panel_retains", {}, "lead:amy", d("2026-11-03"));
  EXPECT_TRUE(cases::find_system_leader(*db_, reviewed_)->designations.at(0).active_to.empty());
  engine_->apply(appealed.id, "panel_de_designates", {{"reason", "standards"}}, "lead:amy", d("2026-11-03"));
  engine_->apply(appealed.id, "lodge_appeal", {{"grounds", "new evidence"}}, "school:1", d("2026-11-04"));
  engine_->apply(appealed.id, "appeal_overturned", {}, "lead:amy", d("2026-11-20"));
  EXPECT_TRUE(cases::find_system_leader(*db_, reviewed_)->designations.at(0).active_to.empty());
}

// A review names a designation held at the school under review (the school
// that may appeal and is contacted), still held; a teaching school's review
// names the teaching school instead. Anything else is refused and opens nothing.
TEST_F(EngineKindsTest, AReviewNamesADesignationHeldAtItsSchoolOrATeachingSchool) {
  const auto refusal = [&](int urn, boost::json::object payload) -> std::string {
    try {
      (void)engine_->open_case("designation_review", urn, payload, "lead:amy");
    } catch (const workflow::EngineError& e) {
      EXPECT_EQ(e.code(), workflow::EngineError::Code::guard_failed) << e.what();
      return e.what();
    }
    return "opened";
  };
  // Rex works at 112934, not at Ashgrove Park (144871).
  EXPECT_NE(refusal(144871, {{"designation_id", reviewed_designation_}})
                .find("works at school 112934, not at the school under review (144871)"),
            std::string::npos);
  const auto lapsed = cases::add_designation(*db_, reviewed_, "NLE", "", d("2015-09-01"), d("2019-08-31"));
  EXPECT_NE(refusal(112934, {{"designation_id", lapsed}}).find("ended on 2019-08-31"), std::string::npos);
  EXPECT_NE(refusal(112934, {{"reason", "r"}}).find("name what is reviewed"), std::string::npos);
  EXPECT_NE(refusal(112934, {{"designation_id", reviewed_designation_}, {"subject_type", "teaching_school"}})
                .find("a teaching school's review gives subject_type teaching_school"),
            std::string::npos);
  {
    auto connection = db_->acquire();
    long long cases = 0;
    connection.session() << "SELECT count(*) FROM cases", soci::into(cases);
    EXPECT_EQ(cases, 0) << "a refused review opened a case";
  }
  // A teaching school's review ends nothing when it is de-designated.
  const Case ts = engine_->open_case("designation_review", 112934,
                                     {{"subject_type", "teaching_school"}, {"subject_name", "Brackenfield TSA"}},
                                     "lead:amy");
  EXPECT_EQ(ts.state, "opened");
  EXPECT_FALSE(ts.data.contains("designation_id"));
  // Rex cannot review his own designation: he works at the school under review.
  const Case own = engine_->open_case("designation_review", 112934, {{"designation_id", reviewed_designation_}},
                                      "lead:amy");
  engine_->apply(own.id, "accept_review", {}, "lead:amy", engine_->today());
  (void)cases::add_designation(*db_, reviewed_, "NLE", "", d("2020-09-01"), std::nullopt);  // a reviewer otherwise
  EXPECT_NE(refusal_of([&] {
              engine_->apply(own.id, "assign_reviewer", {{"reviewer_id", reviewed_}}, "lead:amy", engine_->today());
            }).find("works at the supported school"),
            std::string::npos);
}

TEST_F(EngineKindsTest, AReviewOfADesignationThatDoesNotExistIsRefusedAndOpensNothing) {
  try {
    (void)engine_->open_case("designation_review", 112934, {{"designation_id", 999999}}, "lead:amy");
    FAIL() << "opened a review of no designation";
  } catch (const workflow::EngineError& e) {
    EXPECT_EQ(e.code(), workflow::EngineError::Code::guard_failed);
    EXPECT_NE(std::string(e.what()).find("designation_id: there is no designation 999999"), std::string::npos)
        << e.what();
  }
  auto connection = db_->acquire();
  long long cases = 0;
  connection.session() << "SELECT count(*) FROM cases WHERE kind = 'designation_review'", soci::into(cases);
  EXPECT_EQ(cases, 0);
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
