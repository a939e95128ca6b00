// The JSON API over real HTTP on loopback, on SQLite and PostgreSQL: every
// route's happy path, every error the API promises, idempotent retries, a
// stale If-Match race, metrics, and the OpenAPI document against the router.
#include <soci/soci.h>

#include <algorithm>
#include <future>
#include <set>

#include "api/openapi.h"
#include "cases/need.h"
#include "cases/deployments.h"
#include "cases/progress_report.h"
#include "cases/providers.h"
#include "cases/users.h"
#include "cases/gias_import.h"
#include "tests/api/api_fixture.h"
#include "workflow/sha256.h"
#include "workflow/text.h"
#include "workflow/idempotency.h"
#include "workflow/kept_history.h"
#include "workflow/date.h"

namespace s2s::testing {
namespace {

namespace json = boost::json;

TEST_F(ApiTest, SupportRequestFromSelfReferralToRatingOverHttp) {
  const std::string urn = std::to_string(demo_.deployed_school_urn);
  const std::string today = workflow::format_date(app_.engine->today());

  // The school refers itself.
  auto opened = call("school", "POST", "/api/v1/cases",
                     R"({"kind":"support_request","school_urn":)" + urn +
                         R"(,"data":{"source":"self","summary":"Writing in year 6"}})");
  ASSERT_EQ(opened.status, 201) << opened.body;
  EXPECT_EQ(opened.header("etag"), "\"1\"");
  const auto c = parse(opened);
  const auto id = std::to_string(c.at("id").as_int64());
  EXPECT_EQ(opened.header("location"), "/api/v1/cases/" + id);
  EXPECT_EQ(str(c.at("state")), "referred");
  EXPECT_EQ(c.at("school").at("urn").as_int64(), demo_.deployed_school_urn);
  EXPECT_EQ(str(c.at("deadlines").at(0).at("purpose")), "support_request.triage");
  EXPECT_EQ(c.at("deadlines").at(0).at("computation").at("working_days").as_int64(), 5);
  // The school may only withdraw in this state: the lead triages.
  ASSERT_EQ(c.at("allowed_events").as_array().size(), 1u) << opened.body;
  EXPECT_EQ(str(c.at("allowed_events").at(0).at("event")), "withdraw");
  const auto as_lead = parse(call("lead", "GET", "/api/v1/cases/" + id));
  std::set<std::string> lead_events;
  for (const auto& e : as_lead.at("allowed_events").as_array()) lead_events.insert(str(e.at("event")));
  EXPECT_TRUE(lead_events.contains("accept_referral")) << json::serialize(as_lead);

  const auto send = [&](const std::string& who, const std::string& event, const std::string& data,
                        const std::string& version) {
    return call(who, "POST", "/api/v1/cases/" + id + "/events", R"({"event":")" + event + R"(","data":)" + data + "}",
                {{"If-Match", "\"" + version + "\""}});
  };
  auto r = send("lead", "accept_referral",
                R"({"priority":"high","focus_areas":["maths"],"requested_days":1,"funding_source":"SSIF"})", "1");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("etag"), "\"2\"");
  EXPECT_EQ(str(parse(r).at("state")), "matching");

  const auto matches = call("lead", "GET", "/api/v1/cases/" + id + "/matches");
  ASSERT_EQ(matches.status, 200) << matches.body;
  bool ranked = false;
  const auto match = parse(matches);
  for (const auto& p : match.at("ranked").as_array()) {
    ranked = ranked || p.at("system_leader_id").as_int64() == leader_in_;
  }
  EXPECT_TRUE(ranked) << matches.body;

  r = send("lead", "propose_provider", R"({"provider_id":)" + std::to_string(leader_in_) + "}", "2");
  ASSERT_EQ(r.status, 200) << r.body;
  r = send("system_leader", "provider_accepts", "{}", "3");
  ASSERT_EQ(r.status, 200) << r.body;
  r = send("lead", "agree_plan",
           R"({"objectives":"Writing","planned_days":1,"starts_on":")" + today + R"(","ends_on":")" +
               workflow::format_date(app_.engine->calendar().add_working_days(app_.engine->today(), 20)) + "\"}",
           "4");
  ASSERT_EQ(r.status, 200) << r.body;
  r = send("system_leader", "log_days", R"({"date":")" + today + R"(","days":1,"activity":"Moderation"})", "5");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto days = call("school", "GET", "/api/v1/cases/" + id + "/days");
  ASSERT_EQ(days.status, 200) << days.body;
  EXPECT_EQ(parse(days).at("days_in_force").as_double(), 1.0);
  EXPECT_EQ(str(parse(days).at("items").at(0).at("activity")), "Moderation");
  const auto deployments = call("system_leader", "GET", "/api/v1/cases/" + id + "/deployments");
  ASSERT_EQ(deployments.status, 200) << deployments.body;
  EXPECT_EQ(str(parse(deployments).at("items").at(0).at("status")), "active");

  r = send("lead", "complete_deployment", "{}", "6");
  ASSERT_EQ(r.status, 200) << r.body;
  r = send("school", "submit_rating", R"({"grade":1,"comment":"Excellent"})", "7");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto ratings = call("lead", "GET", "/api/v1/cases/" + id + "/ratings");
  ASSERT_EQ(ratings.status, 200) << ratings.body;
  EXPECT_EQ(parse(ratings).at("items").at(0).at("grade").as_int64(), 1);
  EXPECT_EQ(str(parse(ratings).at("items").at(0).at("comment")), "Excellent");

  const auto history = call("la_officer", "GET", "/api/v1/cases/" + id + "/history");
  ASSERT_EQ(history.status, 200) << history.body;
  const auto entries = parse(history);
  const auto& items = entries.at("items").as_array();
  ASSERT_EQ(items.size(), 8u) << history.body;
  EXPECT_EQ(str(items.at(0).at("event")), "opened");
  EXPECT_EQ(str(items.at(7).at("event")), "submit_rating");
  EXPECT_NE(str(items.at(7).at("actor")).find("school@test.example.org"), std::string::npos);
}

TEST_F(ApiTest, CaseListFiltersAndPagesWithACursor) {
  // Every case, two at a time, as the admin: no case twice, none missed.
  std::set<std::string> seen;
  std::string target = "/api/v1/cases?limit=2";
  int pages = 0;
  while (true) {
    const auto r = call("admin", "GET", target);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto page = parse(r);
    for (const auto& ref : references(page)) EXPECT_TRUE(seen.insert(ref).second) << ref << " twice";
    ++pages;
    if (page.at("next_cursor").is_null()) break;
    target = "/api/v1/cases?limit=2&cursor=" + str(page.at("next_cursor"));
    ASSERT_LT(pages, 100);
  }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(demo_.cases + 1));

  const auto kind = parse(call("admin", "GET", "/api/v1/cases?kind=risk_assessment&limit=200"));
  for (const auto& item : kind.at("items").as_array()) EXPECT_EQ(str(item.at("kind")), "risk_assessment");
  EXPECT_FALSE(kind.at("items").as_array().empty());

  const auto overdue = parse(call("admin", "GET", "/api/v1/cases?overdue=true&limit=200"));
  for (const auto& item : overdue.at("items").as_array()) EXPECT_TRUE(item.at("overdue").as_bool());
  EXPECT_FALSE(overdue.at("items").as_array().empty());

  const auto school = parse(call("admin", "GET", "/api/v1/cases?school_urn=121877"));
  EXPECT_EQ(school.at("items").as_array().size(), 1u);
  const auto region = parse(call("admin", "GET", "/api/v1/cases?mini_region=Northamptonshire"));
  EXPECT_EQ(references(region), references(school));
  const auto la = parse(call("admin", "GET", "/api/v1/cases?la=928&phase=referral&state=referred"));
  EXPECT_EQ(references(la), references(school));
  const auto text = parse(call("admin", "GET", "/api/v1/cases?text=OUTSIDE%20the"));
  EXPECT_EQ(references(text), references(school));
  const auto by_reference = parse(call("admin", "GET", "/api/v1/cases?text=" + reference_));
  EXPECT_EQ(references(by_reference), std::set<std::string>{reference_});

  // Wildcards in the text are literal.
  EXPECT_TRUE(parse(call("admin", "GET", "/api/v1/cases?text=%25")).at("items").as_array().empty());

  // Bad filters name themselves.
  for (const auto& [query, field] : std::vector<std::pair<std::string, std::string>>{{"limit=0", "limit"},
                                                                                     {"limit=201", "limit"},
                                                                                     {"phase=nowhere", "phase"},
                                                                                     {"kind=widget", "kind"},
                                                                                     {"overdue=maybe", "overdue"},
                                                                                     {"cursor=zzz", "cursor"},
                                                                                     {"colour=red", "colour"},
                                                                                     {"kind=a&kind=b", "kind"}}) {
    const auto r = call("admin", "GET", "/api/v1/cases?" + query);
    EXPECT_EQ(r.status, 400) << query << ": " << r.body;
    EXPECT_EQ(str(parse(r).at("field")), field) << r.body;
  }
}

TEST_F(ApiTest, ReferenceDataCalendarAndDeadlines) {
  const auto me = parse(call("lead", "GET", "/api/v1/me"));
  EXPECT_EQ(str(me.at("role")), "lead");
  EXPECT_EQ(str(me.at("scope")), "alliance:" + std::to_string(demo_.alliance_id));

  const auto kinds = parse(call("school", "GET", "/api/v1/kinds"));
  EXPECT_EQ(kinds.at("items").as_array().size(), 4u);

  // Schools: by name fragment, by URN, one, edited by an admin.
  const auto by_name = parse(call("school", "GET", "/api/v1/schools?q=meadow"));
  ASSERT_EQ(by_name.at("items").as_array().size(), 1u) << json::serialize(by_name);
  EXPECT_EQ(by_name.at("items").at(0).at("urn").as_int64(), 120004);
  EXPECT_EQ(parse(call("school", "GET", "/api/v1/schools?q=121877")).at("items").at(0).at("urn").as_int64(), 121877);
  const auto page = parse(call("school", "GET", "/api/v1/schools?mini_region=Derbyshire&limit=1"));
  EXPECT_EQ(page.at("items").as_array().size(), 1u);
  EXPECT_FALSE(page.at("next_cursor").is_null());
  const auto school = call("la_officer", "GET", "/api/v1/schools/146330");
  ASSERT_EQ(school.status, 200) << school.body;
  EXPECT_EQ(str(parse(school).at("mini_region")), "Nottinghamshire");
  EXPECT_EQ(call("admin", "GET", "/api/v1/schools/999999").status, 404);
  auto edited = call("admin", "PATCH", "/api/v1/schools/146330", R"({"ssif_eligible":true,"ofsted_grade":3})");
  ASSERT_EQ(edited.status, 200) << edited.body;
  EXPECT_TRUE(parse(edited).at("ssif_eligible").as_bool());
  EXPECT_EQ(parse(edited).at("ofsted_grade").as_int64(), 3);
  edited = call("admin", "PATCH", "/api/v1/schools/146330", R"({"ofsted_grade":null,"trust_name":null})");
  ASSERT_EQ(edited.status, 200) << edited.body;
  EXPECT_TRUE(parse(edited).at("ofsted_grade").is_null());
  const auto bad_grade = call("admin", "PATCH", "/api/v1/schools/146330", R"({"ofsted_grade":5})");
  EXPECT_EQ(bad_grade.status, 400);
  EXPECT_EQ(str(parse(bad_grade).at("field")), "$.ofsted_grade");

  // A GIAS upload: one new school, one bad row reported by line.
  const std::string csv =
      "URN,EstablishmentName,LA (code),LA (name),PhaseOfEducation (name),EstablishmentStatus (name)\n"
      "199001,Upload Test Primary,857,Rutland,Primary,Open\n"
      "abc,Broken Row School,857,Rutland,Primary,Open\n";
  const auto upload = call("admin", "POST", "/api/v1/schools/import", csv, {{"Content-Type", "text/csv"}});
  ASSERT_EQ(upload.status, 200) << upload.body;
  EXPECT_EQ(parse(upload).at("inserted").as_int64(), 1);
  EXPECT_EQ(parse(upload).at("skipped").as_int64(), 1);
  EXPECT_NE(str(parse(upload).at("problems").at(0)).find("line 3"), std::string::npos) << upload.body;
  EXPECT_EQ(call("admin", "GET", "/api/v1/schools/199001").status, 200);
  // A file that is not an extract at all is refused whole (422), by its category.
  const auto not_gias = call("admin", "POST", "/api/v1/schools/import", "URN,Name\n199002,Nope\n",
                             {{"Content-Type", "text/csv"}});
  EXPECT_EQ(not_gias.status, 422) << not_gias.body;
  EXPECT_NE(not_gias.body.find("not a GIAS establishment extract"), std::string::npos) << not_gias.body;
  EXPECT_EQ(call("admin", "GET", "/api/v1/schools/199002").status, 404);

  // Alliances and system leaders.
  const auto alliances = parse(call("school", "GET", "/api/v1/alliances"));
  EXPECT_EQ(alliances.at("items").at(0).at("id").as_int64(), demo_.alliance_id);
  const auto alliance = parse(call("school", "GET", "/api/v1/alliances/" + std::to_string(demo_.alliance_id)));
  EXPECT_EQ(alliance.at("lead_school_urn").as_int64(), 112934);
  const auto& members = alliance.at("members").as_array();
  EXPECT_NE(std::find(members.begin(), members.end(), json::value(146330)), members.end());
  EXPECT_EQ(call("school", "GET", "/api/v1/alliances/999").status, 404);
  const auto leaders = parse(call("lead", "GET", "/api/v1/system-leaders"));
  EXPECT_EQ(leaders.at("items").as_array().size(), demo_.system_leaders.size());
  const auto self = parse(call("system_leader", "GET", "/api/v1/system-leaders"));
  ASSERT_EQ(self.at("items").as_array().size(), 1u);
  EXPECT_EQ(self.at("items").at(0).at("id").as_int64(), leader_in_);
  EXPECT_FALSE(self.at("items").at(0).at("designations").as_array().empty());

  const std::string capacity = "/api/v1/system-leaders/" + std::to_string(leader_in_) + "/capacity";
  const auto held = call("system_leader", "GET", capacity);
  ASSERT_EQ(held.status, 200) << held.body;
  const double reserved = parse(held).at("reserved").as_double();
  const std::string year = str(parse(held).at("academic_year"));
  const auto set = call("system_leader", "PUT", capacity, R"({"academic_year":")" + year + R"(","days":40})");
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(parse(set).at("offered").as_double(), 40.0);
  EXPECT_EQ(parse(set).at("reserved").as_double(), reserved);
  EXPECT_EQ(call("system_leader", "PUT", capacity, R"({"academic_year":")" + year + R"(","days":0.3})").status, 422);
  EXPECT_EQ(call("system_leader", "PUT", capacity, R"({"academic_year":"2026-27","days":4})").status, 400);

  // The calendar: Christmas 2026 from the 23rd of December.
  const auto wd = call("school", "GET", "/api/v1/calendar/working-days?from=2026-12-23&add=3");
  ASSERT_EQ(wd.status, 200) << wd.body;
  EXPECT_EQ(str(parse(wd).at("date")), "2026-12-30");
  EXPECT_EQ(str(parse(wd).at("computation").at("skipped").at(0).at("reason")), "bank_holiday");
  const auto holidays = parse(call("school", "GET", "/api/v1/calendar/holidays?year=2027"));
  EXPECT_EQ(holidays.at("bank_holidays").as_array().size(), 8u);
  EXPECT_EQ(call("school", "GET", "/api/v1/calendar/working-days?from=2026-02-30&add=1").status, 400);

  // A closure day moves open deadlines that span it.
  const std::string closure_day =
      workflow::format_date(app_.engine->calendar().add_working_days(app_.engine->today(), 1));
  const auto closure =
      call("admin", "POST", "/api/v1/calendar/closures", R"({"date":")" + closure_day + R"(","reason":"INSET day"})");
  ASSERT_EQ(closure.status, 201) << closure.body;
  EXPECT_GT(parse(closure).at("deadlines_moved").as_int64(), 0);
  const auto closures = parse(call("lead", "GET", "/api/v1/calendar/closures"));
  EXPECT_EQ(str(closures.at("items").at(0).at("date")), closure_day);
  const auto again =
      call("admin", "POST", "/api/v1/calendar/closures", R"({"date":")" + closure_day + R"(","reason":"again"})");
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_EQ(type_of(again), "https://s2s.example/problems/already-closed");

  // The caller's deadlines, in scope only; before= bounds the due date.
  const auto all = parse(call("admin", "GET", "/api/v1/deadlines?limit=200"));
  ASSERT_GT(all.at("items").as_array().size(), 2u);
  const std::string cut = str(all.at("items").at(0).at("due_on"));
  const auto before = parse(call("admin", "GET", "/api/v1/deadlines?limit=200&before=" + cut));
  std::size_t due_by_cut = 0;
  for (const auto& d : all.at("items").as_array()) due_by_cut += str(d.at("due_on")) <= cut;
  EXPECT_EQ(before.at("items").as_array().size(), due_by_cut);
  EXPECT_GT(due_by_cut, 0u);
  for (const auto& d : before.at("items").as_array()) EXPECT_LE(str(d.at("due_on")), cut);
  const auto overdue = parse(call("lead", "GET", "/api/v1/deadlines?status=overdue"));
  EXPECT_FALSE(overdue.at("items").as_array().empty());
  for (const auto& d : overdue.at("items").as_array()) EXPECT_EQ(str(d.at("status")), "overdue");
  const auto outside = parse(call("lead-out", "GET", "/api/v1/deadlines"));
  ASSERT_FALSE(outside.at("items").as_array().empty());
  for (const auto& d : outside.at("items").as_array()) EXPECT_EQ(d.at("case_id").as_int64(), outside_case_);
  EXPECT_EQ(call("school", "GET", "/api/v1/calendar/working-days?from=9999-12-31&add=1000").status, 400);
}

TEST_F(ApiTest, AuthenticationFailuresAre401AndRevocationTakesEffectAtOnce) {
  auto r = call("", "GET", "/api/v1/cases");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.header("content-type"), "application/problem+json");
  EXPECT_EQ(type_of(r), "https://s2s.example/problems/unauthenticated");
  EXPECT_EQ(r.header("www-authenticate"), "Bearer realm=\"s2s\"");
  EXPECT_EQ(r.header("x-content-type-options"), "nosniff");  // every answer, refusals too
  EXPECT_EQ(r.header("cache-control"), "no-store");
  r = http_request(server_->port(), "GET", "/api/v1/cases", "", {{"Authorization", "Bearer s2s_nonsense"}});
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.header("www-authenticate").find("invalid_token"), std::string::npos);
  r = http_request(server_->port(), "GET", "/api/v1/cases", "", {{"Authorization", "Basic dXNlcjpwYXNz"}});
  EXPECT_EQ(r.status, 401);
  // One case is read with the caller's token in one statement: without a
  // live token it is a 401 whether or not the case exists, and shows nothing of it.
  const std::string one = "/api/v1/cases/" + std::to_string(case_);
  for (const std::string& target : {one, std::string("/api/v1/cases/99999999"), std::string("/api/v1/cases/x")}) {
    r = http_request(server_->port(), "GET", target, "", {{"Authorization", "Bearer s2s_nonsense"}});
    EXPECT_EQ(r.status, 401) << target;
    EXPECT_NE(r.header("www-authenticate").find("invalid_token"), std::string::npos) << target;
    EXPECT_EQ(r.body.find("\"state\""), std::string::npos) << target;
    EXPECT_EQ(call("", "GET", target).status, 401) << target;
  }
  EXPECT_EQ(call("school", "GET", "/api/v1/cases/99999999").status, 404);

  // Guessing is slowed per address: after a burst of failures, each failure is a 429 with Retry-After.
  int refused = 0;
  std::string retry_after;
  for (int i = 0; i < 30; ++i) {
    const auto guess = http_request(server_->port(), "GET", "/api/v1/me", "", {{"Authorization", "Bearer s2s_guess"}});
    refused += guess.status == 429;
    if (guess.status == 429) retry_after = guess.header("retry-after");
  }
  EXPECT_GT(refused, 0);
  EXPECT_FALSE(retry_after.empty());
  // But a good token from the same address (a school's shared address, a proxy) is served: nobody is locked out.
  EXPECT_EQ(call("school", "GET", "/api/v1/me").status, 200);
  EXPECT_EQ(http_request(server_->port(), "GET", "/api/v1/me", "", {{"Authorization", "Bearer s2s_guess"}}).status,
            429);
  app_.options.failed_login_burst = 1e6;  // lift it for the rest of the test
  app_.options.failed_logins_per_second = 1e6;

  EXPECT_EQ(call("school", "GET", "/api/v1/me").status, 200);
  EXPECT_EQ(call("school", "GET", one).status, 200);
  EXPECT_EQ(cases::revoke_tokens(*app_.db, "school@test.example.org"), 1);
  EXPECT_EQ(call("school", "GET", "/api/v1/me").status, 401);
  const auto revoked = call("school", "GET", one);
  EXPECT_EQ(revoked.status, 401);
  EXPECT_EQ(revoked.body.find("\"state\""), std::string::npos);
  // The OpenAPI document and health need no token.
  EXPECT_EQ(call("", "GET", "/api/v1/openapi.json").status, 200);
  EXPECT_EQ(call("", "GET", "/healthz").status, 200);
}

TEST_F(ApiTest, BadRequestsNameTheProblemAndChangeNothing) {
  const std::string events = "/api/v1/cases/" + std::to_string(case_) + "/events";
  const int version = app_.engine->get(case_).version;
  const auto expect_problem = [&](const ClientResponse& r, int status, const std::string& type,
                                  const std::string& field = "") {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.header("content-type"), "application/problem+json") << r.body;
    EXPECT_EQ(type_of(r), "https://s2s.example/problems/" + type) << r.body;
    if (!field.empty()) {
      EXPECT_EQ(str(parse(r).at("field")), field) << r.body;
    }
  };
  expect_problem(call("lead", "POST", events, R"({"event":"complete_deployment",)"), 400, "invalid-request", "$");
  expect_problem(call("lead", "POST", events, R"([1,2])"), 400, "invalid-request", "$");
  expect_problem(call("lead", "POST", events, R"({"event":"complete_deployment","colour":"red"})"), 400,
                 "invalid-request", "$.colour");
  expect_problem(call("lead", "POST", events, R"({"event":7})"), 400, "invalid-request", "$.event");
  expect_problem(call("lead", "POST", events, R"({"data":{}})"), 400, "invalid-request", "$.event");
  expect_problem(call("lead", "POST", events, R"({"event":"complete_deployment","occurred_on":"2026-02-30"})"), 400,
                 "invalid-request", "$.occurred_on");
  expect_problem(call("system_leader", "POST", events, R"({"event":"log_days","data":{"date":"x","days":1}})"), 400,
                 "invalid-request", "$.data.date");
  expect_problem(call("system_leader", "POST", events,
                      R"({"event":"log_days","data":{"date":"2020-01-01","days":1,"mood":"good"}})"),
                 400, "invalid-request", "$.data.mood");
  expect_problem(call("lead", "POST", events, R"({"event":"complete_deployment"})", {{"Content-Type", "text/plain"}}),
                 415, "unsupported-media-type");
  expect_problem(call("lead", "POST", events, R"({"event":"complete_deployment"})", {{"If-Match", "seven"}}), 400,
                 "invalid-request", "If-Match");
  // An If-Match that is not text, or is "+3" or "03": refused, and not echoed
  // into the JSON answer (found by the http fuzz target's checks).
  for (const std::string& bad : {std::string("\"\xFF\""), std::string("\"+3\""), std::string("\"03\"")}) {
    const auto r = call("lead", "POST", events, R"({"event":"complete_deployment"})", {{"If-Match", bad}});
    expect_problem(r, 400, "invalid-request", "If-Match");
    EXPECT_TRUE(workflow::valid_utf8(r.body)) << r.body;
  }

  // 409: the state does not take the event, with what it does take.
  const auto not_allowed = call("lead", "POST", events, R"({"event":"accept_referral","data":{}})");
  expect_problem(not_allowed, 409, "event-not-allowed");
  const auto refusal = parse(not_allowed);
  const auto& allowed = refusal.at("allowed_events").as_array();
  EXPECT_NE(str(refusal.at("detail")).find("complete_deployment"), std::string::npos) << not_allowed.body;
  EXPECT_NE(std::find(allowed.begin(), allowed.end(), json::value("complete_deployment")), allowed.end())
      << not_allowed.body;
  // 422: allowed, but its guard refuses (a day before the deployment started), with the reason.
  const auto guard = call("system_leader", "POST", events,
                          R"({"event":"log_days","data":{"date":"2020-01-06","days":1,"activity":"x"}})");
  expect_problem(guard, 422, "guard-failed");
  EXPECT_FALSE(str(parse(guard).at("reason")).empty());
  // 403: a role the event never names.
  expect_problem(call("school", "POST", events, R"({"event":"complete_deployment"})"), 403, "forbidden");
  // 404: no such case, and a case id that is not a number.
  expect_problem(call("lead", "GET", "/api/v1/cases/999999"), 404, "not-found");
  expect_problem(call("lead", "GET", "/api/v1/cases/abc"), 404, "not-found");
  // Opening: unknown kind, unknown school, a field the kind does not have.
  expect_problem(call("lead", "POST", "/api/v1/cases", R"({"kind":"widget","school_urn":146330})"), 400,
                 "invalid-request", "$.kind");
  expect_problem(call("lead", "POST", "/api/v1/cases", R"({"kind":"support_request","school_urn":999999})"), 422,
                 "unknown-school", "$.school_urn");
  expect_problem(call("lead", "POST", "/api/v1/cases",
                      R"({"kind":"support_request","school_urn":146330,"data":{"source":"self","summary":"s","x":1}})"),
                 400, "invalid-request", "$.data.x");
  expect_problem(call("lead", "POST", "/api/v1/cases", R"({"kind":"support_request","school_urn":"146330"})"), 400,
                 "invalid-request", "$.school_urn");

  // Text the databases cannot store: a NUL in JSON, bytes that are not UTF-8 in a query.
  expect_problem(call("lead", "POST", events, R"({"event":"complete_deployment","data":{"note":"a\u0000b"}})"), 400,
                 "invalid-request", "$.data.note");
  expect_problem(call("lead", "GET", "/api/v1/cases?text=%FF"), 400, "invalid-request", "text");
  expect_problem(call("lead", "GET", "/api/v1/cases?cursor=cABC"), 400, "invalid-request", "cursor");
  expect_problem(call("lead", "POST", events, R"({"event":"complete_deployment"})", {{"Idempotency-Key", "a b"}}), 400,
                 "invalid-request", "Idempotency-Key");
  // A weak ETag never matches.
  expect_problem(call("lead", "POST", events, R"({"event":"complete_deployment"})",
                      {{"If-Match", "W/\"" + std::to_string(version) + "\""}}),
                 412, "precondition-failed");

  // None of it touched the case, nor opened one.
  EXPECT_EQ(app_.engine->get(case_).version, version);
  EXPECT_EQ(parse(call("admin", "GET", "/api/v1/cases?limit=200")).at("items").as_array().size(),
            static_cast<std::size_t>(demo_.cases + 1));
}

TEST_F(ApiTest, AWeakETagIs412NamingTheCasesCurrentVersionOnlyWithinScope) {
  const std::string events = "/api/v1/cases/" + std::to_string(case_) + "/events";
  const std::string body = R"({"event":"complete_deployment"})";
  // Moved on a step first, so its version is not the one the weak tag names.
  const std::string today = workflow::format_date(app_.engine->today());
  ASSERT_EQ(call("system_leader", "POST", events,
                 R"({"event":"log_days","data":{"date":")" + today + R"(","days":0.5,"activity":"Coaching"}})")
                .status,
            200);
  const int version = app_.engine->get(case_).version;
  for (const std::string& tag : {std::string("W/\"1\""), "W/\"" + std::to_string(version) + "\""}) {
    const auto weak = call("lead", "POST", events, body, {{"If-Match", tag}});
    EXPECT_EQ(weak.status, 412) << weak.body;
    EXPECT_EQ(type_of(weak), "https://s2s.example/problems/precondition-failed");
    EXPECT_EQ(str(parse(weak).at("detail")),
              "If-Match takes the case's strong ETag, now \"" + std::to_string(version) + "\", not a weak one: " + tag);
  }
  // Outside the caller's scope it is the 404 of a case that does not exist.
  const auto outside = call("lead-out", "POST", events, body, {{"If-Match", "W/\"1\""}});
  EXPECT_EQ(outside.status, 404) << outside.body;
  EXPECT_EQ(outside.body.find(std::to_string(version)), std::string::npos) << outside.body;
  auto absent = call("lead-out", "POST", "/api/v1/cases/999999/events", body, {{"If-Match", "W/\"1\""}}).body;
  absent.replace(absent.find("999999"), 6, std::to_string(case_));
  EXPECT_EQ(outside.body, absent);
  EXPECT_EQ(app_.engine->get(case_).version, version);
}

TEST_F(ApiTest, MessagesReadAsPeopleWriteThem) {
  const auto detail = [&](const ClientResponse& r) {
    EXPECT_EQ(r.status, 400) << r.body;
    return r.status == 400 ? str(parse(r).at("detail")) : std::string();
  };
  // The API's own reading of bodies: the expected type and what came, each with its article.
  EXPECT_EQ(detail(call("lead", "POST", "/api/v1/cases", R"({"kind":"support_request","school_urn":"146330"})")),
            "$.school_urn must be an integer, got a string");
  EXPECT_EQ(detail(call("lead", "POST", "/api/v1/cases", R"({"kind":["support_request"],"school_urn":146330})")),
            "$.kind must be a string, got an array");
  EXPECT_EQ(detail(call("lead", "POST", "/api/v1/cases", R"([1])")), "the body must be a JSON object, got an array");
  EXPECT_EQ(detail(call("lead", "POST", "/api/v1/cases", R"({"kind":"support_request","school_urn":1.5})")),
            "$.school_urn must be an integer, got a number");
  // The engine's reading of an event's payload.
  const std::string events = "/api/v1/cases/" + std::to_string(case_) + "/events";
  const std::string today = workflow::format_date(app_.engine->today());
  EXPECT_EQ(detail(call("system_leader", "POST", events,
                        R"({"event":"log_days","data":{"date":")" + today +
                            R"(","days":1,"activity":"x","corrects":"the first"}})")),
            "corrects: must be an integer");
  // Numbers as people write them.
  ASSERT_EQ(call("lead", "POST", events, R"({"event":"complete_deployment"})").status, 200);
  EXPECT_EQ(detail(call("school", "POST", events, R"({"event":"submit_rating","data":{"grade":5}})")),
            "grade: must be from 1 to 4, not 5");
}

TEST_F(ApiTest, EveryCaseRouteTakesTheCasesReferenceAsWellAsItsId) {
  const std::string by_id = "/api/v1/cases/" + std::to_string(case_);
  std::string lower = reference_;
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  ASSERT_NE(lower, reference_);
  for (const std::string suffix : {"", "/history", "/matches", "/deployments", "/days", "/ratings"}) {
    const auto a = call("lead", "GET", by_id + suffix);
    ASSERT_EQ(a.status, 200) << suffix << ": " << a.body;
    for (const auto& key : {reference_, lower}) {
      const auto b = call("lead", "GET", "/api/v1/cases/" + key + suffix);
      EXPECT_EQ(b.status, 200) << key << suffix << ": " << b.body;
      EXPECT_EQ(b.body, a.body) << key << suffix;
    }
  }
  // An event by reference, with the ETag read by reference.
  const auto read = call("system_leader", "GET", "/api/v1/cases/" + reference_);
  const std::string today = workflow::format_date(app_.engine->today());
  const auto sent = call("system_leader", "POST", "/api/v1/cases/" + reference_ + "/events",
                         R"({"event":"log_days","data":{"date":")" + today + R"(","days":0.5,"activity":"Ref"}})",
                         {{"If-Match", read.header("etag")}});
  ASSERT_EQ(sent.status, 200) << sent.body;
  EXPECT_EQ(parse(sent).at("id").as_int64(), case_);
  EXPECT_EQ(parse(sent).at("version").as_int64(), parse(read).at("version").as_int64() + 1);

  // A reference no case has is the 404 of an id no case has; outside the
  // caller's scope a reference answers exactly as one no case has.
  const std::string unknown = "SR-1999-0001";
  const auto missing = call("lead", "GET", "/api/v1/cases/" + unknown);
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(type_of(missing), "https://s2s.example/problems/not-found");
  EXPECT_EQ(str(parse(missing).at("detail")), "no case " + unknown);
  for (const std::string suffix : {"", "/history", "/deployments", "/days", "/ratings", "/events"}) {
    const std::string method = suffix == "/events" ? "POST" : "GET";
    const std::string body = suffix == "/events" ? R"({"event":"complete_deployment"})" : "";
    for (const char* who : {"lead-out", "school-out", "la_officer-out", "system_leader-out"}) {
      const auto outside = call(who, method, "/api/v1/cases/" + reference_ + suffix, body);
      auto absent = call(who, method, "/api/v1/cases/" + unknown + suffix, body).body;
      EXPECT_EQ(outside.status, 404) << who << " " << suffix << ": " << outside.body;
      absent.replace(absent.find(unknown), unknown.size(), reference_);
      EXPECT_EQ(outside.body, absent) << who << " " << suffix;
    }
  }
}

TEST_F(ApiTest, AnUnknownStateEventOrGradeIs400NamingWhatWouldDo) {
  const auto one_of = [&](const ClientResponse& r, const std::string& field) {
    EXPECT_EQ(r.status, 400) << r.body;
    std::vector<std::string> out;
    if (r.status != 400) return out;
    const auto problem = parse(r);
    EXPECT_EQ(str(problem.at("field")), field) << r.body;
    for (const auto& v : problem.at("one_of").as_array()) out.push_back(str(v));
    return out;
  };
  const auto& kinds = app_.engine->kinds();
  // A state no kind has: every kind's states, each once.
  const auto any = one_of(call("admin", "GET", "/api/v1/cases?state=bogus"), "state");
  for (const auto* kind : kinds.all()) {
    for (const auto& state : kind->states()) {
      EXPECT_EQ(std::count(any.begin(), any.end(), std::string(state.name)), 1) << state.name;
    }
  }
  // With a kind, that kind's states only.
  std::vector<std::string> risk;
  for (const auto& state : kinds.find("risk_assessment")->states()) risk.emplace_back(state.name);
  const auto other = call("admin", "GET", "/api/v1/cases?kind=risk_assessment&state=evaluation");
  EXPECT_EQ(one_of(other, "state"), risk);
  EXPECT_NE(str(parse(other).at("detail")).find("a state of risk_assessment"), std::string::npos) << other.body;
  EXPECT_EQ(call("admin", "GET", "/api/v1/cases?kind=risk_assessment&state=matching").status, 200);

  // An event the case's kind does not have: the kind's events.
  const std::string events = "/api/v1/cases/" + std::to_string(case_) + "/events";
  const auto unknown = call("lead", "POST", events, R"({"event":"accept_referal"})");
  std::vector<std::string> support;
  for (const auto& e : kinds.find("support_request")->events()) support.emplace_back(e.name);
  EXPECT_EQ(one_of(unknown, "$.event"), support);
  EXPECT_NE(str(parse(unknown).at("detail")).find("no event 'accept_referal'"), std::string::npos) << unknown.body;

  // A grade outside 1 to 4: the field, not the event's conditions.
  ASSERT_EQ(call("lead", "POST", events, R"({"event":"complete_deployment"})").status, 200);
  for (const char* grade : {"0", "5", "-1"}) {
    const auto r =
        call("school", "POST", events, R"({"event":"submit_rating","data":{"grade":)" + std::string(grade) + "}}");
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(str(parse(r).at("field")), "$.data.grade") << r.body;
  }
  // A field whose name is empty or not a plain word (found by the payload
  // fuzzer): named as a JSON path that can be followed, and refused.
  const auto empty_name = call("school", "POST", events, R"({"event":"submit_rating","data":{"grade":2,"":3}})");
  EXPECT_EQ(empty_name.status, 400) << empty_name.body;
  EXPECT_EQ(str(parse(empty_name).at("field")), "$.data['']") << empty_name.body;
  EXPECT_NE(str(parse(empty_name).at("detail")).find("a field with an empty name"), std::string::npos)
      << empty_name.body;
  const auto odd_name = call("school", "POST", events, R"({"event":"submit_rating","data":{"grade":2,"it's":3}})");
  EXPECT_EQ(str(parse(odd_name).at("field")), R"($.data['it\'s'])") << odd_name.body;
  EXPECT_EQ(call("school", "POST", events, R"({"event":"submit_rating","data":{"grade":2}})").status, 200);
  // Every kind's rating declares its range, which GET /api/v1/kinds shows.
  int graded = 0;
  const auto listed = parse(call("school", "GET", "/api/v1/kinds"));
  for (const auto& kind : listed.at("items").as_array()) {
    for (const auto& event : kind.at("events").as_array()) {
      for (const auto& field : event.at("fields").as_array()) {
        if (str(field.at("name")) != "grade") continue;
        ++graded;
        EXPECT_EQ(field.at("minimum"), json::value(1)) << json::serialize(event);
        EXPECT_EQ(field.at("maximum"), json::value(4)) << json::serialize(event);
      }
    }
  }
  EXPECT_EQ(graded, 2) << "submit_rating of support_request and pupil_premium_review";
}

TEST_F(ApiTest, AnEventTheStateDoesNotTakeListsWhatTheCallerMaySendAndWhoSendsTheRest) {
  const std::string events = "/api/v1/cases/" + std::to_string(case_) + "/events";
  // In deployment the case takes log_days (system leader), complete_deployment (lead) and withdraw (lead, school).
  const auto as_lead = call("lead", "POST", events, R"({"event":"accept_referral","data":{}})");
  ASSERT_EQ(as_lead.status, 409) << as_lead.body;
  EXPECT_EQ(parse(as_lead).at("allowed_events"), json::parse(R"(["complete_deployment","withdraw"])"));
  EXPECT_EQ(parse(as_lead).at("others"), json::parse(R"([{"event":"log_days","who":["system_leader"]}])"));
  EXPECT_NE(str(parse(as_lead).at("detail")).find("yours to send: complete_deployment, withdraw"), std::string::npos)
      << as_lead.body;
  const auto as_school = call("school", "POST", events, R"({"event":"submit_rating","data":{"grade":1}})");
  ASSERT_EQ(as_school.status, 409) << as_school.body;
  EXPECT_EQ(parse(as_school).at("allowed_events"), json::parse(R"(["withdraw"])"));
  EXPECT_EQ(
      parse(as_school).at("others"),
      json::parse(R"([{"event":"log_days","who":["system_leader"]},{"event":"complete_deployment","who":["lead"]}])"));
  const auto as_leader = call("system_leader", "POST", events, R"({"event":"provider_accepts"})");
  ASSERT_EQ(as_leader.status, 409) << as_leader.body;
  EXPECT_EQ(parse(as_leader).at("allowed_events"), json::parse(R"(["log_days"])"));
  EXPECT_EQ(
      parse(as_leader).at("others"),
      json::parse(R"([{"event":"complete_deployment","who":["lead"]},{"event":"withdraw","who":["lead","school"]}])"));
}

TEST_F(ApiTest, StaleIfMatchIs412AndOnlyOneOfTwoRacingClientsWins) {
  const std::string target = "/api/v1/cases/" + std::to_string(case_);
  const auto read = call("lead", "GET", target);
  ASSERT_EQ(read.status, 200);
  const std::string etag = read.header("etag");
  const std::string body = R"({"event":"complete_deployment","data":{"note":"done"}})";
  // Two clients send the same version at once: one wins, one is told the case moved on.
  std::promise<void> go;
  std::shared_future<void> ready(go.get_future());
  const auto racer = [&] {
    ready.wait();
    return call("lead", "POST", target + "/events", body, {{"If-Match", etag}});
  };
  auto a = std::async(std::launch::async, racer);
  auto b = std::async(std::launch::async, racer);
  go.set_value();
  const auto ra = a.get();
  const auto rb = b.get();
  std::multiset<int> statuses{ra.status, rb.status};
  EXPECT_EQ(statuses, (std::multiset<int>{200, 412})) << ra.body << "\n" << rb.body;
  const auto& lost = ra.status == 412 ? ra : rb;
  EXPECT_EQ(type_of(lost), "https://s2s.example/problems/precondition-failed");
  // Exactly one complete_deployment in the history.
  const auto history = parse(call("lead", "GET", target + "/history"));
  int completed = 0;
  for (const auto& h : history.at("items").as_array()) completed += str(h.at("event")) == "complete_deployment";
  EXPECT_EQ(completed, 1);
}

TEST_F(ApiTest, IdempotencyKeyReplaysTheFirstResponseAndAppliesNothingTwice) {
  const std::string target = "/api/v1/cases/" + std::to_string(case_) + "/events";
  const std::string today = workflow::format_date(app_.engine->today());
  const std::string body = R"({"event":"log_days","data":{"date":")" + today + R"(","days":0.5,"activity":"Retry"}})";
  const auto first = call("system_leader", "POST", target, body, {{"Idempotency-Key", "k-1"}});
  ASSERT_EQ(first.status, 200) << first.body;
  const auto second = call("system_leader", "POST", target, body, {{"Idempotency-Key", "k-1"}});
  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(second.body, first.body);
  EXPECT_EQ(second.header("etag"), first.header("etag"));
  EXPECT_EQ(second.header("idempotent-replayed"), "true");
  // The same key with another body is refused; nothing applied.
  const auto other =
      call("system_leader", "POST", target, R"({"event":"complete_deployment"})", {{"Idempotency-Key", "k-1"}});
  EXPECT_EQ(other.status, 422) << other.body;
  EXPECT_EQ(type_of(other), "https://s2s.example/problems/idempotency-key-reused");
  int retries = 0;
  for (const auto& d : cases::deployment_days(*app_.db, case_)) retries += d.activity == "Retry";
  EXPECT_EQ(retries, 1);
  // Keys are per user: another user's same key is a new request.
  const auto opened = call("lead", "POST", "/api/v1/cases",
                           R"({"kind":"support_request","school_urn":146330,"data":{"source":"lead","summary":"s"}})",
                           {{"Idempotency-Key", "k-1"}});
  EXPECT_EQ(opened.status, 201) << opened.body;
  const auto again = call("lead", "POST", "/api/v1/cases",
                          R"({"kind":"support_request","school_urn":146330,"data":{"source":"lead","summary":"s"}})",
                          {{"Idempotency-Key", "k-1"}});
  EXPECT_EQ(again.status, 201);
  EXPECT_EQ(parse(again).at("id"), parse(opened).at("id"));
  // A refusal is an answer too: replayed, not re-run.
  const auto refused =
      call("school", "POST", target, R"({"event":"complete_deployment"})", {{"Idempotency-Key", "k-2"}});
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(call("school", "POST", target, R"({"event":"complete_deployment"})", {{"Idempotency-Key", "k-2"}})
                .header("idempotent-replayed"),
            "true");
}

TEST_F(ApiTest, MetricsCountRequestsEventsTimersAndOutbox) {
  EXPECT_EQ(call("lead", "GET", "/api/v1/cases/" + std::to_string(case_)).status, 200);
  EXPECT_EQ(call("lead", "GET", "/api/v1/cases/999999").status, 404);
  EXPECT_EQ(call("lead", "GET", "/metrics").status, 403);
  const auto r = call("admin", "GET", "/metrics");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  for (const char* line :
       {"s2s_http_requests_total{method=\"GET\",route=\"/api/v1/cases/{id}\",status=\"200\"} 1",
        "s2s_http_requests_total{method=\"GET\",route=\"/api/v1/cases/{id}\",status=\"404\"} 1",
        "s2s_http_requests_total{method=\"GET\",route=\"/metrics\",status=\"403\"} 1",
        "s2s_http_request_duration_seconds_count{method=\"GET\",route=\"/api/v1/cases/{id}\"} 2",
        "s2s_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/cases/{id}\",le=\"+Inf\"} 2",
        "# TYPE s2s_timers gauge", "s2s_timers{status=\"pending\"}", "s2s_deadlines_overdue ",
        "s2s_outbox_messages{status=\"pending\"}", "s2s_timers_due "}) {
    EXPECT_NE(r.body.find(line), std::string::npos) << line << " missing from\n" << r.body;
  }
  EXPECT_NE(r.body.find("s2s_deadlines_overdue " + std::to_string(demo_.overdue_deadlines) + "\n"), std::string::npos)
      << r.body;
  // The outside case's timers moved to today count as due.
  {
    auto c = app_.db->acquire();
    const std::string today = workflow::format_date(app_.engine->today());
    const long long id = outside_case_;
    c.session() << "UPDATE timers SET fire_on = :t WHERE case_id = :c AND status = 'pending'", soci::use(today),
        soci::use(id);
  }
  // A history kept for a case's page counts, with its bytes.
  auto kept = std::make_shared<workflow::KeptCaseHistory>();
  kept->case_id = case_;
  kept->reference = "SR-2026-9999";
  kept->entries.resize(3);
  kept->entries.back().sequence = 3;
  app_.engine->kept_history().keep(kept);
  const auto again = call("admin", "GET", "/metrics");
  const auto at = again.body.find("\ns2s_timers_due ");
  ASSERT_NE(at, std::string::npos);
  EXPECT_NE(again.body.substr(at + 16, 2), "0\n") << again.body.substr(at, 40);
  EXPECT_NE(again.body.find("\ns2s_kept_histories 1\n"), std::string::npos) << again.body;
  EXPECT_NE(again.body.find("\ns2s_kept_history_bytes " + std::to_string(workflow::approximate_bytes(*kept)) + "\n"),
            std::string::npos)
      << again.body;
}

TEST_F(ApiTest, KpiReportsKeepToTheCallersScopeAndComeAsJsonOrCsv) {
  const std::string year = cases::academic_year_of(app_.engine->today());
  const auto mine = call("lead", "GET", "/api/v1/reports/kpis?academic_year=" + year);
  ASSERT_EQ(mine.status, 200) << mine.body;
  const auto report = parse(mine);
  EXPECT_EQ(report.at("scope").at("alliance").as_int64(), demo_.alliance_id);
  EXPECT_EQ(report.at("kpis").as_array().size(), 13u);
  EXPECT_FALSE(report.at("kpis").at(0).as_object().contains("cases"));
  // Another alliance, or a region, is outside an alliance lead's scope.
  EXPECT_EQ(call("lead", "GET", "/api/v1/reports/kpis?alliance=999").status, 403);
  EXPECT_EQ(call("lead", "GET", "/api/v1/reports/kpis?mini_region=Rutland").status, 403);
  EXPECT_EQ(call("la_officer", "GET", "/api/v1/reports/kpis?la=928").status, 403);
  // The cases behind one KPI.
  const auto explained = call("admin", "GET", "/api/v1/reports/kpis?explain=overdue_deadlines");
  ASSERT_EQ(explained.status, 200) << explained.body;
  const auto kpis = parse(explained).at("kpis").as_array();
  ASSERT_EQ(kpis.size(), 1u);
  EXPECT_EQ(kpis.at(0).at("cases").as_array().size(), static_cast<std::size_t>(kpis.at(0).at("actual").as_double()));
  EXPECT_EQ(call("admin", "GET", "/api/v1/reports/kpis?explain=nonsense").status, 400);
  EXPECT_EQ(call("admin", "GET", "/api/v1/reports/kpis?academic_year=2026-27").status, 400);
  const auto csv = call("admin", "GET", "/api/v1/reports/kpis?format=csv");
  ASSERT_EQ(csv.status, 200);
  EXPECT_EQ(csv.header("content-type"), "text/csv; charset=utf-8");
  EXPECT_EQ(csv.body.substr(0, 3), "\xEF\xBB\xBF");
}

TEST_F(ApiTest, AQuarterlyReportComesAsAnHtmlPageOrMarkdownKeptToTheCallersScope) {
  const auto quarter = cases::quarter_of(app_.engine->today());
  const auto page = call("lead", "GET", "/api/v1/reports/quarterly");
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(page.header("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(page.header("content-security-policy"),
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'");
  EXPECT_EQ(page.header("x-content-type-options"), "nosniff");
  EXPECT_EQ(page.header("cache-control"), "no-store");
  EXPECT_EQ(page.body.rfind("<!DOCTYPE html>", 0), 0u);
  // The lead's own alliance, this quarter beside the last.
  EXPECT_NE(page.body.find("<h1>Quarterly progress report: Peak and Trent Teaching School Alliance</h1>"),
            std::string::npos)
      << page.body.substr(0, 600);
  EXPECT_NE(page.body.find("<th class=\"n\">" + cases::previous_quarter(quarter).name() + "</th><th class=\"n\">" +
                           quarter.name() + "</th>"),
            std::string::npos);
  const auto md = call("la_officer", "GET", "/api/v1/reports/quarterly?format=markdown&quarter=" + quarter.id());
  ASSERT_EQ(md.status, 200) << md.body;
  EXPECT_EQ(md.header("content-type"), "text/markdown; charset=utf-8");
  std::string file = quarter.id();
  std::replace(file.begin(), file.end(), '/', '-');
  EXPECT_EQ(md.header("content-disposition"), "attachment; filename=\"progress-" + file + ".md\"");
  EXPECT_EQ(md.body.rfind("# Quarterly progress report: ", 0), 0u);
  EXPECT_NE(md.body.find("(LA "), std::string::npos) << md.body.substr(0, 200);
  // Refusals name the parameter; none changes anything.
  const auto field = [&](const std::string& target) {
    const auto r = call("admin", "GET", target);
    EXPECT_EQ(r.status, 400) << target << ": " << r.body;
    return r.status == 400 ? std::string(parse(r).at("field").as_string()) : std::string();
  };
  EXPECT_EQ(field("/api/v1/reports/quarterly?quarter=2026/27-Q5"), "quarter");
  EXPECT_EQ(field("/api/v1/reports/quarterly?quarter=" + cases::parse_quarter("2099/00-Q1")->id()), "quarter");
  EXPECT_EQ(field("/api/v1/reports/quarterly?format=pdf"), "format");
  EXPECT_EQ(field("/api/v1/reports/quarterly?alliance=999"), "alliance");
  EXPECT_EQ(field("/api/v1/reports/quarterly?mini_region=Atlantis"), "mini_region");
  EXPECT_EQ(field("/api/v1/reports/quarterly?colour=red"), "colour");
  EXPECT_EQ(call("lead", "GET", "/api/v1/reports/quarterly?alliance=999").status, 403);
  EXPECT_EQ(call("school", "GET", "/api/v1/reports/quarterly").status, 403);
  // The overdue items keep to the scope: a deadline gone by on the inside
  // case and one on the outside case; each caller's report lists only theirs.
  {
    const auto due = workflow::format_date(app_.engine->calendar().add_working_days(app_.engine->today(), -3));
    auto c = app_.db->acquire();
    for (const auto id : {case_, outside_case_}) {
      c.session() << "INSERT INTO deadlines (case_id, purpose, armed_in_state, due_on, computation, status, created_at)"
                     " VALUES (:c, 'support_request.rating', 'deployment', '" +
                         due + "', '{}', 'open', '2026-01-01T00:00:00.000000Z')",
          soci::use(id);
    }
    app_.reports.clear();  // written behind the engine's back: no event says the data changed
  }
  const std::string outside_reference = app_.engine->get(outside_case_).reference;
  for (const auto& [who, inside, outside] :
       {std::tuple{"admin", true, true}, std::tuple{"lead", true, false}, std::tuple{"la_officer", true, false},
        std::tuple{"lead-out", false, true}, std::tuple{"la_officer-out", false, true}}) {
    const auto r = call(who, "GET", "/api/v1/reports/quarterly?format=markdown");
    ASSERT_EQ(r.status, 200) << who << ": " << r.body;
    const auto items = r.body.substr(r.body.find("## Overdue items"));
    EXPECT_EQ(items.find("| " + reference_ + " |") != std::string::npos, inside) << who << ": " << items;
    EXPECT_EQ(items.find("| " + outside_reference + " |") != std::string::npos, outside) << who << ": " << items;
  }
  // The KPIs as of an earlier day, and one not yet come.
  const auto year = cases::academic_year_of(app_.engine->today());
  const auto first = year.substr(0, 4) + "-09-01";
  const auto costed = call("admin", "GET", "/api/v1/reports/kpis?day_rate=400");
  ASSERT_EQ(costed.status, 200) << costed.body;
  const auto costed_report = parse(costed);
  for (const auto& f : costed_report.at("funding").as_array()) {
    EXPECT_DOUBLE_EQ(f.at("spend").to_number<double>(), 400 * f.at("days").to_number<double>()) << costed.body;
  }
  EXPECT_EQ(field("/api/v1/reports/kpis?day_rate=-1"), "day_rate");
  EXPECT_EQ(field("/api/v1/reports/kpis?academic_year=0000/01"), "academic_year");
  const auto earlier = call("admin", "GET", "/api/v1/reports/kpis?as_of=" + first);
  ASSERT_EQ(earlier.status, 200) << earlier.body;
  EXPECT_EQ(parse(earlier).at("scope").at("as_of").as_string(), first);
  EXPECT_EQ(field("/api/v1/reports/kpis?as_of=2099-01-01"), "as_of");
  EXPECT_EQ(field("/api/v1/reports/kpis?as_of=" + year.substr(0, 4) + "-08-31"), "as_of");
}

TEST_F(ApiTest, ACalendarFeedListsTheUsersDeadlinesAndOnlyItsOwnTokenOpensIt) {
  const std::string token = cases::new_feed_token(*app_.db, "lead-out@test.example.org");
  EXPECT_EQ(token.rfind("s2sfeed_", 0), 0u);
  // The feed token is no bearer token, and a bearer token opens no feed.
  EXPECT_EQ(http_request(server_->port(), "GET", "/api/v1/me", "", {{"Authorization", "Bearer " + token}}).status, 401);
  EXPECT_EQ(call("", "GET", "/api/v1/deadlines.ics?token=" + tokens_.at("lead-out")).status, 401);
  const auto feed = call("", "GET", "/api/v1/deadlines.ics?token=" + token);
  ASSERT_EQ(feed.status, 200) << feed.body;
  EXPECT_EQ(feed.header("content-type"), "text/calendar; charset=utf-8");
  // Parsed back: CRLF lines of at most 75 octets, one VEVENT per open deadline
  // of the lead's scope (Northamptonshire: the outside case's triage).
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < feed.body.size()) {
    const auto end = feed.body.find("\r\n", start);
    ASSERT_NE(end, std::string::npos) << "a line without CRLF";
    lines.push_back(feed.body.substr(start, end - start));
    start = end + 2;
  }
  ASSERT_GE(lines.size(), 2u);
  EXPECT_EQ(lines.front(), "BEGIN:VCALENDAR");
  EXPECT_EQ(lines.back(), "END:VCALENDAR");
  int events = 0;
  std::string summary;
  std::string url;
  for (const auto& line : lines) {
    EXPECT_LE(line.size(), 75u) << line;
    events += line == "BEGIN:VEVENT";
    if (line.rfind("SUMMARY:", 0) == 0) summary = line;
    if (line.rfind("URL:", 0) == 0) url = line;
  }
  // Each deadline links to its case's web page, never the JSON API.
  EXPECT_EQ(url, "URL:" + app_.options.public_url + "/cases/" + app_.engine->get(outside_case_).reference);
  const auto deadlines = parse(call("lead-out", "GET", "/api/v1/deadlines"));
  EXPECT_EQ(events, static_cast<int>(deadlines.at("items").as_array().size()));
  EXPECT_GE(events, 1);
  EXPECT_NE(summary.find(app_.engine->get(outside_case_).reference), std::string::npos) << summary;
  // A new feed revokes the old one.
  const std::string second = cases::new_feed_token(*app_.db, "lead-out@test.example.org");
  EXPECT_EQ(call("", "GET", "/api/v1/deadlines.ics?token=" + token).status, 401);
  EXPECT_EQ(call("", "GET", "/api/v1/deadlines.ics?token=" + second).status, 200);
  EXPECT_EQ(call("", "GET", "/api/v1/deadlines.ics?token=" + second + "&x=1").status, 400);
}

TEST_F(ApiTest, TheNeedRegisterIsTheCallersScopeAsThePageShowsIt) {
  const auto r = call("lead", "GET", "/api/v1/need");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto body = parse(r);
  const auto reg = cases::need_register(*app_.db, cases::actor_of(*cases::authenticate(*app_.db, tokens_.at("lead"))),
                                        app_.engine->today());
  EXPECT_EQ(str(body.at("academic_year")), reg.academic_year);
  const auto& schools = body.at("schools").as_array();
  ASSERT_EQ(schools.size(), reg.rows.size());
  ASSERT_FALSE(schools.empty());
  for (std::size_t i = 0; i < schools.size(); ++i) {
    EXPECT_EQ(schools[i].at("urn").as_int64(), reg.rows[i].urn);
    EXPECT_EQ(str(schools[i].at("in_need")), reg.rows[i].because);
    EXPECT_EQ(str(schools[i].at("support")), std::string(cases::to_string(reg.rows[i].support)));
  }
  EXPECT_EQ(body.at("criteria").as_array().size(), reg.criteria.size());
  const auto csv = call("lead", "GET", "/api/v1/need?format=csv");
  ASSERT_EQ(csv.status, 200);
  EXPECT_EQ(csv.body, cases::need_register_csv(reg));
  EXPECT_EQ(call("lead", "GET", "/api/v1/need?format=xml").status, 400);
  // An LA officer of Nottinghamshire sees its schools alone.
  const auto la = parse(call("la_officer", "GET", "/api/v1/need"));
  for (const auto& s : la.at("schools").as_array()) EXPECT_EQ(str(s.at("mini_region")), "Nottinghamshire");
}

TEST_F(ApiTest, OpenApiDocumentsEveryRouteAndNoOther) {
  const auto r = call("", "GET", "/api/v1/openapi.json");
  ASSERT_EQ(r.status, 200);
  const auto doc = parse(r);
  EXPECT_EQ(str(doc.at("openapi")).substr(0, 3), "3.1");
  std::set<std::pair<std::string, std::string>> documented;
  for (const auto& [path, item] : doc.at("paths").as_object()) {
    for (const auto& [method, op] : item.as_object()) {
      std::string upper(method);
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (upper == "PARAMETERS" || upper == "SUMMARY" || upper == "DESCRIPTION") continue;
      documented.emplace(upper, std::string(path));
    }
  }
  std::set<std::pair<std::string, std::string>> registered;
  for (const auto& route : router_->routes()) registered.insert(route);
  for (const auto& route : registered) {
    EXPECT_TRUE(documented.contains(route)) << route.first << " " << route.second << " is not in api/openapi.yaml";
  }
  for (const auto& route : documented) {
    EXPECT_TRUE(registered.contains(route))
        << route.first << " " << route.second << " is documented but no route serves it";
  }
}

TEST_F(ApiTest, BodiesOverTheLimitAre413AndUploadsHaveTheirOwn) {
  stop();
  api::ServerOptions options;
  options.max_body_bytes = 2048;
  options.max_upload_bytes = 1 << 20;
  options.port = 0;
  options.upload_paths = web::upload_paths();
  options.may_upload = web::may_upload(app_, web_options_);
  server_ = std::make_unique<api::HttpServer>(options, api::make_handler(*router_, app_));
  thread_ = std::thread([this] { server_->run(false); });
  const std::string big(4096, ' ');
  const auto r = call("lead", "POST", "/api/v1/cases", "{" + big + "}");
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(type_of(r), "https://s2s.example/problems/payload-too-large");
  std::string csv = "URN,EstablishmentName,LA (code),LA (name),PhaseOfEducation (name),EstablishmentStatus (name)\n";
  while (csv.size() < 8192) csv += "121877,Northampton Test School,928,Northamptonshire,Primary,Open\n";
  const auto upload = call("admin", "POST", "/api/v1/schools/import", csv, {{"Content-Type", "text/csv"}});
  ASSERT_EQ(upload.status, 200) << upload.body;          // larger than a body may be, not than an upload
  EXPECT_GT(parse(upload).at("skipped").as_int64(), 0);  // the URN repeats: every repeat is reported
  EXPECT_NE(upload.body.find("already appears on line 2"), std::string::npos) << upload.body;
  // Only an administrator may send that much: the server refuses a lead's
  // upload, or one with a made-up token, before reading its body.
  const auto lead = call("lead", "POST", "/api/v1/schools/import", csv, {{"Content-Type", "text/csv"}});
  EXPECT_EQ(lead.status, 413);
  const auto forged = testing::http_request(server_->port(), "POST", "/api/v1/schools/import", csv,
                                            {{"Authorization", "Bearer not-a-token"}, {"Content-Type", "text/csv"}});
  EXPECT_EQ(forged.status, 413);
  const auto anonymous =
      testing::http_request(server_->port(), "POST", "/admin/schools/import", csv, {{"Content-Type", "text/csv"}});
  EXPECT_EQ(anonymous.status, 413);
}

class ApiRateLimitTest : public ApiTest {
 protected:
  void SetUp() override {
    api::ApiOptions options;
    options.rate_per_second = 1;
    options.rate_burst = 3;
    start(options);
  }
};

TEST_F(ApiRateLimitTest, AUserOverTheRateGets429WithRetryAfterAndOthersAreUnaffected) {
  for (int i = 0; i < 3; ++i) EXPECT_EQ(call("lead", "GET", "/api/v1/me").status, 200);
  const auto r = call("lead", "GET", "/api/v1/me");
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(type_of(r), "https://s2s.example/problems/too-many-requests");
  EXPECT_EQ(r.header("retry-after"), "1");
  EXPECT_EQ(call("school", "GET", "/api/v1/me").status, 200);
}

// A real outage: the server's database role is refused new connections and
// its open ones are cut. Answers are 503 with Retry-After until it returns.
TEST_F(ApiTest, PostgresOnlyDatabaseOutageIs503WithRetryAfterThenRecovers) {
  ASSERT_EQ(db_->backend(), workflow::Backend::postgresql);
  const std::string role = "s2s_outage_" + std::to_string(::getpid());
  const std::string schema = [&] {
    const auto& text = db_->url().text;
    const auto at = text.find("search_path%3D") + 14;
    return text.substr(at, text.find('&', at) - at);
  }();
  {
    auto c = app_.db->acquire();
    auto& sql = c.session();
    sql << "DROP ROLE IF EXISTS " + role;
    sql << "CREATE ROLE " + role + " LOGIN";
    sql << "GRANT USAGE ON SCHEMA " + schema + " TO " + role;
    sql << "GRANT SELECT ON ALL TABLES IN SCHEMA " + schema + " TO " + role;
  }
  std::string url = db_->url().text;
  url.replace(url.find("://") + 3, url.find('@') - url.find("://") - 3, role);
  api::App outage_app;
  workflow::DatabaseOptions db_options;
  db_options.acquire_timeout = std::chrono::milliseconds(500);
  outage_app.db = workflow::Database::open(workflow::DatabaseUrl::parse(url), db_options);
  outage_app.engine = std::make_unique<workflow::Engine>(outage_app.db, cases::all_kinds());
  outage_app.options = unlimited();
  api::Router router;
  api::register_routes(router, outage_app);
  api::ServerOptions options;
  options.port = 0;
  api::HttpServer server(options, api::make_handler(router, outage_app));
  std::thread thread([&] { server.run(false); });
  const auto get = [&] {
    return http_request(server.port(), "GET", "/api/v1/me", "", {{"Authorization", "Bearer " + tokens_.at("lead")}});
  };
  EXPECT_EQ(get().status, 200);
  {
    auto c = app_.db->acquire();
    c.session() << "ALTER ROLE " + role + " CONNECTION LIMIT 0";
    c.session() << "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = '" + role + "'";
  }
  const auto down = get();
  EXPECT_EQ(down.status, 503) << down.body;
  EXPECT_EQ(type_of(down), "https://s2s.example/problems/database-unavailable");
  EXPECT_EQ(down.header("retry-after"), "5");
  EXPECT_EQ(down.body.find(tokens_.at("lead")), std::string::npos);
  {
    auto c = app_.db->acquire();
    c.session() << "ALTER ROLE " + role + " CONNECTION LIMIT -1";
  }
  EXPECT_EQ(get().status, 200);
  server.stop();
  thread.join();
  outage_app.engine.reset();
  outage_app.db.reset();
  auto c = app_.db->acquire();
  c.session() << "REVOKE ALL ON ALL TABLES IN SCHEMA " + schema + " FROM " + role;
  c.session() << "REVOKE ALL ON SCHEMA " + schema + " FROM " + role;
  c.session() << "DROP ROLE " + role;
}

}  // namespace
}  // namespace s2s::testing

namespace s2s::testing {
namespace {

TEST_F(ApiTest, EveryPayloadFieldHasASizeAndEveryNumberARange) {
  const auto refused = [&](const std::string& data, const std::string& field, const std::string& words) {
    const auto r = call("lead", "POST", "/api/v1/cases",
                        R"({"kind":"support_request","school_urn":)" + std::to_string(demo_.deployed_school_urn) +
                            R"(,"data":)" + data + "}");
    EXPECT_EQ(r.status, 400) << data.substr(0, 200) << ": " << r.body;
    if (r.status != 400) return;
    const auto problem = parse(r);
    EXPECT_EQ(str(problem.at("field")), field) << r.body;
    EXPECT_NE(r.body.find(words), std::string::npos) << r.body;
  };
  const auto before = count_rows(*app_.db, "SELECT count(*) FROM cases");
  refused(R"({"summary":")" + std::string(10001, 'x') + R"("})", "$.data.summary", "at most 10000 characters");
  refused(R"({"summary":"a\u0000b"})", "$.data.summary", "NUL");
  EXPECT_EQ(count_rows(*app_.db, "SELECT count(*) FROM cases"), before);  // nothing was opened

  // Accepting a referral: a list too long, days out of range, a number past any sense.
  (void)cases::import_gias(*app_.db,
                           "URN,EstablishmentName,LA (code),LA (name),PhaseOfEducation (name),EstablishmentStatus (name)\n"
                           "199301,Limits Primary,830,Derbyshire,Primary,Open\n");
  cases::add_alliance_member(*app_.db, demo_.alliance_id, 199301);  // the lead's to refer
  const auto opened_response = call("lead", "POST", "/api/v1/cases",
                                    R"({"kind":"support_request","school_urn":199301,"data":{"summary":"s","source":"lead"}})");
  ASSERT_EQ(opened_response.status, 201) << opened_response.body;
  const auto opened = parse(opened_response);
  const std::string events = "/api/v1/cases/" + std::to_string(opened.at("id").as_int64()) + "/events";
  const auto accept = [&](const std::string& focus, const std::string& days) {
    return call("lead", "POST", events,
                R"({"event":"accept_referral","data":{"priority":"high","focus_areas":)" + focus +
                    R"(,"requested_days":)" + days + R"(,"funding_source":"SSIF"}})");
  };
  std::string many = "[";
  for (int i = 0; i < 51; ++i) many += std::string(i ? "," : "") + "\"area " + std::to_string(i) + "\"";
  many += "]";
  for (const auto& [focus, days, field, words] :
       {std::tuple<std::string, std::string, std::string, std::string>{many, "4", "$.data.focus_areas", "at most 50 items"},
        {R"([")" + std::string(201, 'm') + R"("])", "4", "$.data.focus_areas", "at most 200 characters"},
        {R"(["maths"])", "-20", "$.data.requested_days", "from 0.5 to 365"},
        {R"(["maths"])", "1e308", "$.data.requested_days", "from 0.5 to 365"},
        {R"(["maths"])", "0", "$.data.requested_days", "from 0.5 to 365"}}) {
    const auto r = accept(focus, days);
    EXPECT_EQ(r.status, 400) << days << ": " << r.body;
    if (r.status == 400) {
      EXPECT_EQ(str(parse(r).at("field")), field) << r.body;
      EXPECT_NE(r.body.find(words), std::string::npos) << r.body;
    }
  }
  EXPECT_EQ(str(parse(call("admin", "GET", "/api/v1/cases/" + std::to_string(opened.at("id").as_int64()))).at("state")),
            "referred");  // none of them moved it
  // An id past 64 bits, or past any id, is refused by name, never a 500.
  const auto proposals = [&](const std::string& id) {
    return call("system_leader", "POST", "/api/v1/cases/" + std::to_string(case_) + "/events",
                R"({"event":"log_days","data":{"date":"2026-11-02","days":1,"activity":"a","corrects":)" + id + "}}");
  };
  for (const std::string id : {"18446744073709551615", "99999999999999999999", "0"}) {
    const auto r = proposals(id);
    EXPECT_EQ(r.status, 400) << id << ": " << r.body;
    if (r.status == 400) {
      EXPECT_EQ(str(parse(r).at("field")), "$.data.corrects") << r.body;
    }
  }
  EXPECT_EQ(accept(R"(["maths"])", "4").status, 200);
}

TEST_F(ApiTest, AReferralsLinksMustBeToCasesTheSenderCanSee) {
  const auto open = [&](const std::string& who, const std::string& data) {
    return call(who, "POST", "/api/v1/cases",
                R"({"kind":"support_request","school_urn":)" + std::to_string(demo_.deployed_school_urn) +
                    R"(,"data":)" + data + "}");
  };
  const auto field_of = [&](const ClientResponse& r) { return r.status == 400 ? str(parse(r).at("field")) : ""; };
  const auto before = count_rows(*app_.db, "SELECT count(*) FROM cases");
  // A case that does not exist, and one outside the sender's scope, are the same answer.
  EXPECT_EQ(field_of(open("lead", R"({"summary":"s","source":"lead","linked_case":"SR-1999-0001"})")),
            "$.data.linked_case");
  const auto outside = app_.engine->get(outside_case_).reference;
  const auto hidden = open("lead", R"({"summary":"s","source":"lead","linked_case":")" + outside + R"("})");
  EXPECT_EQ(field_of(hidden), "$.data.linked_case") << hidden.body;
  EXPECT_NE(hidden.body.find("that you can see"), std::string::npos);
  // "A risk assessment recommended it" needs that risk assessment.
  EXPECT_EQ(field_of(open("lead", R"({"summary":"s","source":"risk_assessment"})")), "$.data.source");
  EXPECT_EQ(field_of(open("lead", R"({"summary":"s","source":"risk_assessment","linked_case":")" + reference_ +
                                      R"("})")),
            "$.data.source");  // a support request, not an assessment
  EXPECT_EQ(count_rows(*app_.db, "SELECT count(*) FROM cases"), before);
}

}  // namespace
}  // namespace s2s::testing

namespace s2s::testing {
namespace {

TEST_F(ApiTest, APersonMayDateAnEventOnlySoFarBack) {
  const auto today = app_.engine->today();
  const int year = static_cast<int>(today.year());
  const unsigned month = static_cast<unsigned>(today.month());
  const std::string previous_year_start = std::to_string(year - (month >= 9 ? 1 : 2)) + "-09-01";
  const std::string too_early = std::to_string(year - (month >= 9 ? 1 : 2)) + "-08-31";
  const std::string term_start = month >= 9 ? std::to_string(year) + "-09-01"
                                 : month >= 4 ? std::to_string(year) + "-04-01"
                                              : std::to_string(year) + "-01-01";
  const auto open = [&](const std::string& who, const std::string& on, int urn) {
    return call(who, "POST", "/api/v1/cases",
                R"({"kind":"support_request","school_urn":)" + std::to_string(urn) + R"(,"occurred_on":")" + on +
                    R"(","data":{"summary":"s","source":"lead"}})");
  };
  // A school dating its referral in 2000, or before this term: refused by name.
  for (const std::string& on : {std::string("2000-01-04"), too_early}) {
    const auto r = call("school", "POST", "/api/v1/cases",
                        R"({"kind":"support_request","school_urn":)" + std::to_string(demo_.deployed_school_urn) +
                            R"(,"occurred_on":")" + on + R"(","data":{"summary":"s"}})");
    EXPECT_EQ(r.status, 400) << on << ": " << r.body;
    EXPECT_NE(r.body.find("too far back"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("from " + term_start + " (the start of this term)"), std::string::npos) << r.body;
  }
  // A lead may go back to the start of the previous academic year, not a day more.
  (void)cases::import_gias(*app_.db,
                           "URN,EstablishmentName,LA (code),LA (name),PhaseOfEducation (name),EstablishmentStatus (name)\n"
                           "199401,Backdated Primary,830,Derbyshire,Primary,Open\n");
  cases::add_alliance_member(*app_.db, demo_.alliance_id, 199401);
  const auto early = open("lead", too_early, 199401);
  EXPECT_EQ(early.status, 400) << early.body;
  EXPECT_NE(early.body.find("may date it from " + previous_year_start), std::string::npos) << early.body;
  EXPECT_EQ(open("lead", previous_year_start, 199401).status, 201);
}

}  // namespace
}  // namespace s2s::testing

namespace s2s::testing {
namespace {

// A process killed in the middle of a request leaves its Idempotency-Key one
// of two ways, and neither is stuck: its work never committed (the key is
// free once its lease has passed, and the retry runs), or its work committed
// without its answer being stored (the retry gets the case as it now is,
// and nothing runs twice). Here each state is made as the dead process left it.
TEST_F(ApiTest, AKeyWhoseRequestDiedIsNeverStuckAndItsWorkNeverRunsTwice) {
  const auto lead = cases::authenticate(*app_.db, tokens_.at("lead"));
  ASSERT_TRUE(lead);
  (void)cases::import_gias(*app_.db,
                           "URN,EstablishmentName,LA (code),LA (name),PhaseOfEducation (name),EstablishmentStatus (name)\n"
                           "199501,Killed Primary,830,Derbyshire,Primary,Open\n"
                           "199502,Committed Primary,830,Derbyshire,Primary,Open\n");
  cases::add_alliance_member(*app_.db, demo_.alliance_id, 199501);
  cases::add_alliance_member(*app_.db, demo_.alliance_id, 199502);
  const auto body_for = [](int urn) {
    return R"({"kind":"support_request","school_urn":)" + std::to_string(urn) +
           R"(,"data":{"source":"lead","summary":"s"}})";
  };
  const auto hash_for = [](const std::string& body) {
    return workflow::sha256_hex("POST\n/api/v1/cases\n\n" + body);
  };
  const auto cases_of = [&](int urn) {
    return count_rows(*app_.db, "SELECT count(*) FROM cases WHERE school_urn = " + std::to_string(urn));
  };
  const auto now = app_.engine->now();

  // 1. Claimed, then the process died before its work committed.
  const std::string died = body_for(199501);
  ASSERT_TRUE(workflow::claim_idempotency_key(*app_.db, lead->id, "died", "POST", "/api/v1/cases", hash_for(died),
                                              now - std::chrono::seconds(5), std::chrono::hours(24))
                  .claimed);
  // Within its lease it may still be running: the retry is told to wait.
  const auto soon = call("lead", "POST", "/api/v1/cases", died, {{"Idempotency-Key", "died"}});
  EXPECT_EQ(soon.status, 409) << soon.body;
  EXPECT_EQ(cases_of(199501), 0);
  // Past its lease nothing can still be running: the retry runs, once.
  ASSERT_TRUE(workflow::claim_idempotency_key(*app_.db, lead->id, "died-long-ago", "POST", "/api/v1/cases",
                                              hash_for(died), now - std::chrono::minutes(5), std::chrono::hours(24))
                  .claimed);
  const auto retried = call("lead", "POST", "/api/v1/cases", died, {{"Idempotency-Key", "died-long-ago"}});
  EXPECT_EQ(retried.status, 201) << retried.body;
  EXPECT_EQ(cases_of(199501), 1);
  const auto replay = call("lead", "POST", "/api/v1/cases", died, {{"Idempotency-Key", "died-long-ago"}});
  EXPECT_EQ(replay.header("idempotent-replayed"), "true");
  EXPECT_EQ(cases_of(199501), 1);

  // 2. Its work committed (the key marked in the same transaction), then the
  // process died before storing the answer.
  const std::string done = body_for(199502);
  ASSERT_TRUE(workflow::claim_idempotency_key(*app_.db, lead->id, "committed", "POST", "/api/v1/cases",
                                              hash_for(done), now - std::chrono::minutes(5), std::chrono::hours(24))
                  .claimed);
  const auto opened = app_.engine->open_case(
      "support_request", 199502, {{"source", "lead"}, {"summary", "s"}}, cases::actor_of(*lead), std::nullopt,
      [&](workflow::Database::Connection& connection, std::int64_t id) {
        workflow::mark_idempotency_committed(connection, lead->id, "committed", id);
      });
  const auto answered = call("lead", "POST", "/api/v1/cases", done, {{"Idempotency-Key", "committed"}});
  EXPECT_EQ(answered.status, 201) << answered.body;
  EXPECT_EQ(parse(answered).at("id").as_int64(), opened.id);
  EXPECT_EQ(answered.header("location"), "/api/v1/cases/" + std::to_string(opened.id));
  EXPECT_EQ(cases_of(199502), 1);  // not opened twice

  // And a key's mark rolls back with its work: an event refused leaves the key unmarked.
  ASSERT_TRUE(workflow::claim_idempotency_key(*app_.db, lead->id, "refused", "POST", "/api/v1/cases", "h", now,
                                              std::chrono::hours(24))
                  .claimed);
  EXPECT_THROW((void)app_.engine->apply(
                   opened.id, "close", {}, cases::actor_of(*lead), app_.engine->today(), std::nullopt,
                   [&](workflow::Database::Connection& connection, std::int64_t id) {
                     workflow::mark_idempotency_committed(connection, lead->id, "refused", id);
                   }),
               workflow::EngineError);
  EXPECT_EQ(count_rows(*app_.db, "SELECT count(*) FROM idempotency_keys WHERE key = 'refused' AND "
                                 "committed_case_id IS NOT NULL"),
            0);
}

}  // namespace
}  // namespace s2s::testing
