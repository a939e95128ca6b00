// Matching on a hand-built register: five schools and nine system leaders,
// each placed to meet one rule of docs/matching.md.
#include "cases/matching.h"

#include <gtest/gtest.h>
#include <soci/soci.h>
#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "cases/case_list.h"
#include "cases/deployments.h"
#include "cases/gias_import.h"
#include "cases/kinds.h"
#include "cases/providers.h"
#include "cases/users.h"
#include "tests/support/test_clock.h"
#include "tests/support/test_database.h"
#include "workflow/date.h"
#include "workflow/engine.h"
#include "workflow/errors.h"
#include "workflow/kept_history.h"

namespace s2s::cases {
namespace {

using namespace std::chrono;
using workflow::Case;
using workflow::EngineError;

year_month_day d(const char* text) { return *workflow::parse_date(text); }

// West and North Northamptonshire are one mini region (Northamptonshire).
constexpr std::string_view kSchools =
    "URN,EstablishmentName,LA (code),LA (name),PhaseOfEducation (name),EstablishmentStatus (name),"
    "Trusts (code),Trusts (name)\n"
    "300001,Supported Primary,940,West Northamptonshire,Primary,Open,9001,Oak Trust\n"
    "300002,Oak Sister Primary,925,Lincolnshire,Primary,Open,9001,Oak Trust\n"
    "300003,Nene Primary,940,West Northamptonshire,Primary,Open,,\n"
    "300004,Welland Secondary,941,North Northamptonshire,Secondary,Open,,\n"
    "300005,Fen Primary,925,Lincolnshire,Primary,Open,,\n";

const boost::json::object kReferral{{"source", "self"}, {"summary", "maths and SEND"}};
const boost::json::object kTerms{{"priority", "high"},
                                 {"focus_areas", boost::json::array{"maths", "SEND"}},
                                 {"requested_days", 6},
                                 {"funding_source", "SSIF"}};

class MatchingTest : public ::testing::Test {
 protected:
  MatchingTest() : clock_(sys_days(d("2026-11-02")) + hours(9)) {}

  void SetUp() override {
    db_ = test_db_.open_migrated({.pool_size = 4});
    engine_ = std::make_unique<workflow::Engine>(db_, all_kinds(), workflow::EngineOptions{{}, clock_.function(), 5});
    (void)import_gias(*db_, kSchools);
    ada_ = leader("Ada Local", 300003, "SLE", "maths, SEND", 20);
    ben_ = leader("Ben Region", 300004, "NLE", "", 20);
    cat_ = leader("Cat Far", 300005, "SLE", "maths", 20);
    dee_ = leader("Dee Same", 300001, "NLE", "", 20);
    eve_ = leader("Eve Trust", 300002, "NLE", "", 20);
    fay_ = leader("Fay Full", 300003, "SLE", "maths", 5);
    gus_ = create_system_leader(*db_, "Gus Lapsed", "gus@example.org", 300003, std::nullopt);
    add_designation(*db_, gus_, "SLE", "maths", d("2023-09-01"), d("2026-08-31"));
    set_capacity(*db_, gus_, "2026/27", 20);
    hal_ = leader("Hal Governor", 300003, "NLG", "", 20);
    ivy_ = create_system_leader(*db_, "Ivy NoOffer", "ivy@example.org", 300003, std::nullopt);
    add_designation(*db_, ivy_, "NLE", "", d("2020-09-01"), std::nullopt);
  }

  std::int64_t leader(const char* name, int urn, const char* designation, const char* specialisms, double days) {
    std::string email = name;
    std::replace(email.begin(), email.end(), ' ', '.');
    const auto id = create_system_leader(*db_, name, email + "@example.org", urn, std::nullopt);
    add_designation(*db_, id, designation, specialisms, d("2020-09-01"), std::nullopt);
    set_capacity(*db_, id, "2026/27", days);
    return id;
  }

  // A support request for the supported school, accepted and in matching.
  Case in_matching(int urn = 300001) {
    const Case c = engine_->open_case("support_request", urn, kReferral, "s2s");
    return engine_->apply(c.id, "accept_referral", kTerms, "s2s", engine_->today());
  }

  MatchResult match(const Case& c) {
    return match_providers(*db_, match_request_for(*all_kinds()->find(c.kind), engine_->get(c.id), d("2026-11-02")));
  }

  static const RankedProvider* ranked(const MatchResult& r, std::int64_t id) {
    for (const auto& p : r.ranked) {
      if (p.system_leader_id == id) return &p;
    }
    return nullptr;
  }
  static std::vector<std::string> exclusion_codes(const MatchResult& r, std::int64_t id) {
    for (const auto& p : r.excluded) {
      if (p.system_leader_id != id) continue;
      std::vector<std::string> codes;
      for (const auto& reason : p.reasons) codes.push_back(reason.code);
      return codes;
    }
    return {};
  }
  static double points(const RankedProvider& p, std::string_view criterion) {
    for (const auto& c : p.criteria) {
      if (c.name == criterion) return c.points;
    }
    ADD_FAILURE() << "no criterion " << criterion;
    return -1;
  }
  static std::string reason(const RankedProvider& p, std::string_view criterion) {
    for (const auto& c : p.criteria) {
      if (c.name == criterion) return c.reason;
    }
    return {};
  }

  testing::TestClock clock_;
  testing::TestDatabase test_db_;
  std::shared_ptr<workflow::Database> db_;
  std::unique_ptr<workflow::Engine> engine_;
  std::int64_t ada_ = 0, ben_ = 0, cat_ = 0, dee_ = 0, eve_ = 0, fay_ = 0, gus_ = 0, hal_ = 0, ivy_ = 0;
};

TEST_F(MatchingTest, EveryProviderIsRankedOrExcludedWithItsReasons) {
  const MatchResult r = match(in_matching());
  EXPECT_EQ(r.academic_year, "2026/27");
  ASSERT_EQ(r.ranked.size() + r.excluded.size(), 9u);
  EXPECT_EQ(exclusion_codes(r, dee_), std::vector<std::string>{"conflict_same_school"});
  EXPECT_EQ(exclusion_codes(r, eve_), std::vector<std::string>{"conflict_same_trust"});
  EXPECT_EQ(exclusion_codes(r, fay_), std::vector<std::string>{"capacity"});
  EXPECT_EQ(exclusion_codes(r, gus_), std::vector<std::string>{"inactive"});
  EXPECT_EQ(exclusion_codes(r, hal_), std::vector<std::string>{"designation"});
  EXPECT_EQ(exclusion_codes(r, ivy_), std::vector<std::string>{"capacity"});
  for (const auto& p : r.excluded) {
    for (const auto& why : p.reasons) EXPECT_FALSE(why.reason.empty()) << p.name;
  }
  const auto& fay = *std::find_if(r.excluded.begin(), r.excluded.end(),
                                  [&](const ExcludedProvider& p) { return p.system_leader_id == fay_; });
  EXPECT_EQ(fay.reasons[0].reason, "has 5 unreserved days in 2026/27, 6 needed");
  const auto& gus = *std::find_if(r.excluded.begin(), r.excluded.end(),
                                  [&](const ExcludedProvider& p) { return p.system_leader_id == gus_; });
  EXPECT_EQ(gus.reasons[0].reason, "no fitting designation is active on 2026-11-02: SLE (maths) ended 2026-08-31");

  ASSERT_EQ(r.ranked.size(), 3u);
  EXPECT_EQ(r.ranked[0].system_leader_id, ada_);
  EXPECT_EQ(r.ranked[1].system_leader_id, cat_);
  EXPECT_EQ(r.ranked[2].system_leader_id, ben_);
}

TEST_F(MatchingTest, EachScoreIsExplainedCriterionByCriterion) {
  const MatchResult r = match(in_matching());
  const RankedProvider& ada = *ranked(r, ada_);
  EXPECT_DOUBLE_EQ(points(ada, "phase"), 20);
  EXPECT_EQ(reason(ada, "phase"), "same phase (Primary)");
  EXPECT_DOUBLE_EQ(points(ada, "specialism"), 25);
  EXPECT_EQ(reason(ada, "specialism"), "covers maths, SEND of maths, SEND");
  EXPECT_DOUBLE_EQ(points(ada, "locality"), 15);
  EXPECT_EQ(reason(ada, "locality"), "same local authority (West Northamptonshire)");
  EXPECT_DOUBLE_EQ(points(ada, "capacity"), 15.0 * 14 / 20);
  EXPECT_EQ(reason(ada, "capacity"), "20 of 20 days unreserved in 2026/27; 14 left after this");
  EXPECT_DOUBLE_EQ(points(ada, "ratings"), 7.5);
  EXPECT_DOUBLE_EQ(points(ada, "load"), 10);
  EXPECT_DOUBLE_EQ(ada.score, 20 + 25 + 15 + 10.5 + 7.5 + 10);
  EXPECT_EQ(ada.designations, std::vector<std::string>{"SLE (maths, SEND)"});
  EXPECT_DOUBLE_EQ(ada.unreserved_days, 20);

  const RankedProvider& ben = *ranked(r, ben_);
  EXPECT_DOUBLE_EQ(points(ben, "phase"), 0);
  EXPECT_EQ(reason(ben, "phase"), "different phase (Secondary for Primary)");
  EXPECT_DOUBLE_EQ(points(ben, "specialism"), 0);
  EXPECT_DOUBLE_EQ(points(ben, "locality"), 9);
  EXPECT_EQ(reason(ben, "locality"), "same mini region (Northamptonshire)");

  const RankedProvider& cat = *ranked(r, cat_);
  EXPECT_DOUBLE_EQ(points(cat, "specialism"), 12.5);
  EXPECT_DOUBLE_EQ(points(cat, "locality"), 0);
}

TEST_F(MatchingTest, EarlierRatingsAndCurrentLoadMoveTheRanking) {
  // Ada is busy on another case (proposed); Cat was rated outstanding before.
  const Case other = in_matching(300005);
  engine_->apply(other.id, "propose_provider", {{"provider_id", ada_}}, "s2s", engine_->today());
  const Case earlier = in_matching(300004);
  const auto today = engine_->today();
  engine_->apply(earlier.id, "propose_provider", {{"provider_id", cat_}}, "s2s", today);
  engine_->apply(earlier.id, "provider_accepts", {}, "s2s", today);
  engine_->apply(earlier.id, "agree_plan",
                 {{"objectives", "x"}, {"planned_days", 6}, {"starts_on", "2026-11-02"}, {"ends_on", "2026-11-30"}},
                 "s2s", today);
  engine_->apply(earlier.id, "complete_deployment", {}, "s2s", today);
  engine_->apply(earlier.id, "submit_rating", {{"grade", 1}}, "s2s", today);

  const MatchResult r = match(in_matching());
  const RankedProvider& ada = *ranked(r, ada_);
  EXPECT_DOUBLE_EQ(points(ada, "load"), 5);
  EXPECT_EQ(reason(ada, "load"), "1 current deployment");
  const RankedProvider& cat = *ranked(r, cat_);
  EXPECT_DOUBLE_EQ(points(cat, "ratings"), 15);
  EXPECT_EQ(reason(cat, "ratings"), "mean grade 1.0 from 1 rating (1 outstanding .. 4 inadequate)");
  EXPECT_DOUBLE_EQ(points(cat, "load"), 10) << "an ended deployment is no load";
  EXPECT_DOUBLE_EQ(cat.unreserved_days, 20) << "the completed deployment gave its unused days back";
}

TEST_F(MatchingTest, OnlyAnEligibleProviderCanBeProposedAndTheRefusalSaysWhy) {
  const Case c = in_matching();
  try {
    engine_->apply(c.id, "propose_provider", {{"provider_id", eve_}}, "s2s", engine_->today());
    FAIL() << "a provider from the same trust was proposed";
  } catch (const EngineError& e) {
    EXPECT_EQ(e.code(), EngineError::Code::guard_failed);
    EXPECT_NE(e.reason().find("home school Oak Sister Primary is in the same trust (Oak Trust)"), std::string::npos)
        << e.reason();
  }
  EXPECT_EQ(engine_->get(c.id).state, "matching");
  EXPECT_TRUE(deployments_of(*db_, c.id).empty());
  try {
    engine_->apply(c.id, "propose_provider", {{"provider_id", 999}}, "s2s", engine_->today());
    FAIL() << "an unknown provider was proposed";
  } catch (const EngineError& e) {
    EXPECT_EQ(e.code(), EngineError::Code::guard_failed);
    EXPECT_NE(e.reason().find("no system leader has id 999"), std::string::npos) << e.reason();
  }
  engine_->apply(c.id, "propose_provider", {{"provider_id", ada_}}, "s2s", engine_->today());
  const auto proposed = deployments_of(*db_, c.id);
  ASSERT_EQ(proposed.size(), 1u);
  EXPECT_EQ(proposed[0].system_leader_id, ada_);
  EXPECT_EQ(proposed[0].status, "proposed");
}

TEST_F(MatchingTest, AProviderWhoDeclinedIsNotAskedAgain) {
  const Case c = in_matching();
  const auto today = engine_->today();
  engine_->apply(c.id, "propose_provider", {{"provider_id", ada_}}, "s2s", today);
  engine_->apply(c.id, "provider_declines", {{"reason", "no time this term"}}, "s2s", today);
  const MatchResult r = match(c);
  EXPECT_EQ(exclusion_codes(r, ada_), std::vector<std::string>{"already_asked"});
  EXPECT_EQ(r.ranked.front().system_leader_id, cat_);
  EXPECT_EQ(deployments_of(*db_, c.id).at(0).status, "declined");
  EXPECT_THROW(engine_->apply(c.id, "propose_provider", {{"provider_id", ada_}}, "s2s", today), EngineError);
}

TEST_F(MatchingTest, RiskAssessmentsNeedAHeadAndPupilPremiumReviewsAnAccreditedReviewer) {
  const Case ra = engine_->open_case("risk_assessment", 300001, {{"source", "lead"}, {"summary", "concern"}}, "s2s");
  engine_->apply(ra.id, "accept_request", {}, "s2s", engine_->today());
  const MatchResult for_ra = match(ra);
  ASSERT_EQ(for_ra.ranked.size(), 1u) << for_ra.ranked.back().name;
  EXPECT_EQ(for_ra.ranked[0].system_leader_id, ben_);
  EXPECT_EQ(exclusion_codes(for_ra, ada_), std::vector<std::string>{"designation"});

  // Accredited pupil premium reviewers who are NLEs or LLEs: accreditation alone is not enough.
  const auto accredited_only = leader("Pat Reviewer", 300005, "PPR", "", 10);
  const auto reviewer = leader("Quinn Reviewer", 300005, "PPR", "", 10);
  (void)add_designation(*db_, reviewer, "LLE", "leadership", d("2020-09-01"), std::nullopt);
  const Case pp = engine_->open_case("pupil_premium_review", 300001, {{"source", "self"}, {"summary", "PP"}}, "s2s");
  engine_->apply(pp.id, "accept_referral", {}, "s2s", engine_->today());
  const MatchResult for_pp = match(pp);
  ASSERT_EQ(for_pp.ranked.size(), 1u);
  EXPECT_EQ(for_pp.ranked[0].system_leader_id, reviewer);
  EXPECT_EQ(for_pp.ranked[0].designation, "PPR");  // the deployment is made under the accreditation
  EXPECT_EQ(exclusion_codes(for_pp, ben_), std::vector<std::string>{"designation"});
  EXPECT_EQ(exclusion_codes(for_pp, accredited_only), std::vector<std::string>{"designation"});
  // An LLE designation that has ended does not count either.
  const auto lapsed = leader("Ray Reviewer", 300005, "PPR", "", 10);
  (void)add_designation(*db_, lapsed, "NLE", "", d("2020-09-01"), d("2021-08-31"));
  EXPECT_EQ(exclusion_codes(match(pp), lapsed), std::vector<std::string>{"designation"});
}

TEST_F(MatchingTest, ASchoolOutsideTheRegisterCannotBeMatched) {
  const Case c = in_matching(399999);
  EXPECT_THROW((void)match(c), workflow::Refused);
}

// Deployments and day entries as the events leave them.
class DeploymentsTest : public MatchingTest {
 protected:
  // Ada deployed on a support request for the supported school from 2 November.
  // Makes the school SSIF-eligible, in need under the default criteria.
  void in_need(std::int32_t urn) {
    db_->transact([&](soci::session& sql) {
      sql << "UPDATE schools SET ssif_eligible = (1 = 1) WHERE urn = :urn", soci::use(urn);
    });
  }
  Case deployed() {
    const Case c = in_matching();
    const auto today = engine_->today();
    engine_->apply(c.id, "propose_provider", {{"provider_id", ada_}}, "s2s", today);
    engine_->apply(c.id, "provider_accepts", {}, "s2s", today);
    return engine_->apply(
        c.id, "agree_plan",
        {{"objectives", "maths"}, {"planned_days", 6}, {"starts_on", "2026-11-02"}, {"ends_on", "2026-12-18"}}, "s2s",
        today);
  }
  void log(const Case& c, const char* date, double days, const boost::json::object& extra = {}) {
    boost::json::object payload{{"date", date}, {"days", days}, {"activity", "coaching"}};
    for (const auto& [k, v] : extra) payload[k] = v;
    engine_->apply(c.id, "log_days", payload, "s2s", engine_->today());
  }
};

TEST_F(DeploymentsTest, ACorrectionIsANewEntryAndCapacityFollowsTheDaysInForce) {
  clock_.set(sys_days(d("2026-11-10")) + hours(9));
  const Case c = deployed();
  log(c, "2026-11-03", 1);
  log(c, "2026-11-04", 1);
  log(c, "2026-11-05", 0.5, {{"corrects", 1}});  // entry 1 was really half a day on the 5th
  log(c, "2026-11-04", 0, {{"corrects", 2}});    // entry 2 was logged in error

  const auto days = deployment_days(*db_, c.id);
  ASSERT_EQ(days.size(), 4u);
  EXPECT_EQ(days[0].day, "2026-11-03");
  EXPECT_DOUBLE_EQ(days[0].days, 1) << "nothing is edited in place";
  EXPECT_EQ(days[0].corrected_by, 3);
  EXPECT_EQ(days[2].corrects, 1);
  EXPECT_EQ(days[2].funding_source, "SSIF");
  EXPECT_EQ(days[3].corrects, 2);
  EXPECT_FALSE(days[3].corrected_by.has_value());
  // The case's own record of its entries says the same, with no read.
  const auto recorded = recorded_days(engine_->get(c.id));
  ASSERT_EQ(recorded.size(), days.size());
  for (std::size_t i = 0; i < days.size(); ++i) {
    EXPECT_EQ(recorded[i].entry, days[i].entry);
    EXPECT_EQ(recorded[i].day, days[i].day);
    EXPECT_DOUBLE_EQ(recorded[i].days, days[i].days);
    EXPECT_EQ(recorded[i].activity, days[i].activity);
    EXPECT_EQ(recorded[i].corrects, days[i].corrects);
    EXPECT_EQ(recorded[i].corrected_by, days[i].corrected_by);
  }
  EXPECT_EQ(recorded[1].corrected_by, 4);
  EXPECT_TRUE(recorded_days(c).empty()) << "the case as deployed, before any day was logged";
  EXPECT_DOUBLE_EQ(engine_->get(c.id).data.at("days_logged").to_number<double>(), 0.5);
  const auto held = capacity(*db_, ada_, "2026/27");
  EXPECT_DOUBLE_EQ(held.consumed, 0.5);
  EXPECT_DOUBLE_EQ(held.reserved, 6);
}

// Quiet means no day of support in force since the day given: a day a
// correction strikes out or moves is no longer one. The longest quiet first.
TEST_F(DeploymentsTest, AQuietDeploymentGoesByItsLastDayInForceTheLongestQuietFirst) {
  clock_.set(sys_days(d("2026-11-10")) + hours(9));
  const Case c = deployed();
  const workflow::Actor admin("Ann", "admin", "");
  const auto last_day_of = [&](const Case& which, const char* since) -> std::optional<std::string> {
    for (const auto& q : quiet_deployments(*db_, admin, d(since), 50)) {
      if (q.case_id == which.id) return q.last_day;
    }
    return std::nullopt;  // not quiet
  };
  EXPECT_EQ(last_day_of(c, "2026-11-11"), "") << "no day yet: quiet since it began";
  EXPECT_EQ(last_day_of(c, "2026-11-10"), std::nullopt) << "it began on the 10th";
  log(c, "2026-11-03", 1);
  log(c, "2026-11-05", 1);
  EXPECT_EQ(last_day_of(c, "2026-11-11"), "2026-11-05");
  log(c, "2026-11-04", 1);
  EXPECT_EQ(last_day_of(c, "2026-11-11"), "2026-11-05") << "an earlier day logged late keeps the last";
  log(c, "2026-11-05", 0, {{"corrects", 2}});  // the 5th was logged in error
  EXPECT_EQ(last_day_of(c, "2026-11-11"), "2026-11-04");
  log(c, "2026-11-02", 0.5, {{"corrects", 3}});  // the 4th was really half a day on the 2nd
  EXPECT_EQ(last_day_of(c, "2026-11-11"), "2026-11-03");
  EXPECT_EQ(last_day_of(c, "2026-11-03"), std::nullopt) << "a day on the 3rd";

  // A second deployment with no day: quiet since it began, after the first.
  clock_.set(sys_days(d("2026-11-12")) + hours(9));
  const Case later = deployed();
  const auto quiet = quiet_deployments(*db_, admin, d("2026-11-13"), 50);
  ASSERT_EQ(quiet.size(), 2u);
  EXPECT_EQ(quiet[0].case_id, c.id);
  EXPECT_EQ(quiet[1].case_id, later.id);
  EXPECT_EQ(quiet[1].accepted_on, "2026-11-12");
  ASSERT_EQ(quiet_deployments(*db_, admin, d("2026-11-13"), 1).size(), 1u);
  EXPECT_TRUE(quiet_deployments(*db_, workflow::Actor("Sam", "school", "school:1"), d("2026-11-13"), 50).empty())
      << "nobody sees outside their scope";
}

TEST_F(DeploymentsTest, DaysOutsideTheDeploymentOrAheadAreRefusedAndChangeNothing) {
  clock_.set(sys_days(d("2026-11-10")) + hours(9));
  const Case c = deployed();
  log(c, "2026-11-03", 1);
  const auto refused = [&](const char* date, double days, const boost::json::object& extra, const char* why) {
    try {
      log(c, date, days, extra);
      ADD_FAILURE() << "logged " << date;
    } catch (const EngineError& e) {
      EXPECT_EQ(e.code(), EngineError::Code::guard_failed);
      EXPECT_NE(e.reason().find(why), std::string::npos) << e.reason();
    }
  };
  refused("2026-10-30", 1, {}, "before the deployment starts on 2026-11-02");
  refused("2026-11-11", 1, {}, "days cannot be logged ahead");
  refused("2026-11-03", 0.5, {}, "2026-11-03 already has 1 day logged");
  refused("2026-11-04", 0.5, {{"corrects", 7}}, "entry 7 does not exist");
  EXPECT_EQ(deployment_days(*db_, c.id).size(), 1u);
  EXPECT_DOUBLE_EQ(capacity(*db_, ada_, "2026/27").consumed, 1);
}

TEST_F(DeploymentsTest, TheDeploymentFollowsTheCaseToItsRating) {
  const Case c = deployed();
  auto rows = deployments_of(*db_, c.id);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].status, "active");
  EXPECT_EQ(rows[0].accepted_on, "2026-11-02");
  EXPECT_EQ(rows[0].academic_year, "2026/27");
  EXPECT_DOUBLE_EQ(rows[0].days_reserved, 6);
  log(c, "2026-11-02", 1);
  engine_->apply(c.id, "complete_deployment", {}, "s2s", engine_->today());
  engine_->apply(c.id, "submit_rating", {{"grade", 3}}, "s2s", engine_->today());
  engine_->apply(c.id, "submit_rating", {{"grade", 2}, {"comment", "on reflection"}}, "s2s", engine_->today());
  rows = deployments_of(*db_, c.id);
  EXPECT_EQ(rows[0].status, "ended");
  EXPECT_DOUBLE_EQ(rows[0].days_reserved, 1);
  EXPECT_EQ(rows[0].rating, 2) << "a second rating replaces the first";
  const auto history = engine_->history(c.id);
  EXPECT_EQ(std::count_if(history.begin(), history.end(), [](const auto& h) { return h.event == "submit_rating"; }), 2)
      << "both ratings are kept in the history";
}

TEST_F(DeploymentsTest, WithdrawingWhileAProviderIsAskedEndsTheirProposal) {
  const Case c = in_matching();
  engine_->apply(c.id, "propose_provider", {{"provider_id", ada_}}, "s2s", engine_->today());
  engine_->apply(c.id, "withdraw", {{"reason", "joined a trust"}}, "s2s", engine_->today());
  EXPECT_EQ(deployments_of(*db_, c.id).at(0).status, "withdrawn");
  EXPECT_DOUBLE_EQ(points(*ranked(match(in_matching(300005)), ada_), "load"), 10);
}

// People act by role, on cases within their scope (docs/roles.md).
class ScopeTest : public DeploymentsTest {
 protected:
  static workflow::Actor person(const char* role, const std::string& scope) {
    return workflow::Actor(std::string("user:") + role, role, scope);
  }
  // A new user's web session's token, begun at `at`.
  std::string signed_in(const char* name, const char* email, const char* role, const char* scope,
                        std::chrono::system_clock::time_point at, const SessionPolicy& policy) {
    (void)add_user(*db_, name, email, role, scope);
    const auto link = create_sign_in_link(*db_, email, "/", at, policy);
    if (!link) throw std::runtime_error(std::string("no sign-in link for ") + email);
    return redeem_sign_in_link(*db_, link->token, at, policy)->session_token;
  }
  EngineError::Code refused(std::int64_t case_id, const char* event, const boost::json::object& payload,
                            const workflow::Actor& actor) {
    const int version = engine_->get(case_id).version;
    try {
      engine_->apply(case_id, event, payload, actor, engine_->today());
    } catch (const EngineError& e) {
      EXPECT_EQ(engine_->get(case_id).version, version) << "a refused event changes nothing";
      return e.code();
    }
    ADD_FAILURE() << actor.role << " " << actor.scope << " sent " << event;
    return EngineError::Code::unknown_case;
  }
  // A support request for the supported school in evaluation, deployed to Ada.
  Case in_evaluation() {
    const Case c = deployed();
    return engine_->apply(c.id, "complete_deployment", {}, "s2s", engine_->today());
  }
};

TEST_F(ScopeTest, OnlyTheSupportedSchoolRatesItsSupport) {
  const Case c = in_evaluation();
  EXPECT_EQ(refused(c.id, "submit_rating", {{"grade", 1}}, person("school", "school:300005")),
            EngineError::Code::out_of_scope);
  EXPECT_EQ(refused(c.id, "submit_rating", {{"grade", 1}}, person("lead", "mini_region:Northamptonshire")),
            EngineError::Code::not_permitted);
  EXPECT_EQ(
      refused(c.id, "submit_rating", {{"grade", 1}}, person("system_leader", "system_leader:" + std::to_string(ada_))),
      EngineError::Code::not_permitted);
  const Case rated =
      engine_->apply(c.id, "submit_rating", {{"grade", 2}}, person("school", "school:300001"), engine_->today());
  EXPECT_EQ(rated.data.at("rating").at("by"), "user:school");
  EXPECT_EQ(engine_->history(c.id).back().actor, "user:school");
}

TEST_F(ScopeTest, ASystemLeaderActsOnlyOnCasesTheyAreDeployedTo) {
  const Case c = deployed();
  const boost::json::object day{{"date", "2026-11-02"}, {"days", 1}, {"activity", "coaching"}};
  EXPECT_EQ(refused(c.id, "log_days", day, person("system_leader", "system_leader:" + std::to_string(cat_))),
            EngineError::Code::out_of_scope);
  EXPECT_EQ(refused(c.id, "log_days", day, person("school", "school:300001")), EngineError::Code::not_permitted);
  engine_->apply(c.id, "log_days", day, person("system_leader", "system_leader:" + std::to_string(ada_)),
                 engine_->today());
  EXPECT_EQ(deployment_days(*db_, c.id).size(), 1u);

  const Case asked = in_matching(300005);
  engine_->apply(asked.id, "propose_provider", {{"provider_id", ben_}}, "s2s", engine_->today());
  EXPECT_EQ(refused(asked.id, "provider_accepts", {}, person("system_leader", "system_leader:" + std::to_string(ada_))),
            EngineError::Code::out_of_scope)
      << "only the proposed leader answers";
  engine_->apply(asked.id, "provider_accepts", {}, person("system_leader", "system_leader:" + std::to_string(ben_)),
                 engine_->today());
}

TEST_F(ScopeTest, ALeadWorksWithinTheirMiniRegionOrAlliance) {
  const Case c = engine_->open_case("support_request", 300001, kReferral, person("school", "school:300001"));
  EXPECT_EQ(refused(c.id, "accept_referral", kTerms, person("lead", "mini_region:Lincolnshire")),
            EngineError::Code::out_of_scope);
  const auto alliance = create_alliance(*db_, "Nene Valley Alliance", 300003);
  add_alliance_member(*db_, alliance, 300001);
  const auto other = create_alliance(*db_, "Fenland Alliance", 300005);
  EXPECT_EQ(refused(c.id, "accept_referral", kTerms, person("lead", "alliance:" + std::to_string(other))),
            EngineError::Code::out_of_scope);
  engine_->apply(c.id, "accept_referral", kTerms, person("lead", "alliance:" + std::to_string(alliance)),
                 engine_->today());
  engine_->apply(c.id, "propose_provider", {{"provider_id", ada_}}, person("lead", "mini_region:Northamptonshire"),
                 engine_->today());
  EXPECT_EQ(engine_->get(c.id).state, "awaiting_provider");
}

// A case read with its school (the case's page and JSON) is in or out of
// scope exactly as when the database is asked about the school's place.
TEST_F(ScopeTest, ACaseViewIsSeenByTheSamePeopleAsTheCase) {
  const Case c = deployed();
  const auto alliance = create_alliance(*db_, "Nene Valley Alliance", 300003);
  add_alliance_member(*db_, alliance, 300001);
  const auto school = find_school(*db_, c.school_urn);
  ASSERT_TRUE(school.has_value());
  const std::string other_phase = school->phase_group == "primary" ? "secondary" : "primary";
  const std::vector<std::pair<workflow::Actor, bool>> people{
      {person("lead", "mini_region:Northamptonshire"), true},
      {person("lead", "mini_region:Lincolnshire"), false},
      {person("lead", "mini_region:"), false},
      {person("lead", "mini_region:Northamptonshire;phase:" + school->phase_group), true},
      {person("lead", "mini_region:Northamptonshire;phase:" + other_phase), false},
      {person("lead", "alliance:" + std::to_string(alliance)), true},
      {person("la_officer", "la:" + std::to_string(school->la_code)), true},
      {person("la_officer", "la:925"), false},
      {person("la_officer", "la:x"), false},
      {person("school", "school:300001"), true},
      {person("school", "school:300005"), false},
      {person("system_leader", "system_leader:" + std::to_string(ada_)), true},
      {person("system_leader", "system_leader:" + std::to_string(cat_)), false},
      {person("strategic", ""), true},
      {person("visitor", ""), false}};
  for (const auto& [actor, sees] : people) {
    SCOPED_TRACE(actor.role + " " + actor.scope);
    const auto alone = find_visible_case(*engine_, actor, std::to_string(c.id));
    const auto with_school = find_visible_case_view(*engine_, actor, c.reference);
    const auto with_history = find_visible_case_view(*engine_, actor, c.reference, CaseViewParts::with_history);
    EXPECT_EQ(alone.has_value(), sees);
    ASSERT_EQ(with_school.has_value(), sees);
    EXPECT_EQ(with_history.has_value(), sees);
    if (sees) {
      EXPECT_EQ(with_school->c.id, c.id);
      ASSERT_TRUE(with_school->school.has_value());
      EXPECT_EQ(with_school->school->name, school->name);
    }
  }
}

// The view a case's page and JSON show, read in one statement, is what the
// separate reads of the case, its school, its deployment and its deadlines
// give, at each step from matching to evaluation.
TEST_F(ScopeTest, ACaseViewIsTheCaseWithItsSchoolSupporterAndDeadlines) {
  const auto admin = person("admin", "");
  const auto same = [&](const Case& c, const char* step) {
    SCOPED_TRACE(step);
    std::string lower = c.reference;
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    for (const std::string& key : {std::to_string(c.id), c.reference, lower}) {
      const auto view = find_visible_case_view(*engine_, admin, key);
      ASSERT_TRUE(view.has_value()) << key;
      const Case fresh = engine_->get(c.id);
      EXPECT_EQ(view->c.id, fresh.id);
      EXPECT_EQ(view->c.reference, fresh.reference);
      EXPECT_EQ(view->c.state, fresh.state);
      EXPECT_EQ(view->c.version, fresh.version);
      EXPECT_EQ(view->c.data, fresh.data);
      EXPECT_EQ(view->c.opened_on, fresh.opened_on);
      EXPECT_EQ(view->c.opened_at, fresh.opened_at);
      EXPECT_EQ(view->c.updated_at, fresh.updated_at);
      EXPECT_EQ(view->c.closed_at, fresh.closed_at);
      EXPECT_EQ(view->c.overdue, fresh.overdue);
      const auto school = find_school(*db_, c.school_urn);
      ASSERT_EQ(view->school.has_value(), school.has_value());
      if (school) {
        EXPECT_EQ(view->school->urn, school->urn);
        EXPECT_EQ(view->school->name, school->name);
        EXPECT_EQ(view->school->mini_region, school->mini_region);
        EXPECT_EQ(view->school->need, school->need);
      }
      const auto deadlines = engine_->deadlines(c.id);
      ASSERT_EQ(view->deadlines.size(), deadlines.size());
      for (std::size_t i = 0; i < deadlines.size(); ++i) {
        EXPECT_EQ(view->deadlines[i].id, deadlines[i].id);
        EXPECT_EQ(view->deadlines[i].purpose, deadlines[i].purpose);
        EXPECT_EQ(view->deadlines[i].due_on, deadlines[i].due_on);
        EXPECT_EQ(view->deadlines[i].status, deadlines[i].status);
        EXPECT_EQ(view->deadlines[i].settled_on, deadlines[i].settled_on);
        EXPECT_EQ(view->deadlines[i].computation.to_json(), deadlines[i].computation.to_json());
      }
      // The supporter is the latest deployment a provider accepted.
      std::optional<Deployment> accepted;
      for (const auto& row : deployments_of(*db_, c.id)) {
        if (row.status == "active" || row.status == "ended") accepted = row;
      }
      ASSERT_EQ(view->supporter.has_value(), accepted.has_value());
      if (accepted) {
        EXPECT_EQ(view->supporter->system_leader_id, accepted->system_leader_id);
        EXPECT_EQ(view->supporter->status, accepted->status);
      }
      // A page's view is the same with the case's history, read in the same statement.
      EXPECT_FALSE(view->history.has_value()) << "the JSON's view reads no history";
      const auto page = find_visible_case_view(*engine_, admin, key, CaseViewParts::with_history);
      ASSERT_TRUE(page.has_value()) << key;
      EXPECT_EQ(page->c.version, fresh.version);
      EXPECT_EQ(page->c.data, fresh.data);
      EXPECT_EQ(page->c.overdue, fresh.overdue);
      EXPECT_EQ(page->school.has_value(), school.has_value());
      EXPECT_EQ(page->supporter.has_value(), accepted.has_value());
      ASSERT_EQ(page->deadlines.size(), deadlines.size());
      for (std::size_t i = 0; i < deadlines.size(); ++i) EXPECT_EQ(page->deadlines[i].id, deadlines[i].id);
      const auto history = engine_->history(c.id);
      ASSERT_TRUE(page->history.has_value());
      ASSERT_EQ(page->history->size(), history.size());
      ASSERT_GE(history.size(), 2u);
      for (std::size_t i = 0; i < history.size(); ++i) {
        const auto& seen = (*page->history)[i];
        EXPECT_EQ(seen.sequence, history[i].sequence);
        EXPECT_EQ(seen.event, history[i].event);
        EXPECT_EQ(seen.from_state, history[i].from_state);
        EXPECT_EQ(seen.to_state, history[i].to_state);
        EXPECT_EQ(seen.actor, history[i].actor);
        EXPECT_EQ(seen.occurred_on, history[i].occurred_on);
        EXPECT_EQ(seen.recorded_at, history[i].recorded_at);
        EXPECT_EQ(seen.payload, history[i].payload);
        EXPECT_EQ(seen.timer_id, history[i].timer_id);
      }
    }
  };
  const auto view = [&](const Case& c) {
    auto found = find_visible_case_view(*engine_, admin, c.reference);
    if (!found) throw std::runtime_error("no view of " + c.reference);
    return std::move(*found);
  };
  // Matching: no supporter yet, a deadline to propose one.
  Case c = in_matching();
  same(c, "matching");
  EXPECT_FALSE(view(c).supporter.has_value());
  EXPECT_FALSE(view(c).deadlines.empty());
  // Deployed to Ada.
  c = deployed();
  same(c, "deployed");
  const auto active = view(c);
  ASSERT_TRUE(active.supporter.has_value());
  EXPECT_EQ(active.supporter->system_leader_id, ada_);
  EXPECT_EQ(active.supporter->name, "Ada Local");
  EXPECT_EQ(active.supporter->email, "Ada.Local@example.org");
  EXPECT_EQ(active.supporter->home_school_urn, 300003);
  EXPECT_EQ(active.supporter->home_school_name, find_school(*db_, 300003)->name);
  EXPECT_EQ(active.supporter->designation, "SLE (maths, SEND)");
  EXPECT_EQ(active.supporter->status, "active");
  // Completed: Ada's deployment has ended, and she is still who supported it.
  c = engine_->apply(c.id, "complete_deployment", {}, "s2s", engine_->today());
  same(c, "completed");
  EXPECT_EQ(view(c).supporter->status, "ended");
  // Months later, a deadline has passed and its timer has marked it overdue.
  clock_.set(sys_days(d("2027-03-01")) + hours(9));
  (void)engine_->fire_due_timers("test", 100, std::chrono::seconds(60));
  same(c, "overdue");
  const auto late = view(c);
  EXPECT_TRUE(late.c.overdue);
  EXPECT_TRUE(
      std::any_of(late.deadlines.begin(), late.deadlines.end(), [](const auto& d) { return d.status == "overdue"; }));
  // A school not on the register: the case, without a school.
  const Case outside = in_matching(399999);
  same(outside, "outside the register");
  EXPECT_FALSE(view(outside).school.has_value());
  // The view of a case just changed is that case with the rest read afresh.
  const auto after = case_view_of(*engine_, engine_->get(c.id));
  EXPECT_EQ(after.c.version, engine_->get(c.id).version);
  EXPECT_EQ(after.deadlines.size(), late.deadlines.size());
  EXPECT_EQ(after.supporter->system_leader_id, ada_);
  // No such case, by any name.
  for (const char* key : {"0", "99999999", "99999999999999999999999", "SR-1999-0001", "", "1; DROP TABLE cases"}) {
    EXPECT_FALSE(find_visible_case_view(*engine_, admin, key).has_value()) << key;
    EXPECT_FALSE(find_visible_case_view(*engine_, admin, key, CaseViewParts::with_history).has_value()) << key;
  }
}

// A page's view names the users its history's actors name ("user:ID EMAIL")
// exactly as users_of_actors does, in the same statement: a revoked user
// still by name, and nothing for an id that is gone, malformed or too long.
TEST_F(ScopeTest, APagesViewNamesTheUsersItsHistoryNamesAsUsersOfActorsDoes) {
  const auto admin = person("admin", "");
  const Case c = deployed();
  const auto amy = add_user(*db_, "Amy Lead", "amy@example.org", "lead", "mini_region:Northamptonshire");
  const auto head = add_user(*db_, "Head", "head@school.example", "school", "school:300001");
  (void)revoke_tokens(*db_, "head@school.example");
  const std::string amy_id = std::to_string(amy.user.id);
  const std::vector<std::string> actors{actor_of(amy.user).name,
                                        "user:" + amy_id,
                                        actor_of(head.user).name,
                                        "user:999999 gone@example.org",
                                        "user:",
                                        "user:12abc",
                                        "user:-1",
                                        "USER:" + amy_id,
                                        "user:" + amy_id + "x y",
                                        "user:99999999999999999999 big",
                                        "s2s",
                                        "cli:admin"};
  const long long id = c.id;
  db_->transact([&](soci::session& sql) {
    int sequence = 100;
    for (const auto& actor : actors) {
      sql << "INSERT INTO case_history (case_id, sequence, event, from_state, to_state, actor, occurred_on,"
             " recorded_at, payload, timer_id) SELECT case_id, :sequence, event, from_state, to_state, :actor,"
             " occurred_on, recorded_at, payload, NULL FROM case_history WHERE case_id = :id AND sequence = 1",
          soci::use(sequence), soci::use(actor), soci::use(id);
      ++sequence;
    }
  });
  const auto page = find_visible_case_view(*engine_, admin, c.reference, CaseViewParts::with_history);
  ASSERT_TRUE(page.has_value() && page->history.has_value());
  EXPECT_EQ(page->history->size(), engine_->history(c.id).size());
  std::map<std::string, std::string> expected;
  for (const auto& [actor, user] : users_of_actors(*db_, {actors.begin(), actors.end()})) {
    expected.emplace(actor, user.name);
  }
  EXPECT_EQ(expected.size(), 3u) << "Amy by her actor's name and bare, and the revoked head";
  EXPECT_EQ(page->user_names, expected);
  EXPECT_EQ(page->user_names.at("user:" + amy_id), "Amy Lead");
  EXPECT_EQ(page->user_names.at(actor_of(head.user).name), "Head");
  EXPECT_TRUE(find_visible_case_view(*engine_, admin, c.reference)->user_names.empty()) << "the JSON's view reads none";
}

// A case's page read with the person's session in one statement is what
// find_session and the page's view give apart: the session, and the case
// only while the session is live and the case is the person's to see. Its
// use is noted as find_session notes it, so reading pages keeps it alive.
TEST_F(ScopeTest, ACasePageReadWithItsSessionIsTheSessionAndThePagesViewApart) {
  const Case c = deployed();
  in_need(c.school_urn);  // so that a view with the school's need shows one
  const SessionPolicy policy;
  const auto t0 = std::chrono::system_clock::now();
  const auto start = [&](const char* name, const char* email, const char* role, const char* scope) {
    return signed_in(name, email, role, scope, t0, policy);
  };
  const std::string lead = start("Amy Lead", "amy@example.org", "lead", "mini_region:Northamptonshire");
  const std::string far = start("Far Lead", "far@example.org", "lead", "mini_region:Lincolnshire");
  const auto t1 = t0 + std::chrono::minutes(5);

  for (const std::string& key : {c.reference, std::to_string(c.id)}) {
    SCOPED_TRACE(key);
    const auto read = find_session_and_case_page(*engine_, lead, t1, policy, key);
    const auto session = find_session(*db_, lead, t1, policy);
    ASSERT_TRUE(read.session.has_value() && session.has_value());
    EXPECT_EQ(read.session->id, session->id);
    EXPECT_EQ(read.session->csrf_token, session->csrf_token);
    EXPECT_EQ(read.session->user.id, session->user.id);
    EXPECT_EQ(read.session->user.name, "Amy Lead");
    EXPECT_EQ(read.session->user.email, "amy@example.org");
    EXPECT_EQ(read.session->user.role, "lead");
    EXPECT_EQ(read.session->user.scope_kind, "mini_region");
    EXPECT_EQ(read.session->user.scope_value, "Northamptonshire");
    EXPECT_EQ(read.session->user.scope_phases, session->user.scope_phases);
    const auto apart = find_visible_case_view(*engine_, actor_of(session->user), key, CaseViewParts::with_history);
    ASSERT_TRUE(read.view.has_value() && apart.has_value());
    EXPECT_EQ(read.view->c.id, c.id);
    EXPECT_EQ(read.view->c.version, apart->c.version);
    EXPECT_EQ(read.view->c.data, apart->c.data);
    ASSERT_TRUE(read.view->school.has_value());
    EXPECT_EQ(read.view->school->name, apart->school->name);
    EXPECT_EQ(read.view->school->la_code, apart->school->la_code);
    EXPECT_EQ(read.view->school->mini_region, apart->school->mini_region);
    EXPECT_EQ(read.view->school->phase_group, apart->school->phase_group);
    // The page does not show the school's need, so it is not worked out; the view apart has it.
    ASSERT_TRUE(apart->school->need.has_value());
    EXPECT_EQ(apart->school->need, find_school(*db_, c.school_urn)->need);
    EXPECT_FALSE(read.view->school->need.has_value());
    ASSERT_TRUE(read.view->supporter.has_value());
    EXPECT_EQ(read.view->supporter->system_leader_id, ada_);
    ASSERT_EQ(read.view->deadlines.size(), apart->deadlines.size());
    for (std::size_t i = 0; i < apart->deadlines.size(); ++i) {
      EXPECT_EQ(read.view->deadlines[i].id, apart->deadlines[i].id);
    }
    ASSERT_TRUE(read.view->history.has_value());
    ASSERT_EQ(read.view->history->size(), engine_->history(c.id).size());
    for (std::size_t i = 0; i < read.view->history->size(); ++i) {
      EXPECT_EQ((*read.view->history)[i].sequence, (*apart->history)[i].sequence);
      EXPECT_EQ((*read.view->history)[i].event, (*apart->history)[i].event);
    }
    EXPECT_EQ(read.view->user_names, apart->user_names);
  }
  // Another region's lead: their session, not the case.
  const auto other = find_session_and_case_page(*engine_, far, t1, policy, c.reference);
  ASSERT_TRUE(other.session.has_value());
  EXPECT_EQ(other.session->user.email, "far@example.org");
  EXPECT_FALSE(other.view.has_value());
  // No such case, or a key no case can have: the session alone.
  for (const char* key : {"SR-1999-0001", "99999999", "99999999999999999999999", "", "1; DROP TABLE cases"}) {
    const auto none = find_session_and_case_page(*engine_, lead, t1, policy, key);
    EXPECT_TRUE(none.session.has_value()) << key;
    EXPECT_FALSE(none.view.has_value()) << key;
  }
  // Not a live session's token: neither the session nor the case.
  for (const std::string& token : {std::string(), lead + "0", lead.substr(1), std::string(129, 'a'), far + lead}) {
    const auto none = find_session_and_case_page(*engine_, token, t1, policy, c.reference);
    EXPECT_FALSE(none.session.has_value()) << token;
    EXPECT_FALSE(none.view.has_value()) << token;
  }
  const auto idle = t1 + policy.idle + std::chrono::minutes(1);  // the far lead was last seen at t1
  EXPECT_FALSE(find_session_and_case_page(*engine_, far, idle, policy, c.reference).session.has_value());
  const auto absolute = t0 + policy.absolute + std::chrono::minutes(1);
  EXPECT_FALSE(find_session_and_case_page(*engine_, lead, absolute, policy, c.reference).view.has_value());

  // Reading pages notes the use, at most once a minute: the lead's session,
  // read only through case pages, outlives the idle time of its start.
  auto at = t1;
  for (int i = 0; i < 3; ++i) {
    at += policy.idle - std::chrono::minutes(5);
    const auto read = find_session_and_case_page(*engine_, lead, at, policy, c.reference);
    ASSERT_TRUE(read.session.has_value()) << i;
    EXPECT_TRUE(read.view.has_value()) << i;
  }
  EXPECT_TRUE(find_session(*db_, lead, at + std::chrono::minutes(30), policy).has_value());
  // Ended, or its user revoked: nothing.
  end_session(*db_, lead, at + std::chrono::minutes(31));
  EXPECT_FALSE(find_session_and_case_page(*engine_, lead, at + std::chrono::minutes(32), policy, c.reference)
                   .session.has_value());
  const std::string revoked = start("Gone Lead", "gone@example.org", "lead", "mini_region:Northamptonshire");
  ASSERT_TRUE(find_session_and_case_page(*engine_, revoked, t1, policy, c.reference).view.has_value());
  (void)revoke_tokens(*db_, "gone@example.org");
  const auto gone = find_session_and_case_page(*engine_, revoked, t1, policy, c.reference);
  EXPECT_FALSE(gone.session.has_value());
  EXPECT_FALSE(gone.view.has_value());
}

// The page's statement as its text says (case_page_sql), which a benchmark
// runs beside s2sd: bound by its placeholders in order, it reads the case,
// its deadlines, its history after the sequence given and the session, a row
// each, each row's part in its first column.
TEST_F(ScopeTest, TheCasePagesStatementByItsTextReadsWhatThePageReads) {
  const Case c = deployed();
  const SessionPolicy policy;
  const auto t0 = std::chrono::system_clock::now();
  const std::string lead = signed_in("Amy Lead", "amy@example.org", "lead", "mini_region:Northamptonshire", t0, policy);
  const auto history = engine_->history(c.id);
  const auto view = find_session_and_case_page(*engine_, lead, t0, policy, c.reference).view;
  ASSERT_TRUE(view.has_value());
  ASSERT_GE(history.size(), 2U);
  const auto parts_read = [&](int after, const std::string& token) {
    SessionQuery session;
    EXPECT_TRUE(session.set(token, t0, policy));
    auto connection = db_->acquire();
    long long id = c.id;
    soci::row row;
    soci::statement st = (connection.session().prepare << case_page_sql(connection.backend()), soci::use(id),
                          soci::use(after), soci::use(session.touch_before), soci::use(session.hash),
                          soci::use(session.idle_since), soci::use(session.born_since), soci::into(row));
    std::map<long long, int> parts;
    if (st.execute(true)) {
      do {
        ++parts[workflow::row_integer(row, 0)];
      } while (st.fetch());
    }
    return parts;
  };
  const auto all = parts_read(0, lead);
  EXPECT_EQ(all,
            (std::map<long long, int>{
                {1, 1}, {2, static_cast<int>(view->deadlines.size())}, {3, static_cast<int>(history.size())}, {4, 1}}));
  const int last_but_one = history[history.size() - 2].sequence;
  const auto since = parts_read(last_but_one, lead);
  EXPECT_EQ(since.at(3), 1);
  EXPECT_EQ(parts_read(1 << 30, lead).count(3), 0U);
  // Another token: the case without a session row.
  EXPECT_EQ(parts_read(0, lead + "0").count(4), 0U);
}

// A case's page reads its history once and then only the entries written
// since: what it read is kept (workflow/kept_history.h), and the page is the
// kept entries and the new ones, the case's whole history. What is kept for
// another case with the case's id (a database restored) is not used.
TEST_F(ScopeTest, ACasePageReadsItsHistoryOnceAndThenOnlyTheEntriesWrittenSince) {
  clock_.set(sys_days(d("2026-11-10")) + hours(9));
  Case c = deployed();
  const SessionPolicy policy;
  const auto t0 = std::chrono::system_clock::now();
  const std::string lead = signed_in("Amy Lead", "amy@example.org", "lead", "mini_region:Northamptonshire", t0, policy);
  const auto page = [&](const std::string& key) {
    auto read = find_session_and_case_page(*engine_, lead, t0, policy, key);
    if (!read.view || !read.view->history) throw std::runtime_error("no page for " + key);
    return std::move(*read.view);
  };
  // The page's history is the engine's, entry by entry.
  const auto same_as_stored = [&](const CaseView& view) {
    const auto stored = engine_->history(c.id);
    ASSERT_EQ(view.history->size(), stored.size());
    for (std::size_t i = 0; i < stored.size(); ++i) {
      EXPECT_EQ((*view.history)[i].sequence, stored[i].sequence) << i;
      EXPECT_EQ((*view.history)[i].event, stored[i].event) << i;
      EXPECT_EQ((*view.history)[i].payload, stored[i].payload) << i;
      EXPECT_EQ((*view.history)[i].recorded_at, stored[i].recorded_at) << i;
    }
  };
  auto& kept = engine_->kept_history();
  ASSERT_EQ(kept.find(c.id), nullptr);

  same_as_stored(page(std::to_string(c.id)));
  auto held = kept.find(c.id);
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(held->last_sequence(), c.version);
  EXPECT_EQ(kept.find(c.reference), held);

  // Events written since, one of them by a person: read after what is kept, by id and by reference.
  log(c, "2026-11-03", 1);
  const std::string amy = "user:" + std::to_string(find_session(*db_, lead, t0, policy)->user.id) + " amy@example.org";
  c = engine_->apply(c.id, "log_days", {{"date", "2026-11-04"}, {"days", 0.5}, {"activity", "coaching"}},
                     workflow::Actor(amy), engine_->today());
  const auto after = page(c.reference);
  same_as_stored(after);
  EXPECT_EQ(after.user_names.size(), 1u) << "the name of the user the new entry names";
  EXPECT_EQ(after.user_names.begin()->second, "Amy Lead");
  held = kept.find(c.id);
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(held->last_sequence(), c.version);
  EXPECT_EQ(page(std::to_string(c.id)).user_names, after.user_names) << "the names are kept with the entries";

  // The entries kept are not read again: an entry changed under them (which
  // s2s never does) still reads as it was, on the page.
  const long long id = c.id;
  db_->transact([&](soci::session& sql) {
    sql << "UPDATE case_history SET payload = '{\"changed\": true}' WHERE case_id = :id AND sequence = 1",
        soci::use(id);
  });
  EXPECT_FALSE(page(c.reference).history->front().payload.contains("changed"));

  // Kept for another case with this id (another opened_at), or further than
  // the case goes: the history is read whole, and kept in its place.
  for (const std::string kind : {"another case's", "further than the case"}) {
    SCOPED_TRACE(kind);
    auto wrong = std::make_shared<workflow::KeptCaseHistory>(*held);
    if (kind == "another case's") {
      wrong->opened_at = "2020-01-01T00:00:00Z";
    } else {
      wrong->entries.push_back(wrong->entries.back());
      wrong->entries.back().sequence = c.version + 1;
    }
    kept.forget(c.id);
    kept.keep(wrong);
    const auto whole = page(std::to_string(c.id));
    same_as_stored(whole);
    EXPECT_TRUE(whole.history->front().payload.contains("changed")) << "read afresh";
    ASSERT_NE(kept.find(c.id), nullptr);
    EXPECT_EQ(kept.find(c.id)->opened_at, c.opened_at);
    EXPECT_EQ(kept.find(c.id)->last_sequence(), c.version);
  }

  // With no memory for them, nothing is kept and every page reads its history whole.
  workflow::EngineOptions none{{}, clock_.function(), 5};
  none.kept_history_bytes = 0;
  workflow::Engine keeps_none(db_, all_kinds(), none);
  for (int i = 0; i < 2; ++i) {
    const auto read = find_session_and_case_page(keeps_none, lead, t0, policy, c.reference);
    ASSERT_TRUE(read.view.has_value());
    same_as_stored(*read.view);
    EXPECT_EQ(keeps_none.kept_history().figures().cases, 0u);
  }

  // Nothing is kept for a reader without a live session, or a case not theirs to see.
  kept.forget(c.id);
  EXPECT_FALSE(find_session_and_case_page(*engine_, lead + "0", t0, policy, c.reference).view.has_value());
  EXPECT_EQ(kept.find(c.id), nullptr);
  const auto far = signed_in("Far Lead", "far@example.org", "lead", "mini_region:Lincolnshire", t0, policy);
  EXPECT_FALSE(find_session_and_case_page(*engine_, far, t0, policy, c.reference).view.has_value());
  EXPECT_EQ(kept.find(c.id), nullptr);
}

// Pages read while events are written each show the case as of one moment:
// its history exactly the entries 1 to its version, neither short nor
// doubled, whatever the other readers kept meanwhile; and the history kept
// at the end is the whole of it.
TEST_F(ScopeTest, PagesReadWhileEventsAreWrittenShowTheWholeHistoryOfTheVersionTheyRead) {
  clock_.set(sys_days(d("2026-11-10")) + hours(9));
  const Case c = in_evaluation();
  const SessionPolicy policy;
  const auto t0 = std::chrono::system_clock::now();
  const std::string lead = signed_in("Amy Lead", "amy@example.org", "lead", "mini_region:Northamptonshire", t0, policy);
  constexpr int kEvents = 40;
  std::atomic<bool> writing{true};
  std::atomic<int> reads{0};
  std::atomic<bool> failed{false};
  std::vector<std::string> problems;
  std::mutex problems_mutex;
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&, r] {
      int last_version = 0;
      while (writing.load() || last_version < c.version + kEvents) {
        const std::string key = r % 2 == 0 ? std::to_string(c.id) : c.reference;
        const auto read = find_session_and_case_page(*engine_, lead, t0, policy, key);
        std::string problem;
        if (!read.view || !read.view->history) {
          problem = "no page";
        } else {
          const auto& history = *read.view->history;
          if (static_cast<int>(history.size()) != read.view->c.version) {
            problem = std::to_string(history.size()) + " entries at version " + std::to_string(read.view->c.version);
          }
          for (std::size_t i = 0; problem.empty() && i < history.size(); ++i) {
            if (history[i].sequence != static_cast<int>(i) + 1) problem = "entry " + std::to_string(i) + " out of turn";
          }
          if (read.view->c.version < last_version) problem = "a version read before a later one";
          last_version = read.view->c.version;
        }
        if (!problem.empty()) {
          const std::lock_guard lock(problems_mutex);
          problems.push_back(problem);
          failed = true;
          return;
        }
        ++reads;
      }
    });
  }
  for (int i = 0; i < kEvents; ++i) {
    (void)engine_->apply(c.id, "record_impact", {{"outcome", "plan met " + std::to_string(i)}, {"impact", "up"}}, "s2s",
                         engine_->today());
    // Some pages read between this event and the next (or a reader has stopped on a problem).
    const int before = reads.load();
    while (reads.load() < before + 2 && !failed.load()) std::this_thread::yield();
    if (failed.load()) break;
  }
  writing = false;
  for (auto& reader : readers) reader.join();
  ASSERT_TRUE(problems.empty()) << problems.front();
  const auto kept = engine_->kept_history().find(c.id);
  ASSERT_NE(kept, nullptr);
  EXPECT_EQ(kept->last_sequence(), c.version + kEvents);
  EXPECT_EQ(static_cast<int>(kept->entries.size()), c.version + kEvents);
  EXPECT_EQ(std::string(kept->entries.back().payload.at("outcome").as_string()),
            "plan met " + std::to_string(kEvents - 1));
}

// A case's JSON read with the caller's API token in one statement is what
// authenticate and the view give apart: the token's user, and the case only
// while the token is live and the case is theirs to see.
TEST_F(ScopeTest, ACaseReadWithItsCallersTokenIsTheUserAndTheViewApart) {
  const Case c = deployed();
  in_need(c.school_urn);  // so that a view with the school's need shows one
  const auto amy = add_user(*db_, "Amy Lead", "amy@example.org", "lead", "mini_region:Northamptonshire");
  const auto far = add_user(*db_, "Far Lead", "far@example.org", "lead", "mini_region:Lincolnshire");
  for (const std::string& key : {c.reference, std::to_string(c.id)}) {
    SCOPED_TRACE(key);
    const auto read = find_caller_and_case_view(*engine_, amy.token, key);
    const auto user = authenticate(*db_, amy.token);
    ASSERT_TRUE(read.user.has_value() && user.has_value());
    EXPECT_EQ(read.user->id, user->id);
    EXPECT_EQ(read.user->name, "Amy Lead");
    EXPECT_EQ(read.user->email, "amy@example.org");
    EXPECT_EQ(read.user->role, "lead");
    EXPECT_EQ(read.user->scope_kind, "mini_region");
    EXPECT_EQ(read.user->scope_value, "Northamptonshire");
    EXPECT_EQ(read.user->scope_phases, user->scope_phases);
    const auto apart = find_visible_case_view(*engine_, actor_of(*user), key);
    ASSERT_TRUE(read.view.has_value() && apart.has_value());
    EXPECT_EQ(read.view->c.id, c.id);
    EXPECT_EQ(read.view->c.version, apart->c.version);
    EXPECT_EQ(read.view->c.data, apart->c.data);
    EXPECT_EQ(read.view->c.overdue, apart->c.overdue);
    ASSERT_TRUE(read.view->school.has_value());
    EXPECT_EQ(read.view->school->name, apart->school->name);
    EXPECT_EQ(read.view->school->la_code, apart->school->la_code);
    EXPECT_EQ(read.view->school->mini_region, apart->school->mini_region);
    EXPECT_EQ(read.view->school->phase_group, apart->school->phase_group);
    // The JSON shows the school's need, as the view apart has it.
    ASSERT_TRUE(apart->school->need.has_value());
    EXPECT_EQ(apart->school->need, find_school(*db_, c.school_urn)->need);
    EXPECT_EQ(read.view->school->need, apart->school->need);
    ASSERT_TRUE(read.view->supporter.has_value());
    EXPECT_EQ(read.view->supporter->system_leader_id, ada_);
    ASSERT_FALSE(apart->deadlines.empty());
    ASSERT_EQ(read.view->deadlines.size(), apart->deadlines.size());
    for (std::size_t i = 0; i < apart->deadlines.size(); ++i) {
      EXPECT_EQ(read.view->deadlines[i].id, apart->deadlines[i].id);
      EXPECT_EQ(read.view->deadlines[i].due_on, apart->deadlines[i].due_on);
    }
    EXPECT_FALSE(read.view->history.has_value()) << "the JSON reads no history";
  }
  // Another region's lead: their user, not the case.
  const auto other = find_caller_and_case_view(*engine_, far.token, c.reference);
  ASSERT_TRUE(other.user.has_value());
  EXPECT_EQ(other.user->email, "far@example.org");
  EXPECT_FALSE(other.view.has_value());
  // No such case, or a key no case can have: the user alone.
  for (const char* key : {"SR-1999-0001", "99999999", "99999999999999999999999", "", "1; DROP TABLE cases"}) {
    const auto none = find_caller_and_case_view(*engine_, amy.token, key);
    EXPECT_TRUE(none.user.has_value()) << key;
    EXPECT_FALSE(none.view.has_value()) << key;
  }
  // Not a live API token: neither the user nor the case; a calendar feed's
  // token is not an API token.
  const std::string feed = new_feed_token(*db_, "amy@example.org");
  for (const std::string& token : {std::string(), amy.token + "0", amy.token.substr(1), feed, far.token + amy.token}) {
    const auto none = find_caller_and_case_view(*engine_, token, c.reference);
    EXPECT_FALSE(none.user.has_value()) << token;
    EXPECT_FALSE(none.view.has_value()) << token;
  }
  (void)revoke_tokens(*db_, "amy@example.org");
  const auto gone = find_caller_and_case_view(*engine_, amy.token, c.reference);
  EXPECT_FALSE(gone.user.has_value());
  EXPECT_FALSE(gone.view.has_value());
}

// A stored history entry that is not a JSON object is the database's fault,
// said as such (naming the entry), not a crash; the case's other reads, and
// the connection, carry on.
TEST_F(ScopeTest, AStoredHistoryEntryThatDoesNotParseIsADatabaseError) {
  const auto admin = person("admin", "");
  const Case c = deployed();
  const long long id = c.id;
  db_->transact([&](soci::session& sql) {
    sql << "UPDATE case_history SET payload = '[1]' WHERE case_id = :id AND sequence = 1", soci::use(id);
  });
  try {
    (void)find_visible_case_view(*engine_, admin, c.reference, CaseViewParts::with_history);
    ADD_FAILURE() << "the page's view parsed a payload that is not an object";
  } catch (const workflow::DatabaseError& e) {
    EXPECT_NE(std::string(e.what()).find("history entry 1"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)engine_->history(c.id), workflow::DatabaseError);
  const auto view = find_visible_case_view(*engine_, admin, c.reference);
  ASSERT_TRUE(view.has_value()) << "the view without the history reads as before";
  EXPECT_EQ(view->c.id, c.id);
  db_->transact([&](soci::session& sql) {
    sql << "UPDATE case_history SET payload = '{}' WHERE case_id = :id AND sequence = 1", soci::use(id);
  });
  const auto mended = find_visible_case_view(*engine_, admin, c.reference, CaseViewParts::with_history);
  ASSERT_TRUE(mended.has_value() && mended->history.has_value());
  EXPECT_EQ(mended->history->size(), engine_->history(c.id).size());
}

TEST_F(ScopeTest, CasesAreOpenedByTheirRolesForSchoolsInScope) {
  EXPECT_NO_THROW((void)engine_->open_case("risk_assessment", 300001, {{"source", "local_authority"}, {"summary", "x"}},
                                           person("la_officer", "la:940")));
  const auto code = [&](const char* kind, int urn, const workflow::Actor& actor) {
    try {
      (void)engine_->open_case(kind, urn, {{"source", "self"}, {"summary", "x"}}, actor);
    } catch (const EngineError& e) {
      return e.code();
    }
    return EngineError::Code::unknown_case;
  };
  EXPECT_EQ(code("support_request", 300001, person("la_officer", "la:925")), EngineError::Code::out_of_scope);
  EXPECT_EQ(code("support_request", 300005, person("school", "school:300001")), EngineError::Code::out_of_scope);
  EXPECT_EQ(code("designation_review", 300001, person("la_officer", "la:940")), EngineError::Code::not_permitted);
  EXPECT_EQ(code("support_request", 300001, person("system_leader", "system_leader:1")),
            EngineError::Code::not_permitted);
  EXPECT_EQ(code("support_request", 300001, person("admin", "")), EngineError::Code::not_permitted);
}

}  // namespace
}  // namespace s2s::cases
