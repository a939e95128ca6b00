#include "cases/kinds.h"
#include "tests/cases/kind_test_support.h"

namespace s2s::cases {
namespace {

S2S_KIND_UNDER_TEST(make_risk_assessment_kind);

constexpr std::string_view kReport = R"({"risk_level":"high","recommendations":"maths leadership support"})";

const std::vector<Step> kSteps = {
    // requested
    {"requested", "accept_request", R"({})", moved, "matching"},
    {"requested", "accept_request", R"({"note":"urgent"})", moved, "matching"},
    {"requested", "decline_request", R"({"reason":"already supported"})", moved, "declined"},
    {"requested", "withdraw", R"({"reason":"no longer needed"})", moved, "withdrawn"},
    {"requested", "propose_assessor", R"({"provider_id":42})", not_allowed, "requested"},
    {"requested", "submit_report", kReport, not_allowed, "requested"},
    {"requested", "no_such_event", R"({})", not_allowed, "requested"},
    // matching
    {"matching", "propose_assessor", R"({"provider_id":42})", moved, "awaiting_provider"},
    {"matching", "propose_assessor", R"({"provider_id":42,"note":"NLE, maths"})", moved, "awaiting_provider"},
    {"matching", "withdraw", R"({"reason":"school converted"})", moved, "withdrawn"},
    {"matching", "accept_request", R"({})", not_allowed, "matching"},
    {"matching", "assessor_accepts", R"({})", not_allowed, "matching"},
    // awaiting_provider
    {"awaiting_provider", "assessor_accepts", R"({})", moved, "assessment", {}, R"({"provider_id":42})"},
    {"awaiting_provider",
     "assessor_declines",
     R"({"reason":"no capacity"})",
     moved,
     "matching",
     {},
     R"({"provider_id":42})"},
    {"awaiting_provider", "withdraw", R"({"reason":"no longer needed"})", moved, "withdrawn"},
    {"awaiting_provider", "log_visit", R"({"date":"2026-03-09","days":1,"activity":"visit"})", not_allowed,
     "awaiting_provider"},
    // assessment
    {"assessment", "log_visit", R"({"date":"2026-03-09","days":1,"activity":"lesson observations"})", moved,
     "assessment"},
    {"assessment", "log_visit", R"({"date":"2026-03-10","days":0.5,"activity":"meeting the head"})", moved,
     "assessment"},
    {"assessment", "log_visit", R"({"date":"2026-03-09","days":1.5,"activity":"too long"})", guard_rejected,
     "assessment", "days must be 0.5 or 1 for one date (half-day steps); 0 only in a correction, to strike out"},
    {"assessment", "log_visit", R"({"date":"2026-03-09","days":0,"activity":"nothing"})", guard_rejected, "assessment",
     "days must be 0.5 or 1 for one date (half-day steps); 0 only in a correction, to strike out"},
    {"assessment", "log_visit", R"({"date":"2026-03-09","days":0.25,"activity":"a quarter"})", guard_rejected,
     "assessment", "days must be 0.5 or 1 for one date (half-day steps); 0 only in a correction, to strike out"},
    {"assessment", "log_visit", R"({"date":"2026-03-11","days":1,"activity":"tomorrow"})", guard_rejected, "assessment",
     "date 2026-03-11 is after the event's occurred_on: days cannot be logged ahead"},
    {"assessment", "submit_report", kReport, moved, "report_submitted"},
    {"assessment", "withdraw", R"({"reason":"school closing"})", moved, "withdrawn"},
    {"assessment", "recommend_support", R"({"summary":"maths"})", not_allowed, "assessment"},
    {"assessment", "close", R"({})", not_allowed, "assessment"},
    // report_submitted
    {"report_submitted", "close", R"({})", moved, "closed"},
    {"report_submitted", "recommend_support", R"({"summary":"maths leadership support"})", moved,
     "support_recommended"},
    {"report_submitted", "withdraw", R"({"reason":"duplicate"})", moved, "withdrawn"},
    {"report_submitted", "submit_report", kReport, not_allowed, "report_submitted"},
    {"report_submitted", "log_visit", R"({"date":"2026-03-09","days":1,"activity":"late"})", not_allowed,
     "report_submitted"},
    // terminal states
    {"closed", "withdraw", R"({"reason":"late"})", not_allowed, "closed"},
    {"support_recommended", "close", R"({})", not_allowed, "support_recommended"},
    {"support_recommended", "withdraw", R"({"reason":"late"})", not_allowed, "support_recommended"},
    {"declined", "accept_request", R"({})", not_allowed, "declined"},
    {"withdrawn", "accept_request", R"({})", not_allowed, "withdrawn"},
};

TEST(RiskAssessmentTest, EveryStepBehavesAsTheTableSays) { testing::expect_steps<kind>(kSteps); }

TEST(RiskAssessmentTest, EveryTableRowIsExercisedBySomeStep) { testing::expect_every_row_covered<kind>(kSteps); }

TEST(RiskAssessmentTest, OpeningKeepsTheRequestArmsTriageAndAnnouncesIt) {
  const testing::Opening<kind> opening(
      R"({"source":"local_authority","summary":"falling results","concern_level":"high"})");
  const auto& ctx = opening.ctx();
  const auto& data = opening.data();
  const auto& payload = opening.payload();
  EXPECT_EQ(data, payload);
  ASSERT_EQ(ctx.armed().size(), 1u);
  EXPECT_EQ(ctx.armed()[0].purpose, "risk_assessment.triage");
  EXPECT_EQ(ctx.armed()[0].from, day(kToday));
  EXPECT_EQ(ctx.armed()[0].working_days, 5);
  ASSERT_EQ(ctx.notifications().size(), 1u);
  EXPECT_EQ(ctx.notifications()[0].message, "referral_received");
  EXPECT_EQ(kind().initial_state(), "requested");
}

TEST(RiskAssessmentTest, AcceptingTheRequestStartsTheMatchingDeadline) {
  Dispatch d("requested", "accept_request", R"({"note":"urgent"})");
  ASSERT_EQ(d.ctx().armed().size(), 1u);
  EXPECT_EQ(d.ctx().armed()[0].purpose, "risk_assessment.matching");
  EXPECT_EQ(d.ctx().armed()[0].working_days, 10);
  EXPECT_EQ(d.data().at("accepted_on"), "2026-03-10");
  EXPECT_EQ(d.data().at("note"), "urgent");
}

TEST(RiskAssessmentTest, DecliningTheRequestKeepsTheReason) {
  Dispatch d("requested", "decline_request", R"({"reason":"already supported"})");
  EXPECT_EQ(d.data().at("reason"), "already supported");
  EXPECT_EQ(d.data().at("declined_on"), "2026-03-10");
  EXPECT_TRUE(d.ctx().armed().empty());
}

TEST(RiskAssessmentTest, ProposingAnAssessorAsksForTheirResponseWithinFiveDays) {
  Dispatch d("matching", "propose_assessor", R"({"provider_id":42})");
  EXPECT_EQ(d.data().at("provider_id"), 42);
  EXPECT_EQ(d.data().at("proposed_on"), "2026-03-10");
  ASSERT_EQ(d.ctx().armed().size(), 1u);
  EXPECT_EQ(d.ctx().armed()[0].purpose, "risk_assessment.assessor_response");
  EXPECT_EQ(d.ctx().armed()[0].working_days, 5);
  ASSERT_EQ(d.ctx().notifications().size(), 1u);
  EXPECT_EQ(d.ctx().notifications()[0].message, "provider_proposed");
}

TEST(RiskAssessmentTest, ReportFallsDueFifteenWorkingDaysAfterTheAssessorAccepts) {
  Dispatch d("awaiting_provider", "assessor_accepts", R"({})", R"({"provider_id":42,"summary":"falling results"})");
  ASSERT_EQ(d.ctx().armed().size(), 1u);
  EXPECT_EQ(d.ctx().armed()[0].purpose, "risk_assessment.report");
  EXPECT_EQ(d.ctx().armed()[0].from, day(kToday));
  EXPECT_EQ(d.ctx().armed()[0].working_days, 15);
  EXPECT_EQ(d.data().at("report_due_on"), "2026-03-31");
  EXPECT_EQ(d.data().at("deployed_provider_id"), 42);
  EXPECT_EQ(d.data().at("matched_on"), "2026-03-10");
}

TEST(RiskAssessmentTest, ReportDeadlineFollowsTheConfiguredDays) {
  Dispatch d("awaiting_provider", "assessor_accepts", R"({})", R"({"provider_id":42})", kToday,
             [](std::string_view purpose) { return purpose == "risk_assessment.report" ? 20 : 5; });
  ASSERT_EQ(d.ctx().armed().size(), 1u);
  EXPECT_EQ(d.ctx().armed()[0].working_days, 20);
  // Twenty working days from 2026-03-10 pass over Good Friday and Easter Monday.
  EXPECT_EQ(d.data().at("report_due_on"), "2026-04-09");
}

TEST(RiskAssessmentTest, ADecliningAssessorIsRememberedAndMatchingStartsAgain) {
  Dispatch d("awaiting_provider", "assessor_declines", R"({"reason":"no capacity"})",
             R"({"provider_id":42,"declined_provider_ids":[7]})");
  EXPECT_EQ(d.state(), "matching");
  EXPECT_EQ(d.data().at("declined_provider_ids"), (boost::json::array{7, 42}));
  EXPECT_FALSE(d.data().contains("provider_id"));
  ASSERT_EQ(d.ctx().armed().size(), 1u);
  EXPECT_EQ(d.ctx().armed()[0].purpose, "risk_assessment.matching");
}

TEST(RiskAssessmentTest, VisitDaysAddUp) {
  Dispatch first("assessment", "log_visit", R"({"date":"2026-03-09","days":1,"activity":"observations"})");
  const auto after_first = boost::json::serialize(first.data());
  Dispatch second("assessment", "log_visit", R"({"date":"2026-03-10","days":0.5,"activity":"feedback"})", after_first);
  EXPECT_EQ(second.state(), "assessment");
  EXPECT_DOUBLE_EQ(second.data().at("days_logged").to_number<double>(), 1.5);
  EXPECT_TRUE(second.ctx().armed().empty());
}

TEST(RiskAssessmentTest, SubmittedReportRecordsRiskLevelAndRecommendations) {
  Dispatch d("assessment", "submit_report", kReport, R"({"provider_id":42})", "2026-03-20");
  EXPECT_EQ(d.state(), "report_submitted");
  EXPECT_EQ(d.data().at("risk_level"), "high");
  EXPECT_EQ(d.data().at("recommendations"), "maths leadership support");
  EXPECT_EQ(d.data().at("report_submitted_on"), "2026-03-20");
  EXPECT_TRUE(d.ctx().armed().empty());
}

TEST(RiskAssessmentTest, RecommendingSupportOpensALinkedSupportRequest) {
  Dispatch d("report_submitted", "recommend_support", R"({"summary":"maths leadership support"})",
             R"({"source":"local_authority","summary":"falling results","risk_level":"high"})");
  EXPECT_EQ(d.state(), "support_recommended");
  EXPECT_EQ(kind().phase_of(d.state()), workflow::Phase::closed);
  ASSERT_EQ(d.ctx().linked_cases().size(), 1u);
  EXPECT_EQ(d.ctx().linked_cases()[0].kind, "support_request");
  EXPECT_EQ(d.ctx().linked_cases()[0].payload,
            (boost::json::object{{"source", "risk_assessment"}, {"summary", "maths leadership support"}}));
  // The referral's own summary stays; the recommendation is kept beside it.
  EXPECT_EQ(d.data().at("summary"), "falling results");
  EXPECT_EQ(d.data().at("support_summary"), "maths leadership support");
  EXPECT_EQ(d.data().at("support_recommended_on"), "2026-03-10");
  EXPECT_EQ(d.data().at("closed_on"), "2026-03-10");
}

TEST(RiskAssessmentTest, LinkedSupportRequestIsOneTheSupportRequestKindAccepts) {
  const auto* support = all_kinds()->find("support_request");
  ASSERT_NE(support, nullptr);
  Dispatch d("report_submitted", "recommend_support", R"({"summary":"maths"})");
  ASSERT_EQ(d.ctx().linked_cases().size(), 1u);
  for (const auto& [key, value] : d.ctx().linked_cases()[0].payload) {
    const auto fields = support->open_fields();
    const auto field = std::find_if(fields.begin(), fields.end(), [&](const auto& f) { return f.name == key; });
    ASSERT_NE(field, fields.end()) << key;
    if (!field->one_of.empty()) {
      EXPECT_NE(("," + std::string(field->one_of) + ",").find("," + std::string(value.as_string()) + ","),
                std::string::npos)
          << key << " = " << value;
    }
  }
}

TEST(RiskAssessmentTest, ClosingOpensNoLinkedCase) {
  Dispatch d("report_submitted", "close", R"({})");
  EXPECT_EQ(d.state(), "closed");
  EXPECT_TRUE(d.ctx().linked_cases().empty());
  EXPECT_EQ(d.data().at("closed_on"), "2026-03-10");
}

TEST(RiskAssessmentTest, WithdrawalRecordsWhereItLeftAndWhy) {
  Dispatch d("assessment", "withdraw", R"({"reason":"school closing"})");
  EXPECT_EQ(d.state(), "withdrawn");
  EXPECT_EQ(d.data().at("withdrawn_reason"), "school closing");
  EXPECT_EQ(d.data().at("withdrawn_from"), "assessment");
  EXPECT_EQ(d.data().at("withdrawn_on"), "2026-03-10");
}

}  // namespace
}  // namespace s2s::cases
