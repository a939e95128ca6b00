#include "cases/kinds.h"
#include "tests/cases/kind_test_support.h"

namespace s2s::cases {
namespace {

S2S_KIND_UNDER_TEST(make_designation_review_kind);

constexpr std::string_view kWindowEndsOn = R"({"appeal_window_ends_on":"2026-03-24"})";

const std::vector<Step> kSteps = {
    // opened
    {"opened", "accept_review", R"({})", moved, "matching"},
    {"opened", "accept_review", R"({"note":"annual review"})", moved, "matching"},
    {"opened", "withdraw", R"({"reason":"opened in error"})", moved, "withdrawn"},
    {"opened", "assign_reviewer", R"({"reviewer_id":17})", not_allowed, "opened"},
    {"opened", "panel_retains", R"({})", not_allowed, "opened"},
    {"opened", "no_such_event", R"({})", not_allowed, "opened"},
    // matching
    {"matching", "assign_reviewer", R"({"reviewer_id":17})", moved, "review"},
    {"matching", "withdraw", R"({"reason":"designation surrendered"})", moved, "withdrawn"},
    {"matching", "submit_review", R"({"findings":"good"})", not_allowed, "matching"},
    // review
    {"review", "submit_review", R"({"findings":"criteria no longer met"})", moved, "panel_decision"},
    {"review", "withdraw", R"({"reason":"designation surrendered"})", moved, "withdrawn"},
    {"review", "panel_retains", R"({})", not_allowed, "review"},
    // panel_decision
    {"panel_decision", "panel_retains", R"({})", moved, "closed"},
    {"panel_decision", "panel_retains", R"({"note":"criteria met"})", moved, "closed"},
    {"panel_decision", "panel_de_designates", R"({"reason":"criteria no longer met"})", moved, "appeal_window"},
    {"panel_decision", "withdraw", R"({"reason":"too late"})", not_allowed, "panel_decision"},
    {"panel_decision", "lodge_appeal", R"({"grounds":"unfair"})", not_allowed, "panel_decision"},
    // appeal_window
    {"appeal_window", "lodge_appeal", R"({"grounds":"evidence overlooked"})", moved, "appeal_panel", {}, kWindowEndsOn},
    {"appeal_window",
     "lodge_appeal",
     R"({"grounds":"on the last day"})",
     moved,
     "appeal_panel",
     {},
     kWindowEndsOn,
     "2026-03-24"},
    {"appeal_window", "lodge_appeal", R"({"grounds":"a day late"})", guard_rejected, "appeal_window",
     "the appeal window closed on 2026-03-24", kWindowEndsOn, "2026-03-25"},
    {"appeal_window", "lodge_appeal", R"({"grounds":"no window"})", guard_rejected, "appeal_window",
     "the case has no appeal window end date"},
    {"appeal_window", "appeal_window_closes", R"({})", moved, "contact_due", {}, kWindowEndsOn, "2026-03-24"},
    {"appeal_window", "appeal_upheld", R"({})", not_allowed, "appeal_window"},
    {"appeal_window", "record_contact", R"({"method":"visit","summary":"options"})", not_allowed, "appeal_window"},
    {"appeal_window", "withdraw", R"({"reason":"too late"})", not_allowed, "appeal_window"},
    // appeal_panel
    {"appeal_panel", "appeal_overturned", R"({})", moved, "closed"},
    {"appeal_panel", "appeal_overturned", R"({"note":"evidence accepted"})", moved, "closed"},
    {"appeal_panel", "appeal_upheld", R"({})", moved, "contact_due"},
    {"appeal_panel", "appeal_upheld", R"({"note":"decision stands"})", moved, "contact_due"},
    // A window timer that fires after an appeal was lodged finds nothing to close.
    {"appeal_panel", "appeal_window_closes", R"({})", not_allowed, "appeal_panel"},
    {"appeal_panel", "lodge_appeal", R"({"grounds":"again"})", not_allowed, "appeal_panel"},
    // contact_due
    {"contact_due", "record_contact", R"({"method":"visit","summary":"options outlined"})", moved, "next_steps"},
    {"contact_due", "record_contact", R"({"method":"conversation","summary":"call"})", moved, "next_steps"},
    {"contact_due", "agree_next_steps", R"({"next_steps":"support"})", not_allowed, "contact_due"},
    {"contact_due", "withdraw", R"({"reason":"too late"})", not_allowed, "contact_due"},
    // next_steps
    {"next_steps", "agree_next_steps", R"({"next_steps":"brokered support from a partner school"})", moved, "closed"},
    {"next_steps", "record_contact", R"({"method":"visit","summary":"again"})", not_allowed, "next_steps"},
    // terminal states
    {"closed", "accept_review", R"({})", not_allowed, "closed"},
    {"closed", "lodge_appeal", R"({"grounds":"late"})", not_allowed, "closed", {}, kWindowEndsOn},
    {"withdrawn", "withdraw", R"({"reason":"twice"})", not_allowed, "withdrawn"},
};

TEST(DesignationReviewTest, EveryStepBehavesAsTheTableSays) { testing::expect_steps<kind>(kSteps); }

TEST(DesignationReviewTest, EveryTableRowIsExercisedBySomeStep) { testing::expect_every_row_covered<kind>(kSteps); }

TEST(DesignationReviewTest, OpeningKeepsTheReferralAndArmsNoDeadline) {
  const testing::Opening<kind> opening(
      R"({"designation_id":7,"reason":"KS2 results"})");
  const auto& ctx = opening.ctx();
  const auto& data = opening.data();
  const auto& payload = opening.payload();
  boost::json::object expected = payload;
  expected["subject_type"] = "system_leader";
  EXPECT_EQ(data, expected);
  EXPECT_TRUE(ctx.armed().empty());
  // The reviewed designation is named by id, and checked to exist in the opening's transaction.
  ASSERT_EQ(ctx.effects().size(), 1u);
  EXPECT_EQ(ctx.effects()[0].name, "designation.review");
  EXPECT_EQ(ctx.effects()[0].args.at("designation_id").as_int64(), 7);
  ASSERT_EQ(ctx.notifications().size(), 1u);
  EXPECT_EQ(ctx.notifications()[0].message, "referral_received");
  EXPECT_EQ(kind().initial_state(), "opened");
}

TEST(DesignationReviewTest, AcceptingTheReviewArmsNoDeadline) {
  Dispatch d("opened", "accept_review", R"({})");
  EXPECT_EQ(d.state(), "matching");
  EXPECT_TRUE(d.ctx().armed().empty());
  EXPECT_EQ(d.data().at("accepted_on"), "2026-03-10");
}

TEST(DesignationReviewTest, AssigningAReviewerGivesTwentyWorkingDaysForTheReview) {
  Dispatch d("matching", "assign_reviewer", R"({"reviewer_id":17})");
  ASSERT_EQ(d.ctx().armed().size(), 1u);
  EXPECT_EQ(d.ctx().armed()[0].purpose, "designation_review.review");
  EXPECT_EQ(d.ctx().armed()[0].from, day(kToday));
  EXPECT_EQ(d.ctx().armed()[0].working_days, 20);
  EXPECT_EQ(d.data().at("reviewer_id"), 17);
  // Twenty working days from 2026-03-10 pass over Good Friday and Easter Monday.
  EXPECT_EQ(d.data().at("review_due_on"), "2026-04-09");
}

TEST(DesignationReviewTest, SubmittedReviewKeepsTheFindings) {
  Dispatch d("review", "submit_review", R"({"findings":"criteria no longer met"})");
  EXPECT_EQ(d.state(), "panel_decision");
  EXPECT_EQ(d.data().at("findings"), "criteria no longer met");
  EXPECT_EQ(d.data().at("review_submitted_on"), "2026-03-10");
}

TEST(DesignationReviewTest, RetainedDesignationClosesTheCase) {
  Dispatch d("panel_decision", "panel_retains", R"({"note":"criteria met"})");
  EXPECT_EQ(d.state(), "closed");
  EXPECT_EQ(d.data().at("decision"), "retained");
  EXPECT_EQ(d.data().at("closed_on"), "2026-03-10");
  EXPECT_TRUE(d.ctx().armed().empty());
}

TEST(DesignationReviewTest, DeDesignationOpensATenDayAppealWindow) {
  Dispatch d("panel_decision", "panel_de_designates", R"({"reason":"criteria no longer met"})",
             R"({"reason":"KS2 results"})");
  EXPECT_EQ(d.state(), "appeal_window");
  ASSERT_EQ(d.ctx().armed().size(), 1u);
  EXPECT_EQ(d.ctx().armed()[0].purpose, "designation_review.appeal_window");
  EXPECT_EQ(d.ctx().armed()[0].from, day(kToday));
  EXPECT_EQ(d.ctx().armed()[0].working_days, 10);
  EXPECT_EQ(d.data().at("appeal_window_ends_on"), "2026-03-24");
  EXPECT_EQ(d.data().at("decision"), "de_designated");
  EXPECT_EQ(d.data().at("decided_on"), "2026-03-10");
  // The panel's reason sits beside the referral's, not over it.
  EXPECT_EQ(d.data().at("de_designation_reason"), "criteria no longer met");
  EXPECT_EQ(d.data().at("reason"), "KS2 results");
}

TEST(DesignationReviewTest, AppealWindowPassingFiresItsClosingEventWithoutAReminder) {
  const auto* window = kind().find_deadline("designation_review.appeal_window");
  ASSERT_NE(window, nullptr);
  EXPECT_EQ(window->due_event, "appeal_window_closes");
  EXPECT_FALSE(window->remind);
  EXPECT_EQ(window->default_working_days, 10);
  const auto* closes = kind().find_event("appeal_window_closes");
  ASSERT_NE(closes, nullptr);
  EXPECT_EQ(closes->who, "system");
}

TEST(DesignationReviewTest, AppealOnTheWindowsLastDayIsHeard) {
  Dispatch d("appeal_window", "lodge_appeal", R"({"grounds":"evidence overlooked"})", kWindowEndsOn, "2026-03-24");
  EXPECT_EQ(d.outcome(), moved);
  EXPECT_EQ(d.state(), "appeal_panel");
  EXPECT_EQ(d.data().at("appeal_grounds"), "evidence overlooked");
  EXPECT_EQ(d.data().at("appeal_lodged_on"), "2026-03-24");
}

TEST(DesignationReviewTest, AppealAfterTheWindowIsRefusedWithTheDayItClosed) {
  Dispatch d("appeal_window", "lodge_appeal", R"({"grounds":"a day late"})", kWindowEndsOn, "2026-03-25");
  EXPECT_EQ(d.outcome(), guard_rejected);
  EXPECT_EQ(d.state(), "appeal_window");
  EXPECT_EQ(d.ctx().refusals(), (std::vector<std::string>{"the appeal window closed on 2026-03-24"}));
  EXPECT_EQ(d.data(), object_of(kWindowEndsOn));
}

TEST(DesignationReviewTest, WindowClosingUnheardStartsTheContactDeadlineFromItsLastDay) {
  Dispatch d("appeal_window", "appeal_window_closes", R"({})", kWindowEndsOn, "2026-03-24");
  EXPECT_EQ(d.state(), "contact_due");
  ASSERT_EQ(d.ctx().armed().size(), 1u);
  EXPECT_EQ(d.ctx().armed()[0].purpose, "designation_review.contact");
  EXPECT_EQ(d.ctx().armed()[0].from, day("2026-03-24"));
  EXPECT_EQ(d.ctx().armed()[0].working_days, 10);
  EXPECT_EQ(d.data().at("decision_final_on"), "2026-03-24");
  // Over Good Friday (2026-04-03) and Easter Monday (2026-04-06).
  EXPECT_EQ(d.data().at("contact_due_on"), "2026-04-09");
  ASSERT_EQ(d.ctx().notifications().size(), 1u);
  EXPECT_EQ(d.ctx().notifications()[0].message, "contact_due");
}

TEST(DesignationReviewTest, UpheldAppealStartsTheContactDeadlineFromThePanelDate) {
  // The panel sat on 2026-03-31; the outcome is recorded a week later, but the
  // event carries the panel's date and the ten working days run from it.
  Dispatch d("appeal_panel", "appeal_upheld", R"({"note":"decision stands"})", R"({"appeal_lodged_on":"2026-03-20"})",
             "2026-03-31");
  EXPECT_EQ(d.state(), "contact_due");
  ASSERT_EQ(d.ctx().armed().size(), 1u);
  EXPECT_EQ(d.ctx().armed()[0].purpose, "designation_review.contact");
  EXPECT_EQ(d.ctx().armed()[0].from, day("2026-03-31"));
  EXPECT_EQ(d.ctx().armed()[0].working_days, 10);
  EXPECT_EQ(d.data().at("decision_final_on"), "2026-03-31");
  EXPECT_EQ(d.data().at("contact_due_on"), "2026-04-16");
  ASSERT_EQ(d.ctx().notifications().size(), 1u);
  EXPECT_EQ(d.ctx().notifications()[0].message, "contact_due");
}

TEST(DesignationReviewTest, OverturnedAppealClosesWithTheDesignationRetained) {
  Dispatch d("appeal_panel", "appeal_overturned", R"({"note":"evidence accepted"})");
  EXPECT_EQ(d.state(), "closed");
  EXPECT_EQ(d.data().at("decision"), "retained_on_appeal");
  EXPECT_EQ(d.data().at("closed_on"), "2026-03-10");
  EXPECT_TRUE(d.ctx().armed().empty());
  EXPECT_TRUE(d.ctx().notifications().empty());
}

TEST(DesignationReviewTest, RecordedContactKeepsMethodSummaryAndDate) {
  Dispatch d("contact_due", "record_contact", R"({"method":"visit","summary":"options outlined"})",
             R"({"contact_due_on":"2026-04-16"})", "2026-04-14");
  EXPECT_EQ(d.state(), "next_steps");
  EXPECT_EQ(d.data().at("contact_method"), "visit");
  EXPECT_EQ(d.data().at("contact_summary"), "options outlined");
  EXPECT_EQ(d.data().at("contacted_on"), "2026-04-14");
}

TEST(DesignationReviewTest, AgreedNextStepsCloseTheCase) {
  Dispatch d("next_steps", "agree_next_steps", R"({"next_steps":"brokered support"})");
  EXPECT_EQ(d.state(), "closed");
  EXPECT_EQ(d.data().at("next_steps"), "brokered support");
  EXPECT_EQ(d.data().at("closed_on"), "2026-03-10");
}

TEST(DesignationReviewTest, WithdrawalIsPossibleOnlyBeforeThePanelDecides) {
  for (const auto& state : kind().states()) {
    const auto allowed = kind().allowed_events(state.name);
    const bool withdrawable = std::find(allowed.begin(), allowed.end(), "withdraw") != allowed.end();
    const bool before_panel = state.name == "opened" || state.name == "matching" || state.name == "review";
    EXPECT_EQ(withdrawable, before_panel) << state.name;
  }
  Dispatch d("review", "withdraw", R"({"reason":"designation surrendered"})");
  EXPECT_EQ(d.data().at("withdrawn_reason"), "designation surrendered");
  EXPECT_EQ(d.data().at("withdrawn_from"), "review");
  EXPECT_EQ(d.data().at("withdrawn_on"), "2026-03-10");
}

}  // namespace
}  // namespace s2s::cases
