#include "cases/kinds.h"
#include "tests/cases/kind_test_support.h"

namespace s2s::cases {
namespace {

S2S_KIND_UNDER_TEST(make_pupil_premium_review_kind);

constexpr std::string_view kReport = R"({"summary":"spending well targeted","action_plan":"tutoring for Year 6"})";

const std::vector<Step> kSteps = {
    // referred
    {"referred", "accept_referral", R"({})", moved, "matching"},
    {"referred", "accept_referral", R"({"note":"LA request"})", moved, "matching"},
    {"referred", "decline_referral", R"({"reason":"reviewed last year"})", moved, "declined"},
    {"referred", "withdraw", R"({"reason":"no longer needed"})", moved, "withdrawn"},
    {"referred", "propose_reviewer", R"({"provider_id":42})", not_allowed, "referred"},
    {"referred", "no_such_event", R"({})", not_allowed, "referred"},
    // matching
    {"matching", "propose_reviewer", R"({"provider_id":42})", moved, "awaiting_provider"},
    {"matching", "propose_reviewer", R"({"provider_id":42,"note":"accredited 2025"})", moved, "awaiting_provider"},
    {"matching", "withdraw", R"({"reason":"school converted"})", moved, "withdrawn"},
    {"matching", "reviewer_accepts", R"({})", not_allowed, "matching"},
    // awaiting_provider
    {"awaiting_provider", "reviewer_accepts", R"({})", moved, "review", {}, R"({"provider_id":42})"},
    {"awaiting_provider",
     "reviewer_declines",
     R"({"reason":"no capacity"})",
     moved,
     "matching",
     {},
     R"({"provider_id":42})"},
    {"awaiting_provider", "withdraw", R"({"reason":"no longer needed"})", moved, "withdrawn"},
    {"awaiting_provider", "visits_complete", R"({"last_visit_on":"2026-03-09"})", not_allowed, "awaiting_provider"},
    // review
    {"review", "log_visit", R"({"date":"2026-03-09","days":1,"activity":"interviews"})", moved, "review"},
    {"review", "log_visit", R"({"date":"2026-03-10","days":0.5,"activity":"book look"})", moved, "review"},
    {"review", "log_visit", R"({"date":"2026-03-09","days":2,"activity":"too long"})", guard_rejected, "review",
     "days must be 0.5 or 1 for one date (half-day steps); 0 only in a correction, to strike out"},
    {"review", "log_visit", R"({"date":"2026-03-09","days":-1,"activity":"negative"})", guard_rejected, "review",
     "days must be 0.5 or 1 for one date (half-day steps); 0 only in a correction, to strike out"},
    {"review", "log_visit", R"({"date":"2026-03-12","days":1,"activity":"ahead"})", guard_rejected, "review",
     "date 2026-03-12 is after the event's occurred_on: days cannot be logged ahead"},
    {"review", "visits_complete", R"({"last_visit_on":"2026-03-03"})", moved, "report_due"},
    {"review", "visits_complete", R"({"last_visit_on":"2026-03-10"})", moved, "report_due"},
    {"review", "visits_complete", R"({"last_visit_on":"2026-03-11"})", guard_rejected, "review",
     "last_visit_on is after the event's occurred_on: visits cannot be completed ahead"},
    {"review", "withdraw", R"({"reason":"school closing"})", moved, "withdrawn"},
    {"review", "submit_report", kReport, not_allowed, "review"},
    // report_due
    {"report_due", "submit_report", kReport, moved, "follow_up"},
    {"report_due", "withdraw", R"({"reason":"school closing"})", moved, "withdrawn"},
    {"report_due", "submit_rating", R"({"grade":2})", not_allowed, "report_due"},
    {"report_due", "log_visit", R"({"date":"2026-03-09","days":1,"activity":"late"})", not_allowed, "report_due"},
    // follow_up
    {"follow_up", "submit_rating", R"({"grade":1})", moved, "follow_up"},
    {"follow_up", "submit_rating", R"({"grade":4,"comment":"not useful"})", moved, "follow_up"},
    {"follow_up", "submit_rating", R"({"grade":0})", guard_rejected, "follow_up", "grade must be 1, 2, 3 or 4"},
    {"follow_up", "submit_rating", R"({"grade":5})", guard_rejected, "follow_up", "grade must be 1, 2, 3 or 4"},
    {"follow_up", "complete_follow_up", R"({"outcome":"action plan under way"})", moved, "closed"},
    {"follow_up", "withdraw", R"({"reason":"academy conversion"})", moved, "withdrawn"},
    {"follow_up", "submit_report", kReport, not_allowed, "follow_up"},
    // terminal states
    {"closed", "submit_rating", R"({"grade":2})", not_allowed, "closed"},
    {"closed", "withdraw", R"({"reason":"late"})", not_allowed, "closed"},
    {"declined", "accept_referral", R"({})", not_allowed, "declined"},
    {"withdrawn", "accept_referral", R"({})", not_allowed, "withdrawn"},
};

TEST(PupilPremiumReviewTest, EveryStepBehavesAsTheTableSays) { testing::expect_steps<kind>(kSteps); }

TEST(PupilPremiumReviewTest, EveryTableRowIsExercisedBySomeStep) { testing::expect_every_row_covered<kind>(kSteps); }

TEST(PupilPremiumReviewTest, OpeningKeepsTheReferralArmsTriageAndAnnouncesIt) {
  const testing::Opening<kind> opening(R"({"source":"self","summary":"disadvantaged gap widening"})");
  const auto& ctx = opening.ctx();
  const auto& data = opening.data();
  const auto& payload = opening.payload();
  EXPECT_EQ(data, payload);
  ASSERT_EQ(ctx.armed().size(), 1u);
  EXPECT_EQ(ctx.armed()[0].purpose, "pupil_premium.triage");
  EXPECT_EQ(ctx.armed()[0].working_days, 5);
  ASSERT_EQ(ctx.notifications().size(), 1u);
  EXPECT_EQ(ctx.notifications()[0].message, "referral_received");
  EXPECT_EQ(kind().initial_state(), "referred");
}

TEST(PupilPremiumReviewTest, AcceptingTheReferralStartsTheMatchingDeadline) {
  Dispatch d("referred", "accept_referral", R"({})");
  ASSERT_EQ(d.ctx().armed().size(), 1u);
  EXPECT_EQ(d.ctx().armed()[0].purpose, "pupil_premium.matching");
  EXPECT_EQ(d.ctx().armed()[0].working_days, 10);
  EXPECT_EQ(d.data().at("accepted_on"), "2026-03-10");
}

TEST(PupilPremiumReviewTest, ProposingAReviewerAsksForTheirResponseWithinFiveDays) {
  Dispatch d("matching", "propose_reviewer", R"({"provider_id":42})");
  EXPECT_EQ(d.data().at("provider_id"), 42);
  ASSERT_EQ(d.ctx().armed().size(), 1u);
  EXPECT_EQ(d.ctx().armed()[0].purpose, "pupil_premium.reviewer_response");
  EXPECT_EQ(d.ctx().armed()[0].working_days, 5);
  ASSERT_EQ(d.ctx().notifications().size(), 1u);
  EXPECT_EQ(d.ctx().notifications()[0].message, "provider_proposed");
}

TEST(PupilPremiumReviewTest, AcceptingReviewerIsRecordedAsDeployed) {
  Dispatch d("awaiting_provider", "reviewer_accepts", R"({})", R"({"provider_id":42})");
  EXPECT_EQ(d.state(), "review");
  EXPECT_EQ(d.data().at("deployed_provider_id"), 42);
  EXPECT_EQ(d.data().at("matched_on"), "2026-03-10");
  EXPECT_TRUE(d.ctx().armed().empty());
}

TEST(PupilPremiumReviewTest, ADecliningReviewerIsRememberedAndMatchingStartsAgain) {
  Dispatch d("awaiting_provider", "reviewer_declines", R"({"reason":"no capacity"})", R"({"provider_id":42})");
  EXPECT_EQ(d.state(), "matching");
  EXPECT_EQ(d.data().at("declined_provider_ids"), (boost::json::array{42}));
  EXPECT_FALSE(d.data().contains("provider_id"));
  ASSERT_EQ(d.ctx().armed().size(), 1u);
  EXPECT_EQ(d.ctx().armed()[0].purpose, "pupil_premium.matching");
}

TEST(PupilPremiumReviewTest, VisitDaysAddUp) {
  Dispatch first("review", "log_visit", R"({"date":"2026-03-09","days":0.5,"activity":"interviews"})",
                 R"({"days_logged":1})");
  EXPECT_DOUBLE_EQ(first.data().at("days_logged").to_number<double>(), 1.5);
  EXPECT_TRUE(first.ctx().armed().empty());
}

TEST(PupilPremiumReviewTest, ReportIsDueFromTheLastVisitNotFromWhenVisitsAreMarkedComplete) {
  // The last visit was on 2026-03-03; the lead marks the visits complete a week later.
  Dispatch d("review", "visits_complete", R"({"last_visit_on":"2026-03-03"})", "{}", "2026-03-10");
  EXPECT_EQ(d.state(), "report_due");
  ASSERT_EQ(d.ctx().armed().size(), 1u);
  EXPECT_EQ(d.ctx().armed()[0].purpose, "pupil_premium.report");
  EXPECT_EQ(d.ctx().armed()[0].from, day("2026-03-03"));
  EXPECT_EQ(d.ctx().armed()[0].working_days, 10);
  EXPECT_EQ(d.data().at("report_due_on"), "2026-03-17");
  EXPECT_EQ(d.data().at("last_visit_on"), "2026-03-03");
}

TEST(PupilPremiumReviewTest, SubmittedReportStartsTheFollowUpAndAsksForARating) {
  Dispatch d("report_due", "submit_report", kReport, R"({"summary":"disadvantaged gap widening"})", "2026-03-10");
  EXPECT_EQ(d.state(), "follow_up");
  ASSERT_EQ(d.ctx().armed().size(), 1u);
  EXPECT_EQ(d.ctx().armed()[0].purpose, "pupil_premium.follow_up");
  EXPECT_EQ(d.ctx().armed()[0].from, day("2026-03-10"));
  EXPECT_EQ(d.ctx().armed()[0].working_days, 60);
  // Sixty working days, over Good Friday, Easter Monday and the two May bank holidays.
  EXPECT_EQ(d.data().at("follow_up_due_on"), "2026-06-08");
  ASSERT_EQ(d.ctx().notifications().size(), 1u);
  EXPECT_EQ(d.ctx().notifications()[0].message, "rating_requested");
  EXPECT_EQ(d.data().at("report_summary"), "spending well targeted");
  EXPECT_EQ(d.data().at("action_plan"), "tutoring for Year 6");
  EXPECT_EQ(d.data().at("report_submitted_on"), "2026-03-10");
  // The referral's summary is not overwritten by the report's.
  EXPECT_EQ(d.data().at("summary"), "disadvantaged gap widening");
}

TEST(PupilPremiumReviewTest, RatingIsKeptAndSettlesNoDeadline) {
  Dispatch d("follow_up", "submit_rating", R"({"grade":2,"comment":"helpful"})",
             R"({"rating":{"grade":3,"rated_on":"2026-03-01","by":"someone"}})");
  EXPECT_EQ(d.state(), "follow_up");
  const boost::json::object rating{{"grade", 2}, {"rated_on", "2026-03-10"}, {"by", "actor"}, {"comment", "helpful"}};
  EXPECT_EQ(d.data().at("rating"), rating);
  EXPECT_TRUE(d.ctx().settled().empty());
  EXPECT_TRUE(d.ctx().armed().empty());
}

TEST(PupilPremiumReviewTest, CompletedFollowUpClosesTheCase) {
  Dispatch d("follow_up", "complete_follow_up", R"({"outcome":"action plan under way"})");
  EXPECT_EQ(d.state(), "closed");
  EXPECT_EQ(d.data().at("outcome"), "action plan under way");
  EXPECT_EQ(d.data().at("closed_on"), "2026-03-10");
}

TEST(PupilPremiumReviewTest, WithdrawalIsPossibleFromEveryOpenState) {
  for (const auto& state : kind().states()) {
    if (workflow::is_terminal(state.phase)) continue;
    Dispatch d(state.name, "withdraw", R"({"reason":"no longer needed"})");
    EXPECT_EQ(d.state(), "withdrawn") << state.name;
    EXPECT_EQ(d.data().at("withdrawn_from").as_string(), state.name);
    EXPECT_EQ(d.data().at("withdrawn_reason"), "no longer needed");
  }
}

}  // namespace
}  // namespace s2s::cases
