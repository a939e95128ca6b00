// The authorisation matrix: every route, as every role, on objects inside
// and outside the caller's scope. A route missing from the table fails the
// test, and so does any answer other than the expected one: a leak (a 200
// where a 404 is due, the case's reference in a list it should not be in) or
// a refusal where access is due.
#include <functional>
#include <map>
#include <set>

#include "tests/api/api_fixture.h"
#include "workflow/date.h"

namespace s2s::testing {
namespace {

struct Caller {
  std::string key;   // a user of ApiTest
  std::string role;  // its role
  bool inside;       // the case under test lies within its scope
};

const std::vector<Caller>& callers() {
  static const std::vector<Caller> all{{"admin", "admin", true},
                                       {"strategic", "strategic", true},
                                       {"lead-primary", "lead", true},
                                       {"lead-special", "lead", false},
                                       {"lead", "lead", true},
                                       {"lead-out", "lead", false},
                                       {"system_leader", "system_leader", true},
                                       {"system_leader-out", "system_leader", false},
                                       {"school", "school", true},
                                       {"school-out", "school", false},
                                       {"la_officer", "la_officer", true},
                                       {"la_officer-out", "la_officer", false}};
  return all;
}

bool one_of(const std::string& role, std::initializer_list<const char*> roles) {
  for (const char* r : roles) {
    if (role == r) return true;
  }
  return false;
}

struct Row {
  std::string method;
  std::string pattern;
  std::string path;  // concrete, on the case / leader / school under test
  std::string body;
  std::string content_type = "application/json";
  std::function<int(const Caller&)> expected;
  bool lists_case = false;  // a list: the case appears for callers inside, never for others
};

TEST_F(ApiTest, EveryRouteAsEveryRoleInsideAndOutsideItsScope) {
  const std::string c = "/api/v1/cases/" + std::to_string(case_);
  const std::string leader = "/api/v1/system-leaders/" + std::to_string(leader_in_);
  const std::string urn = std::to_string(demo_.deployed_school_urn);
  const std::string year = "2026/27";
  int closure = 0;
  // Case routes: 404 outside the scope (as if the case did not exist), even
  // for a role the route refuses; that refusal (403) comes first.
  const auto case_get = [](const Caller& who) { return who.inside ? 200 : 404; };
  const auto to_all = [](const Caller&) { return 200; };
  const auto admin_only = [](int ok) { return [ok](const Caller& who) { return who.role == "admin" ? ok : 403; }; };
  const auto leader_record = [](const Caller& who) {
    if (one_of(who.role, {"school", "la_officer"})) return 403;
    return who.role == "system_leader" && !who.inside ? 404 : 200;
  };

  std::vector<Row> rows{
      {"GET", "/healthz", "/healthz", "", "", to_all},
      {"GET", "/readyz", "/readyz", "", "", to_all},
      {"GET", "/api/v1/openapi.json", "/api/v1/openapi.json", "", "", to_all},
      {"GET", "/metrics", "/metrics", "", "", admin_only(200)},
      {"POST", "/api/v1/cases", "/api/v1/cases",
       R"({"kind":"support_request","school_urn":)" + urn + R"(,"data":{"source":"self","summary":"m"}})",
       "application/json",
       [](const Caller& who) {
         return one_of(who.role, {"lead", "school", "la_officer"}) && who.inside ? 201 : 403;
       }},
      {"GET", "/api/v1/cases", "/api/v1/cases?limit=200", "", "", to_all, true},
      {"GET", "/api/v1/cases/{id}", c, "", "", case_get},
      {"GET", "/api/v1/cases/{id}/history", c + "/history", "", "", case_get},
      {"GET", "/api/v1/cases/{id}/matches", c + "/matches", "", "",
       [](const Caller& who) {
         if (!one_of(who.role, {"lead", "admin"})) return 403;
         return who.inside ? 200 : 404;
       }},
      // An event the kind does not have: 400 inside the scope, 404 outside; nothing changes.
      {"POST", "/api/v1/cases/{id}/events", c + "/events", R"({"event":"no_such_event"})", "application/json",
       [](const Caller& who) { return who.inside ? 400 : 404; }},
      {"GET", "/api/v1/cases/{id}/deployments", c + "/deployments", "", "", case_get},
      {"GET", "/api/v1/cases/{id}/days", c + "/days", "", "", case_get},
      {"GET", "/api/v1/cases/{id}/ratings", c + "/ratings", "", "", case_get},
      {"GET", "/api/v1/me", "/api/v1/me", "", "", to_all},
      {"GET", "/api/v1/kinds", "/api/v1/kinds", "", "", to_all},
      {"GET", "/api/v1/schools", "/api/v1/schools?q=" + urn, "", "", to_all},
      {"POST", "/api/v1/schools/import", "/api/v1/schools/import",
       "URN,EstablishmentName,LA (code),LA (name),PhaseOfEducation (name),EstablishmentStatus (name)\n"
       "199002,Matrix Primary,857,Rutland,Primary,Open\n",
       "text/csv", admin_only(200)},
      {"GET", "/api/v1/schools/{urn}", "/api/v1/schools/" + urn, "", "", to_all},
      {"PATCH", "/api/v1/schools/{urn}", "/api/v1/schools/" + urn, R"({"category_5_6":true})", "application/json",
       admin_only(200)},
      {"GET", "/api/v1/alliances", "/api/v1/alliances", "", "", to_all},
      {"GET", "/api/v1/alliances/{id}", "/api/v1/alliances/" + std::to_string(demo_.alliance_id), "", "", to_all},
      {"GET", "/api/v1/system-leaders", "/api/v1/system-leaders", "", "",
       [](const Caller& who) {
         return one_of(who.role, {"school", "la_officer"}) ? 403 : 200;
       }},
      {"GET", "/api/v1/system-leaders/{id}", leader, "", "", leader_record},
      {"GET", "/api/v1/system-leaders/{id}/capacity", leader + "/capacity", "", "", leader_record},
      {"PUT", "/api/v1/system-leaders/{id}/capacity", leader + "/capacity",
       R"({"academic_year":")" + year + R"(","days":30})", "application/json",
       [](const Caller& who) {
         if (!one_of(who.role, {"system_leader", "admin"})) return 403;
         return who.inside ? 200 : 404;
       }},
      {"GET", "/api/v1/calendar/working-days", "/api/v1/calendar/working-days?from=2026-12-23&add=3", "", "", to_all},
      {"GET", "/api/v1/calendar/holidays", "/api/v1/calendar/holidays?year=2026", "", "", to_all},
      {"GET", "/api/v1/calendar/closures", "/api/v1/calendar/closures", "", "", to_all},
      {"POST", "/api/v1/calendar/closures", "/api/v1/calendar/closures", "", "application/json", admin_only(201)},
      {"GET", "/api/v1/deadlines", "/api/v1/deadlines?limit=200", "", "", to_all, true},
      {"GET", "/api/v1/notifications", "/api/v1/notifications?status=pending", "", "", admin_only(200)},
      // A bearer token never opens a calendar feed: only its own feed token does.
      {"GET", "/api/v1/deadlines.ics", "/api/v1/deadlines.ics", "", "", [](const Caller&) { return 401; }},
      {"GET", "/api/v1/reports/kpis", "/api/v1/reports/kpis?academic_year=2026/27", "", "",
       [](const Caller& who) {
         return one_of(who.role, {"school", "system_leader"}) ? 403 : 200;
       }},
      // Each caller's own scope's schools: ApiTest.TheNeedRegister... checks which.
      {"GET", "/api/v1/need", "/api/v1/need", "", "",
       [](const Caller& who) {
         return one_of(who.role, {"school", "system_leader"}) ? 403 : 200;
       }},
      // Its overdue items keep to the caller's scope: ApiTest.AQuarterlyReport... checks them.
      {"GET", "/api/v1/reports/quarterly", "/api/v1/reports/quarterly?format=markdown", "", "",
       [](const Caller& who) {
         return one_of(who.role, {"school", "system_leader"}) ? 403 : 200;
       }},
  };

  std::set<std::pair<std::string, std::string>> covered;
  for (const auto& row : rows) covered.emplace(row.method, row.pattern);
  for (const auto& route : router_->routes()) {
    EXPECT_TRUE(covered.contains(route)) << route.first << " " << route.second << " is missing from the matrix";
  }

  // What a case that does not exist answers on each case route: an
  // out-of-scope answer must be the same, but for the id.
  std::map<std::string, std::string> absent;
  for (const auto& row : rows) {
    if (!row.pattern.starts_with("/api/v1/cases/{id}")) continue;
    std::string path = row.path;
    path.replace(path.find(c), c.size(), "/api/v1/cases/999999");
    auto body = call("admin", row.method, path, row.body).body;
    for (auto at = body.find("999999"); at != std::string::npos; at = body.find("999999")) {
      body.replace(at, 6, std::to_string(case_));
    }
    absent[row.method + " " + row.pattern] = body;
  }
  const std::string outside_reference = app_.engine->get(outside_case_).reference;
  for (const auto& row : rows) {
    for (const auto& who : callers()) {
      std::string body = row.body;
      if (row.pattern == "/api/v1/calendar/closures" && row.method == "POST") {
        const auto day = app_.engine->calendar().add_working_days(app_.engine->today(), 40 + closure++);
        body = R"({"date":")" + workflow::format_date(day) + R"(","reason":"matrix"})";
      }
      std::vector<std::pair<std::string, std::string>> headers;
      if (!body.empty()) headers.emplace_back("Content-Type", row.content_type);
      const auto r = call(who.key, row.method, row.path, body, headers);
      const int expected = row.expected(who);
      EXPECT_EQ(r.status, expected) << row.method << " " << row.path << " as " << who.key << ": " << r.body;
      if (!who.inside && who.role != "admin" && row.pattern.starts_with("/api/v1/cases/")) {
        EXPECT_EQ(r.body.find(reference_), std::string::npos)
            << row.method << " " << row.path << " as " << who.key << " leaks the case: " << r.body;
        if (r.status == 404) {
          EXPECT_EQ(r.body, absent.at(row.method + " " + row.pattern))
              << row.path << " as " << who.key << " answers otherwise than for a case that does not exist";
        }
      }
      if (row.lists_case && r.status == 200) {
        const auto page = parse(r);
        EXPECT_TRUE(page.at("next_cursor").is_null()) << row.path << ": the check needs one page";
        // The deployed case (open deadlines or not) and the outside case (its triage deadline is open).
        const bool listed = r.body.find("\"" + reference_ + "\"") != std::string::npos;
        const bool outside_listed = r.body.find("\"" + outside_reference + "\"") != std::string::npos;
        if (row.pattern == "/api/v1/cases") {
          EXPECT_EQ(listed, who.inside) << row.path << " as " << who.key << ": " << r.body;
        } else {
          EXPECT_FALSE(!who.inside && listed) << row.path << " as " << who.key << " lists a case outside its scope";
        }
        // The outside case is within the scope of the -out users but the system leader's (and a lead of
        // special schools: it is a primary), and of those who see every case.
        const bool outside_visible = who.role == "admin" || who.role == "strategic" ||
                                     (!who.inside && who.role != "system_leader" && who.key != "lead-special");
        EXPECT_EQ(outside_listed, outside_visible) << row.path << " as " << who.key << ": " << r.body;
      }
      if (row.pattern == "/api/v1/system-leaders" && who.role == "system_leader") {
        const auto list = parse(r);
        ASSERT_EQ(list.at("items").as_array().size(), 1u) << r.body;
        EXPECT_EQ(list.at("items").at(0).at("id").as_int64(), who.inside ? leader_in_ : leader_out_) << r.body;
      }
    }
  }
  // The case routes again by the case's reference: the same answers, and
  // outside the scope the same 404 as for a reference no case has.
  const std::string by_reference = "/api/v1/cases/" + reference_;
  const std::string unknown = "SR-1999-0001";
  for (const auto& row : rows) {
    if (!row.pattern.starts_with("/api/v1/cases/{id}")) continue;
    std::string path = row.path;
    path.replace(path.find(c), c.size(), by_reference);
    std::string absent_path = path;
    absent_path.replace(absent_path.find(reference_), reference_.size(), unknown);
    auto absent_body = call("admin", row.method, absent_path, row.body).body;
    for (auto at = absent_body.find(unknown); at != std::string::npos; at = absent_body.find(unknown)) {
      absent_body.replace(at, unknown.size(), reference_);
    }
    for (const auto& who : callers()) {
      const auto r = call(who.key, row.method, path, row.body);
      EXPECT_EQ(r.status, row.expected(who)) << row.method << " " << path << " as " << who.key << ": " << r.body;
      if (r.status == 404) {
        EXPECT_EQ(r.body, absent_body) << path << " as " << who.key
                                       << " answers otherwise than for a reference no case has";
      }
    }
  }

  // The outside users see their own case, so the scopes are not simply empty.
  for (const char* key : {"lead-out", "school-out", "la_officer-out"}) {
    const auto r = call(key, "GET", "/api/v1/cases/" + std::to_string(outside_case_));
    EXPECT_EQ(r.status, 200) << key << ": " << r.body;
  }
}

}  // namespace
}  // namespace s2s::testing
