// Need as it is judged today, on a hand-built area worked out by hand, on
// SQLite and PostgreSQL: Ofsted's file imported (report cards, graded
// judgements, bad rows), a school in need by its report card only, a graded
// judgement a newer report card supersedes, the criteria changed as data,
// the need register's order, support and reach, and the KPI counting days
// to a school in need by its report card.
#include "cases/need.h"

#include <gtest/gtest.h>
#include <soci/soci.h>
#include <boost/json.hpp>

#include <algorithm>

#include "cases/cold_spots.h"
#include "cases/forecast.h"
#include "cases/gias_import.h"
#include "cases/kinds.h"
#include "cases/kpis.h"
#include "cases/providers.h"
#include "cases/schools.h"
#include "tests/support/test_database.h"
#include "workflow/date.h"
#include "workflow/engine.h"

namespace s2s::cases {
namespace {

using namespace std::chrono;
namespace json = boost::json;

year_month_day day(const char* text) { return *workflow::parse_date(text); }

// Ofsted's file for the area: Ash's report card (needs attention in
// achievement) is newer than its graded judgement; Beech has only a graded
// judgement (requires improvement); Cherry's report card (all expected)
// supersedes its old requires improvement; Elm's safeguarding is not met.
const char* const kOfsted =
    "URN,School name,Inspection start date,Publication date,Safeguarding standards,Inclusion,"
    "Curriculum and teaching,Achievement,Attendance and behaviour,Personal development and wellbeing,"
    "Leadership and governance,Early years (where applicable),Post-16 provision (where applicable),"
    "Latest OEIF overall effectiveness,Inspection start date of latest OEIF graded inspection\r\n"
    "200001,Ash,20/01/2026,03/03/2026,Met,Expected standard,Expected standard,Needs attention,Strong standard,"
    "Expected standard,Expected standard,NULL,NULL,2,14/06/2022\r\n"
    "200002,Beech,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,3,01/03/2024\r\n"
    "200003,Cherry,02/02/2026,10/03/2026,Met,Expected standard,Expected standard,Expected standard,"
    "Expected standard,Expected standard,Expected standard,NULL,NULL,3,05/05/2023\r\n"
    "200005,Elm,12/01/2026,20/02/2026,Not met,Expected standard,Expected standard,Expected standard,"
    "Expected standard,Expected standard,Needs attention,NULL,NULL,NULL,NULL\r\n"
    "999999,Nowhere,12/01/2026,,Met,,,,,,,,,,\r\n"
    "200006,Fir,12/01/2026,,Met,Good,,,,,,,,,\r\n";

class NeedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = test_db_.open_migrated();
    import_gias(*db_,
                "URN,EstablishmentName,LA (code),LA (name),PhaseOfEducation (name),EstablishmentStatus (name)\n"
                "200001,Ash Primary,891,Nottinghamshire,Primary,Open\n"
                "200002,Beech Primary,891,Nottinghamshire,Primary,Open\n"
                "200003,Cherry Primary,891,Nottinghamshire,Primary,Open\n"
                "200004,Dogwood Primary,891,Nottinghamshire,Primary,Open\n"
                "200005,Elm Academy,925,Lincolnshire,Secondary,Open\n"
                "200006,Fir Primary,891,Nottinghamshire,Primary,Open\n"
                "200007,Gorse Primary,891,Nottinghamshire,Primary,Open\n");  // the leader's own
    SchoolEdit edit;
    edit.category_5_6 = true;
    for (const int urn : {200002, 200003}) (void)edit_school(*db_, urn, edit, day("2026-11-01"));
    SchoolEdit ssif;
    ssif.ssif_eligible = true;
    (void)edit_school(*db_, 200004, ssif, day("2026-11-01"));
    alliance_ = create_alliance(*db_, "Gorse Teaching School Alliance", 200007);
    leader_ = create_system_leader(*db_, "Lee One", "l1@example.org", 200007, alliance_);
    add_designation(*db_, leader_, "SLE", "maths", day("2020-09-01"), std::nullopt);
    set_capacity(*db_, leader_, "2026/27", 60);
    workflow::EngineOptions options;
    options.clock = [] { return sys_days(day("2026-12-01")) + hours(10); };
    options.backdate_roles = "lead,admin,school,system_leader,la_officer";
    engine_ = std::make_unique<workflow::Engine>(db_, all_kinds(), options);
  }

  OfstedImportReport import() { return import_ofsted(*db_, kOfsted, "2026-12-01T10:00:00.000000Z"); }

  std::int64_t referral(int urn) {
    return engine_->open_case("support_request", urn, {{"source", "lead"}, {"summary", "s"}}, "t", day("2026-10-01")).id;
  }
  // A support request matched and deployed, with `days` logged in November.
  std::int64_t deployed(int urn, double days, int requested = 4) {
    const auto id = referral(urn);
    engine_->apply(id, "accept_referral",
                   {{"priority", "high"}, {"focus_areas", json::array{"maths"}}, {"requested_days", requested},
                    {"funding_source", "SSIF"}},
                   "t", day("2026-10-01"));
    engine_->apply(id, "propose_provider", {{"provider_id", leader_}}, "t", day("2026-10-01"));
    engine_->apply(id, "provider_accepts", {}, "t", day("2026-10-05"));
    engine_->apply(id, "agree_plan",
                   {{"objectives", "o"}, {"planned_days", requested}, {"starts_on", "2026-11-02"},
                    {"ends_on", "2027-06-30"}},
                   "t", day("2026-10-05"));
    // A day at most on each date, from Tuesday 3 November.
    const char* const dates[] = {"2026-11-03", "2026-11-04", "2026-11-05", "2026-11-06"};
    for (int i = 0; days > 0; ++i) {
      const double today = std::min(days, 1.0);
      engine_->apply(id, "log_days", {{"date", dates[i]}, {"days", today}, {"activity", "a"}}, "t", day(dates[i]));
      days -= today;
    }
    return id;
  }

  workflow::Actor admin{"user:1", "admin", ""};
  testing::TestDatabase test_db_;
  std::shared_ptr<workflow::Database> db_;
  std::unique_ptr<workflow::Engine> engine_;
  std::int64_t alliance_ = 0;
  std::int64_t leader_ = 0;
};

TEST_F(NeedTest, OfstedsFileIsImportedOnceWithEveryBadRowNamed) {
  const auto first = import();
  EXPECT_EQ(first.rows, 6U);
  EXPECT_EQ(first.cards_added, 3U);  // Ash, Cherry, Elm
  EXPECT_EQ(first.graded_updated, 3U);  // Ash, Beech and Cherry's graded judgements, new to the register
  EXPECT_EQ(first.skipped, 2U);
  EXPECT_EQ(first.problems,
            (std::vector<std::string>{
                "line 7: Inclusion 'Good' is not a report card grade (exceptional, strong standard, expected standard, "
                "needs attention, urgent improvement); row skipped (URN 200006)",
                "line 6: URN 999999 is not on the register (import the GIAS extract first); row skipped"}));
  const auto card = latest_report_card(*db_, 200001);
  ASSERT_TRUE(card.has_value());
  EXPECT_EQ(card->inspected_on, "2026-01-20");
  EXPECT_EQ(card->published_on, "2026-03-03");
  EXPECT_EQ(card->safeguarding_met, true);
  ASSERT_EQ(card->grades.size(), 6U);
  EXPECT_EQ(card->grades[2].name, "Achievement");
  EXPECT_EQ(card->grades[2].grade, 4);
  EXPECT_EQ(find_school(*db_, 200002)->ofsted_grade, 3);
  EXPECT_EQ(find_school(*db_, 200002)->ofsted_date, "2024-03-01");

  const auto again = import();
  EXPECT_EQ(again.cards_added, 0U);
  EXPECT_EQ(again.cards_changed, 0U);
  EXPECT_EQ(again.cards_unchanged, 3U);
  EXPECT_EQ(again.graded_updated, 0U);
  EXPECT_EQ(testing::count_rows(*db_, "SELECT count(*) FROM report_card_grades"), 18);

  // A newer card for Ash becomes its latest; the old one is kept.
  (void)import_ofsted(*db_,
                      "URN,Inspection start date,Safeguarding standards,Achievement\n"
                      "200001,01/10/2026,Met,Strong standard\n",
                      "2026-12-01T11:00:00.000000Z");
  EXPECT_EQ(latest_report_card(*db_, 200001)->inspected_on, "2026-10-01");
  EXPECT_EQ(testing::count_rows(*db_, "SELECT count(*) FROM report_cards WHERE urn = 200001"), 2);
  EXPECT_EQ(testing::count_rows(*db_, "SELECT count(*) FROM report_cards WHERE urn = 200001 AND latest = 1"), 1);
  EXPECT_FALSE(need_of(*db_, 200001).has_value()) << "strong standard in achievement now";
}

TEST_F(NeedTest, AFileThatIsNotOfstedsChangesNothing) {
  EXPECT_THROW((void)import_ofsted(*db_, "URN,Name\n200001,Ash\n", "2026-12-01T10:00:00.000000Z"), OfstedFormatError);
  EXPECT_EQ(testing::count_rows(*db_, "SELECT count(*) FROM report_cards"), 0);
}

TEST_F(NeedTest, EachSchoolIsInNeedUnderTheFirstCriterionItMeets) {
  (void)import();
  EXPECT_EQ(need_of(*db_, 200001), "needs attention in achievement on its latest report card");  // by its card only
  EXPECT_EQ(need_of(*db_, 200002), "graded requires improvement by Ofsted and in a Category 5/6 area");
  EXPECT_FALSE(need_of(*db_, 200003).has_value()) << "its report card is newer than its requires improvement";
  EXPECT_EQ(need_of(*db_, 200004), "meets the SSIF eligibility criteria");
  EXPECT_EQ(need_of(*db_, 200005), "safeguarding not met at its latest inspection");  // before its needs attention
  EXPECT_FALSE(need_of(*db_, 200006).has_value());
  EXPECT_FALSE(need_of(*db_, 123456).has_value()) << "not on the register";
  // The school as every page reads it says the same (one rule set, two readings).
  for (const int urn : {200001, 200002, 200003, 200004, 200005, 200006, 200007}) {
    EXPECT_EQ(in_need_because(*find_school(*db_, urn)), need_of(*db_, urn)) << urn;
  }
  // The criteria are data: leadership and governance needing attention no
  // longer counts, and achievement only at urgent improvement.
  auto connection = db_->acquire();
  connection.session() << "DELETE FROM need_rules WHERE position = 3";
  connection.session() << "UPDATE need_rules SET grade_from = 5, because = 'urgent improvement in achievement'"
                          " WHERE position = 4";
  EXPECT_FALSE(need_of(*db_, 200001).has_value());
  EXPECT_FALSE(in_need_because(*find_school(*db_, 200001)).has_value());
  const auto rules = need_rules(*db_);
  ASSERT_EQ(rules.size(), 5U);
  EXPECT_EQ(need_criteria_text(rules)[2], "urgent improvement in achievement");
}

TEST_F(NeedTest, TheRegisterPutsTheSchoolsNobodyHasReachedFirst) {
  (void)import();
  const auto elm = referral(200005);      // referred, not yet matched
  const auto dogwood = deployed(200004, 2);  // deployed, days this year
  const auto reg = need_register(*db_, admin, day("2026-12-01"));
  EXPECT_EQ(reg.academic_year, "2026/27");
  ASSERT_EQ(reg.rows.size(), 4U);
  EXPECT_EQ(reg.rows[0].urn, 200001);  // no support, rule 4
  EXPECT_EQ(reg.rows[0].support, Support::none);
  EXPECT_EQ(reg.rows[0].last_inspection, "report card, 20 January 2026: safeguarding met");
  EXPECT_EQ(reg.rows[1].urn, 200002);  // no support, rule 6
  EXPECT_EQ(reg.rows[1].last_inspection, "requires improvement, 1 March 2024");
  EXPECT_EQ(reg.rows[2].urn, 200005);
  EXPECT_EQ(reg.rows[2].support, Support::referred);
  EXPECT_EQ(reg.rows[2].case_reference, engine_->get(elm).reference);
  EXPECT_EQ(reg.rows[3].urn, 200004);
  EXPECT_EQ(reg.rows[3].support, Support::in_progress);
  EXPECT_EQ(reg.rows[3].case_reference, engine_->get(dogwood).reference);
  ASSERT_EQ(reg.reach.size(), 2U);
  EXPECT_EQ(reg.reach[0].mini_region, "Lincolnshire");
  EXPECT_EQ(reg.reach[0].in_need, 1);
  EXPECT_EQ(reg.reach[0].reached, 1);
  EXPECT_EQ(reg.reach[1].mini_region, "Nottinghamshire");
  EXPECT_EQ(reg.reach[1].in_need, 3);
  EXPECT_EQ(reg.reach[1].reached, 1);
  EXPECT_EQ(reg.criteria.size(), 6U);
  // A lead of Nottinghamshire sees its three; an LA officer of Lincolnshire, Elm alone.
  const workflow::Actor lead{"user:2", "lead", "mini_region:Nottinghamshire"};
  EXPECT_EQ(need_register(*db_, lead, day("2026-12-01")).rows.size(), 3U);
  const workflow::Actor la{"user:3", "la_officer", "la:925"};
  const auto lincs = need_register(*db_, la, day("2026-12-01"));
  ASSERT_EQ(lincs.rows.size(), 1U);
  EXPECT_EQ(lincs.rows[0].urn, 200005);
  const workflow::Actor leader{"user:4", "system_leader", "system_leader:1"};
  EXPECT_TRUE(need_register(*db_, leader, day("2026-12-01")).rows.empty());
  // The CSV has every row, in the same order.
  const auto csv = need_register_csv(reg);
  EXPECT_EQ(csv.rfind("\xEF\xBB\xBFurn,school,la,mini_region,phase,why,last_inspection,support,case\r\n", 0), 0U);
  EXPECT_LT(csv.find("200001,Ash Primary"), csv.find("200002,Beech Primary"));
  EXPECT_NE(csv.find(",referred," + engine_->get(elm).reference + "\r\n"), std::string::npos) << csv;
}

TEST_F(NeedTest, DaysToASchoolInNeedByItsReportCardCountForTheTeachingSchool) {
  (void)import();
  deployed(200001, 2.5);  // Ash: in need by its report card only
  deployed(200006, 1);    // Fir: not in need
  KpiScope scope;
  scope.academic_year = "2026/27";
  scope.alliance = alliance_;
  const auto report = kpi_report(*db_, engine_->calendar(), scope, day("2026-12-01"));
  const Kpi* days = nullptr;
  for (const auto& k : report.kpis) {
    if (k.id == "deployment_days_in_need") days = &k;
  }
  ASSERT_NE(days, nullptr);
  EXPECT_DOUBLE_EQ(days->numerator, 2.5);
  EXPECT_EQ(report.need_criteria.size(), 6U);
  EXPECT_EQ(report.need_criteria[3], "needs attention in achievement on its latest report card");
}

// "Will we make it?": a teaching school that will miss its 30 days at its
// pace so far is on course once a plan for the rest is agreed; the ratings
// forecast says what is outstanding.
TEST_F(NeedTest, ATeachingSchoolIsOnCourseOnceAPlanForTheRestIsAgreed) {
  (void)import();
  deployed(200001, 2.5);  // Ash, in need: 2.5 days given of the 4 planned
  KpiScope scope;
  scope.academic_year = "2026/27";
  scope.alliance = alliance_;
  const auto today = day("2026-12-01");
  // The forecast is made from a report that read what lies ahead with its figures.
  EXPECT_THROW((void)forecast(engine_->calendar(), kpi_report(*db_, engine_->calendar(), scope, today), today),
               workflow::InvalidInput);
  scope.with_ahead = true;
  auto report = kpi_report(*db_, engine_->calendar(), scope, today);
  auto f = forecast(engine_->calendar(), report, today);
  ASSERT_EQ(f.teaching_schools.size(), 1U);
  const auto& gorse = f.teaching_schools[0];
  EXPECT_EQ(gorse.alliance_id, alliance_);
  EXPECT_DOUBLE_EQ(gorse.logged, 2.5);
  EXPECT_DOUBLE_EQ(gorse.planned, 1.5);
  EXPECT_DOUBLE_EQ(gorse.needed, 27.5);
  // From 1 September to 1 December: 64 working days (12.8 weeks); 183 are left to 31 August 2027.
  EXPECT_EQ(f.working_days_left, engine_->calendar().working_days_between(today, day("2027-08-31")));
  const double weeks_done = engine_->calendar().working_days_between(day("2026-08-31"), today) / 5.0;
  EXPECT_NEAR(gorse.pace, 2.5 / weeks_done, 1e-9);
  EXPECT_NEAR(gorse.projected, 2.5 + gorse.pace * f.working_days_left / 5.0, 1e-9);
  EXPECT_LT(gorse.projected, 30);
  EXPECT_EQ(gorse.outlook, Outlook::will_miss) << gorse.reason;
  EXPECT_NE(gorse.reason.find("2.5 days given and 1.5 days planned"), std::string::npos) << gorse.reason;
  EXPECT_EQ(f.ratings.outlook, Outlook::at_risk);
  EXPECT_EQ(f.ratings.reason, "No support has been rated or asked to be rated yet this year.");

  // Beech, in need by its graded judgement: 26 days agreed, none given yet.
  deployed(200002, 0, 26);
  report = kpi_report(*db_, engine_->calendar(), scope, today);
  f = forecast(engine_->calendar(), report, today);
  EXPECT_DOUBLE_EQ(f.teaching_schools[0].planned, 27.5);
  EXPECT_EQ(f.teaching_schools[0].outlook, Outlook::on_course) << f.teaching_schools[0].reason;
  EXPECT_EQ(f.teaching_schools[0].reason,
            "2.5 days given and 27.5 days planned: 30 are in reach if the plans are kept.");
  // Days planned for a school not in need do not count.
  deployed(200006, 0, 10);
  report = kpi_report(*db_, engine_->calendar(), scope, today);
  EXPECT_DOUBLE_EQ(forecast(engine_->calendar(), report, today).teaching_schools[0].planned, 27.5);
  // A forecast is of this year, as it stands today.
  scope.as_of = day("2026-11-30");
  EXPECT_THROW((void)kpi_report(*db_, engine_->calendar(), scope, today), workflow::InvalidInput);
  scope.with_ahead = false;
  auto earlier = kpi_report(*db_, engine_->calendar(), scope, today);
  earlier.ahead = report.ahead;
  EXPECT_THROW((void)forecast(engine_->calendar(), earlier, today), workflow::InvalidInput);
}

// Cold spots: Nottinghamshire's three schools in need against its system
// leader's free days; a cold spot while they are fewer than 10 a school,
// gone once his capacity is set higher. Lincolnshire has a school in need and
// nobody near it. Where to recruit: what the referrals asked for.
TEST_F(NeedTest, AColdSpotDisappearsWhenALeadersCapacityIsSet) {
  (void)import();
  set_capacity(*db_, leader_, "2026/27", 20);
  const auto today = day("2026-12-01");
  auto spots = cold_spots(*db_, admin, today);
  EXPECT_EQ(spots.academic_year, "2026/27");
  EXPECT_DOUBLE_EQ(spots.days_per_school, kColdSpotDays);
  const auto la = [&](const ColdSpots& s, int code) -> const AreaCapacity& {
    for (const auto& a : s.las) {
      if (a.la_code == code) return a;
    }
    ADD_FAILURE() << "no LA " << code;
    return s.las.front();
  };
  const auto& notts = la(spots, 891);
  EXPECT_EQ(notts.name, "Nottinghamshire");
  EXPECT_EQ(notts.in_need, 3);  // Ash (its report card), Beech (graded), Dogwood (SSIF)
  EXPECT_EQ(notts.leaders, 1);
  EXPECT_EQ(notts.designations, (std::map<std::string, int>{{"SLE", 1}}));
  EXPECT_DOUBLE_EQ(notts.free_days, 20);
  EXPECT_NEAR(notts.free_days_per_school, 20.0 / 3, 1e-9);
  EXPECT_TRUE(notts.cold);
  const auto& lincs = la(spots, 925);
  EXPECT_EQ(lincs.in_need, 1);
  EXPECT_DOUBLE_EQ(lincs.free_days + lincs.free_days_near, 0);
  EXPECT_TRUE(lincs.cold);
  ASSERT_EQ(spots.mini_regions.size(), 2U);
  EXPECT_EQ(spots.mini_regions[1].name, "Nottinghamshire");
  EXPECT_EQ(spots.mini_regions[1].designations, (std::map<std::string, int>{{"SLE", 1}}));
  EXPECT_TRUE(spots.mini_regions[0].designations.empty()) << "nobody in Lincolnshire";
  EXPECT_TRUE(spots.mini_regions[1].cold);

  set_capacity(*db_, leader_, "2026/27", 30);
  spots = cold_spots(*db_, admin, today);
  EXPECT_DOUBLE_EQ(la(spots, 891).free_days_per_school, 10);
  EXPECT_FALSE(la(spots, 891).cold) << "10 free days a school in need is enough";
  EXPECT_TRUE(la(spots, 925).cold);
  // A stricter setting makes it one again.
  EXPECT_TRUE(la(cold_spots(*db_, admin, today, 12), 891).cold);

  // Days reserved are not free: a deployment of 4 days to Fir leaves 26.
  deployed(200006, 0, 4);
  spots = cold_spots(*db_, admin, today);
  EXPECT_DOUBLE_EQ(la(spots, 891).free_days, 26);
  EXPECT_TRUE(la(spots, 891).cold);
  // Its referral asked for maths, which Lee offers; Elm's for attendance, which nobody does.
  const auto elm = referral(200005);
  engine_->apply(elm, "accept_referral",
                 {{"priority", "high"}, {"focus_areas", json::array{"Attendance"}}, {"requested_days", 2},
                  {"funding_source", "SSIF"}},
                 "t", day("2026-10-01"));
  spots = cold_spots(*db_, admin, today);
  ASSERT_EQ(spots.recruit.count("Nottinghamshire"), 1U);
  ASSERT_EQ(spots.recruit["Nottinghamshire"].size(), 1U);
  EXPECT_EQ(spots.recruit["Nottinghamshire"][0].focus_area, "maths");
  EXPECT_EQ(spots.recruit["Nottinghamshire"][0].asked, 1);
  EXPECT_EQ(spots.recruit["Nottinghamshire"][0].offered, 1);
  ASSERT_EQ(spots.recruit.count("Lincolnshire"), 1U);
  EXPECT_EQ(spots.recruit["Lincolnshire"][0].focus_area, "Attendance");  // as written
  EXPECT_EQ(spots.recruit["Lincolnshire"][0].offered, 0);
  // The phases asked for: Fir (primary) in Nottinghamshire, where Lee's own
  // school is a primary; Elm (secondary) in Lincolnshire, where nobody is.
  ASSERT_EQ(spots.recruit_phases["Nottinghamshire"].size(), 1U);
  EXPECT_EQ(spots.recruit_phases["Nottinghamshire"][0].focus_area, "primary");
  EXPECT_EQ(spots.recruit_phases["Nottinghamshire"][0].asked, 1);
  EXPECT_EQ(spots.recruit_phases["Nottinghamshire"][0].offered, 1);
  ASSERT_EQ(spots.recruit_phases["Lincolnshire"].size(), 1U);
  EXPECT_EQ(spots.recruit_phases["Lincolnshire"][0].focus_area, "secondary");
  EXPECT_EQ(spots.recruit_phases["Lincolnshire"][0].asked, 1);
  EXPECT_EQ(spots.recruit_phases["Lincolnshire"][0].offered, 0);
  // A lead sees her own area only.
  const workflow::Actor lead{"user:2", "lead", "mini_region:Nottinghamshire"};
  EXPECT_EQ(cold_spots(*db_, lead, today).las.size(), 1U);
  // A second designation active today: the leader counts under each, once
  // among the leaders; one ended years ago counts under none.
  (void)add_designation(*db_, leader_, "NLE", "", day("2021-09-01"), std::nullopt);
  (void)add_designation(*db_, leader_, "LLE", "", day("2018-09-01"), day("2019-08-31"));
  spots = cold_spots(*db_, admin, today);
  EXPECT_EQ(la(spots, 891).designations, (std::map<std::string, int>{{"NLE", 1}, {"SLE", 1}}));
  EXPECT_EQ(la(spots, 891).leaders, 1);
}

// The tile map: the scope's LAs carry their figures, the squares about them
// are drawn for shape; an LA with no square is named, not lost.
TEST_F(NeedTest, TheTileMapDrawsTheScopesLocalAuthoritiesWithTheirNeighbours) {
  (void)import();
  const auto today = day("2026-12-01");
  const workflow::Actor lead{"user:2", "lead", "mini_region:Nottinghamshire"};
  const auto spots = cold_spots(*db_, lead, today);
  ASSERT_EQ(spots.las.size(), 1U);
  const Tile* notts = nullptr;
  for (const auto& t : spots.tiles) {
    if (t.la_code == 891) notts = &t;
    else EXPECT_EQ(t.area, -1) << t.name << " is outside the lead's area";
  }
  ASSERT_NE(notts, nullptr);
  EXPECT_EQ(notts->name, "Nottinghamshire");
  EXPECT_EQ(notts->short_name, "NTT");
  EXPECT_EQ(notts->region, "East Midlands");
  EXPECT_EQ(notts->area, 0);
  // One square of margin all round: a block of three by three.
  EXPECT_EQ(spots.tiles.size(), 9U);
  for (const auto& t : spots.tiles) {
    EXPECT_LE(std::abs(t.x - notts->x), 1) << t.name;
    EXPECT_LE(std::abs(t.y - notts->y), 1) << t.name;
  }
  for (std::size_t i = 1; i < spots.tiles.size(); ++i) {
    EXPECT_LT(std::tie(spots.tiles[i - 1].y, spots.tiles[i - 1].x), std::tie(spots.tiles[i].y, spots.tiles[i].x));
  }
  EXPECT_TRUE(spots.off_map.empty());
  // England's map has every authority's square; a school under a code with
  // no square (Northamptonshire's before 2021) is in the table, named off the map.
  auto c = db_->acquire();
  int tiles = 0, places = 0;
  c.session() << "SELECT count(*), count(DISTINCT x * 100 + y) FROM la_tiles", soci::into(tiles), soci::into(places);
  EXPECT_EQ(tiles, 153);
  EXPECT_EQ(places, 153);
  c.session() << "UPDATE schools SET la_code = 928, la_name = 'Northamptonshire' WHERE urn = 200006";
  const auto all = cold_spots(*db_, admin, today);
  ASSERT_EQ(all.off_map.size(), 1U);
  EXPECT_EQ(all.las[static_cast<std::size_t>(all.off_map[0])].la_code, 928);
  int drawn = 0;
  for (const auto& t : all.tiles) drawn += t.area >= 0 ? 1 : 0;
  EXPECT_EQ(drawn + 1, static_cast<int>(all.las.size()));
}

}  // namespace
}  // namespace s2s::cases
