#include "cases/kinds.h"
#include "tests/cases/kind_test_support.h"

namespace s2s::cases {
namespace {

S2S_KIND_UNDER_TEST(make_support_request_kind);

constexpr std::string_view kTerms =
    R"({"priority":"high","focus_areas":["maths","SEND"],"requested_days":10,"funding_source":"RDG"})";
constexpr std::string_view kPlan =
    R"({"objectives":"raise KS2 maths","planned_days":6,"starts_on":"2026-03-16","ends_on":"2026-05-22"})";
constexpr std::string_view kRated = R"({"impact":"greater depth up","rating":{"grade":2}})";

// One day logged on 2026-03-09 (entry 1); and the same, struck out by entry 2.
constexpr const char* kOneEntry =
    R"({"day_entries":[{"entry":1,"date":"2026-03-09","days":1,"activity":"coaching"}],"days_logged":1})";
constexpr const char* kCorrected =
    R"({"day_entries":[{"entry":1,"date":"2026-03-09","days":1,"activity":"coaching"},)"
    R"({"entry":2,"date":"2026-03-09","days":0,"activity":"error","corrects":1}],"days_logged":0})";

const std::vector<Step> kSteps = {
    // referred
    {"referred", "accept_referral", kTerms, moved, "matching"},
    {"referred", "decline_referral", R"({"reason":"out of area"})", moved, "declined"},
    {"referred", "withdraw", R"({"reason":"no longer needed"})", moved, "withdrawn"},
    {"referred", "propose_provider", R"({"provider_id":42})", not_allowed, "referred"},
    {"referred", "close", R"({})", not_allowed, "referred", {}, kRated},
    {"referred", "no_such_event", R"({})", not_allowed, "referred"},
    // matching
    {"matching", "propose_provider", R"({"provider_id":42})", moved, "awaiting_provider"},
    {"matching", "propose_provider", R"({"provider_id":42,"note":"SLE maths"})", moved, "awaiting_provider"},
    {"matching", "withdraw", R"({"reason":"school converted"})", moved, "withdrawn"},
    {"matching", "accept_referral", kTerms, not_allowed, "matching"},
    {"matching", "agree_plan", kPlan, not_allowed, "matching"},
    // awaiting_provider
    {"awaiting_provider", "provider_accepts", R"({})", moved, "planning", {}, R"({"provider_id":42})"},
    {"awaiting_provider",
     "provider_declines",
     R"({"reason":"no capacity"})",
     moved,
     "matching",
     {},
     R"({"provider_id":42})"},
    {"awaiting_provider", "withdraw", R"({"reason":"no longer needed"})", moved, "withdrawn"},
    {"awaiting_provider", "propose_provider", R"({"provider_id":43})", not_allowed, "awaiting_provider"},
    // planning
    {"planning", "agree_plan", kPlan, moved, "deployment"},
    {"planning", "agree_plan",
     R"({"objectives":"one day","planned_days":1,"starts_on":"2026-03-16","ends_on":"2026-03-16"})", moved,
     "deployment"},
    {"planning", "agree_plan",
     R"({"objectives":"backwards","planned_days":1,"starts_on":"2026-03-16","ends_on":"2026-03-13"})", guard_rejected,
     "planning", "ends_on is before starts_on"},
    {"planning", "withdraw", R"({"reason":"head left"})", moved, "withdrawn"},
    {"planning", "log_days", R"({"date":"2026-03-09","days":1,"activity":"early"})", not_allowed, "planning"},
    // deployment
    {"deployment", "log_days", R"({"date":"2026-03-09","days":1,"activity":"coaching"})", moved, "deployment"},
    {"deployment", "log_days", R"({"date":"2026-03-10","days":0.5,"activity":"feedback"})", moved, "deployment"},
    {"deployment", "log_days", R"({"date":"2026-03-09","days":1.5,"activity":"too long"})", guard_rejected,
     "deployment", "days must be 0.5 or 1 for one date (half-day steps); 0 only in a correction, to strike out"},
    {"deployment", "log_days", R"({"date":"2026-03-09","days":0,"activity":"nothing"})", guard_rejected, "deployment",
     "days must be 0.5 or 1 for one date (half-day steps); 0 only in a correction, to strike out"},
    {"deployment", "log_days", R"({"date":"2026-03-06","days":1,"activity":"early"})", guard_rejected, "deployment",
     "date 2026-03-06 is before the deployment starts on 2026-03-09",
     R"({"starts_on":"2026-03-09","ends_on":"2026-03-20"})"},
    {"deployment", "log_days", R"({"date":"2026-03-10","days":1,"activity":"late"})", guard_rejected, "deployment",
     "date 2026-03-10 is after the deployment ends on 2026-03-09",
     R"({"starts_on":"2026-03-02","ends_on":"2026-03-09"})"},
    {"deployment", "log_days", R"({"date":"2026-03-11","days":1,"activity":"tomorrow"})", guard_rejected, "deployment",
     "date 2026-03-11 is after the event's occurred_on: days cannot be logged ahead"},
    // corrections name an entry in force; at most one day per date
    {"deployment",
     "log_days",
     R"({"date":"2026-03-09","days":0.5,"activity":"half","corrects":1})",
     moved,
     "deployment",
     {},
     kOneEntry},
    {"deployment",
     "log_days",
     R"({"date":"2026-03-09","days":0,"activity":"logged in error","corrects":1})",
     moved,
     "deployment",
     {},
     kOneEntry},
    {"deployment", "log_days", R"({"date":"2026-03-09","days":0.5,"activity":"x","corrects":3})", guard_rejected,
     "deployment", "corrects: entry 3 does not exist (this case has 1 entries)", kOneEntry},
    {"deployment", "log_days", R"({"date":"2026-03-09","days":0.5,"activity":"x","corrects":1})", guard_rejected,
     "deployment", "corrects: entry 1 was already corrected by entry 2; correct that one instead", kCorrected},
    {"deployment", "log_days", R"({"date":"2026-03-09","days":0.5,"activity":"more"})", guard_rejected, "deployment",
     "2026-03-09 already has 1 day logged: at most 1 day per date", kOneEntry},
    {"deployment",
     "log_days",
     R"({"date":"2026-03-09","days":1,"activity":"again"})",
     moved,
     "deployment",
     {},
     kCorrected},
    {"deployment", "complete_deployment", R"({})", moved, "evaluation"},
    {"deployment", "withdraw", R"({"reason":"school closing"})", moved, "withdrawn"},
    {"deployment", "submit_rating", R"({"grade":2})", not_allowed, "deployment"},
    // evaluation
    {"evaluation", "submit_rating", R"({"grade":2})", moved, "evaluation"},
    {"evaluation", "submit_rating", R"({"grade":1,"comment":"excellent"})", moved, "evaluation"},
    {"evaluation", "submit_rating", R"({"grade":0})", guard_rejected, "evaluation", "grade must be 1, 2, 3 or 4"},
    {"evaluation", "submit_rating", R"({"grade":5})", guard_rejected, "evaluation", "grade must be 1, 2, 3 or 4"},
    {"evaluation", "record_impact", R"({"outcome":"plan met","impact":"greater depth up"})", moved, "evaluation"},
    {"evaluation", "close", R"({})", moved, "closed", {}, kRated},
    {"evaluation",
     "close",
     R"({})",
     moved,
     "closed",
     {},
     R"({"impact":"greater depth up","rating_due_on":"2026-03-09"})"},
    {"evaluation", "close", R"({})", guard_rejected, "evaluation",
     "a rating from the school is needed until the rating window ends",
     R"({"impact":"greater depth up","rating_due_on":"2026-03-10"})"},
    {"evaluation", "close", R"({})", guard_rejected, "evaluation", "impact must be recorded before closing",
     R"({"rating":{"grade":2}})"},
    {"evaluation", "withdraw", R"({"reason":"academy conversion"})", moved, "withdrawn"},
    {"evaluation", "log_days", R"({"date":"2026-03-09","days":1,"activity":"late"})", not_allowed, "evaluation"},
    // terminal states
    {"closed", "submit_rating", R"({"grade":2})", not_allowed, "closed"},
    {"closed", "withdraw", R"({"reason":"late"})", not_allowed, "closed"},
    {"declined", "accept_referral", kTerms, not_allowed, "declined"},
    {"withdrawn", "accept_referral", kTerms, not_allowed, "withdrawn"},
};

TEST(SupportRequestTest, EveryStepBehavesAsTheTableSays) { testing::expect_steps<kind>(kSteps); }

TEST(SupportRequestTest, EveryTableRowIsExercisedBySomeStep) { testing::expect_every_row_covered<kind>(kSteps); }

TEST(SupportRequestTest, OpeningKeepsTheReferralArmsTriageAndAnnouncesIt) {
  const testing::Opening<kind> opening(R"({"source":"self","summary":"maths leadership"})");
  const auto& ctx = opening.ctx();
  const auto& data = opening.data();
  const auto& payload = opening.payload();
  EXPECT_EQ(data, payload);
  ASSERT_EQ(ctx.armed().size(), 1u);
  EXPECT_EQ(ctx.armed()[0].purpose, "support_request.triage");
  EXPECT_EQ(ctx.armed()[0].working_days, 5);
  ASSERT_EQ(ctx.notifications().size(), 1u);
  EXPECT_EQ(ctx.notifications()[0].message, "referral_received");
  EXPECT_EQ(kind().initial_state(), "referred");
}

TEST(SupportRequestTest, AcceptingKeepsTheTermsAndStartsTheMatchingDeadline) {
  Dispatch d("referred", "accept_referral", kTerms);
  EXPECT_EQ(d.data().at("priority"), "high");
  EXPECT_EQ(d.data().at("focus_areas"), (boost::json::array{"maths", "SEND"}));
  EXPECT_EQ(d.data().at("requested_days"), 10);
  EXPECT_EQ(d.data().at("funding_source"), "RDG");
  EXPECT_EQ(d.data().at("accepted_on"), "2026-03-10");
  ASSERT_EQ(d.ctx().armed().size(), 1u);
  EXPECT_EQ(d.ctx().armed()[0].purpose, "support_request.matching");
  EXPECT_EQ(d.ctx().armed()[0].working_days, 10);
}

TEST(SupportRequestTest, ProposingAProviderAsksForTheirResponseWithinFiveDays) {
  Dispatch d("matching", "propose_provider", R"({"provider_id":42})");
  EXPECT_EQ(d.data().at("provider_id"), 42);
  EXPECT_EQ(d.data().at("proposed_on"), "2026-03-10");
  ASSERT_EQ(d.ctx().armed().size(), 1u);
  EXPECT_EQ(d.ctx().armed()[0].purpose, "support_request.provider_response");
  EXPECT_EQ(d.ctx().armed()[0].working_days, 5);
  ASSERT_EQ(d.ctx().notifications().size(), 1u);
  EXPECT_EQ(d.ctx().notifications()[0].message, "provider_proposed");
}

TEST(SupportRequestTest, AcceptingProviderIsDeployedAndPlanningFallsDue) {
  Dispatch d("awaiting_provider", "provider_accepts", R"({})",
             R"({"source":"self","summary":"maths","priority":"high","provider_id":42})");
  EXPECT_EQ(d.state(), "planning");
  EXPECT_EQ(d.data().at("deployed_provider_id"), 42);
  EXPECT_EQ(d.data().at("provider_id"), 42);
  EXPECT_EQ(d.data().at("matched_on"), "2026-03-10");
  ASSERT_EQ(d.ctx().armed().size(), 1u);
  EXPECT_EQ(d.ctx().armed()[0].purpose, "support_request.planning");
  EXPECT_EQ(d.ctx().armed()[0].working_days, 10);
}

TEST(SupportRequestTest, ADecliningProviderIsRememberedAndMatchingStartsAgain) {
  Dispatch d("awaiting_provider", "provider_declines", R"({"reason":"no capacity"})",
             R"({"provider_id":42,"declined_provider_ids":[7]})");
  EXPECT_EQ(d.state(), "matching");
  EXPECT_EQ(d.data().at("declined_provider_ids"), (boost::json::array{7, 42}));
  EXPECT_FALSE(d.data().contains("provider_id"));
  ASSERT_EQ(d.ctx().armed().size(), 1u);
  EXPECT_EQ(d.ctx().armed()[0].purpose, "support_request.matching");
}

TEST(SupportRequestTest, FirstDecliningProviderStartsTheDeclinedList) {
  Dispatch d("awaiting_provider", "provider_declines", R"({"reason":"no capacity"})", R"({"provider_id":42})");
  EXPECT_EQ(d.state(), "matching");
  EXPECT_EQ(d.data(), (boost::json::object{{"declined_provider_ids", boost::json::array{42}}}));
}

TEST(SupportRequestTest, AgreedPlanStartsTheDeploymentAndSaysSo) {
  Dispatch d("planning", "agree_plan", kPlan);
  EXPECT_EQ(d.state(), "deployment");
  EXPECT_EQ(d.data().at("objectives"), "raise KS2 maths");
  EXPECT_EQ(d.data().at("starts_on"), "2026-03-16");
  ASSERT_EQ(d.ctx().notifications().size(), 1u);
  EXPECT_EQ(d.ctx().notifications()[0].message, "deployment_agreed");
}

TEST(SupportRequestTest, LoggedDaysAddUp) {
  Dispatch d("deployment", "log_days", R"({"date":"2026-03-09","days":0.5,"activity":"coaching"})",
             R"({"days_logged":3})");
  EXPECT_EQ(d.state(), "deployment");
  EXPECT_DOUBLE_EQ(d.data().at("days_logged").to_number<double>(), 3.5);
}

TEST(SupportRequestTest, DayEntriesAreNumberedAndAskForTheDaysToBeRecorded) {
  Dispatch d("deployment", "log_days", R"({"date":"2026-03-09","days":1,"activity":"coaching"})",
             R"({"deployed_provider_id":42,"capacity_year":"2025/26","funding_source":"SSIF"})");
  ASSERT_EQ(d.data().at("day_entries").as_array().size(), 1u);
  const auto& entry = d.data().at("day_entries").as_array()[0].as_object();
  EXPECT_EQ(entry.at("entry"), 1);
  EXPECT_EQ(entry.at("date"), "2026-03-09");
  EXPECT_EQ(entry.at("logged_on"), "2026-03-10");
  ASSERT_EQ(d.ctx().effects().size(), 1u);
  const auto& effect = d.ctx().effects()[0];
  EXPECT_EQ(effect.name, "deployment.log_day");
  EXPECT_EQ(effect.args.at("system_leader_id"), 42);
  EXPECT_EQ(effect.args.at("entry"), 1);
  EXPECT_EQ(effect.args.at("academic_year"), "2025/26");
  EXPECT_EQ(effect.args.at("funding_source"), "SSIF");
  EXPECT_DOUBLE_EQ(effect.args.at("change").to_number<double>(), 1);
}

TEST(SupportRequestTest, ACorrectionIsANewEntryAndLogsOnlyTheDifference) {
  Dispatch d("deployment", "log_days", R"({"date":"2026-03-10","days":0.5,"activity":"it was half","corrects":1})",
             std::string(R"({"deployed_provider_id":42,"capacity_year":"2025/26",)") + (kOneEntry + 1));
  const auto& entries = d.data().at("day_entries").as_array();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].as_object().at("days"), 1) << "the corrected entry is kept as it was";
  EXPECT_EQ(entries[1].as_object().at("entry"), 2);
  EXPECT_EQ(entries[1].as_object().at("corrects"), 1);
  EXPECT_EQ(entries[1].as_object().at("date"), "2026-03-10");
  EXPECT_DOUBLE_EQ(d.data().at("days_logged").to_number<double>(), 0.5);
  ASSERT_EQ(d.ctx().effects().size(), 1u);
  EXPECT_DOUBLE_EQ(d.ctx().effects()[0].args.at("change").to_number<double>(), -0.5);
  EXPECT_EQ(d.ctx().effects()[0].args.at("corrects"), 1);
}

TEST(SupportRequestTest, CompletedDeploymentOpensTheRatingWindow) {
  Dispatch d("deployment", "complete_deployment", R"({})");
  EXPECT_EQ(d.state(), "evaluation");
  ASSERT_EQ(d.ctx().armed().size(), 1u);
  EXPECT_EQ(d.ctx().armed()[0].purpose, "support_request.rating");
  EXPECT_EQ(d.ctx().armed()[0].working_days, 10);
  EXPECT_EQ(d.data().at("deployment_ended_on"), "2026-03-10");
  EXPECT_EQ(d.data().at("rating_due_on"), "2026-03-24");
  ASSERT_EQ(d.ctx().notifications().size(), 1u);
  EXPECT_EQ(d.ctx().notifications()[0].message, "rating_requested");
}

TEST(SupportRequestTest, RatingIsKeptAndSettlesTheRatingDeadline) {
  Dispatch d("evaluation", "submit_rating", R"({"grade":2,"comment":"helpful"})", R"({"rating_due_on":"2026-03-24"})");
  EXPECT_EQ(d.state(), "evaluation");
  const boost::json::object rating{{"grade", 2}, {"rated_on", "2026-03-10"}, {"by", "actor"}, {"comment", "helpful"}};
  EXPECT_EQ(d.data().at("rating"), rating);
  EXPECT_EQ(d.ctx().settled(), (std::vector<std::string>{"support_request.rating"}));
}

TEST(SupportRequestTest, ClosingWithoutImpactOrRatingGivesBothReasons) {
  Dispatch d("evaluation", "close", R"({})", R"({"rating_due_on":"2026-03-24"})");
  EXPECT_EQ(d.outcome(), guard_rejected);
  const std::vector<std::string> reasons{"impact must be recorded before closing",
                                         "a rating from the school is needed until the rating window ends"};
  EXPECT_EQ(d.ctx().refusals(), reasons);
}

TEST(SupportRequestTest, ClosingAfterTheRatingWindowNeedsNoRating) {
  Dispatch d("evaluation", "close", R"({})", R"({"impact":"greater depth up","rating_due_on":"2026-03-24"})",
             "2026-03-25");
  EXPECT_EQ(d.outcome(), moved);
  EXPECT_EQ(d.state(), "closed");
  EXPECT_EQ(d.data().at("closed_on"), "2026-03-25");
}

TEST(SupportRequestTest, WithdrawalRecordsWhereItLeftAndWhy) {
  Dispatch d("deployment", "withdraw", R"({"reason":"school closing"})");
  EXPECT_EQ(d.state(), "withdrawn");
  EXPECT_EQ(d.data().at("withdrawn_reason"), "school closing");
  EXPECT_EQ(d.data().at("withdrawn_from"), "deployment");
  EXPECT_EQ(d.data().at("withdrawn_on"), "2026-03-10");
}

}  // namespace
}  // namespace s2s::cases
