// The KPIs on a hand-built academic year whose every figure is worked out
// below by hand, on SQLite and PostgreSQL: corrections to logged days, a
// rating after the year ends, a withdrawn case, a school that stops being in
// need, scopes by alliance and mini region, the CSV read back.
#include "cases/kpis.h"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <sstream>

#include "cases/gias_import.h"
#include "cases/kinds.h"
#include "cases/progress_report.h"
#include "cases/providers.h"
#include "cases/report_cache.h"
#include "cases/schools.h"
#include "tests/support/test_database.h"
#include "workflow/audit.h"
#include "workflow/errors.h"
#include "workflow/date.h"
#include "workflow/engine.h"

namespace s2s::cases {
namespace {

using namespace std::chrono;
namespace json = boost::json;

year_month_day day(const char* text) { return *workflow::parse_date(text); }


class KpiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = test_db_.open_migrated();
    import_gias(*db_,
                "URN,EstablishmentName,LA (code),LA (name),PhaseOfEducation (name),EstablishmentStatus (name)\n"
                "100001,Alder Primary,891,Nottinghamshire,Primary,Open\n"
                "100002,Birch Primary,891,Nottinghamshire,Primary,Open\n"
                "100003,Cedar Primary,928,Northamptonshire,Primary,Open\n"
                "100004,Damson Primary,891,Nottinghamshire,Primary,Open\n");  // the leaders' own
    SchoolEdit need;
    need.ssif_eligible = true;
    (void)edit_school(*db_, 100001, need, day("2027-09-10"));                     // A: in need
    (void)edit_school(*db_, 100003, need, day("2027-09-10"));                     // C: in need, outside the alliance
    alliance_ = create_alliance(*db_, "Birch Teaching School Alliance", 100002);  // B leads it
    add_alliance_member(*db_, alliance_, 100001);
    l1_ = create_system_leader(*db_, "Lee One", "l1@example.org", 100004, alliance_);
    add_designation(*db_, l1_, "SLE", "maths", day("2020-09-01"), std::nullopt);
    set_capacity(*db_, l1_, "2026/27", 50);
    l2_ = create_system_leader(*db_, "Lee Two", "l2@example.org", 100004, std::nullopt);
    add_designation(*db_, l2_, "SLE", "maths", day("2020-09-01"), std::nullopt);
    set_capacity(*db_, l2_, "2026/27", 50);
    workflow::EngineOptions options;
    options.clock = [this] { return now_; };
    // The hand-built year is dated by its people as it happened, a year back.
    options.backdate_roles = "lead,admin,school,system_leader,la_officer";
    engine_ = std::make_unique<workflow::Engine>(db_, all_kinds(), options);
  }

  // A support request opened on 2026-10-01 and matched (accepted) on `matched`.
  std::int64_t matched(int urn, const char* source, std::int64_t leader, const char* matched_on,
                       const char* opened_on = "2026-10-01") {
    const auto id =
        engine_->open_case("support_request", urn, {{"source", source}, {"summary", "s"}}, "t", day(opened_on)).id;
    engine_->apply(id, "accept_referral",
                   {{"priority", "high"},
                    {"focus_areas", json::array{"maths"}},
                    {"requested_days", 4},
                    {"funding_source", "SSIF"}},
                   "t", day(opened_on));
    engine_->apply(id, "propose_provider", {{"provider_id", leader}}, "t", day(opened_on));
    engine_->apply(id, "provider_accepts", {}, "t", day(matched_on));
    engine_->apply(id, "agree_plan",
                   {{"objectives", "o"}, {"planned_days", 4}, {"starts_on", "2026-11-02"}, {"ends_on", "2027-06-30"}},
                   "t", day(matched_on));
    return id;
  }
  void log(std::int64_t id, const char* on, double days, std::optional<int> corrects = std::nullopt) {
    json::object data{{"date", on}, {"days", days}, {"activity", "a"}};
    if (corrects) data["corrects"] = *corrects;
    engine_->apply(id, "log_days", data, "t", day(on));
  }
  void finish(std::int64_t id, int grade, const char* rated_on) {
    engine_->apply(id, "complete_deployment", {}, "t", day("2027-07-01"));
    engine_->apply(id, "submit_rating", {{"grade", grade}}, "t", day(rated_on));
  }
  [[nodiscard]] KpiReport report(KpiScope scope) {
    scope.academic_year = "2026/27";
    return kpi_report(*db_, engine_->calendar(), scope, engine_->today());
  }
  static const Kpi& find(const KpiReport& r, const std::string& id) {
    for (const auto& k : r.kpis) {
      if (k.id == id) return k;
    }
    throw std::runtime_error("no KPI " + id);
  }

  // The engine's clock: the day after the academic year unless a test moves it.
  void at(const char* when) { now_ = sys_days(day(when)) + hours(12); }
  sys_time<nanoseconds> now_ = sys_days(year{2027} / 9 / 10) + hours(12);
  testing::TestDatabase test_db_;
  std::shared_ptr<workflow::Database> db_;
  std::unique_ptr<workflow::Engine> engine_;
  std::int64_t alliance_ = 0;
  std::int64_t l1_ = 0;
  std::int64_t l2_ = 0;
};

// An alliance's report reads two sets of days: those given at its schools, by
// anyone (its days and spend), and those its own system leaders gave,
// anywhere (its days to schools in need); nobody else's.
TEST_F(KpiTest, AnAlliancesDaysAreThoseAtItsSchoolsAndThoseItsLeadersGave) {
  const auto at_a = matched(100001, "self", l1_, "2026-10-08");    // A, a member, by L1 (the alliance's)
  log(at_a, "2026-11-03", 1);
  const auto at_c = matched(100003, "self", l1_, "2026-10-08");    // C, outside it, by L1
  log(at_c, "2026-11-04", 1);
  const auto at_b = matched(100002, "lead", l2_, "2026-10-08");    // B, its lead school, by L2 (no alliance)
  log(at_b, "2026-11-05", 0.5);
  const auto c_by_l2 = matched(100003, "lead", l2_, "2026-10-08");  // C again, by L2: not the alliance's
  log(c_by_l2, "2026-11-06", 1);
  const auto days_of = [](const KpiReport& r) {
    double days = 0;
    for (const auto& row : r.funding) days += row.days;
    return days;
  };
  EXPECT_DOUBLE_EQ(days_of(report(KpiScope{})), 3.5);
  KpiScope alliance;
  alliance.alliance = alliance_;
  const auto r = report(alliance);
  EXPECT_DOUBLE_EQ(days_of(r), 1.5);  // at its schools: A's 1 by L1 and B's 0.5 by L2
  // Days to schools in need count for the teaching school whose leader gave them: A's and C's by L1.
  EXPECT_DOUBLE_EQ(find(r, "deployment_days_in_need").numerator, 2);
}

TEST_F(KpiTest, AHandBuiltYearGivesTheFiguresWorkedOutByHand) {
  // 1: A (in need), self-referred, matched in 5 working days; 1 + 0.5 + 1 logged,
  //    the third corrected to 0.5: 2 days; rated 2 in the year.
  const auto c1 = matched(100001, "self", l1_, "2026-10-08");
  log(c1, "2026-11-03", 1);
  log(c1, "2026-11-04", 0.5);
  log(c1, "2026-11-05", 1);
  log(c1, "2026-11-05", 0.5, 3);
  finish(c1, 2, "2027-07-02");
  // 2: B (not in need), lead-referred, 10 working days; 1 day; rated 4.
  const auto c2 = matched(100002, "lead", l1_, "2026-10-15");
  log(c2, "2026-11-10", 1);
  finish(c2, 4, "2027-07-02");
  // 3: C (in need, outside the alliance), self, 15 working days; 1 day; rated 1
  //    only after the year ends (2027-09-02): not this year's.
  const auto c3 = matched(100003, "self", l1_, "2026-10-22");
  log(c3, "2026-11-12", 1);
  finish(c3, 1, "2027-09-02");
  // 4: A, lead-referred, accepted by L2 (no alliance) then withdrawn: attrition.
  const auto c4 = matched(100001, "lead", l2_, "2026-10-08");
  engine_->apply(c4, "withdraw", {{"reason", "the school withdrew"}}, "t", day("2026-12-01"));
  const auto ref = [&](std::int64_t id) { return engine_->get(id).reference; };

  KpiScope all;
  all.day_rate = 500;
  const auto r = report(all);
  EXPECT_EQ(r.from, "2026-09-01");
  EXPECT_EQ(r.to, "2027-08-31");
  // Days in need: the one teaching school's leader L1 gave A 2 and C 1 = 3, against its 30.
  const auto& days = find(r, "deployment_days_in_need");
  EXPECT_DOUBLE_EQ(days.numerator, 3);
  EXPECT_DOUBLE_EQ(days.denominator, 30);  // the total's target: 30 for the one teaching school
  EXPECT_DOUBLE_EQ(*days.actual, 3);
  EXPECT_EQ(days.status, "red");
  EXPECT_EQ(days.references, (std::vector<std::string>{ref(c1), ref(c3)}));
  ASSERT_EQ(days.parts.size(), 1u);
  EXPECT_EQ(days.parts[0].name, "Birch Teaching School Alliance (Birch Primary)");
  EXPECT_DOUBLE_EQ(days.parts[0].actual, 3);
  EXPECT_EQ(days.parts[0].status, "red");
  EXPECT_EQ(days.target, "at least 30");
  // Rated good or better: 1 and 2 rated in the year, one of them 1-2: 50%.
  const auto& good = find(r, "rated_good_or_better");
  EXPECT_DOUBLE_EQ(good.numerator, 1);
  EXPECT_DOUBLE_EQ(good.denominator, 2);
  EXPECT_DOUBLE_EQ(*good.actual, 50);
  EXPECT_EQ(good.status, "red");
  const auto& sle = find(r, "sle_positive_feedback");
  EXPECT_DOUBLE_EQ(sle.numerator, 1);
  EXPECT_DOUBLE_EQ(sle.denominator, 2);
  // Schools that self-refer: A (case 1) and C (case 3), of the three schools referred (A twice).
  const auto& self = find(r, "self_referrals");
  EXPECT_DOUBLE_EQ(self.numerator, 2);
  EXPECT_DOUBLE_EQ(self.denominator, 3);
  EXPECT_EQ(self.previous, 0.0);
  // Attrition: 4 accepted in the year, 1 withdrawn after: 25%.
  const auto& attrition = find(r, "attrition");
  EXPECT_DOUBLE_EQ(*attrition.actual, 25);
  EXPECT_EQ(attrition.references, (std::vector<std::string>{ref(c4)}));
  // Referral to match: 5, 10, 15 and 5 working days: median (nearest rank) 5, 90th 15.
  EXPECT_DOUBLE_EQ(*find(r, "referral_to_match_median").actual, 5);
  EXPECT_DOUBLE_EQ(*find(r, "referral_to_match_p90").actual, 15);
  EXPECT_DOUBLE_EQ(find(r, "referral_to_match_p90").denominator, 4);
  // Nothing of the kind this year: no actual, no status.
  EXPECT_FALSE(find(r, "reports_on_time").actual.has_value());
  EXPECT_EQ(find(r, "dedesignated_contacted_in_time").status, "none");
  // Days by funding source: 2 + 1 + 1, all SSIF, at 500 a day.
  ASSERT_EQ(r.funding.size(), 1u);
  EXPECT_EQ(r.funding[0].funding_source, "SSIF");
  EXPECT_DOUBLE_EQ(r.funding[0].days, 4);
  EXPECT_EQ(r.funding[0].spend, 2000.0);
  // The months: September to August (the report stands after the year), the
  // days all in November (2 + 1 + 1, as the funding rows), and the two
  // ratings in the year in July, one of them good.
  ASSERT_EQ(r.months.size(), 12u);
  EXPECT_EQ(r.months.front().month, "2026-09");
  EXPECT_EQ(r.months.back().month, "2027-08");
  for (const auto& m : r.months) {
    EXPECT_DOUBLE_EQ(m.days, m.month == "2026-11" ? 4 : 0) << m.month;
    EXPECT_EQ(m.ratings, m.month == "2027-07" ? 2 : 0) << m.month;
    EXPECT_EQ(m.rated_good, m.month == "2027-07" ? 1 : 0) << m.month;
  }
  // Referral to match in bands: 5, 5 (0-5), 10 (6-10), 15 (11-20).
  ASSERT_EQ(r.referral_to_match.size(), 5u);
  EXPECT_EQ(r.referral_to_match[0].cases, 2);
  EXPECT_EQ(r.referral_to_match[1].cases, 1);
  EXPECT_EQ(r.referral_to_match[2].cases, 1);
  EXPECT_EQ(r.referral_to_match[3].cases, 0);
  EXPECT_EQ(r.referral_to_match[4].from, 41);
  EXPECT_FALSE(r.referral_to_match[4].to.has_value());
  // Open cases: 1-3 in evaluation (rated, not closed), 4 withdrawn.
  EXPECT_EQ(r.open_by_phase.at("evaluation"), 3);
  EXPECT_FALSE(r.open_by_phase.contains("withdrawn"));
  // Engagement: of Nottinghamshire's three schools two have cases and are in
  // the alliance, the leaders' own has neither; Northamptonshire's one has a case only.
  ASSERT_EQ(r.engagement.size(), 2u);
  EXPECT_EQ(r.engagement[0].mini_region, "Northamptonshire");
  EXPECT_EQ(r.engagement[0].with_case, 1);
  EXPECT_EQ(r.engagement[0].in_alliance, 0);
  EXPECT_EQ(r.engagement[1].schools, 3);
  EXPECT_EQ(r.engagement[1].with_case, 2);
  EXPECT_EQ(r.engagement[1].in_alliance, 2);
  EXPECT_EQ(r.engagement[1].with_neither, 1);

  // The alliance: the days its leaders gave to schools in need anywhere (A 2, C 1);
  // ratings of its schools only (1 and 2).
  KpiScope alliance;
  alliance.alliance = alliance_;
  const auto ra = report(alliance);
  EXPECT_DOUBLE_EQ(*find(ra, "deployment_days_in_need").actual, 3);
  EXPECT_DOUBLE_EQ(find(ra, "rated_good_or_better").denominator, 2);
  EXPECT_DOUBLE_EQ(find(ra, "self_referrals").numerator, 1);  // case 1; case 3 is C's
  // A mini region: Northamptonshire holds C only, and no teaching school.
  KpiScope north;
  north.mini_region = "Northamptonshire";
  const auto rn = report(north);
  EXPECT_DOUBLE_EQ(find(rn, "deployment_days_in_need").numerator, 0);
  EXPECT_TRUE(find(rn, "deployment_days_in_need").parts.empty());
  EXPECT_DOUBLE_EQ(find(rn, "deployment_days_in_need").denominator, 0);  // no teaching school leads there
  EXPECT_FALSE(find(rn, "deployment_days_in_need").actual.has_value());
  EXPECT_DOUBLE_EQ(find(rn, "rated_good_or_better").denominator, 0);  // C's rating was after the year

  // A school that stops being in need takes its days out.
  SchoolEdit no_longer;
  no_longer.ssif_eligible = false;
  (void)edit_school(*db_, 100001, no_longer, day("2027-09-10"));
  EXPECT_DOUBLE_EQ(find(report(all), "deployment_days_in_need").numerator, 1);

  // The CSV opens in Excel (BOM, CRLF) and reads back to the same figures.
  const std::string csv = kpi_csv(r);
  ASSERT_EQ(csv.substr(0, 3), "\xEF\xBB\xBF");
  std::istringstream lines(csv.substr(3));
  std::string header;
  std::getline(lines, header);
  EXPECT_EQ(header,
            "academic_year,from,to,as_of,kpi,name,target,actual,numerator,denominator,previous,unit,status,cases\r");
  std::string line;
  int rows = 0;
  bool found = false;
  while (std::getline(lines, line)) {
    ++rows;
    ASSERT_EQ(line.back(), '\r');
    if (line.find(",rated_good_or_better,") != std::string::npos) {
      found = true;
      EXPECT_EQ(line.rfind("2026/27,2026-09-01,2027-08-31,2027-09-10,rated_good_or_better,", 0), 0u) << line;
      EXPECT_NE(line.find(",at least 90%,50,1,2,,percent,red," + ref(c1) + " " + ref(c2) + "\r"), std::string::npos)
          << line;
    }
  }
  // A row per KPI, and one per teaching school of each of the three KPIs counted per teaching school.
  EXPECT_EQ(rows, static_cast<int>(r.kpis.size()) + 3);
  EXPECT_EQ(kpi_csv_filename(r), "kpis-2026-27.csv");
  EXPECT_TRUE(found);
}

TEST_F(KpiTest, AReportInOnItsLastDayIsOnTimeAndOneADayLaterIsNot) {
  const auto l3 = create_system_leader(*db_, "Lee Three", "l3@example.org", 100004, alliance_);
  add_designation(*db_, l3, "NLE", "leadership", day("2020-09-01"), std::nullopt);
  set_capacity(*db_, l3, "2026/27", 50);
  const auto assessed = [&](int urn, int late_by) {
    const auto id = engine_
                        ->open_case("risk_assessment", urn, {{"source", "local_authority"}, {"summary", "s"}}, "t",
                                    day("2026-10-01"))
                        .id;
    engine_->apply(id, "accept_request", {}, "t", day("2026-10-01"));
    engine_->apply(id, "propose_assessor", {{"provider_id", l3}}, "t", day("2026-10-02"));
    engine_->apply(id, "assessor_accepts", {}, "t", day("2026-10-05"));
    // The report is due 15 working days after acceptance.
    const auto due = engine_->calendar().add_working_days(day("2026-10-05"), 15);
    const auto sent = engine_->calendar().add_working_days(due, late_by);
    engine_->apply(id, "submit_report", {{"risk_level", "medium"}, {"recommendations", "r"}}, "t", sent);
    return engine_->get(id).reference;
  };
  const auto on_time = assessed(100001, 0);  // on the last day
  const auto late = assessed(100003, 1);     // the working day after
  const auto r = report(KpiScope{});
  const auto& k = find(r, "reports_on_time");
  EXPECT_DOUBLE_EQ(k.numerator, 1);
  EXPECT_DOUBLE_EQ(k.denominator, 2);
  EXPECT_DOUBLE_EQ(*k.actual, 50);
  EXPECT_EQ(k.status, "red");
  EXPECT_EQ(k.references, (std::vector<std::string>{on_time, late}));
  // The region holding only the one on time: 100%, green.
  KpiScope notts;
  notts.mini_region = "Nottinghamshire";
  const auto& kn = find(report(notts), "reports_on_time");
  EXPECT_DOUBLE_EQ(*kn.actual, 100);
  EXPECT_EQ(kn.status, "green");
}

// Designation reviews de-designated on appeal: the contact deadline runs 10
// working days from the appeal panel's outcome.
TEST_F(KpiTest, DeDesignatedSchoolsContactedOnTheLastDayAreInTimeAndLaterOnesAreNot) {
  const auto reviewer = create_system_leader(*db_, "Rae Viewer", "rv@example.org", 100004, std::nullopt);
  (void)add_designation(*db_, reviewer, "NLE", "leadership", day("2020-09-01"), std::nullopt);
  int reviewed_leaders = 0;
  const auto dedesignated = [&](int urn, const char* upheld_on, std::optional<int> contact_late_by) {
    // A system leader of the school under review, whose SLE designation is reviewed.
    const auto n = std::to_string(++reviewed_leaders);
    const auto reviewed = create_system_leader(*db_, "Sam Reviewed " + n, "sr" + n + "@example.org", urn, std::nullopt);
    const auto designation = add_designation(*db_, reviewed, "SLE", "maths", day("2020-09-01"), std::nullopt);
    const auto id =
        engine_->open_case("designation_review", urn, {{"designation_id", designation}}, "t", day("2026-10-01")).id;
    engine_->apply(id, "accept_review", {}, "t", day("2026-10-01"));
    engine_->apply(id, "assign_reviewer", {{"reviewer_id", reviewer}}, "t", day("2026-10-01"));
    engine_->apply(id, "submit_review", {{"findings", "criteria no longer met"}}, "t", day("2026-10-02"));
    engine_->apply(id, "panel_de_designates", {{"reason", "standards"}}, "t", day("2026-10-05"));
    engine_->apply(id, "lodge_appeal", {{"grounds", "new evidence"}}, "t", day("2026-10-06"));
    engine_->apply(id, "appeal_upheld", {}, "t", day(upheld_on));
    const auto due = engine_->calendar().add_working_days(day(upheld_on), 10);
    if (contact_late_by) {
      engine_->apply(id, "record_contact", {{"method", "visit"}, {"summary", "options explained"}}, "t",
                     engine_->calendar().add_working_days(due, *contact_late_by));
    }
    return std::pair{engine_->get(id).reference, due};
  };
  // Upheld on Monday 2 November: contact due Monday 16 November.
  const auto [met, met_due] = dedesignated(100001, "2026-11-02", 0);                 // contacted on the 16th
  const auto [late, late_due] = dedesignated(100003, "2026-11-02", 1);               // on the 17th
  const auto [never, never_due] = dedesignated(100002, "2026-11-09", std::nullopt);  // due the 23rd, not contacted
  const auto [early, early_due] = dedesignated(100003, "2026-11-02", -3);            // on the 11th
  EXPECT_EQ(workflow::format_date(met_due), "2026-11-16");
  EXPECT_EQ(workflow::format_date(never_due), "2026-11-23");

  const auto r = report(KpiScope{});
  const auto& k = find(r, "dedesignated_contacted_in_time");
  EXPECT_DOUBLE_EQ(k.numerator, 2);
  EXPECT_DOUBLE_EQ(k.denominator, 4);  // the one never contacted has passed: it counts, unmet
  EXPECT_EQ(k.status, "red");
  EXPECT_EQ(k.references, (std::vector<std::string>{met, late, never, early}));
  // Nottinghamshire holds the one in time and the one never contacted;
  // Northamptonshire the late one and the early one.
  KpiScope notts;
  notts.mini_region = "Nottinghamshire";
  EXPECT_DOUBLE_EQ(*find(report(notts), "dedesignated_contacted_in_time").actual, 50);
  KpiScope north;
  north.mini_region = "Northamptonshire";
  EXPECT_DOUBLE_EQ(*find(report(north), "dedesignated_contacted_in_time").actual, 50);
  // The one never contacted is the one overdue item, late by the working days since.
  const auto& overdue = find(r, "overdue_deadlines");
  EXPECT_DOUBLE_EQ(overdue.numerator, 1);
  ASSERT_EQ(r.overdue.size(), 1u);
  EXPECT_EQ(r.overdue[0].reference, never);
  EXPECT_EQ(r.overdue[0].purpose, "designation_review.contact");
  EXPECT_EQ(r.overdue[0].school, "Birch Primary");
  EXPECT_EQ(r.overdue[0].due_on, "2026-11-23");
  EXPECT_EQ(r.overdue[0].working_days_late, engine_->calendar().working_days_between(never_due, engine_->today()));

  // As the figures stood on earlier days: on the 11th the one contacted early
  // (though not yet due); on the 16th the one contacted that day too (the
  // others are not yet past due); on the 17th the late one; from the 24th
  // the one never contacted.
  const auto as_of = [&](const char* on) {
    KpiScope scope;
    scope.as_of = day(on);
    return find(report(scope), "dedesignated_contacted_in_time");
  };
  EXPECT_DOUBLE_EQ(as_of("2026-11-10").denominator, 0);
  EXPECT_DOUBLE_EQ(as_of("2026-11-11").denominator, 1);
  EXPECT_DOUBLE_EQ(*as_of("2026-11-11").actual, 100);
  EXPECT_DOUBLE_EQ(as_of("2026-11-16").denominator, 2);
  EXPECT_DOUBLE_EQ(*as_of("2026-11-16").actual, 100);
  EXPECT_DOUBLE_EQ(as_of("2026-11-17").denominator, 3);
  EXPECT_DOUBLE_EQ(as_of("2026-11-23").denominator, 3);
  EXPECT_DOUBLE_EQ(as_of("2026-11-24").denominator, 4);
  EXPECT_DOUBLE_EQ(as_of("2026-11-24").numerator, 2);
}

// The report as of an earlier day, made long after, gives what the report
// made on that day gave, although cases moved on since: days logged, a
// rating, a withdrawal, a late report and a new case, all after that day.
TEST_F(KpiTest, AReportAsOfAnEarlierDayAgreesWithTheReportMadeThatDay) {
  const auto l3 = create_system_leader(*db_, "Lee Three", "l3@example.org", 100004, alliance_);
  add_designation(*db_, l3, "NLE", "leadership", day("2020-09-01"), std::nullopt);
  set_capacity(*db_, l3, "2026/27", 50);
  const auto assessment = [&](int urn, const char* accepted_on) {
    const auto id = engine_
                        ->open_case("risk_assessment", urn, {{"source", "local_authority"}, {"summary", "s"}}, "t",
                                    day(accepted_on))
                        .id;
    engine_->apply(id, "accept_request", {}, "t", day(accepted_on));
    engine_->apply(id, "propose_assessor", {{"provider_id", l3}}, "t", day(accepted_on));
    engine_->apply(id, "assessor_accepts", {}, "t", day(accepted_on));
    return id;
  };
  const auto report_in = [&](std::int64_t id, const char* on) {
    engine_->apply(id, "submit_report", {{"risk_level", "medium"}, {"recommendations", "r"}}, "t", day(on));
  };
  // Up to Friday 29 January 2027, recorded on 15 December and on the 29th.
  // A case untouched since the 15th is read as it stands; those touched
  // after the 28th from their history.
  at("2026-12-15");
  const auto c1 = matched(100001, "self", l1_, "2026-10-08");
  log(c1, "2026-11-03", 1);
  log(c1, "2026-11-04", 1);
  log(c1, "2026-11-04", 0.5, 2);
  const auto c2 = matched(100002, "lead", l1_, "2026-10-15");
  log(c2, "2026-11-10", 1);
  const auto c4 = matched(100003, "lead", l2_, "2026-10-08");
  (void)matched(100002, "lead", l1_, "2026-10-20");  // untouched from here on
  at("2027-01-29");
  engine_->apply(c2, "complete_deployment", {}, "t", day("2027-01-19"));
  engine_->apply(c2, "submit_rating", {{"grade", 2}}, "t", day("2027-01-20"));
  const auto ra1 = assessment(100001, "2026-12-01");  // report due in December, not in by the 29th
  const auto ra2 = assessment(100003, "2027-01-25");  // due in February
  KpiScope scope;
  scope.academic_year = "2026/27";
  scope.day_rate = 400;
  const auto that_day = day("2027-01-29");
  const auto then = kpi_report(*db_, engine_->calendar(), scope, that_day);

  // After it.
  at("2027-09-10");
  log(c1, "2027-02-03", 1);
  engine_->apply(c1, "complete_deployment", {}, "t", day("2027-03-01"));
  engine_->apply(c1, "submit_rating", {{"grade", 1}}, "t", day("2027-03-02"));
  engine_->apply(c4, "withdraw", {{"reason", "the school withdrew"}}, "t", day("2027-02-10"));
  report_in(ra1, "2027-02-05");
  report_in(ra2, "2027-02-12");
  (void)matched(100001, "self", l2_, "2027-02-20", "2027-02-15");

  const auto now = report(KpiScope{});
  EXPECT_DOUBLE_EQ(find(now, "attrition").numerator, 1);  // the figures did move on
  EXPECT_NE(find(now, "rated_good_or_better").denominator, find(then, "rated_good_or_better").denominator);
  KpiScope earlier = scope;
  earlier.as_of = that_day;
  const auto later = kpi_report(*db_, engine_->calendar(), earlier, engine_->today());
  EXPECT_EQ(later.as_of, "2027-01-29");
  ASSERT_EQ(later.kpis.size(), then.kpis.size());
  for (std::size_t i = 0; i < then.kpis.size(); ++i) {
    const Kpi& a = then.kpis[i];
    const Kpi& b = later.kpis[i];
    SCOPED_TRACE(a.id);
    EXPECT_EQ(a.id, b.id);
    EXPECT_DOUBLE_EQ(a.numerator, b.numerator);
    EXPECT_DOUBLE_EQ(a.denominator, b.denominator);
    EXPECT_EQ(a.actual, b.actual);
    EXPECT_EQ(a.status, b.status);
    EXPECT_EQ(a.references, b.references);
  }
  EXPECT_EQ(later.open_by_phase, then.open_by_phase);
  ASSERT_EQ(later.funding.size(), then.funding.size());
  for (std::size_t i = 0; i < then.funding.size(); ++i) {
    EXPECT_EQ(later.funding[i].funding_source, then.funding[i].funding_source);
    EXPECT_DOUBLE_EQ(later.funding[i].days, then.funding[i].days);
    EXPECT_EQ(later.funding[i].spend, then.funding[i].spend);
  }
  ASSERT_EQ(later.engagement.size(), then.engagement.size());
  for (std::size_t i = 0; i < then.engagement.size(); ++i) {
    EXPECT_EQ(later.engagement[i].with_case, then.engagement[i].with_case);
    EXPECT_EQ(later.engagement[i].with_neither, then.engagement[i].with_neither);
  }
  ASSERT_EQ(later.months.size(), 5u);  // September to January
  ASSERT_EQ(later.months.size(), then.months.size());
  for (std::size_t i = 0; i < then.months.size(); ++i) {
    EXPECT_EQ(later.months[i].month, then.months[i].month);
    EXPECT_DOUBLE_EQ(later.months[i].days, then.months[i].days);
    EXPECT_EQ(later.months[i].ratings, then.months[i].ratings);
  }
  for (std::size_t i = 0; i < then.referral_to_match.size(); ++i) {
    EXPECT_EQ(later.referral_to_match[i].cases, then.referral_to_match[i].cases);
  }
  ASSERT_EQ(later.overdue.size(), then.overdue.size());
  ASSERT_EQ(then.overdue.size(), 1u);  // the first assessment's report
  EXPECT_EQ(later.overdue[0].reference, engine_->get(ra1).reference);
  EXPECT_EQ(later.overdue[0].working_days_late, then.overdue[0].working_days_late);
  // And those figures, by hand: days 1 + 0.5 (corrected) + 1 on A and B, of
  // which A's 1.5 are in need; one rating (2); 6 deployments, none withdrawn
  // yet; the one report due has passed unmet; four support requests and two
  // assessments open.
  EXPECT_DOUBLE_EQ(find(then, "deployment_days_in_need").numerator, 1.5);
  EXPECT_DOUBLE_EQ(then.funding[0].days, 2.5);
  EXPECT_EQ(then.funding[0].spend, 1000.0);
  EXPECT_DOUBLE_EQ(*find(then, "rated_good_or_better").actual, 100);
  EXPECT_DOUBLE_EQ(find(then, "attrition").denominator, 6);  // four support requests, two assessments
  EXPECT_DOUBLE_EQ(find(then, "attrition").numerator, 0);
  EXPECT_DOUBLE_EQ(find(then, "reports_on_time").denominator, 1);
  EXPECT_DOUBLE_EQ(find(then, "reports_on_time").numerator, 0);
  EXPECT_DOUBLE_EQ(find(then, "open_cases").numerator, 6);
  EXPECT_EQ(then.open_by_phase.at("deployment"), 5);  // C2 is in evaluation

  // Made in one snapshot beside the year's report to today, as the quarterly
  // report makes its two columns, the earlier report reads the queries they
  // share (the year's days, the year before's referrals) once and still
  // says what it said that day; without its breakdowns it has the KPIs and
  // open cases only.
  KpiScope year = scope;
  year.with_references = false;
  earlier.with_references = false;
  earlier.with_breakdowns = false;
  const auto pair = kpi_reports(*db_, engine_->calendar(), {year, earlier}, engine_->today());
  ASSERT_EQ(pair.size(), 2u);
  EXPECT_EQ(pair[0].as_of, "2027-09-10");
  EXPECT_DOUBLE_EQ(find(pair[0], "deployment_days_in_need").numerator, find(now, "deployment_days_in_need").numerator);
  EXPECT_FALSE(pair[0].funding.empty());
  const KpiReport& together = pair[1];
  EXPECT_EQ(together.as_of, "2027-01-29");
  ASSERT_EQ(together.kpis.size(), then.kpis.size());
  for (std::size_t i = 0; i < then.kpis.size(); ++i) {
    SCOPED_TRACE(then.kpis[i].id);
    EXPECT_DOUBLE_EQ(together.kpis[i].numerator, then.kpis[i].numerator);
    EXPECT_DOUBLE_EQ(together.kpis[i].denominator, then.kpis[i].denominator);
    EXPECT_EQ(together.kpis[i].actual, then.kpis[i].actual);
    EXPECT_EQ(together.kpis[i].status, then.kpis[i].status);
    EXPECT_TRUE(together.kpis[i].references.empty());
  }
  EXPECT_EQ(together.open_by_phase, then.open_by_phase);
  EXPECT_TRUE(together.funding.empty());
  EXPECT_TRUE(together.months.empty());
  EXPECT_TRUE(together.engagement.empty());
  EXPECT_TRUE(together.referral_to_match.empty());
  EXPECT_FALSE(together.ahead.has_value());
}

TEST(QuarterTest, AcademicYearQuartersRunSeptemberDecemberMarchJune) {
  const auto q1 = quarter_of(day("2026-11-23"));
  EXPECT_EQ(q1.id(), "2026/27-Q1");
  EXPECT_EQ(q1.name(), "2026/27 Q1");
  EXPECT_EQ(workflow::format_date(q1.first), "2026-09-01");
  EXPECT_EQ(workflow::format_date(q1.last), "2026-11-30");
  const auto q2 = quarter_of(day("2027-02-28"));
  EXPECT_EQ(q2.id(), "2026/27-Q2");
  EXPECT_EQ(workflow::format_date(q2.first), "2026-12-01");
  EXPECT_EQ(workflow::format_date(q2.last), "2027-02-28");
  EXPECT_EQ(workflow::format_date(quarter_of(day("2028-02-29")).last), "2028-02-29");  // a leap year
  const auto q4 = previous_quarter(q1);
  EXPECT_EQ(q4.id(), "2025/26-Q4");
  EXPECT_EQ(workflow::format_date(q4.first), "2026-06-01");
  EXPECT_EQ(workflow::format_date(q4.last), "2026-08-31");
  EXPECT_EQ(previous_quarter(q2).id(), "2026/27-Q1");
  const auto q3 = parse_quarter("2026/27-Q3");
  ASSERT_TRUE(q3.has_value());
  EXPECT_EQ(workflow::format_date(q3->first), "2027-03-01");
  EXPECT_EQ(workflow::format_date(q3->last), "2027-05-31");
  for (const char* bad :
       {"2026/27-Q5", "2026/27-Q0", "2026/28-Q1", "2026-27-Q1", "2026/27 Q1", "2026/27-Q1x", "", "1999/00-Q1"}) {
    EXPECT_FALSE(parse_quarter(bad).has_value()) << bad;
  }
}

// An alliance's report for 2026/27 Q2 beside Q1: days up, a first rating, a
// report gone overdue; names that need escaping in both formats.
TEST_F(KpiTest, AQuarterlyProgressReportComparesWithTheQuarterBeforeAndListsOverdueItems) {
  import_gias(*db_,
              "URN,EstablishmentName,LA (code),LA (name),PhaseOfEducation (name),EstablishmentStatus (name)\n"
              "100005,Elm | <Primary>,928,Northamptonshire,Primary,Open\n");
  const auto oak = create_alliance(*db_, "Oak & Ash <Alliance>", 100005);
  add_alliance_member(*db_, oak, 100003);
  const auto l4 = create_system_leader(*db_, "Lee Four", "l4@example.org", 100004, oak);
  add_designation(*db_, l4, "NLE", "leadership", day("2020-09-01"), std::nullopt);
  set_capacity(*db_, l4, "2026/27", 50);
  // C (in need): 1 day in Q1, 1.5 in Q2; rated 1 in January.
  const auto c1 = matched(100003, "self", l4, "2026-10-08");
  log(c1, "2026-11-03", 1);
  log(c1, "2026-12-02", 1);
  log(c1, "2027-01-12", 0.5);
  engine_->apply(c1, "complete_deployment", {}, "t", day("2027-01-20"));
  engine_->apply(c1, "submit_rating", {{"grade", 1}}, "t", day("2027-01-21"));
  // A risk assessment of the lead school whose report never came.
  const auto ra = engine_
                      ->open_case("risk_assessment", 100005, {{"source", "local_authority"}, {"summary", "s"}}, "t",
                                  day("2026-12-01"))
                      .id;
  engine_->apply(ra, "accept_request", {}, "t", day("2026-12-01"));
  engine_->apply(ra, "propose_assessor", {{"provider_id", l4}}, "t", day("2026-12-01"));
  engine_->apply(ra, "assessor_accepts", {}, "t", day("2026-12-01"));
  const auto due = engine_->calendar().add_working_days(day("2026-12-01"), 15);

  KpiScope scope;
  scope.alliance = oak;
  scope.day_rate = 1350;
  const auto r = progress_report(*db_, engine_->calendar(), scope, *parse_quarter("2026/27-Q2"), engine_->today());
  EXPECT_FALSE(r.to_date);
  EXPECT_EQ(r.current.as_of, "2027-02-28");
  EXPECT_EQ(r.earlier.as_of, "2026-11-30");
  ASSERT_EQ(r.current.overdue.size(), 1u);
  const int late = engine_->calendar().working_days_between(due, day("2027-02-28"));

  const std::string md = progress_markdown(r);
  const auto has = [](const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
  };
  EXPECT_TRUE(has(md, "# Quarterly progress report: Oak &amp; Ash &lt;Alliance&gt;\n")) << md;
  EXPECT_FALSE(has(md, "<Alliance>")) << md;
  EXPECT_TRUE(has(md, "2026/27 Q2, 1 December 2026 to 28 February 2027.\n")) << md;
  EXPECT_TRUE(has(
      md, "| KPI | Target | 2026/27 Q1 | 2026/27 Q2 | Change | Status |\n| --- | --- | ---: | ---: | ---: | --- |\n"))
      << md;
  EXPECT_TRUE(
      has(md, "| Deployment days to schools in need, per teaching school | at least 30 | 1 | 2.5 | +1.5 | red |\n"))
      << md;
  // Each teaching school against its own 30: here the one, Oak & Ash, led by Elm.
  EXPECT_TRUE(has(md, "## Deployment days to schools in need, per teaching school\n")) << md;
  EXPECT_TRUE(has(md, "| Oak &amp; Ash &lt;Alliance&gt; (Elm \\| &lt;Primary&gt;) | 1 | 2.5 | +1.5 | red |\n")) << md;
  EXPECT_TRUE(has(md, "| Support rated good or better | at least 90% | - | 100% |  | green |\n")) << md;
  EXPECT_TRUE(has(md, "| Overdue deadlines | 0 | 0 | 1 | +1 | red (was green) |\n")) << md;
  EXPECT_TRUE(has(md, "| deployment | 1 | 1 | no change |\n")) << md;  // C then, the assessment now
  EXPECT_TRUE(has(md, "| evaluation | 0 | 1 | +1 |\n")) << md;
  EXPECT_TRUE(has(md, "| SSIF | 2.5 | £3,375 |\n")) << md;
  EXPECT_TRUE(has(md, "## Overdue items at 28 February 2027\n")) << md;
  EXPECT_TRUE(has(md, "| " + engine_->get(ra).reference + " | Elm \\| &lt;Primary&gt;, URN 100005 | Report: ")) << md;
  EXPECT_TRUE(has(md, " | " + workflow::format_date(due) + " | " + std::to_string(late) + " |\n")) << md;

  const std::string html = progress_html(r);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>\n", 0), 0u);
  EXPECT_TRUE(has(html, "<title>Quarterly progress report: Oak &amp; Ash &lt;Alliance&gt;</title>")) << html;
  EXPECT_FALSE(has(html, "<Alliance>")) << html;
  EXPECT_FALSE(has(html, "<Primary>")) << html;
  EXPECT_TRUE(has(html, "<td>Elm | &lt;Primary&gt;, URN 100005</td>")) << html;
  EXPECT_TRUE(has(html, "<td class=\"red\">red (was green)</td>")) << html;
  EXPECT_TRUE(has(html, "<td class=\"n\">2.5</td><td class=\"n\">+1.5</td>")) << html;

  // The quarter holding today stands at today; a quarter to come is refused.
  const auto current =
      progress_report(*db_, engine_->calendar(), scope, quarter_of(engine_->today()), engine_->today());
  EXPECT_TRUE(current.to_date);
  EXPECT_TRUE(has(progress_markdown(current), "the quarter is not over, so the figures stand at 10 September 2027"));
  EXPECT_EQ(current.previous.id(), "2026/27-Q4");
  try {
    (void)progress_report(*db_, engine_->calendar(), scope, *parse_quarter("2027/28-Q2"), engine_->today());
    FAIL() << "a quarter to come was accepted";
  } catch (const workflow::InvalidInput& e) {
    EXPECT_EQ(std::string(e.what()), "quarter 2027/28 Q2 has not started: it begins on 2027-12-01");
  }
}

TEST_F(KpiTest, BadScopesAreRefusedByName) {
  KpiScope bad;
  bad.academic_year = "2026-27";
  EXPECT_THROW((void)kpi_report(*db_, engine_->calendar(), bad, engine_->today()), workflow::InvalidInput);
  KpiScope unknown;
  unknown.academic_year = "2026/27";
  unknown.alliance = 99;
  try {
    (void)kpi_report(*db_, engine_->calendar(), unknown, engine_->today());
    FAIL();
  } catch (const workflow::InvalidInput& e) {
    EXPECT_EQ(std::string(e.what()), "no alliance 99");
  }
  const auto refused = [&](KpiScope scope) {
    scope.academic_year = "2026/27";
    try {
      (void)kpi_report(*db_, engine_->calendar(), scope, engine_->today());
      return std::string("accepted");
    } catch (const workflow::InvalidInput& e) {
      return std::string(e.what());
    }
  };
  KpiScope ancient;
  ancient.academic_year = "0000/01";
  try {
    (void)kpi_report(*db_, engine_->calendar(), ancient, engine_->today());
    FAIL() << "year 0 accepted";
  } catch (const workflow::InvalidInput& e) {
    EXPECT_EQ(std::string(e.what()), "academic year 0000/01 is before 1900/01");
    EXPECT_EQ(e.field(), "academic_year");
  }
  KpiScope coming;
  coming.academic_year = "2027/28";
  at("2027-08-31");
  try {
    (void)kpi_report(*db_, engine_->calendar(), coming, engine_->today());
    FAIL() << "a year to come accepted";
  } catch (const workflow::InvalidInput& e) {
    EXPECT_EQ(std::string(e.what()), "academic year 2027/28 has not started: it begins on 2027-09-01");
    EXPECT_EQ(e.field(), "academic_year");
  }
  at("2027-09-10");
  KpiScope nowhere;
  nowhere.mini_region = "Nowhere";
  EXPECT_EQ(refused(nowhere), "no mini region 'Nowhere'");
  KpiScope ahead;
  ahead.as_of = day("2027-09-11");
  EXPECT_EQ(refused(ahead), "as_of 2027-09-11 is after today");
  KpiScope before;
  before.as_of = day("2026-08-31");
  EXPECT_EQ(refused(before), "as_of 2026-08-31 is before the academic year 2026/27 starts on 2026-09-01");
}


// Footnote iii of the LTT plan: "schools who meet the Strategic School
// Improvement Fund eligibility criteria and/or those that are graded
// 'Requires Improvement' by Ofsted and are located in ... 'Category 5 & 6'
// Areas". One day to each of six schools; only the SSIF-eligible one and the
// RI one in a Category 5/6 area are in need: 2 days.
TEST_F(KpiTest, SchoolsInNeedAreThoseTheLttPlanFootnoteNames) {
  import_gias(*db_,
              "URN,EstablishmentName,LA (code),LA (name),PhaseOfEducation (name),EstablishmentStatus (name)\n"
              "100005,Elm Primary,891,Nottinghamshire,Primary,Open\n"
              "100006,Fir Primary,891,Nottinghamshire,Primary,Open\n"
              "100007,Gum Primary,891,Nottinghamshire,Primary,Open\n"
              "100008,Hazel Primary,891,Nottinghamshire,Primary,Open\n");
  const auto grade = [&](int urn, int ofsted, bool category_5_6) {
    SchoolEdit e;
    e.ofsted_grade = ofsted;
    e.ofsted_date = "2025-05-01";
    e.category_5_6 = category_5_6;
    (void)edit_school(*db_, urn, e, day("2027-09-10"));
  };
  grade(100005, 3, false);  // requires improvement, not in a Category 5/6 area: not in need
  grade(100006, 3, true);   // requires improvement in a Category 5/6 area: in need
  grade(100007, 2, true);   // good, in a Category 5/6 area: not in need
  grade(100008, 4, true);   // inadequate is not "Requires Improvement": not in need unless SSIF-eligible
  std::map<int, std::string> refs;
  for (const int urn : {100001, 100002, 100005, 100006, 100007, 100008}) {
    const auto id = matched(urn, "lead", l1_, "2026-10-08");
    log(id, "2026-11-03", 1);
    refs[urn] = engine_->get(id).reference;
  }
  const auto r = report(KpiScope{});
  const auto& days = find(r, "deployment_days_in_need");
  EXPECT_DOUBLE_EQ(days.numerator, 2);
  EXPECT_EQ(days.references, (std::vector<std::string>{refs[100001], refs[100006]}));
  EXPECT_NE(days.definition.find("'Requires Improvement' by Ofsted"), std::string::npos) << days.definition;
  EXPECT_NE(days.definition.find("'Category 5 & 6' Areas"), std::string::npos) << days.definition;
  EXPECT_EQ(in_need_because(*find_school(*db_, 100006)),
            "graded requires improvement by Ofsted and in a Category 5/6 area");
  EXPECT_FALSE(in_need_because(*find_school(*db_, 100005)).has_value());
  EXPECT_FALSE(in_need_because(*find_school(*db_, 100007)).has_value());
  EXPECT_FALSE(in_need_because(*find_school(*db_, 100008)).has_value());
}

// "Each Teaching School to provide at least 30 days ... (LTT total of 210
// days)": two teaching schools in Nottinghamshire, each against its own 30;
// days of risk assessments and pupil premium reviews are counted beside, not in.
TEST_F(KpiTest, EachTeachingSchoolIsCountedAgainstItsOwnThirtyAndATotalMetHidesNone) {
  const auto damson = create_alliance(*db_, "Damson Teaching School Alliance", 100004);
  const auto l3 = create_system_leader(*db_, "Lee Three", "l3@example.org", 100004, damson);
  (void)add_designation(*db_, l3, "LLE", "leadership", day("2020-09-01"), std::nullopt);
  (void)add_designation(*db_, l3, "SLE", "maths", day("2020-09-01"), std::nullopt);
  (void)add_designation(*db_, l3, "PPR", "", day("2020-09-01"), std::nullopt);
  set_capacity(*db_, l3, "2026/27", 50);
  set_capacity(*db_, l1_, "2026/27", 100);
  // A support request of `days` days for A (in need) by `leader`, logged day by day from 2 November.
  const auto supported = [&](std::int64_t leader, int days) {
    const auto id = engine_->open_case("support_request", 100001, {{"source", "lead"}, {"summary", "s"}}, "t",
                                       day("2026-10-01")).id;
    engine_->apply(id, "accept_referral",
                   {{"priority", "high"}, {"focus_areas", json::array{"maths"}}, {"requested_days", days},
                    {"funding_source", "SSIF"}},
                   "t", day("2026-10-01"));
    engine_->apply(id, "propose_provider", {{"provider_id", leader}}, "t", day("2026-10-01"));
    engine_->apply(id, "provider_accepts", {}, "t", day("2026-10-02"));
    engine_->apply(id, "agree_plan",
                   {{"objectives", "o"}, {"planned_days", days}, {"starts_on", "2026-11-02"}, {"ends_on", "2027-06-30"}},
                   "t", day("2026-10-02"));
    for (int i = 0; i < days; ++i) {
      const auto on = workflow::format_date(sys_days(day("2026-11-02")) + std::chrono::days(i));
      log(id, on.c_str(), 1);
    }
    return id;
  };
  (void)supported(l1_, 32);
  (void)supported(l3, 5);
  // Damson's leader also assesses A (2 days) and reviews its pupil premium (1 day): not deployment days.
  const auto ra = engine_->open_case("risk_assessment", 100001, {{"source", "lead"}, {"summary", "s"}}, "t",
                                     day("2026-10-01")).id;
  engine_->apply(ra, "accept_request", {}, "t", day("2026-10-01"));
  engine_->apply(ra, "propose_assessor", {{"provider_id", l3}}, "t", day("2026-10-01"));
  engine_->apply(ra, "assessor_accepts", {}, "t", day("2026-10-02"));
  engine_->apply(ra, "log_visit", {{"date", "2026-10-05"}, {"days", 1}, {"activity", "a"}}, "t", day("2026-10-05"));
  engine_->apply(ra, "log_visit", {{"date", "2026-10-06"}, {"days", 1}, {"activity", "a"}}, "t", day("2026-10-06"));
  const auto pp = engine_->open_case("pupil_premium_review", 100001, {{"source", "lead"}, {"summary", "s"}}, "t",
                                     day("2026-10-01")).id;
  engine_->apply(pp, "accept_referral", {}, "t", day("2026-10-01"));
  engine_->apply(pp, "propose_reviewer", {{"provider_id", l3}}, "t", day("2026-10-01"));
  engine_->apply(pp, "reviewer_accepts", {}, "t", day("2026-10-02"));
  engine_->apply(pp, "log_visit", {{"date", "2026-10-07"}, {"days", 1}, {"activity", "a"}}, "t", day("2026-10-07"));

  KpiScope notts;
  notts.mini_region = "Nottinghamshire";
  const auto check = [&](double birch, const char* birch_status, const char* total_status) {
    const auto r = report(notts);
    const auto& k = find(r, "deployment_days_in_need");
    EXPECT_EQ(k.target, "at least 30 per teaching school (60 in all for 2)");
    EXPECT_DOUBLE_EQ(k.denominator, 60);  // 30 x 2: a share of the target, never an average
    EXPECT_DOUBLE_EQ(*k.actual, birch + 5);
    ASSERT_EQ(k.parts.size(), 2u);
    EXPECT_EQ(k.parts[0].name, "Birch Teaching School Alliance (Birch Primary)");
    EXPECT_DOUBLE_EQ(k.parts[0].actual, birch);
    EXPECT_EQ(k.parts[0].status, birch_status);
    EXPECT_EQ(k.parts[1].name, "Damson Teaching School Alliance (Damson Primary)");
    EXPECT_DOUBLE_EQ(k.parts[1].actual, 5);
    EXPECT_EQ(k.parts[1].status, "red");
    EXPECT_EQ(k.status, total_status);
    const auto& ra_days = find(r, "risk_assessment_days");
    EXPECT_DOUBLE_EQ(ra_days.numerator, 2);
    EXPECT_DOUBLE_EQ(ra_days.parts[1].actual, 2);
    EXPECT_DOUBLE_EQ(ra_days.parts[0].actual, 0);
    EXPECT_DOUBLE_EQ(find(r, "pupil_premium_review_days").numerator, 1);
  };
  check(32, "green", "red");  // 37 of 60, and Damson's 5 of 30
  // Birch's 55 and Damson's 5 make the 60, but Damson is still below its 30: red.
  (void)supported(l1_, 23);
  check(55, "green", "red");
  const auto r = report(notts);
  EXPECT_GE(*find(r, "deployment_days_in_need").actual, 60);  // the total alone would be green
}

// A teaching school's days to a school in need outside the scope count for it,
// but that case is not the scope's: it is never listed.
TEST_F(KpiTest, ATeachingSchoolsDaysOutsideTheScopeCountButItsCasesAreNotListed) {
  const auto inside = matched(100001, "lead", l1_, "2026-10-08");  // A, Nottinghamshire
  log(inside, "2026-11-03", 1);
  const auto outside = matched(100003, "lead", l1_, "2026-10-08");  // C, Northamptonshire
  log(outside, "2026-11-03", 1);
  KpiScope notts;
  notts.mini_region = "Nottinghamshire";
  const auto r = report(notts);
  const auto& k = find(r, "deployment_days_in_need");
  EXPECT_DOUBLE_EQ(k.numerator, 2);  // Birch's leader gave both days
  ASSERT_EQ(k.parts.size(), 1u);
  EXPECT_DOUBLE_EQ(k.parts[0].actual, 2);
  const std::vector<std::string> only_inside{engine_->get(inside).reference};
  EXPECT_EQ(k.references, only_inside);
  EXPECT_EQ(k.parts[0].references, only_inside);
  EXPECT_EQ(kpi_csv(r).find(engine_->get(outside).reference), std::string::npos);
  // Over every school, both are the report's own.
  EXPECT_EQ(find(report(KpiScope{}), "deployment_days_in_need").references.size(), 2u);
}

// "over 95% positive feedback for SLE deployments": a deployment made under
// an SLE designation active on its dates. Three deployments rated 1: under an
// SLE (maths); under the same leader's NLE (leadership asked for); under an
// SLE that ended before the deployment did. Only the first is an SLE deployment.
TEST_F(KpiTest, SleDeploymentsAreThoseMadeUnderAnSleDesignationActiveOnTheirDates) {
  const auto l4 = create_system_leader(*db_, "Lee Four", "l4@example.org", 100004, alliance_);
  (void)add_designation(*db_, l4, "NLE", "", day("2020-09-01"), std::nullopt);
  (void)add_designation(*db_, l4, "SLE", "maths", day("2020-09-01"), std::nullopt);
  set_capacity(*db_, l4, "2026/27", 50);
  const auto l5 = create_system_leader(*db_, "Lee Five", "l5@example.org", 100004, alliance_);
  (void)add_designation(*db_, l5, "SLE", "maths", day("2020-09-01"), day("2026-12-31"));
  set_capacity(*db_, l5, "2026/27", 50);
  const auto support = [&](std::int64_t leader, const char* focus) {
    const auto id = engine_->open_case("support_request", 100002, {{"source", "lead"}, {"summary", "s"}}, "t",
                                       day("2026-10-01")).id;
    engine_->apply(id, "accept_referral",
                   {{"priority", "high"}, {"focus_areas", json::array{focus}}, {"requested_days", 2},
                    {"funding_source", "SSIF"}},
                   "t", day("2026-10-01"));
    engine_->apply(id, "propose_provider", {{"provider_id", leader}}, "t", day("2026-10-01"));
    engine_->apply(id, "provider_accepts", {}, "t", day("2026-10-08"));
    engine_->apply(id, "agree_plan",
                   {{"objectives", "o"}, {"planned_days", 2}, {"starts_on", "2026-11-02"}, {"ends_on", "2027-06-30"}},
                   "t", day("2026-10-08"));
    finish(id, 1, "2027-07-02");
    return engine_->get(id).reference;
  };
  const auto under_sle = support(l4, "maths");
  (void)support(l4, "leadership");
  (void)support(l5, "maths");
  const auto r = report(KpiScope{});
  const auto& sle = find(r, "sle_positive_feedback");
  EXPECT_DOUBLE_EQ(sle.denominator, 1);
  EXPECT_DOUBLE_EQ(sle.numerator, 1);
  EXPECT_EQ(sle.references, std::vector<std::string>{under_sle});
  EXPECT_DOUBLE_EQ(find(r, "rated_good_or_better").denominator, 3);
}

// "Of the cases whose school rated the support in the academic year (its last
// rating counts)": a case rated again counts once, by its last rating in the
// year; a rating after the year ends is the next year's.
TEST_F(KpiTest, ACaseRatedAgainCountsOnceByItsLastRatingInTheYear) {
  const auto rate = [&](std::int64_t id, int grade, const char* on) {
    engine_->apply(id, "submit_rating", {{"grade", grade}}, "t", day(on));
  };
  const auto better = matched(100001, "self", l1_, "2026-10-08");  // 4, then 1: good
  finish(better, 4, "2027-07-02");
  rate(better, 1, "2027-07-05");
  const auto worse = matched(100002, "lead", l1_, "2026-10-15");  // 2, then 3: not good
  finish(worse, 2, "2027-07-02");
  rate(worse, 3, "2027-07-06");
  const auto after = matched(100003, "self", l1_, "2026-10-22");  // 1 in the year, 4 after it: good
  finish(after, 1, "2027-07-02");
  rate(after, 4, "2027-09-02");
  const auto r = report(KpiScope{});
  const auto& good = find(r, "rated_good_or_better");
  EXPECT_DOUBLE_EQ(good.denominator, 3);
  EXPECT_DOUBLE_EQ(good.numerator, 2);
  std::vector<std::string> rated{engine_->get(better).reference, engine_->get(worse).reference,
                                 engine_->get(after).reference};
  std::sort(rated.begin(), rated.end());
  EXPECT_EQ(good.references, rated) << "each rated case once";
  const auto& sle = find(r, "sle_positive_feedback");  // all three under L1's SLE designation
  EXPECT_DOUBLE_EQ(sle.denominator, 3);
  EXPECT_DOUBLE_EQ(sle.numerator, 2);
}

// "Increasing number of schools that self-refer": distinct schools, beside
// the year before. A school user's own referral is a self-referral whatever
// it says; naming another source is refused and opens nothing.
TEST_F(KpiTest, SchoolsThatSelfReferAreCountedOnceBesideTheYearBefore) {
  const workflow::Actor head("user:9 head@alder.example.org", "school", "school:100001");
  try {
    (void)engine_->open_case("support_request", 100001, {{"source", "lead"}, {"summary", "s"}}, head,
                             day("2026-10-01"));
    FAIL() << "a school's referral named another source";
  } catch (const workflow::EngineError& e) {
    EXPECT_EQ(e.code(), workflow::EngineError::Code::guard_failed);
    EXPECT_NE(std::string(e.what()).find("a school's own referral is a self-referral"), std::string::npos) << e.what();
  }
  const auto a1 = engine_->open_case("support_request", 100001, {{"summary", "s"}}, head, day("2026-10-01"));
  EXPECT_EQ(a1.data.at("source").as_string(), "self");
  (void)engine_->open_case("support_request", 100001, {{"source", "self"}, {"summary", "again"}}, head,
                           day("2027-01-11"));
  // A lead records C's own phone call as a self-referral; B's referral is the LA's.
  (void)engine_->open_case("support_request", 100003, {{"source", "self"}, {"summary", "s"}}, "t", day("2026-11-02"));
  (void)engine_->open_case("support_request", 100002, {{"source", "local_authority"}, {"summary", "s"}}, "t",
                           day("2026-11-02"));
  // Someone else's referral must say who referred.
  EXPECT_THROW((void)engine_->open_case("support_request", 100002, {{"summary", "s"}}, "t", day("2026-11-02")),
               workflow::EngineError);
  // The year before: B referred itself.
  (void)engine_->open_case("support_request", 100002, {{"source", "self"}, {"summary", "s"}}, "t", day("2025-10-01"));
  const auto& k = find(report(KpiScope{}), "self_referrals");
  EXPECT_DOUBLE_EQ(k.numerator, 2);    // A (twice) and C
  EXPECT_DOUBLE_EQ(k.denominator, 3);  // A, B and C referred this year
  EXPECT_EQ(k.previous, 1.0);          // B, last year
  EXPECT_EQ(k.unit, "schools");
}

}  // namespace
}  // namespace s2s::cases

namespace s2s::cases {
namespace {

// A report is made once for a scope and a state of the data: asked again it
// is the same, and any recorded change (an event, an administrator's change)
// makes it fresh, with the new figures.
TEST_F(KpiTest, AReportIsKeptUntilTheDataChanges) {
  const auto c1 = matched(100001, "self", l1_, "2026-10-08");
  ReportCache cache;
  KpiScope scope;
  scope.academic_year = "2026/27";
  const auto first = cache.kpis(*db_, engine_->calendar(), scope, engine_->today());
  const auto again = cache.kpis(*db_, engine_->calendar(), scope, engine_->today());
  EXPECT_EQ(first.get(), again.get());
  EXPECT_EQ(cache.made(), 1u);
  // Another scope, another day: other reports.
  KpiScope region = scope;
  region.mini_region = "Northamptonshire";
  (void)cache.kpis(*db_, engine_->calendar(), region, engine_->today());
  (void)cache.kpis(*db_, engine_->calendar(), scope, day("2027-09-11"));
  EXPECT_EQ(cache.made(), 3u);
  // An event: fresh, and the day it logged is counted.
  log(c1, "2026-11-03", 1);
  const auto after_event = cache.kpis(*db_, engine_->calendar(), scope, engine_->today());
  EXPECT_EQ(cache.made(), 4u);
  EXPECT_NE(after_event.get(), first.get());
  EXPECT_DOUBLE_EQ(find(*after_event, "deployment_days_in_need").numerator,
                   find(*first, "deployment_days_in_need").numerator + 1);
  // An administrator's change (recorded in the audit trail): fresh too.
  SchoolEdit need;
  need.ssif_eligible = false;
  (void)edit_school(*db_, 100001, need, day("2027-09-10"));
  workflow::record_audit(*db_, {"admin:cli test", "school.edit", "Alder Primary (URN 100001)", ""}, now_);
  const auto after_edit = cache.kpis(*db_, engine_->calendar(), scope, engine_->today());
  EXPECT_EQ(cache.made(), 5u);
  EXPECT_DOUBLE_EQ(find(*after_edit, "deployment_days_in_need").numerator, 0);
  // Reports listing the cases behind each KPI are kept only a few at a time.
  ReportCache small(64, 1);
  KpiScope with_cases = scope;
  with_cases.with_references = true;
  KpiScope region_cases = region;
  region_cases.with_references = true;
  const auto a = small.kpis(*db_, engine_->calendar(), with_cases, engine_->today());
  (void)small.kpis(*db_, engine_->calendar(), region_cases, engine_->today());  // pushes `a` out
  EXPECT_NE(small.kpis(*db_, engine_->calendar(), with_cases, engine_->today()).get(), a.get());
  EXPECT_EQ(small.made(), 3u);
  // The quarterly report likewise.
  const auto q = quarter_of(engine_->today());
  EXPECT_EQ(cache.progress(*db_, engine_->calendar(), scope, q, engine_->today()).get(),
            cache.progress(*db_, engine_->calendar(), scope, q, engine_->today()).get());
}

}  // namespace
}  // namespace s2s::cases
