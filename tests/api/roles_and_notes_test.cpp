// What each role may read and say, over real HTTP on SQLite and PostgreSQL:
// the read-only strategic group, leads narrowed to phases, notes with an
// audience, a school told who supports it, a school's referral always a
// self-referral, and the KPI report's own words (funding, spend, file name).
#include <set>

#include "cases/providers.h"
#include "cases/users.h"
#include "tests/api/api_fixture.h"

namespace s2s::testing {
namespace {

namespace json = boost::json;

TEST_F(ApiTest, TheStrategicGroupReadsEveryCaseAndReportButSendsNothing) {
  const std::string c = "/api/v1/cases/" + std::to_string(case_);
  EXPECT_EQ(call("strategic", "GET", c).status, 200);
  EXPECT_EQ(call("strategic", "GET", "/api/v1/cases/" + std::to_string(outside_case_)).status, 200);
  const auto all = references(parse(call("strategic", "GET", "/api/v1/cases?limit=200")));
  EXPECT_TRUE(all.contains(reference_));
  EXPECT_TRUE(all.contains(app_.engine->get(outside_case_).reference));
  // Every mini region's KPIs and quarterly report.
  EXPECT_EQ(call("strategic", "GET", "/api/v1/reports/kpis?mini_region=Northamptonshire").status, 200);
  EXPECT_EQ(call("strategic", "GET", "/api/v1/reports/kpis?alliance=" + std::to_string(demo_.alliance_id)).status,
            200);
  EXPECT_EQ(call("strategic", "GET", "/api/v1/reports/quarterly?format=markdown&mini_region=Derbyshire").status, 200);
  // No event, no referral: a 403 that changes nothing.
  const int version = app_.engine->get(case_).version;
  const auto sent = call("strategic", "POST", c + "/events", R"({"event":"withdraw","data":{"reason":"x"}})");
  EXPECT_EQ(sent.status, 403) << sent.body;
  EXPECT_EQ(app_.engine->get(case_).version, version);
  const auto opened = call("strategic", "POST", "/api/v1/cases",
                           R"({"kind":"support_request","school_urn":146330,"data":{"source":"lead","summary":"x"}})");
  EXPECT_EQ(opened.status, 403) << opened.body;
  // A strategic user has no scope; giving one is refused.
  EXPECT_THROW((void)cases::add_user(*app_.db, "S", "s2@example.org", "strategic", "mini_region:Derbyshire"),
               cases::UserError);
}

TEST_F(ApiTest, ALeadNarrowedToPhasesSeesOnlyTheSchoolsOfThosePhases) {
  // The deployed school is a primary; Bilborough Brook (122951) a special school with a designation review.
  const std::string c = "/api/v1/cases/" + std::to_string(case_);
  EXPECT_EQ(call("lead-primary", "GET", c).status, 200);
  EXPECT_EQ(call("lead-special", "GET", c).status, 404);
  const auto special = references(parse(call("lead-special", "GET", "/api/v1/cases?limit=200")));
  const auto primary = references(parse(call("lead-primary", "GET", "/api/v1/cases?limit=200")));
  EXPECT_FALSE(special.contains(reference_));
  EXPECT_TRUE(primary.contains(reference_));
  ASSERT_FALSE(special.empty());
  for (const auto& ref : special) EXPECT_FALSE(primary.contains(ref)) << ref;
  for (const auto& ref : special) {
    const auto one = parse(call("lead-special", "GET", "/api/v1/cases/" + ref));
    EXPECT_EQ(one.at("school").at("phase_group").as_string(), "special") << ref;
  }
  // Their KPI report keeps to their phases, and says so; an LA officer's keeps to their LA, with no phases.
  const auto report = parse(call("lead-special", "GET", "/api/v1/reports/kpis"));
  EXPECT_EQ(report.at("scope").at("phases"), (json::array{"special"}));
  EXPECT_EQ(report.at("scope").at("alliance").as_int64(), demo_.alliance_id);
  const auto officer = parse(call("la_officer", "GET", "/api/v1/reports/kpis"));
  EXPECT_EQ(officer.at("scope").at("la").as_int64(), 891);
  EXPECT_TRUE(officer.at("scope").at("phases").as_array().empty());
  EXPECT_EQ(call("la_officer", "GET", "/api/v1/reports/kpis?mini_region=Derbyshire").status, 403);
  // Phases narrow only leads, and must be phase groups.
  EXPECT_THROW((void)cases::add_user(*app_.db, "P", "p1@example.org", "school", "school:146330", "primary"),
               cases::UserError);
  try {
    (void)cases::add_user(*app_.db, "P", "p2@example.org", "lead", "mini_region:Derbyshire", "primary,juniors");
    ADD_FAILURE() << "an unknown phase was taken";
  } catch (const cases::UserError& e) {
    EXPECT_NE(std::string(e.what()).find("phase 'juniors' is not one of nursery, primary"), std::string::npos)
        << e.what();
  }
  // Given in any order, kept in one.
  EXPECT_EQ(cases::add_user(*app_.db, "P", "p3@example.org", "lead", "mini_region:Derbyshire", "special,primary")
                .user.scope_phases,
            "primary,special");
}

TEST_F(ApiTest, ALeadsNoteOnAProposalIsForLeadsAndTheProviderAndASchoolSeesWhoSupportsIt) {
  const std::string urn = std::to_string(demo_.deployed_school_urn);
  auto opened = call("school", "POST", "/api/v1/cases",
                     R"({"kind":"support_request","school_urn":)" + urn + R"(,"data":{"summary":"Writing"}})");
  ASSERT_EQ(opened.status, 201) << opened.body;
  const auto id = std::to_string(parse(opened).at("id").as_int64());
  const std::string c = "/api/v1/cases/" + id;
  const auto send = [&](const std::string& who, const std::string& event, const std::string& data) {
    const auto version = std::to_string(app_.engine->get(std::stoll(id)).version);
    return call(who, "POST", c + "/events", R"({"event":")" + event + R"(","data":)" + data + "}",
                {{"If-Match", "\"" + version + "\""}});
  };
  ASSERT_EQ(send("lead", "accept_referral",
                 R"({"priority":"high","focus_areas":["maths"],"requested_days":1,"funding_source":"SSIF"})")
                .status,
            200);
  const auto proposed = send("lead", "propose_provider",
                             R"({"provider_id":)" + std::to_string(leader_in_) +
                                 R"(,"note":"Strong on writing; avoid Fridays"})");
  ASSERT_EQ(proposed.status, 200) << proposed.body;
  const auto note_in = [&](const std::string& who) {
    const auto one = parse(call(who, "GET", c));
    bool in_history = false;
    const auto history = parse(call(who, "GET", c + "/history"));
    for (const auto& h : history.at("items").as_array()) {
      in_history = in_history || h.at("payload").as_object().contains("note");
    }
    EXPECT_EQ(one.at("data").as_object().contains("proposal_note"), in_history) << who;
    return in_history;
  };
  EXPECT_TRUE(note_in("lead"));
  EXPECT_TRUE(note_in("admin"));
  EXPECT_TRUE(note_in("system_leader"));  // the proposed provider
  EXPECT_FALSE(note_in("school"));
  EXPECT_FALSE(note_in("la_officer"));
  EXPECT_FALSE(note_in("strategic"));

  // Before a provider accepts, nobody supports the school; after, the school sees who does.
  EXPECT_TRUE(parse(call("school", "GET", c)).at("supported_by").is_null());
  ASSERT_EQ(send("system_leader", "provider_accepts", "{}").status, 200);
  const auto seen = parse(call("school", "GET", c));
  const auto& by = seen.at("supported_by");
  EXPECT_EQ(by.at("system_leader_id").as_int64(), leader_in_);
  std::string name;
  for (const auto& [n, leader] : demo_.system_leaders) {
    if (leader == leader_in_) name = n;
  }
  EXPECT_EQ(str(by.at("name")), name);
  EXPECT_FALSE(str(by.at("designation")).empty());
  EXPECT_FALSE(str(by.at("home_school").at("name")).empty());
  EXPECT_NE(str(by.at("email")).find('@'), std::string::npos);
}

TEST_F(ApiTest, ASharedNoteIsReadByEveryoneWhoSeesTheCase) {
  const auto opened = app_.engine->open_case("support_request", demo_.deployed_school_urn,
                                             {{"source", "lead"}, {"summary", "Reading"}}, "test");
  app_.engine->apply(opened.id, "accept_referral",
                     {{"priority", "low"},
                      {"focus_areas", json::array{"maths"}},
                      {"requested_days", 1},
                      {"funding_source", "SSIF"}},
                     "test", app_.engine->today());
  app_.engine->apply(opened.id, "propose_provider",
                     {{"provider_id", leader_in_}, {"note", "We will visit on Tuesdays"}, {"shared", true}}, "test",
                     app_.engine->today());
  const auto one = parse(call("school", "GET", "/api/v1/cases/" + std::to_string(opened.id)));
  EXPECT_EQ(str(one.at("data").at("proposal_note")), "We will visit on Tuesdays");
}

TEST_F(ApiTest, ASchoolsOwnReferralIsASelfReferralWhateverItsBodySays) {
  const std::string urn = std::to_string(demo_.deployed_school_urn);
  const auto cases_before = references(parse(call("admin", "GET", "/api/v1/cases?limit=200"))).size();
  const auto refused = call("school", "POST", "/api/v1/cases",
                            R"({"kind":"support_request","school_urn":)" + urn +
                                R"(,"data":{"source":"local_authority","summary":"Writing"}})");
  EXPECT_EQ(refused.status, 422) << refused.body;
  EXPECT_NE(refused.body.find("a school's own referral is a self-referral"), std::string::npos) << refused.body;
  EXPECT_EQ(references(parse(call("admin", "GET", "/api/v1/cases?limit=200"))).size(), cases_before);
  const auto self = call("school", "POST", "/api/v1/cases",
                         R"({"kind":"support_request","school_urn":)" + urn + R"(,"data":{"summary":"Writing"}})");
  ASSERT_EQ(self.status, 201) << self.body;
  EXPECT_EQ(str(parse(self).at("data").at("source")), "self");
  // Anyone else says who referred.
  const auto unsaid = call("lead", "POST", "/api/v1/cases",
                           R"({"kind":"support_request","school_urn":)" + urn + R"(,"data":{"summary":"Writing"}})");
  EXPECT_EQ(unsaid.status, 422) << unsaid.body;
  EXPECT_NE(unsaid.body.find("source is required"), std::string::npos) << unsaid.body;
}

TEST_F(ApiTest, TheKpiReportNamesUnspecifiedFundingGivesNoSpendWithoutARateAndNamesItsYear) {
  const std::string year = cases::academic_year_of(app_.engine->today());
  // A day logged on a risk assessment has no funding source.
  const auto report = parse(call("admin", "GET", "/api/v1/reports/kpis?academic_year=" + year));
  bool unspecified = false;
  for (const auto& f : report.at("funding").as_array()) {
    EXPECT_TRUE(f.at("spend").is_null()) << json::serialize(f);
    EXPECT_FALSE(f.at("funding_source").is_null());
    unspecified = unspecified || str(f.at("funding_source")) == "unspecified";
  }
  EXPECT_TRUE(unspecified) << json::serialize(report.at("funding"));
  const auto costed = parse(call("admin", "GET", "/api/v1/reports/kpis?day_rate=400&academic_year=" + year));
  for (const auto& f : costed.at("funding").as_array()) {
    EXPECT_DOUBLE_EQ(f.at("spend").to_number<double>(), 400 * f.at("days").to_number<double>());
  }
  // Each teaching school against its 30, and schools that self-refer beside last year.
  const auto kpi = [&](const char* id) -> json::object {
    for (const auto& k : report.at("kpis").as_array()) {
      if (str(k.at("id")) == id) return k.as_object();
    }
    ADD_FAILURE() << "no KPI " << id;
    return {};
  };
  const auto days = kpi("deployment_days_in_need");
  ASSERT_TRUE(days.contains("teaching_schools"));
  ASSERT_EQ(days.at("teaching_schools").as_array().size(), 1u);
  EXPECT_EQ(str(days.at("teaching_schools").at(0).at("name")),
            "Peak and Trent Teaching School Alliance (Brackenfield Lane Community Primary School)");
  EXPECT_EQ(days.at("denominator").to_number<double>(), 30);
  EXPECT_TRUE(kpi("self_referrals").contains("previous"));
  EXPECT_TRUE(kpi("self_referrals").contains("change"));
  const auto csv = call("admin", "GET", "/api/v1/reports/kpis?format=csv&academic_year=" + year);
  ASSERT_EQ(csv.status, 200);
  std::string file = year;
  file[4] = '-';
  EXPECT_EQ(csv.header("content-disposition"), "attachment; filename=\"kpis-" + file + ".csv\"");
}

}  // namespace
}  // namespace s2s::testing
