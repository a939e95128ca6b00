// The web pages over real HTTP on loopback (docs/web.md): signing in by an
// emailed link through a real SMTP server, sessions, CSRF, scope, the action
// forms, stale pages, self-referral, headers and assets. The browser journeys
// are in tests/web/*.spec.mjs (Playwright).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <soci/soci.h>

#include <regex>
#include <set>

#include "cases/case_list.h"
#include "cases/cold_spots.h"
#include "cases/deadline_list.h"
#include "cases/deployments.h"
#include "cases/forecast.h"
#include "cases/gias_import.h"
#include "cases/kinds.h"
#include "cases/kpis.h"
#include "cases/need.h"
#include "cases/progress_report.h"
#include "cases/providers.h"
#include "cases/recipients.h"
#include "cases/schools.h"
#include "cases/sign_in.h"
#include "notifications/dispatcher.h"
#include "notifications/webhooks.h"
#include "tests/api/api_fixture.h"
#include "tests/support/smtp_sink.h"
#include "tests/support/test_clock.h"
#include "web/page.h"
#include "workflow/date.h"
#include "workflow/kept_history.h"
#include "workflow/text.h"

namespace s2s::testing {
namespace {

using namespace std::chrono_literals;

// A browser's part: cookies kept between requests, and the CSRF token of the last page.
class Visitor {
 public:
  explicit Visitor(std::uint16_t port) : port_(port) {}

  ClientResponse get(const std::string& target) { return send("GET", target, ""); }

  // Posts a form; adds the last page's csrf_token unless `with_csrf` is false.
  ClientResponse post(const std::string& target, std::vector<std::pair<std::string, std::string>> fields,
                      bool with_csrf = true) {
    if (with_csrf) fields.emplace_back("csrf_token", csrf_);
    std::string body;
    for (const auto& [name, value] : fields) {
      body += (body.empty() ? "" : "&") + name + "=" + web::url_encode(value);
    }
    return send("POST", target, body);
  }

  // Posts a multipart form with one file, as a browser's file upload does.
  ClientResponse upload(const std::string& target, const std::string& field, const std::string& filename,
                        const std::string& data, bool with_csrf = true) {
    const std::string boundary = "----s2sTestBoundary42";
    std::string body;
    if (with_csrf) {
      body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n" + csrf_ + "\r\n";
    }
    body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + field + "\"; filename=\"" + filename +
            "\"\r\nContent-Type: text/csv\r\n\r\n" + data + "\r\n--" + boundary + "--\r\n";
    return send("POST", target, body, "multipart/form-data; boundary=" + boundary);
  }

  [[nodiscard]] const std::string& csrf() const { return csrf_; }
  std::map<std::string, std::string>& cookies() { return cookies_; }
  std::vector<std::string> set_cookies;  // every Set-Cookie seen, as sent

 private:
  ClientResponse send(const std::string& method, const std::string& target, const std::string& body,
                      const std::string& type = "application/x-www-form-urlencoded") {
    std::vector<std::pair<std::string, std::string>> headers;
    std::string jar;
    for (const auto& [name, value] : cookies_) jar += (jar.empty() ? "" : "; ") + name + "=" + value;
    if (!jar.empty()) headers.emplace_back("Cookie", jar);
    if (method == "POST") headers.emplace_back("Content-Type", type);
    auto response = http_request(port_, method, target, body, headers);
    const auto set = response.header("set-cookie");
    if (!set.empty()) {
      set_cookies.push_back(set);
      const auto eq = set.find('=');
      const auto semi = set.find(';');
      const std::string name = set.substr(0, eq);
      const std::string value = set.substr(eq + 1, semi - eq - 1);
      if (set.find("Max-Age=0") != std::string::npos) {
        cookies_.erase(name);
      } else {
        cookies_[name] = value;
      }
    }
    static const std::regex kCsrf(R"(name="csrf_token" value="([0-9a-f]*)\")");
    std::smatch m;
    if (std::regex_search(response.body, m, kCsrf)) csrf_ = m[1];
    return response;
  }

  std::uint16_t port_;
  std::map<std::string, std::string> cookies_;
  std::string csrf_;
};

// "2026/27" -> "2025/26".
std::string report_year_before(const std::string& year) {
  const int first = std::stoi(year.substr(0, 4)) - 1;
  return fmt::format("{}/{:02}", first, (first + 1) % 100);
}

class WebTest : public ApiTest {
 protected:
  void SetUp() override {
    engine_options_.clock = clock_.function();
    with_web_ = true;
    start(unlimited());
  }

  // Signs `who` (a key of tokens_) in through a link made for them.
  Visitor signed_in(const std::string& who, const std::string& next = "/") {
    Visitor v(server_->port());
    const auto link = cases::create_sign_in_link(*app_.db, who + "@test.example.org", next, clock_.now(),
                                                 web_options_.sessions);
    EXPECT_TRUE(link.has_value());
    EXPECT_EQ(v.get("/sign-in/link?token=" + link->token).status, 200);
    const auto used = v.post("/sign-in/link", {{"token", link->token}});
    EXPECT_EQ(used.status, 303) << used.body;
    EXPECT_EQ(used.header("location"), next);
    return v;
  }

  long long count(const std::string& query) { return testing::count_rows(*app_.db, query); }

  // A new support request at the deployed school, waiting for the lead's triage.
  workflow::Case referral() {
    return app_.engine->open_case("support_request", demo_.deployed_school_urn,
                                  {{"source", "lead"}, {"summary", "Year 6 writing"}}, "test");
  }

  static bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
  }

  TestClock clock_{std::chrono::system_clock::now()};
};

// An /api/ path no route has is the API's 404 problem, even through the web
// pages' fallback, and bytes that are not text are never echoed into it.
TEST_F(WebTest, AnUnknownApiPathIsTheApis404AndNotTextIsNotEchoed) {
  const auto plain = http_request(server_->port(), "GET", "/api/v1/nothing-here");
  EXPECT_EQ(plain.status, 404);
  EXPECT_NE(plain.body.find("no resource at /api/v1/nothing-here"), std::string::npos) << plain.body;
  const auto raw = testing::raw_exchange(server_->port(),
                                         "GET /api/v1/\xFF\xFE HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  const auto body = raw.received.substr(raw.received.find("\r\n\r\n") + 4);
  EXPECT_TRUE(workflow::valid_utf8(raw.received)) << raw.received;
  EXPECT_NO_THROW((void)boost::json::parse(body)) << raw.received;
}

TEST_F(WebTest, ASignedOutVisitorIsSentToSignInAndBroughtBackAfter) {
  Visitor v(server_->port());
  const auto page = v.get("/cases/" + reference_ + "?x=1");
  EXPECT_EQ(page.status, 303);
  EXPECT_EQ(page.header("location"), "/sign-in?next=/cases/" + reference_ + "%3Fx%3D1");
  const auto form = v.get(page.header("location"));
  EXPECT_EQ(form.status, 200);
  EXPECT_TRUE(contains(form.body, "value=\"/cases/" + reference_ + "?x=1\"")) << form.body;
  // A next path off the site is never followed.
  const auto off = v.get("/sign-in?next=//evil.example/");
  EXPECT_TRUE(contains(off.body, "name=\"next\" value=\"/\"")) << off.body;
}

TEST_F(WebTest, TheEmailedLinkSignsInOnceAndTheAnswerIsTheSameForAnUnknownAddress) {
  stop();
  SmtpSink smtp;
  link_smtp_url_ = smtp.url();
  start(unlimited());

  Visitor v(server_->port());
  ASSERT_EQ(v.get("/sign-in?next=/cases/" + reference_).status, 200);
  const auto unknown = v.post("/sign-in", {{"email", "nobody@example.org"}, {"next", "/cases/" + reference_}});
  const auto known = v.post("/sign-in", {{"email", "school@test.example.org"}, {"next", "/cases/" + reference_}});
  EXPECT_EQ(unknown.status, 303);
  EXPECT_EQ(known.status, 303);
  EXPECT_EQ(unknown.header("location"), "/sign-in/sent?email=nobody%40example.org");
  EXPECT_EQ(known.header("location"), "/sign-in/sent?email=school%40test.example.org");

  ASSERT_TRUE(smtp.wait_for_stored(1));
  EXPECT_EQ(count("SELECT count(*) FROM sign_in_links"), 1);  // the unknown address, first in the queue, got none
  const auto messages = smtp.messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(std::string(messages[0].at("rcpt_tos").as_array().at(0).as_string()), "school@test.example.org");
  const std::string data(messages[0].at("data").as_string());
  std::smatch m;
  ASSERT_TRUE(std::regex_search(data, m, std::regex(R"(https://s2s\.example\.org/sign-in/link\?token=([0-9a-f]{64}))")))
      << data;
  const std::string token = m[1];
  EXPECT_TRUE(contains(data, "It works once, for 15 minutes")) << data;

  const auto landing = v.get("/sign-in/link?token=" + token);
  EXPECT_EQ(landing.status, 200);
  EXPECT_TRUE(v.cookies().contains("s2s_csrf"));
  const auto used = v.post("/sign-in/link", {{"token", token}});
  EXPECT_EQ(used.status, 303);
  EXPECT_EQ(used.header("location"), "/cases/" + reference_);
  const auto cookie = v.set_cookies.back();
  EXPECT_TRUE(cookie.starts_with("s2s_session=")) << cookie;
  EXPECT_TRUE(contains(cookie, "HttpOnly")) << cookie;
  EXPECT_TRUE(contains(cookie, "SameSite=Lax")) << cookie;
  const auto page = v.get("/cases/" + reference_);
  EXPECT_EQ(page.status, 200);
  EXPECT_TRUE(contains(page.body, reference_));

  // The same link again, in another browser: spent.
  Visitor other(server_->port());
  (void)other.get("/sign-in/link?token=" + token);
  const auto again = other.post("/sign-in/link", {{"token", token}});
  EXPECT_EQ(again.status, 410);
  EXPECT_TRUE(contains(again.body, "This sign-in link has expired or has been used"));
  EXPECT_FALSE(other.cookies().contains("s2s_session"));
}

TEST_F(WebTest, AnExpiredLinkStartsNothing) {
  const auto link =
      cases::create_sign_in_link(*app_.db, "lead@test.example.org", "/", clock_.now(), web_options_.sessions);
  clock_.set(clock_.now() + 16min);
  Visitor v(server_->port());
  (void)v.get("/sign-in/link?token=" + link->token);
  EXPECT_EQ(v.post("/sign-in/link", {{"token", link->token}}).status, 410);
  EXPECT_EQ(count("SELECT count(*) FROM web_sessions"), 0);
}

TEST_F(WebTest, APostWithoutTheFormsCsrfTokenIs403AndChangesNothing) {
  const auto c = referral();
  Visitor lead = signed_in("lead");
  const std::string action = "/cases/" + c.reference + "/events/decline_referral";
  ASSERT_EQ(lead.get(action).status, 200);
  const std::vector<std::pair<std::string, std::string>> fields{{"version", "1"}, {"reason", "No capacity"}};
  const auto missing = lead.post(action, fields, false);
  EXPECT_EQ(missing.status, 403);
  EXPECT_TRUE(contains(missing.body, "This form has expired"));
  auto wrong = fields;
  wrong.emplace_back("csrf_token", std::string(64, 'a'));
  EXPECT_EQ(lead.post(action, wrong, false).status, 403);
  // Another person's token does not do either.
  Visitor other = signed_in("admin");
  wrong.back().second = other.csrf();
  EXPECT_EQ(lead.post(action, wrong, false).status, 403);
  EXPECT_EQ(app_.engine->get(c.id).version, c.version);
  EXPECT_EQ(app_.engine->get(c.id).state, "referred");
  // With it, the same post is done.
  EXPECT_EQ(lead.post(action, fields).status, 303);
  EXPECT_EQ(app_.engine->get(c.id).state, "declined");
}

TEST_F(WebTest, AnActionFormAppliesTheEventAndTheCasePageSaysSo) {
  const auto c = referral();
  Visitor lead = signed_in("lead");
  const auto home = lead.get("/");
  EXPECT_EQ(home.status, 200);
  EXPECT_TRUE(contains(home.body, "/cases/" + c.reference + "/events/accept_referral")) << home.body;
  const std::string action = "/cases/" + c.reference + "/events/accept_referral";
  const auto form = lead.get(action);
  EXPECT_EQ(form.status, 200);
  EXPECT_TRUE(contains(form.body, "name=\"priority\" type=\"radio\" value=\"urgent\"")) << form.body;
  const auto done = lead.post(action, {{"version", std::to_string(c.version)},
                                       {"priority", "high"},
                                       {"focus_areas", "maths, leadership"},
                                       {"requested_days", "4.5"},
                                       {"funding_source", "SSIF"}});
  ASSERT_EQ(done.status, 303) << done.body;
  EXPECT_EQ(done.header("location"), "/cases/" + c.reference + "?done=accept_referral");
  const auto moved = app_.engine->get(c.id);
  EXPECT_EQ(moved.state, "matching");
  EXPECT_EQ(moved.data.at("focus_areas").as_array().size(), 2u);
  EXPECT_EQ(moved.data.at("requested_days").as_double(), 4.5);
  const auto page = lead.get(done.header("location"));
  EXPECT_TRUE(contains(page.body, "Accept referral: done")) << page.body;
  // Who did each thing, by name: the user named "lead", and s2s itself, which opened the referral here.
  EXPECT_TRUE(contains(page.body, "<p class=\"s2s-timeline__meta\">lead, ")) << page.body;
  EXPECT_TRUE(contains(page.body, "<p class=\"s2s-timeline__meta\">s2s (automatically), ")) << page.body;
  EXPECT_TRUE(contains(page.body, "Propose provider"));
  // Someone whose user is gone is not named by a stale id.
  const auto lead_user = cases::authenticate(*app_.db, tokens_.at("lead"));
  ASSERT_TRUE(lead_user.has_value());
  (void)app_.engine->apply(c.id, "withdraw", {{"reason", "joined a trust"}},
                           workflow::Actor("user:999999 gone@example.org", "lead", cases::actor_scope(*lead_user)),
                           app_.engine->today());
  const auto after = lead.get("/cases/" + c.reference);
  EXPECT_TRUE(contains(after.body, "<p class=\"s2s-timeline__meta\">A former user, ")) << after.body;
  EXPECT_FALSE(contains(after.body, "999999"));
}

// The layout around each page is rendered once for each person and kept
// (web/page.cpp): each page still shows its own title, escaped, and each
// person their own name and form token, whoever's pages came before.
TEST_F(WebTest, EachPageShowsItsOwnTitleAndThePersonTheirOwnNameAndFormToken) {
  const std::string school = "St Mary & St John's <Primary>";
  app_.db->transact([&](soci::session& sql) {
    sql << "UPDATE schools SET name = :name WHERE urn = :urn", soci::use(school), soci::use(demo_.deployed_school_urn);
  });
  const auto c = referral();
  const auto token_of = [](const std::string& body) {
    const std::string field = "name=\"csrf_token\" value=\"";
    const auto at = body.find(field);
    if (at == std::string::npos) return std::string();
    return body.substr(at + field.size(), body.find('"', at + field.size()) - at - field.size());
  };
  const std::string case_title =
      "<title>" + c.reference + ": " + workflow::html_escape(school) + " - s2s school-to-school support</title>";
  Visitor lead = signed_in("lead");
  Visitor admin = signed_in("admin");
  std::map<std::string, std::string> tokens;
  for (int round = 0; round < 2; ++round) {
    for (auto* visitor : {&lead, &admin}) {
      const std::string who = visitor == &lead ? "lead" : "admin";
      SCOPED_TRACE(who + " round " + std::to_string(round));
      const auto home = visitor->get("/");
      const auto page = visitor->get("/cases/" + c.reference);
      ASSERT_EQ(home.status, 200);
      ASSERT_EQ(page.status, 200) << page.body;
      EXPECT_TRUE(contains(page.body, case_title)) << page.body.substr(0, 400);
      EXPECT_FALSE(contains(page.body, "St Mary & St"));
      EXPECT_FALSE(contains(home.body, "<title>" + c.reference));
      EXPECT_TRUE(contains(home.body, "<title>")) << home.body.substr(0, 400);
      for (const auto* body : {&home.body, &page.body}) {
        EXPECT_TRUE(contains(*body, "Signed in as " + who + " (")) << body->substr(0, 400);
        EXPECT_FALSE(contains(*body, "Signed in as " + std::string(who == "lead" ? "admin" : "lead") + " ("));
      }
      const std::string token = token_of(page.body);
      EXPECT_EQ(token.size(), 64U);
      EXPECT_EQ(token_of(home.body), token);
      if (round == 0) tokens[who] = token;
      EXPECT_EQ(tokens[who], token);
    }
  }
  EXPECT_NE(tokens["lead"], tokens["admin"]);
}

// A case's timeline is made once and kept with its history (web/case_pages.cpp,
// timeline_html), each entry in the variant the person may see: a proposal's
// note, not shared, stays the lead's whoever opened the page first, and a
// page shown from what is kept is the page made afresh.
TEST_F(WebTest, ATimelineKeptWithItsHistoryShowsEachPersonOnlyWhatTheyMaySee) {
  const auto c = referral();
  const auto today = app_.engine->today();
  (void)app_.engine->apply(c.id, "accept_referral",
                           {{"priority", "high"},
                            {"focus_areas", boost::json::array{"leadership"}},
                            {"requested_days", 2},
                            {"funding_source", "SSIF"}},
                           "test", today);
  const auto helen = demo_.system_leaders.front().second;
  (void)app_.engine->apply(c.id, "propose_provider", {{"provider_id", helen}, {"note", "Avoid Fridays & Mondays"}},
                           "test", today);
  const std::string path = "/cases/" + c.reference;
  const std::string note = "Avoid Fridays &amp; Mondays";
  const auto timeline = [](const std::string& page) {
    const auto from = page.find("<ol class=\"s2s-timeline\" reversed>");
    const auto to = page.find("</ol>", from);
    EXPECT_NE(from, std::string::npos);
    return from == std::string::npos ? std::string() : page.substr(from, to - from);
  };
  const auto entries = [](const std::string& part) {
    std::size_t n = 0;
    for (auto at = part.find("s2s-timeline__item"); at != std::string::npos;
         at = part.find("s2s-timeline__item", at + 1))
      ++n;
    return n;
  };
  Visitor school = signed_in("school");
  Visitor lead = signed_in("lead");
  // The school first: every entry made, the proposal's without its note.
  const auto school_first = school.get(path);
  ASSERT_EQ(school_first.status, 200) << school_first.body;
  EXPECT_FALSE(contains(school_first.body, "Avoid Fridays")) << school_first.body;
  EXPECT_TRUE(contains(school_first.body, "Propose provider"));
  EXPECT_EQ(entries(timeline(school_first.body)), 3u);
  const auto lead_first = lead.get(path);
  EXPECT_TRUE(contains(timeline(lead_first.body), note)) << lead_first.body;
  const auto current = app_.engine->get(c.id);
  const auto kept = app_.engine->kept_history().shown(current);
  ASSERT_NE(kept, nullptr) << "the timeline is kept with the history";
  ASSERT_NE(kept->text(3, 0), nullptr);
  ASSERT_NE(kept->text(3, 1), nullptr);
  EXPECT_TRUE(contains(*kept->text(3, 0), note));
  EXPECT_FALSE(contains(*kept->text(3, 1), "Avoid Fridays"));
  EXPECT_EQ(kept->text(1, 1), nullptr) << "an entry nobody redacts has one variant";
  // Again, each from what is kept: the same as before, each their own.
  const auto school_again = school.get(path);
  EXPECT_EQ(timeline(school_again.body), timeline(school_first.body));
  const auto lead_again = lead.get(path);
  EXPECT_EQ(timeline(lead_again.body), timeline(lead_first.body));
  // Made afresh, with nothing kept: the same.
  app_.engine->kept_history().forget(c.id);
  EXPECT_EQ(timeline(lead.get(path).body), timeline(lead_first.body));
  app_.engine->kept_history().forget(c.id);
  EXPECT_EQ(timeline(school.get(path).body), timeline(school_first.body));
  // An entry written since comes first, above those kept.
  (void)app_.engine->apply(c.id, "provider_accepts", {}, "test", today);
  const auto moved = timeline(school.get(path).body);
  EXPECT_EQ(entries(moved), 4u);
  EXPECT_LT(moved.find("Provider accepts"), moved.find("Propose provider")) << moved;
  EXPECT_FALSE(contains(moved, "Avoid Fridays"));
  EXPECT_TRUE(contains(timeline(lead.get(path).body), note));
}

TEST_F(WebTest, WrongAnswersAreNamedInTheErrorSummaryAndNothingIsApplied) {
  const auto c = referral();
  Visitor lead = signed_in("lead");
  const std::string action = "/cases/" + c.reference + "/events/accept_referral";
  (void)lead.get(action);
  const auto wrong = lead.post(action, {{"version", std::to_string(c.version)},
                                        {"focus_areas", "maths"},
                                        {"requested_days", "four"},
                                        {"funding_source", "SSIF"}});
  EXPECT_EQ(wrong.status, 400);
  EXPECT_TRUE(contains(wrong.body, "There is a problem"));
  EXPECT_TRUE(contains(wrong.body, "<a href=\"#f-priority\">Select the priority</a>")) << wrong.body;
  EXPECT_TRUE(contains(wrong.body, "<a href=\"#f-requested_days\">The requested days must be a number, like 1 or 0.5</a>"))
      << wrong.body;
  EXPECT_TRUE(contains(wrong.body, "<title>Error: "));
  // What was typed is kept.
  EXPECT_TRUE(contains(wrong.body, "value=\"four\""));
  EXPECT_EQ(app_.engine->get(c.id).version, c.version);
}

TEST_F(WebTest, ASystemLeadersHomeShowsTheirDaysThisYear) {
  Visitor leader = signed_in("system_leader");
  const auto home = leader.get("/");
  ASSERT_EQ(home.status, 200);
  const std::string year = cases::academic_year_of(app_.engine->today());
  const auto days = cases::capacity(*app_.db, leader_in_, year);
  EXPECT_GT(days.offered, 0);
  EXPECT_TRUE(contains(home.body, "Your days in " + year)) << home.body;
  EXPECT_TRUE(contains(home.body, workflow::number_text(days.offered) + " days")) << home.body;
  EXPECT_TRUE(contains(home.body, workflow::number_text(days.unreserved()) + " days")) << home.body;
  // The case it is deployed on waits for its days.
  EXPECT_TRUE(contains(home.body, "/cases/" + reference_ + "/events/log_days")) << home.body;
  Visitor school = signed_in("school");
  EXPECT_FALSE(contains(school.get("/").body, "Your days in"));
}

TEST_F(WebTest, TheKpiPageShowsTheReportOfThePersonsScopeAndNoOneElses) {
  Visitor lead = signed_in("lead");
  const auto page = lead.get("/kpis");
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_TRUE(contains(page.body, "the schools of " + cases::find_alliance(*app_.db, demo_.alliance_id)->name));
  cases::KpiScope scope;
  scope.academic_year = cases::academic_year_of(app_.engine->today());
  scope.alliance = demo_.alliance_id;
  const auto report = cases::kpi_report(*app_.db, app_.engine->calendar(), scope, app_.engine->today());
  for (const auto& k : report.kpis) {
    EXPECT_TRUE(contains(page.body, "id=\"kpi-" + k.id + "\"")) << k.id;
    if (k.unit == "percent" && k.actual) {
      EXPECT_TRUE(contains(page.body, cases::figure_text(k.numerator) + " of " + cases::figure_text(k.denominator)))
          << k.id;
    }
  }
  EXPECT_TRUE(contains(lead.get("/kpis?academic_year=nonsense").body, "KPIs for " + scope.academic_year));
  // The CSV is the report's own, for the same scope.
  const auto csv = lead.get("/kpis.csv");
  ASSERT_EQ(csv.status, 200);
  scope.with_overdue_items = false;
  const auto with_refs = cases::kpi_report(*app_.db, app_.engine->calendar(), scope, app_.engine->today());
  EXPECT_EQ(csv.body, cases::kpi_csv(with_refs));
  EXPECT_EQ(csv.header("content-disposition"), "attachment; filename=\"" + cases::kpi_csv_filename(with_refs) + "\"");
  Visitor la = signed_in("la_officer");
  EXPECT_TRUE(contains(la.get("/kpis").body, "the schools of local authority "));
  Visitor school = signed_in("school");
  const auto refused = school.get("/kpis");
  EXPECT_EQ(refused.status, 403);
  EXPECT_TRUE(contains(refused.body, "You cannot see the KPIs"));
  EXPECT_EQ(school.get("/kpis/open_cases").status, 403);
  // The cases behind a KPI: each of them listed and linked, the scope kept.
  scope.with_references = true;
  const auto explained = cases::kpi_report(*app_.db, app_.engine->calendar(), scope, app_.engine->today());
  for (const auto& k : explained.kpis) {
    if (k.id != "open_cases") continue;
    ASSERT_FALSE(k.references.empty());
    const auto behind = lead.get("/kpis/open_cases");
    ASSERT_EQ(behind.status, 200);
    EXPECT_TRUE(contains(behind.body, "The cases behind it (" + std::to_string(k.references.size()) + ")"));
    for (const auto& r : k.references) EXPECT_TRUE(contains(behind.body, "href=\"/cases/" + r + "\"")) << r;
  }
  EXPECT_EQ(lead.get("/kpis/no_such_kpi").status, 404);
  // A lead cannot widen the scope by the address.
  EXPECT_EQ(lead.get("/kpis?mini_region=Lincolnshire").status, 403);
}

// The need register: the demo's schools in need within the lead's scope,
// those nobody has reached first, each with why, its last inspection, its
// support and a way to refer it; the CSV the same; no page for a school.
TEST_F(WebTest, TheNeedRegisterListsTheSchoolsInNeedNobodyHasReachedFirst) {
  Visitor lead = signed_in("lead");
  const auto page = lead.get("/need");
  ASSERT_EQ(page.status, 200) << page.body;
  const auto reg = cases::need_register(
      *app_.db, cases::actor_of(*cases::authenticate(*app_.db, tokens_.at("lead"))), app_.engine->today());
  ASSERT_FALSE(reg.rows.empty());
  // Saltfleet Marsh is in need by its report card alone, and unreached.
  EXPECT_EQ(reg.rows.front().urn, 120588);
  EXPECT_EQ(reg.rows.front().support, cases::Support::none);
  EXPECT_EQ(reg.rows.front().because, "urgent improvement in an area of its latest report card");
  std::size_t at = 0;
  for (const auto& row : reg.rows) {
    const auto found = page.body.find("data-urn=\"" + std::to_string(row.urn) + "\"", at);
    ASSERT_NE(found, std::string::npos) << row.urn << " missing or out of order";
    at = found;
  }
  EXPECT_TRUE(contains(page.body, "href=\"/refer?kind=support_request&amp;urn=120588\"")) << page.body;
  EXPECT_TRUE(contains(page.body, "urgent improvement in an area of its latest report card"));
  EXPECT_TRUE(contains(page.body, "id=\"need-reach\""));
  const auto csv = lead.get("/need.csv");
  ASSERT_EQ(csv.status, 200);
  EXPECT_EQ(csv.body, cases::need_register_csv(reg));
  EXPECT_NE(csv.header("content-disposition").find("schools-in-need-"), std::string::npos);
  // The school's page shows its report card.
  EXPECT_TRUE(contains(lead.get("/schools/120588").body, "Achievement: urgent improvement"));
  // The cold spots of the lead's scope, each LA with its figures.
  const auto cold = lead.get("/need/cold-spots");
  ASSERT_EQ(cold.status, 200) << cold.body;
  const auto spots = cases::cold_spots(
      *app_.db, cases::actor_of(*cases::authenticate(*app_.db, tokens_.at("lead"))), app_.engine->today());
  ASSERT_FALSE(spots.las.empty());
  for (const auto& a : spots.las) EXPECT_TRUE(contains(cold.body, workflow::html_escape(a.name))) << a.name;
  EXPECT_TRUE(contains(cold.body, "fewer than 10 free days for each school in need"));
  // The map: each of the lead's LAs a square of its band, its neighbours pale.
  ASSERT_TRUE(contains(cold.body, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"s2s-map\"")) << cold.body;
  int drawn = 0, out = 0;
  for (const auto& t : spots.tiles) {
    if (t.area < 0) {
      ++out;
      EXPECT_TRUE(contains(cold.body, fmt::format("data-la=\"{}\" data-band=\"out\"", t.la_code))) << t.name;
      continue;
    }
    ++drawn;
    const auto& a = spots.las[static_cast<std::size_t>(t.area)];
    const std::string band = a.in_need == 0                          ? "none"
                             : a.cold                                ? "cold"
                             : a.free_days_per_school < 2 * spots.days_per_school ? "tight"
                                                                     : "enough";
    EXPECT_TRUE(contains(cold.body, fmt::format("data-la=\"{}\" data-band=\"{}\"", t.la_code, band))) << t.name;
    EXPECT_TRUE(contains(cold.body, fmt::format("id=\"la-{}\"", t.la_code))) << t.name;
  }
  EXPECT_EQ(drawn + static_cast<int>(spots.off_map.size()), static_cast<int>(spots.las.size()));
  EXPECT_GT(out, 0) << "a lead's own LAs are drawn with their neighbours";
  Visitor school = signed_in("school");
  EXPECT_EQ(school.get("/need").status, 403);
  EXPECT_EQ(school.get("/need.csv").status, 403);
  EXPECT_EQ(school.get("/need/cold-spots").status, 403);
}

// The criteria of need are data an admin changes in the browser: a rule
// added at a place in the order makes a school in need, with its words; a
// rule that cannot be read is refused naming the field, and nothing changes;
// a rule removed; each change in the audit trail; nobody else may.
TEST_F(WebTest, AnAdminChangesTheCriteriaOfNeedAndTheSchoolsInNeedFollow) {
  Visitor admin = signed_in("admin");
  ASSERT_EQ(admin.get("/admin/need").status, 200);
  const auto before = cases::need_rules(*app_.db).size();
  // Charnwood Edge (Good, 2022) gets a report card needing attention in inclusion.
  (void)cases::import_ofsted(*app_.db,
                             "URN,Inspection start date,Safeguarding standards,Inclusion\n"
                             "137220,12/01/2026,Met,Needs attention\n",
                             "2026-12-01T10:00:00.000000Z");
  EXPECT_FALSE(cases::need_of(*app_.db, 137220).has_value());
  // Refused, each naming its field; nothing added.
  auto refused = admin.post("/admin/need", {{"basis", "report_card"}, {"card_from", "4"}, {"card_to", "5"},
                                            {"area", "inclusion"}, {"because", ""}, {"position", "1"}});
  EXPECT_EQ(refused.status, 422);
  EXPECT_TRUE(contains(refused.body, "href=\"#f-because\"")) << refused.body;
  refused = admin.post("/admin/need", {{"basis", "report_card"}, {"card_from", "5"}, {"card_to", "4"},
                                       {"because", "x"}, {"position", "1"}});
  EXPECT_EQ(refused.status, 422);
  EXPECT_TRUE(contains(refused.body, "The last grade must be from the first (5) to 5")) << refused.body;
  refused = admin.post("/admin/need", {{"basis", "graded"}, {"graded_from", "3"}, {"graded_to", "3"},
                                       {"because", "x"}, {"position", "99"}});
  EXPECT_EQ(refused.status, 422);
  EXPECT_TRUE(contains(refused.body, "href=\"#f-position\""));
  refused = admin.post("/admin/need", {{"because", "x"}});
  EXPECT_EQ(refused.status, 422);
  EXPECT_TRUE(contains(refused.body, "href=\"#f-basis\""));
  EXPECT_EQ(cases::need_rules(*app_.db).size(), before);
  // Added second in the order.
  const auto added = admin.post("/admin/need", {{"basis", "report_card"}, {"card_from", "4"}, {"card_to", "5"},
                                                {"area", "inclusion"}, {"because", "needs attention in inclusion"},
                                                {"position", "2"}});
  EXPECT_EQ(added.status, 303) << added.body;
  const auto rules = cases::need_rules(*app_.db);
  ASSERT_EQ(rules.size(), before + 1);
  EXPECT_EQ(rules[1].because, "needs attention in inclusion");
  EXPECT_EQ(rules[1].area, "inclusion");
  for (std::size_t i = 0; i < rules.size(); ++i) EXPECT_EQ(rules[i].position, static_cast<int>(i + 1));
  EXPECT_EQ(cases::need_of(*app_.db, 137220), "needs attention in inclusion");
  EXPECT_TRUE(contains(admin.get("/schools/137220").body, "needs attention in inclusion"));
  // Removed.
  const auto removed = admin.post("/admin/need/" + std::to_string(rules[1].id) + "/remove", {});
  EXPECT_EQ(removed.status, 303);
  EXPECT_FALSE(cases::need_of(*app_.db, 137220).has_value());
  EXPECT_EQ(admin.post("/admin/need/999999/remove", {}).status, 404);
  EXPECT_EQ(testing::count_rows(*app_.db, "SELECT count(*) FROM audit_log WHERE action IN ('need.rule_add',"
                                          " 'need.rule_remove')"),
            2);
  Visitor lead = signed_in("lead");
  EXPECT_EQ(lead.get("/admin/need").status, 403);
  EXPECT_EQ(lead.post("/admin/need", {{"basis", "register"}, {"flag", "category_5_6"}, {"because", "x"}}).status, 403);
}

// Will we make it? The lead reads each teaching school's forecast on the KPI
// page and the quarterly report, and one not on course on the dashboard.
TEST_F(WebTest, TheForecastIsOnTheKpiPageTheQuarterlyReportAndTheDashboard) {
  Visitor lead = signed_in("lead");
  cases::KpiScope scope;
  scope.academic_year = cases::academic_year_of(app_.engine->today());
  scope.alliance = demo_.alliance_id;
  scope.with_ahead = true;
  const auto report = cases::kpi_report(*app_.db, app_.engine->calendar(), scope, app_.engine->today());
  const auto f = cases::forecast(app_.engine->calendar(), report, app_.engine->today());
  ASSERT_FALSE(f.teaching_schools.empty());
  const auto kpis = lead.get("/kpis");
  ASSERT_EQ(kpis.status, 200);
  EXPECT_TRUE(contains(kpis.body, "Will we make it by 31 August?"));
  EXPECT_TRUE(contains(kpis.body, std::to_string(f.working_days_left) + " working days are left"));
  for (const auto& t : f.teaching_schools) EXPECT_TRUE(contains(kpis.body, workflow::html_escape(t.reason))) << t.reason;
  EXPECT_TRUE(contains(kpis.body, workflow::html_escape(f.ratings.reason))) << f.ratings.reason;
  const auto quarterly = lead.get("/reports/quarterly");
  ASSERT_EQ(quarterly.status, 200);
  EXPECT_TRUE(contains(quarterly.body, "Will we make it by 31 August?")) << quarterly.body;
  const auto dashboard = lead.get("/dashboard");
  ASSERT_EQ(dashboard.status, 200);
  EXPECT_TRUE(contains(dashboard.body, "Teaching schools at risk of missing their 30 days"));
  bool any_behind = false;
  for (const auto& t : f.teaching_schools) {
    if (t.outlook == cases::Outlook::on_course) continue;
    any_behind = true;
    EXPECT_TRUE(contains(dashboard.body, workflow::html_escape(t.reason))) << t.reason;
  }
  if (!any_behind) {
    EXPECT_TRUE(contains(dashboard.body, "Every teaching school in your area is on course"));
  }
  // Last year's KPIs have no forecast.
  EXPECT_FALSE(contains(lead.get("/kpis?academic_year=" + report_year_before(scope.academic_year)).body,
                        "Will we make it"));
}

// England has hundreds of teaching schools: the KPI page lists those
// furthest below their own target, charts how many gave how many days, and
// leaves every one's figure to the CSV.
TEST_F(WebTest, AKpiPageOverManyTeachingSchoolsListsThoseFurthestBelowTarget) {
  for (int i = 1; i <= 30; ++i) {
    (void)cases::create_alliance(*app_.db, fmt::format("Fold Test Alliance {:02}", i), demo_.deployed_school_urn);
  }
  const auto teaching_schools = cases::alliance_names(*app_.db).size();
  ASSERT_GT(teaching_schools, 25U);
  Visitor strategic = signed_in("strategic");
  const auto page = strategic.get("/kpis");
  ASSERT_EQ(page.status, 200) << page.body;
  const auto rows_of = [&](const std::string& name) {
    const std::string cell = "<td class=\"govuk-table__cell govuk-body-s\">" + name;
    std::size_t n = 0;
    for (auto at = page.body.find(cell); at != std::string::npos; at = page.body.find(cell, at + 1)) ++n;
    return n;
  };
  // The new alliances have given no days: the 25 listed are theirs, and no
  // KPI without a target per teaching school lists any.
  EXPECT_EQ(rows_of("Fold Test Alliance"), 25U) << page.body;
  EXPECT_TRUE(contains(page.body, fmt::format("of {} teaching schools are on track for their own target; the 25 "
                                              "furthest below it are listed",
                                              teaching_schools)))
      << page.body;
  EXPECT_TRUE(contains(page.body, fmt::format("{} teaching schools: each one", teaching_schools))) << page.body;
  EXPECT_TRUE(contains(page.body, "Teaching schools by days given to schools in need"));
  EXPECT_TRUE(contains(page.body, "30 or more"));
  // The CSV has every one of them.
  const auto csv = strategic.get("/kpis.csv");
  ASSERT_EQ(csv.status, 200);
  for (int i = 1; i <= 30; ++i) {
    EXPECT_TRUE(contains(csv.body, fmt::format("Fold Test Alliance {:02}", i))) << i;
  }
}

TEST_F(WebTest, TheDashboardCountsWorkingDaysWaitingAndFindsQuietDeploymentsAndDaysLeft) {
  const auto c = referral();  // opened today by the test clock
  // Three weeks on (a Monday-to-Friday count on the calendar), nothing has been done.
  const auto opened_on = app_.engine->today();
  clock_.set(clock_.now() + std::chrono::days(21));
  const auto today = app_.engine->today();
  const int waited = app_.engine->calendar().working_days_between(opened_on, today);
  Visitor lead = signed_in("lead");
  const auto page = lead.get("/dashboard");
  ASSERT_EQ(page.status, 200) << page.body;
  const auto row_of = [&](const std::string& reference) {
    const auto at = page.body.find(">" + reference + "<");
    return at == std::string::npos ? std::string() : page.body.substr(at, page.body.find("</tr>", at) - at);
  };
  EXPECT_TRUE(contains(row_of(c.reference), std::to_string(waited) + " working days since " + web::long_date(opened_on)))
      << row_of(c.reference);
  // The deployed case: no day logged for three weeks and more is quiet only after a month.
  const auto quiet = cases::quiet_deployments(*app_.db, cases::actor_of(*cases::authenticate(*app_.db, tokens_.at("lead"))),
                                              std::chrono::year_month_day(std::chrono::sys_days(today) - std::chrono::days(30)), 50);
  for (const auto& q : quiet) EXPECT_TRUE(contains(page.body, q.reference)) << q.reference;
  // The days of each system leader who serves the alliance, as the providers hold them.
  const auto lead_actor = cases::actor_of(*cases::authenticate(*app_.db, tokens_.at("lead")));
  const auto serving = cases::days_by_leader_in_scope(*app_.db, lead_actor, cases::academic_year_of(today), 50);
  ASSERT_EQ(serving.items.size(), demo_.system_leaders.size());
  for (const auto& l : serving.items) EXPECT_TRUE(contains(page.body, l.name)) << l.name;
  // Forty days on, the deployed case has logged nothing for a month.
  clock_.set(clock_.now() + std::chrono::days(40));
  Visitor again = signed_in("lead");  // the earlier session ended long ago
  const auto later = again.get("/dashboard");
  ASSERT_EQ(later.status, 200);
  const auto quiet_section = later.body.substr(later.body.find("id=\"quiet\""));
  EXPECT_TRUE(contains(quiet_section.substr(0, quiet_section.find("id=\"capacity\"")), reference_)) << quiet_section;
  Visitor school = signed_in("school");
  EXPECT_EQ(school.get("/dashboard").status, 403);
}

TEST_F(WebTest, TheDashboardShowsTheDaysOfTheSystemLeadersWhoServeTheLeadsScopeOnly) {
  // A system leader at home in Northamptonshire, outside the alliance, with no deployment in it.
  const auto olga =
      cases::create_system_leader(*app_.db, "Olga Elsewhere", "olga.elsewhere@example.org", kOutsideUrn, std::nullopt);
  cases::set_capacity(*app_.db, olga, cases::academic_year_of(app_.engine->today()), 12);
  const auto section = [](const ClientResponse& page) {
    const auto at = page.body.find("id=\"capacity\"");
    return at == std::string::npos ? std::string() : page.body.substr(at);
  };
  Visitor lead = signed_in("lead");
  const auto alliance = section(lead.get("/dashboard"));
  EXPECT_FALSE(contains(alliance, "Olga Elsewhere")) << alliance;
  for (const auto& [name, id] : demo_.system_leaders) EXPECT_TRUE(contains(alliance, name)) << name;
  // The Northamptonshire lead sees her, linked to her page, with her 12 days free; not the alliance's leaders.
  Visitor out = signed_in("lead-out");
  const auto northamptonshire = section(out.get("/dashboard"));
  EXPECT_TRUE(contains(northamptonshire, "href=\"/system-leaders/" + std::to_string(olga) + "\">Olga Elsewhere</a>"))
      << northamptonshire;
  EXPECT_FALSE(contains(northamptonshire, "Helen Barker")) << northamptonshire;
  // Deployed this year on a school of Northamptonshire, Helen serves it too.
  const auto outside = app_.engine->find(outside_case_);
  ASSERT_TRUE(outside.has_value());
  const auto helen = demo_.system_leaders.front().second;
  const auto actor = cases::actor_of(*cases::authenticate(*app_.db, tokens_.at("lead-out")));
  const auto today = app_.engine->today();
  (void)app_.engine->apply(outside_case_, "accept_referral",
                           {{"priority", "high"}, {"focus_areas", boost::json::array{"leadership"}},
                            {"requested_days", 1}, {"funding_source", "SSIF"}},
                           "test", today);
  (void)app_.engine->apply(outside_case_, "propose_provider", {{"provider_id", helen}}, "test",
                           today);
  (void)app_.engine->apply(outside_case_, "provider_accepts", {}, "test", today);
  const auto serving = cases::days_by_leader_in_scope(*app_.db, actor, cases::academic_year_of(app_.engine->today()), 1);
  ASSERT_EQ(serving.items.size(), 1U);  // the most free first, and more beyond the limit
  EXPECT_TRUE(serving.more);
  EXPECT_TRUE(contains(section(out.get("/dashboard")), "Helen Barker"));
  // The strategic group sees every system leader.
  Visitor strategic = signed_in("strategic");
  const auto england = section(strategic.get("/dashboard"));
  EXPECT_TRUE(contains(england, "Olga Elsewhere"));
  EXPECT_TRUE(contains(england, "Helen Barker"));
}

TEST_F(WebTest, TheDashboardIsMadeOncePerStateOfTheDataAndAfreshOnceAnythingHappens) {
  // A lead's dashboard is made with the lead's KPI report, which its forecast
  // reads: two made for each fresh view.
  Visitor lead = signed_in("lead");
  const auto before = app_.reports.made();
  ASSERT_EQ(lead.get("/dashboard").status, 200);
  EXPECT_EQ(app_.reports.made(), before + 2);
  const auto reloaded = lead.get("/dashboard");
  ASSERT_EQ(reloaded.status, 200);
  EXPECT_EQ(app_.reports.made(), before + 2);  // kept
  // Another person with the same scope is shown the same; one with another scope is not.
  Visitor other = signed_in("lead-out");
  ASSERT_EQ(other.get("/dashboard").status, 200);
  EXPECT_EQ(app_.reports.made(), before + 4);
  // A referral arrives: the next view is made afresh and lists it for triage.
  const auto c = referral();
  const auto fresh = lead.get("/dashboard");
  EXPECT_EQ(app_.reports.made(), before + 6);
  EXPECT_TRUE(contains(fresh.body, ">" + c.reference + "<")) << fresh.body;
  EXPECT_FALSE(contains(reloaded.body, ">" + c.reference + "<"));
}

// The KPI page is kept as its report is: a second view makes nothing, a
// change to the data makes it afresh with the change in it.
TEST_F(WebTest, TheKpiPageIsMadeOncePerStateOfTheData) {
  Visitor strategic = signed_in("strategic");
  const auto first = strategic.get("/kpis");
  ASSERT_EQ(first.status, 200) << first.body;
  const auto before = app_.reports.made();
  const auto again = strategic.get("/kpis");
  EXPECT_EQ(app_.reports.made(), before);  // kept
  EXPECT_EQ(again.body.substr(again.body.find("<main")), first.body.substr(first.body.find("<main")));
  // The lists to choose another scope from are the strategic group's only.
  EXPECT_TRUE(contains(first.body, cases::find_alliance(*app_.db, demo_.alliance_id)->name));
  Visitor lead = signed_in("lead");
  const auto lead_page = lead.get("/kpis");
  EXPECT_FALSE(contains(lead_page.body, "name=\"mini_region\"")) << "a lead is not offered other scopes";
  // A referral opens a case: the open cases count one more.
  cases::KpiScope england;
  england.academic_year = cases::academic_year_of(app_.engine->today());
  const auto open_cases = [&] {
    return cases::find_kpi(cases::kpi_report(*app_.db, app_.engine->calendar(), england, app_.engine->today()),
                           "open_cases")
        ->actual;
  };
  const auto open_before = open_cases();
  (void)referral();
  const auto fresh = strategic.get("/kpis");
  EXPECT_GT(app_.reports.made(), before);
  EXPECT_NE(open_before, open_cases());
  EXPECT_NE(fresh.body.substr(fresh.body.find("<main")), first.body.substr(first.body.find("<main")));
}

TEST_F(WebTest, TheCaseListFiltersAndDownloadsAsCsvThatNoSpreadsheetRunsAsAFormula) {
  // A school whose register name a spreadsheet would take for a formula.
  (void)cases::import_gias(*app_.db,
                           "URN,EstablishmentName,LA (code),LA (name),PhaseOfEducation (name),EstablishmentStatus (name)\n"
                           "199001,\"=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\",891,Nottinghamshire,Primary,Open\n");
  const auto odd = app_.engine->open_case("support_request", 199001, {{"source", "lead"}, {"summary", "x"}}, "test");
  Visitor lead = signed_in("la_officer");  // the LA officer of LA 891, where the school is
  const auto page = lead.get("/cases?kind=support_request&la=891");
  ASSERT_EQ(page.status, 200);
  EXPECT_TRUE(contains(page.body, "href=\"/cases.csv?kind=support_request&"));
  const auto csv = lead.get("/cases.csv?kind=support_request&la=891");
  ASSERT_EQ(csv.status, 200);
  EXPECT_EQ(csv.header("content-type"), "text/csv; charset=utf-8");
  EXPECT_EQ(csv.header("content-disposition"), "attachment; filename=\"cases.csv\"");
  EXPECT_TRUE(csv.body.starts_with("\xEF\xBB\xBFreference,kind,school_urn,school,state,phase"));
  cases::CaseFilter filter;
  filter.kind = "support_request";
  filter.la = 891;
  filter.limit = 1000;
  const auto actor = cases::actor_of(*cases::authenticate(*app_.db, tokens_.at("la_officer")));
  const auto listed = cases::list_cases(*app_.db, actor, filter);
  EXPECT_EQ(std::count(csv.body.begin(), csv.body.end(), '\n'), static_cast<long>(listed.items.size()) + 1);
  for (const auto& c : listed.items) EXPECT_TRUE(contains(csv.body, c.reference + ",support_request,")) << c.reference;
  EXPECT_TRUE(contains(csv.body, odd.reference + ",support_request,199001,\"'=HYPERLINK(")) << csv.body;
  // Another scope's case is in neither.
  EXPECT_FALSE(contains(csv.body, app_.engine->get(outside_case_).reference));
}

TEST_F(WebTest, TheDirectoryFindsSystemLeadersByWhatTheyHoldAndWhereAndShowsDeploymentsToLeads) {
  Visitor school = signed_in("school");
  const auto all = school.get("/system-leaders");
  ASSERT_EQ(all.status, 200);
  const auto leaders = cases::system_leaders(*app_.db);
  EXPECT_TRUE(contains(all.body, std::to_string(leaders.size()) + " found")) << all.body;
  // Those holding an SLE designation for maths today, with at least one free day.
  const auto today = workflow::format_date(app_.engine->today());
  const auto year = cases::academic_year_of(app_.engine->today());
  std::set<std::string> expected;
  for (const auto& l : leaders) {
    const bool holds = std::any_of(l.designations.begin(), l.designations.end(), [&](const auto& d) {
      return d.code == "SLE" && d.specialisms.find("maths") != std::string::npos && d.active_from <= today &&
             (d.active_to.empty() || today <= d.active_to);
    });
    if (holds && cases::capacity(*app_.db, l.id, year).unreserved() >= 1) expected.insert(l.name);
  }
  ASSERT_FALSE(expected.empty());
  ASSERT_LT(expected.size(), leaders.size());
  const auto found = school.get("/system-leaders?designation=SLE&specialism=Maths&free=1");
  EXPECT_TRUE(contains(found.body, std::to_string(expected.size()) + " found")) << found.body;
  for (const auto& name : expected) EXPECT_TRUE(contains(found.body, ">" + name + "<")) << name;
  // The deployed leader's page: a school sees designations and days, not deployments.
  const auto own = school.get("/system-leaders/" + std::to_string(leader_in_));
  ASSERT_EQ(own.status, 200);
  EXPECT_TRUE(contains(own.body, "Designations"));
  EXPECT_FALSE(contains(own.body, reference_));
  Visitor lead = signed_in("lead");
  const auto seen = lead.get("/system-leaders/" + std::to_string(leader_in_));
  EXPECT_TRUE(contains(seen.body, ">" + reference_ + "<")) << seen.body;
  EXPECT_TRUE(contains(seen.body, "Days logged in " + year));
  EXPECT_EQ(lead.get("/system-leaders/999999").status, 404);
  EXPECT_EQ(lead.get("/system-leaders/x1").status, 404);
}

TEST_F(WebTest, ASchoolsPageShowsItsRegisterItsNeedAndTheCasesThePersonMaySee) {
  const auto school = cases::find_school(*app_.db, demo_.deployed_school_urn);
  ASSERT_TRUE(school.has_value());
  Visitor lead = signed_in("lead");
  const auto page = lead.get("/schools/" + std::to_string(school->urn));
  ASSERT_EQ(page.status, 200);
  EXPECT_TRUE(contains(page.body, "<h1 class=\"govuk-heading-l\">" + workflow::html_escape(school->name) + "</h1>"));
  EXPECT_TRUE(contains(page.body, cases::in_need_because(*school) ? "In need" : "Not in need"));
  EXPECT_TRUE(contains(page.body, ">" + reference_ + "<"));
  const auto view = cases::find_visible_case_view(*app_.engine, workflow::Actor("test", "admin", ""), reference_);
  ASSERT_TRUE(view.has_value() && view->supporter.has_value());
  EXPECT_TRUE(contains(page.body, view->supporter->name));
  // The case page links to it.
  EXPECT_TRUE(contains(lead.get("/cases/" + reference_).body, "href=\"/schools/" + std::to_string(school->urn) + "\""));
  // Another area's school user reads the register, but none of the school's cases.
  Visitor other = signed_in("school-out");
  const auto outside = other.get("/schools/" + std::to_string(school->urn));
  ASSERT_EQ(outside.status, 200);
  EXPECT_FALSE(contains(outside.body, reference_));
  EXPECT_TRUE(contains(outside.body, "No cases you can see"));
  EXPECT_EQ(lead.get("/schools/99999999").status, 404);
  EXPECT_EQ(lead.get("/schools/abc").status, 404);
}

TEST_F(WebTest, AnAdministratorInvitesRevokesAndSetsHowAUserHearsAndNobodyElseMay) {
  Visitor admin = signed_in("admin");
  ASSERT_EQ(admin.get("/admin/users").status, 200);
  (void)admin.get("/admin/users/invite");
  const long long before = count("SELECT count(*) FROM users");
  const auto missing = admin.post("/admin/users/invite", {{"name", ""}, {"email", ""}});
  EXPECT_EQ(missing.status, 400);
  EXPECT_TRUE(contains(missing.body, "<a href=\"#f-name\">Enter the person&#39;s name</a>")) << missing.body;
  EXPECT_TRUE(contains(missing.body, "<a href=\"#f-role\">Select their role</a>")) << missing.body;
  const auto misfit =
      admin.post("/admin/users/invite",
                 {{"name", "Pat"}, {"email", "pat@test.example.org"}, {"role", "school"}, {"scope", "la:891"}});
  EXPECT_EQ(misfit.status, 422);
  EXPECT_TRUE(contains(misfit.body, "a school needs")) << misfit.body;
  const auto taken =
      admin.post("/admin/users/invite",
                 {{"name", "Again"}, {"email", "lead@test.example.org"}, {"role", "admin"}, {"scope", ""}});
  EXPECT_EQ(taken.status, 409);
  EXPECT_EQ(count("SELECT count(*) FROM users"), before);
  const auto invited = admin.post(
      "/admin/users/invite",
      {{"name", "Pat"}, {"email", "pat@test.example.org"}, {"role", "school"}, {"scope", "school:146330"}});
  ASSERT_EQ(invited.status, 303) << invited.body;
  EXPECT_EQ(count("SELECT count(*) FROM users"), before + 1);

  // Revoking ends the person's session at once.
  Visitor school = signed_in("school");
  ASSERT_EQ(school.get("/").status, 200);
  const auto id = cases::authenticate(*app_.db, tokens_.at("school"))->id;
  (void)admin.get("/admin/users");
  EXPECT_EQ(admin.post("/admin/users/" + std::to_string(id) + "/notify", {{"notify", "digest"}}).status, 303);
  EXPECT_EQ(count("SELECT count(*) FROM users WHERE id = " + std::to_string(id) + " AND notify = 'digest'"), 1);
  // A calendar feed for them, its address shown once; an earlier one stops working.
  const auto first = admin.post("/admin/users/" + std::to_string(id) + "/feed", {});
  ASSERT_EQ(first.status, 200);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(first.body, m, std::regex("/api/v1/deadlines\\.ics\\?token=(s2sfeed_[0-9a-f]{64})")));
  const std::string old_token = m[1];
  EXPECT_TRUE(cases::authenticate_feed(*app_.db, old_token).has_value());
  (void)admin.get("/admin/users");
  ASSERT_EQ(admin.post("/admin/users/" + std::to_string(id) + "/feed", {}).status, 200);
  EXPECT_FALSE(cases::authenticate_feed(*app_.db, old_token).has_value());
  (void)admin.get("/admin/users");
  EXPECT_EQ(admin.post("/admin/users/" + std::to_string(id) + "/revoke", {}).status, 303);
  EXPECT_EQ(school.get("/").status, 303);
  EXPECT_TRUE(contains(admin.get("/admin/users").body, "Revoked"));

  // Nobody but an administrator.
  Visitor lead = signed_in("lead");
  EXPECT_EQ(lead.get("/admin/users").status, 403);
  (void)lead.get("/");
  EXPECT_EQ(lead.post("/admin/users/invite", {{"name", "X"}, {"email", "x@test.example.org"}, {"role", "admin"}}).status,
            403);
  EXPECT_EQ(count("SELECT count(*) FROM users"), before + 1);
}

TEST_F(WebTest, AnAdministratorClosesADayAndSendsFailedNotificationsAgain) {
  Visitor admin = signed_in("admin");
  ASSERT_EQ(admin.get("/admin/closures").status, 200);
  // Close the next working day: every open deadline that counts it moves a day.
  const auto calendar = app_.engine->calendar();
  const auto today = app_.engine->today();
  const auto day = calendar.compute_deadline(today, 1).due;
  const auto before = cases::list_deadlines(*app_.db, app_.engine->kinds(), calendar,
                                            cases::actor_of(*cases::authenticate(*app_.db, tokens_.at("admin"))), today,
                                            cases::DeadlineFilter{std::nullopt, std::nullopt, std::nullopt, 500});
  const auto counting = std::count_if(before.items.begin(), before.items.end(), [&](const auto& d) {
    return std::chrono::sys_days(d.due_on) >= std::chrono::sys_days(day);
  });
  const std::string iso = workflow::format_date(day);
  const std::vector<std::pair<std::string, std::string>> fields{{"day-day", iso.substr(8, 2)},
                                                                {"day-month", iso.substr(5, 2)},
                                                                {"day-year", iso.substr(0, 4)},
                                                                {"reason", "Alliance INSET day"}};
  const auto closed = admin.post("/admin/closures", fields);
  ASSERT_EQ(closed.status, 303) << closed.body;
  EXPECT_EQ(closed.header("location"), "/admin/closures?moved=" + std::to_string(counting));
  EXPECT_FALSE(app_.engine->calendar().is_working_day(day));
  const auto listed = admin.get(closed.header("location"));
  EXPECT_TRUE(contains(listed.body, "Alliance INSET day"));
  EXPECT_TRUE(contains(listed.body, web::long_date(day)));
  // The same day again is named, and changes nothing.
  (void)admin.get("/admin/closures");
  const auto again = admin.post("/admin/closures", fields);
  EXPECT_EQ(again.status, 422);
  EXPECT_TRUE(contains(again.body, "already closed")) << again.body;
  const auto missing = admin.post("/admin/closures", {{"reason", "x"}});
  EXPECT_EQ(missing.status, 400);
  EXPECT_TRUE(contains(missing.body, "Enter the day"));

  // Messages to a mail server that is not there, tried once: dead letters.
  notifications::SmtpOptions smtp;
  smtp.url = "smtp://127.0.0.1:" + std::to_string(free_port());
  smtp.timeout = std::chrono::milliseconds(2000);
  notifications::DispatcherOptions options;
  options.max_attempts = 1;
  notifications::Dispatcher dispatcher(app_.db, cases::all_kinds(), cases::directory(), notifications::Mailer(smtp),
                                       options);
  const auto report = dispatcher.run_once();
  ASSERT_GT(report.dead, 0u);
  const auto dead = notifications::notifications(*app_.db, "dead", 500);
  ASSERT_FALSE(dead.empty());
  const auto page = admin.get("/admin/notifications");
  ASSERT_EQ(page.status, 200);
  EXPECT_TRUE(contains(page.body, "/admin/notifications/" + std::to_string(dead.front().outbox_id) + "/resend"));
  const auto queued = admin.post("/admin/notifications/" + std::to_string(dead.front().outbox_id) + "/resend", {});
  ASSERT_EQ(queued.status, 303) << queued.body;
  EXPECT_EQ(notifications::notifications(*app_.db, "dead", 500).size(), dead.size() - 1);
  // Not a dead letter (any more): named, nothing changes.
  (void)admin.get("/admin/notifications");
  EXPECT_EQ(admin.post("/admin/notifications/" + std::to_string(dead.front().outbox_id) + "/resend", {}).status, 422);
  Visitor lead = signed_in("lead");
  EXPECT_EQ(lead.get("/admin/closures").status, 403);
  EXPECT_EQ(lead.get("/admin/notifications").status, 403);
}

TEST_F(WebTest, TheQuarterlyReportPageHoldsTheReportOfThePersonsScope) {
  Visitor lead = signed_in("lead");
  const auto page = lead.get("/reports/quarterly");
  ASSERT_EQ(page.status, 200) << page.body;
  cases::KpiScope scope;
  scope.alliance = demo_.alliance_id;
  const auto today = app_.engine->today();
  const auto quarter = cases::quarter_of(today);
  const auto report = cases::progress_report(*app_.db, app_.engine->calendar(), scope, quarter, today);
  EXPECT_TRUE(contains(page.body, "Quarterly progress report " + quarter.name()));
  EXPECT_TRUE(contains(page.body, workflow::html_escape(report.scope_name)));
  for (const auto& k : report.current.kpis) EXPECT_TRUE(contains(page.body, workflow::html_escape(k.name))) << k.id;
  ASSERT_FALSE(report.current.overdue.empty());
  for (const auto& o : report.current.overdue) EXPECT_TRUE(contains(page.body, ">" + o.reference + "<")) << o.reference;
  // A quarter to come is not reported: the current one is shown.
  const auto next = cases::quarter_of(std::chrono::year_month_day(std::chrono::sys_days(quarter.last) + std::chrono::days(1)));
  EXPECT_TRUE(contains(lead.get("/reports/quarterly?quarter=" + next.id()).body,
                       "Quarterly progress report " + quarter.name()));
  const auto earlier = cases::previous_quarter(quarter);
  EXPECT_TRUE(contains(lead.get("/reports/quarterly?quarter=" + earlier.id()).body,
                       "Quarterly progress report " + earlier.name()));
  Visitor school = signed_in("school");
  EXPECT_EQ(school.get("/reports/quarterly").status, 403);
}

TEST_F(WebTest, AnAdministratorAddsRotatesAndRemovesWebhooksSeeingEachSecretOnce) {
  Visitor admin = signed_in("admin");
  ASSERT_EQ(admin.get("/admin/webhooks").status, 200);
  const auto bad = admin.post("/admin/webhooks", {{"scope", "school:1"}, {"url", "https://hooks.example.org/s2s"}});
  EXPECT_EQ(bad.status, 422);
  EXPECT_TRUE(contains(bad.body, "alliance:ID or mini_region:NAME")) << bad.body;
  EXPECT_EQ(count("SELECT count(*) FROM webhooks"), 0);
  const std::string scope = "alliance:" + std::to_string(demo_.alliance_id);
  const auto added = admin.post("/admin/webhooks", {{"scope", scope}, {"url", "https://hooks.example.org/s2s"}});
  ASSERT_EQ(added.status, 200) << added.body;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(added.body, m, std::regex("<code id=\"secret\">(whsec_[0-9a-f]{64})</code>")));
  const std::string first = m[1];
  const auto list = admin.get("/admin/webhooks");
  EXPECT_TRUE(contains(list.body, "https://hooks.example.org/s2s"));
  EXPECT_FALSE(contains(list.body, first));  // the secret is shown once
  const auto again = admin.post("/admin/webhooks", {{"scope", scope}, {"url", "https://hooks.example.org/s2s"}});
  EXPECT_EQ(again.status, 409);
  const auto hooks = notifications::list_webhooks(*app_.db);
  ASSERT_EQ(hooks.size(), 1u);
  const std::string id = std::to_string(hooks[0].id);
  (void)admin.get("/admin/webhooks");
  const auto rotated = admin.post("/admin/webhooks/" + id + "/rotate", {});
  ASSERT_EQ(rotated.status, 200);
  ASSERT_TRUE(std::regex_search(rotated.body, m, std::regex("<code id=\"secret\">(whsec_[0-9a-f]{64})</code>")));
  EXPECT_NE(m[1].str(), first);
  EXPECT_EQ(count("SELECT count(*) FROM webhooks WHERE secret = '" + m[1].str() + "'"), 1);
  (void)admin.get("/admin/webhooks");
  EXPECT_EQ(admin.post("/admin/webhooks/" + id + "/remove", {}).status, 303);
  EXPECT_EQ(count("SELECT count(*) FROM webhooks"), 0);
  (void)admin.get("/admin/webhooks");
  EXPECT_EQ(admin.post("/admin/webhooks/" + id + "/remove", {}).status, 404);
  Visitor lead = signed_in("lead");
  EXPECT_EQ(lead.get("/admin/webhooks").status, 403);
}

TEST_F(WebTest, ARefusalByTheEngineShowsInTheErrorSummaryAndNothingIsApplied) {
  Visitor leader = signed_in("system_leader");
  const std::string action = "/cases/" + reference_ + "/events/log_days";
  const auto form = leader.get(action);
  ASSERT_EQ(form.status, 200) << form.body;
  const auto before = app_.engine->get(case_);
  const auto today = workflow::format_date(app_.engine->today());
  const auto refused = leader.post(action, {{"version", std::to_string(before.version)},
                                            {"date-day", today.substr(8, 2)},
                                            {"date-month", today.substr(5, 2)},
                                            {"date-year", today.substr(0, 4)},
                                            {"days", "0.7"},
                                            {"activity", "Most of a day"}});
  EXPECT_EQ(refused.status, 422);
  EXPECT_TRUE(contains(refused.body, "There is a problem")) << refused.body;
  EXPECT_TRUE(contains(refused.body, "0.5 or 1")) << refused.body;
  EXPECT_EQ(app_.engine->get(case_).version, before.version);
}

TEST_F(WebTest, AStalePageShowsWhatChangedAndAsksAgainInsteadOfOverwriting) {
  const auto c = referral();
  Visitor lead = signed_in("lead");
  Visitor other = signed_in("lead-primary");
  const std::string action = "/cases/" + c.reference + "/events/accept_referral";
  (void)lead.get(action);
  // Meanwhile another lead accepts it first, with other terms.
  (void)other.get(action);
  ASSERT_EQ(other.post(action, {{"version", std::to_string(c.version)},
                                {"priority", "low"},
                                {"focus_areas", "SEND"},
                                {"requested_days", "2"},
                                {"funding_source", "TSF"}})
                .status,
            303);
  const auto stale = lead.post("/cases/" + c.reference + "/events/decline_referral",
                               {{"version", std::to_string(c.version)}, {"reason", "No capacity"}});
  EXPECT_EQ(stale.status, 409);
  EXPECT_TRUE(contains(stale.body, "This case has changed")) << stale.body;
  EXPECT_TRUE(contains(stale.body, "lead-primary: Accept referral")) << stale.body;
  const auto moved = app_.engine->get(c.id);
  EXPECT_EQ(moved.state, "matching");
  EXPECT_EQ(std::string(moved.data.at("funding_source").as_string()), "TSF");
}

TEST_F(WebTest, AnActionStillOpenOnAChangedCaseIsAskedAgainWithTheNewVersion) {
  const auto c = referral();
  Visitor lead = signed_in("lead");
  const std::string withdraw = "/cases/" + c.reference + "/events/withdraw";
  const auto old_version = std::to_string(c.version);
  (void)lead.get(withdraw);
  // Another lead accepts the referral meanwhile: withdrawing is still open.
  app_.engine->apply(c.id, "accept_referral",
                     {{"priority", "low"}, {"focus_areas", {"maths"}}, {"requested_days", 2}, {"funding_source", "TSF"}},
                     cases::actor_of(*cases::authenticate(*app_.db, tokens_.at("lead-primary"))), app_.engine->today());
  const auto asked = lead.post(withdraw, {{"version", old_version}, {"reason", "The school has found help"}});
  EXPECT_EQ(asked.status, 409);
  EXPECT_TRUE(contains(asked.body, "Someone changed this case while you had this page open")) << asked.body;
  EXPECT_TRUE(contains(asked.body, "name=\"version\" value=\"2\"")) << asked.body;
  EXPECT_TRUE(contains(asked.body, "The school has found help"));
  EXPECT_EQ(app_.engine->get(c.id).state, "matching");
  EXPECT_EQ(lead.post(withdraw, {{"version", "2"}, {"reason", "The school has found help"}}).status, 303);
  EXPECT_EQ(app_.engine->get(c.id).state, "withdrawn");
}

TEST_F(WebTest, ACaseOutsideTheScopeIsNotFoundAndItsActionsCannotBeSent) {
  Visitor school = signed_in("school-out");
  const auto page = school.get("/cases/" + reference_);
  EXPECT_EQ(page.status, 404);
  EXPECT_TRUE(contains(page.body, "Page not found"));
  EXPECT_FALSE(contains(page.body, reference_ + ":"));
  const auto post = school.post("/cases/" + reference_ + "/events/submit_rating", {{"version", "1"}, {"grade", "1"}});
  EXPECT_EQ(post.status, 404);
  // An action the role may not take is not offered nor taken.
  Visitor own = signed_in("school");
  (void)own.get("/cases/" + reference_);
  const auto refused = own.post("/cases/" + reference_ + "/events/log_days",
                                {{"version", std::to_string(app_.engine->get(case_).version)}, {"days", "1"}});
  EXPECT_EQ(refused.status, 404);
  EXPECT_TRUE(contains(refused.body, "You cannot do this now"));
}

TEST_F(WebTest, EveryPageCarriesTheSecurityHeaders) {
  Visitor lead = signed_in("lead");
  for (const std::string& target :
       std::vector<std::string>{"/", "/cases", "/cases/" + reference_, "/refer", "/sign-in", "/no-such-page"}) {
    const auto r = lead.get(target);
    EXPECT_TRUE(contains(r.header("content-security-policy"), "frame-ancestors 'none'")) << target;
    EXPECT_TRUE(contains(r.header("content-security-policy"), "script-src 'self'")) << target;
    EXPECT_FALSE(contains(r.header("content-security-policy"), "unsafe-inline")) << target;
    EXPECT_EQ(r.header("x-content-type-options"), "nosniff") << target;
    EXPECT_EQ(r.header("referrer-policy"), "no-referrer") << target;
    EXPECT_EQ(r.header("cache-control"), "no-store") << target;
    EXPECT_FALSE(contains(r.body, "<script>")) << target;
  }
}

TEST_F(WebTest, OverHttpsTheSessionCookieIsSecureAndHostPrefixed) {
  stop();
  web_options_.secure_cookies = true;
  start(unlimited());
  Visitor v = signed_in("lead");
  const std::string& cookie = v.set_cookies.back();
  EXPECT_TRUE(cookie.starts_with("__Host-s2s_session=")) << cookie;
  EXPECT_TRUE(contains(cookie, "; Secure")) << cookie;
  EXPECT_TRUE(contains(cookie, "Path=/")) << cookie;
  EXPECT_EQ(v.get("/").status, 200);
}

TEST_F(WebTest, SigningOutIdleTimeAndRevocationEndTheSession) {
  Visitor lead = signed_in("lead");
  EXPECT_EQ(lead.get("/").status, 200);
  const auto out = lead.post("/sign-out", {});
  EXPECT_EQ(out.status, 303);
  EXPECT_EQ(out.header("location"), "/sign-in?signed_out=1");
  EXPECT_FALSE(lead.cookies().contains("s2s_session"));
  EXPECT_TRUE(contains(lead.get("/sign-in?signed_out=1").body, "You have signed out"));

  // A case's page reads the session with the case: once the session has
  // ended, the case is not shown, and nobody learns whether it exists.
  const std::string case_page = "/cases/" + reference_;
  for (const std::string& target : {case_page, std::string("/cases/SR-1999-0001")}) {
    const auto ended = lead.get(target);
    EXPECT_EQ(ended.status, 303) << target;
    EXPECT_EQ(ended.header("location"), "/sign-in?next=" + target);
    EXPECT_FALSE(contains(ended.body, reference_)) << target;
  }

  Visitor idle = signed_in("lead");
  EXPECT_EQ(idle.get(case_page).status, 200);
  clock_.set(clock_.now() + web_options_.sessions.idle + 1min);
  EXPECT_EQ(idle.get(case_page).status, 303);
  EXPECT_EQ(idle.get("/").status, 303);

  // Reading case pages alone keeps a session alive, as any page does.
  Visitor reader = signed_in("lead");
  for (int i = 0; i < 3; ++i) {
    clock_.set(clock_.now() + web_options_.sessions.idle - 5min);
    EXPECT_EQ(reader.get(case_page).status, 200) << i;
  }

  Visitor school = signed_in("school");
  EXPECT_EQ(school.get("/").status, 200);
  EXPECT_EQ(school.get(case_page).status, 200);
  (void)cases::revoke_tokens(*app_.db, "school@test.example.org");
  const auto after = school.get("/");
  EXPECT_EQ(after.status, 303);
  EXPECT_EQ(after.header("location"), "/sign-in?next=/");
  const auto after_case = school.get(case_page);
  EXPECT_EQ(after_case.status, 303);
  EXPECT_FALSE(contains(after_case.body, reference_));
}

TEST_F(WebTest, AssetsAreServedForAYearAndUnknownPathsGetA404Page) {
  Visitor v(server_->port());
  const auto css = v.get("/assets/" + web::assets_version() + "/s2s.css");
  EXPECT_EQ(css.status, 200);
  EXPECT_EQ(css.header("content-type"), "text/css; charset=utf-8");
  EXPECT_EQ(css.header("cache-control"), "public, max-age=31536000, immutable");
  EXPECT_TRUE(contains(css.body, ".govuk-button"));
  EXPECT_FALSE(contains(css.body, "GDS Transport"));
  const auto js = v.get("/assets/" + web::assets_version() + "/govuk-frontend.min.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.header("content-type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(v.get("/assets/old/s2s.css").header("cache-control"), "no-cache");
  EXPECT_EQ(v.get("/assets/" + web::assets_version() + "/nothing.css").status, 404);
  const auto page = v.get("/no/such/page");
  EXPECT_EQ(page.status, 404);
  EXPECT_EQ(page.header("content-type"), "text/html; charset=utf-8");
  EXPECT_TRUE(contains(page.body, "Page not found"));
  const auto api = v.get("/api/v1/no-such-thing");
  EXPECT_EQ(api.status, 404);
  EXPECT_EQ(api.header("content-type"), "application/problem+json");
}

TEST_F(WebTest, ASchoolAsksForSupportThroughCheckAnswersAndGetsItsReference) {
  Visitor school = signed_in("school");
  const auto start_page = school.get("/refer");
  EXPECT_EQ(start_page.status, 200);
  EXPECT_FALSE(contains(start_page.body, "name=\"urn\" type=\"text\""));  // its own school, not asked
  const auto details = school.post("/refer", {{"kind", "support_request"}});
  EXPECT_EQ(details.status, 200);
  EXPECT_FALSE(contains(details.body, "name=\"source\""));  // a school's own request is a self-referral
  const auto missing = school.post("/refer/check", {{"kind", "support_request"}, {"summary", ""}});
  EXPECT_EQ(missing.status, 400);
  EXPECT_TRUE(contains(missing.body, "Enter the summary"));
  const auto check = school.post("/refer/check", {{"kind", "support_request"}, {"summary", "Help with <maths>"}});
  EXPECT_EQ(check.status, 200);
  EXPECT_TRUE(contains(check.body, "Check your answers before sending"));
  EXPECT_TRUE(contains(check.body, "Help with &lt;maths&gt;"));
  const long long before = count("SELECT count(*) FROM cases");
  const auto sent = school.post("/refer/confirm", {{"kind", "support_request"}, {"summary", "Help with <maths>"}});
  ASSERT_EQ(sent.status, 303) << sent.body;
  EXPECT_EQ(count("SELECT count(*) FROM cases"), before + 1);
  const auto done = school.get(sent.header("location"));
  EXPECT_TRUE(contains(done.body, "Request sent"));
  std::smatch m;
  ASSERT_TRUE(std::regex_search(done.body, m, std::regex("<strong>(SR-[0-9]{4}-[0-9]{4})</strong>")));
  const auto opened = app_.engine->lookup(m[1].str());
  ASSERT_TRUE(opened.has_value());
  EXPECT_EQ(opened->school_urn, demo_.deployed_school_urn);
  EXPECT_EQ(std::string(opened->data.at("source").as_string()), "self");
  EXPECT_EQ(std::string(opened->data.at("summary").as_string()), "Help with <maths>");
}

TEST_F(WebTest, AnLaOfficerCannotReferASchoolOutsideItsLa) {
  Visitor la = signed_in("la_officer");
  (void)la.get("/refer");
  const auto details = la.post("/refer", {{"kind", "support_request"}, {"urn", std::to_string(kOutsideUrn)}});
  const long long before = count("SELECT count(*) FROM cases");
  const auto refused = la.post("/refer/confirm", {{"kind", "support_request"},
                                                  {"urn", std::to_string(kOutsideUrn)},
                                                  {"source", "local_authority"},
                                                  {"summary", "Concern"}});
  EXPECT_EQ(refused.status, 403);
  EXPECT_TRUE(contains(refused.body, "outside the schools you work with")) << refused.body;
  EXPECT_EQ(count("SELECT count(*) FROM cases"), before);
  (void)details;
  const auto unknown = la.post("/refer", {{"kind", "support_request"}, {"urn", "999999"}});
  EXPECT_EQ(unknown.status, 400);
  EXPECT_TRUE(contains(unknown.body, "There is no school with URN 999999"));
}


TEST_F(WebTest, AnAdministratorUploadsTheGiasExtractAndReadsEachRefusedLineInTheImportReport) {
  Visitor admin = signed_in("admin");
  const auto form = admin.get("/admin/schools");
  ASSERT_EQ(form.status, 200);
  EXPECT_TRUE(contains(form.body, "enctype=\"multipart/form-data\""));
  const std::string csv =
      "URN,EstablishmentName,LA (code),LA (name),PhaseOfEducation (name),EstablishmentStatus (name)\r\n"
      "199101,Upload Primary,891,Nottinghamshire,Primary,Open\r\n"
      "19910x,Broken Row School,891,Nottinghamshire,Primary,Open\r\n"
      "199103,Upload Secondary,891,Nottinghamshire,Secondary,Open\r\n";
  // Without the form's security code nothing is imported.
  EXPECT_EQ(admin.upload("/admin/schools/import", "extract", "gias.csv", csv, false).status, 403);
  EXPECT_FALSE(cases::find_school(*app_.db, 199101));
  // No file chosen: the form again, saying so.
  const auto none = admin.upload("/admin/schools/import", "extract", "", "");
  EXPECT_EQ(none.status, 400);
  EXPECT_TRUE(contains(none.body, "Choose the GIAS extract to upload"));
  // The upload starts the import and sends the browser to follow it.
  const auto started = admin.upload("/admin/schools/import", "extract", "gias-2026.csv", csv);
  ASSERT_EQ(started.status, 303) << started.body;
  const std::string job = started.header("location");
  ASSERT_TRUE(job.starts_with("/admin/schools/import/")) << job;
  // While it runs the page shows a bar; the progress answer waits for the end.
  const auto running = admin.get(job);
  ASSERT_EQ(running.status, 200);
  EXPECT_TRUE(contains(running.body, "Import done") || contains(running.body, "<progress")) << running.body;
  ASSERT_EQ(admin.get(job + "/progress?wait_ms=5000").status, 200);
  const auto report = admin.get(job);
  ASSERT_EQ(report.status, 200);
  ASSERT_TRUE(contains(report.body, "Import done")) << report.body;
  EXPECT_FALSE(contains(report.body, "<progress"));
  const auto progress = admin.get(job + "/progress");
  ASSERT_EQ(progress.status, 200);
  const auto state = boost::json::parse(progress.body).as_object();
  EXPECT_TRUE(state.at("finished").as_bool());
  EXPECT_EQ(state.at("done").as_int64(), 3);
  EXPECT_EQ(state.at("total").as_int64(), 3);
  EXPECT_TRUE(contains(report.body, "3 rows read"));
  // The broken row by its line (the header is line 1), the others imported.
  EXPECT_TRUE(contains(report.body, "<td class=\"govuk-table__cell\">3</td><td class=\"govuk-table__cell\">URN "))
      << report.body;
  EXPECT_TRUE(cases::find_school(*app_.db, 199101));
  EXPECT_TRUE(cases::find_school(*app_.db, 199103));
  EXPECT_TRUE(contains(admin.get("/admin/schools").body, "gias-2026.csv"));
  // A file that is not the extract: nothing changes, and the page says why.
  const auto wrong = admin.upload("/admin/schools/import", "extract", "notes.csv", "Name,Town\r\nA,B\r\n");
  ASSERT_EQ(wrong.status, 303);
  ASSERT_EQ(admin.get(wrong.header("location") + "/progress?wait_ms=5000").status, 200);
  const auto refused = admin.get(wrong.header("location"));
  EXPECT_TRUE(contains(refused.body, "The file was not imported")) << refused.body;
  EXPECT_TRUE(contains(refused.body, "URN")) << refused.body;  // the missing column, named
  EXPECT_EQ(admin.get("/admin/schools/import/999").status, 404);
  EXPECT_EQ(admin.get("/admin/schools/import/x").status, 404);
  // Nobody else may upload or see imports.
  Visitor lead = signed_in("lead");
  EXPECT_EQ(lead.get("/admin/schools").status, 403);
  EXPECT_EQ(lead.upload("/admin/schools/import", "extract", "gias.csv", csv).status, 403);
  EXPECT_EQ(lead.get(job).status, 403);
}


TEST_F(WebTest, AnAdministratorKeepsAlliancesSystemLeadersDesignationsAndCapacity) {
  (void)cases::import_gias(*app_.db,
                           "URN,EstablishmentName,LA (code),LA (name),PhaseOfEducation (name),EstablishmentStatus (name)\n"
                           "199201,Console Primary,830,Derbyshire,Primary,Open\n"
                           "199202,Console Academy,830,Derbyshire,Secondary,Open\n");
  Visitor admin = signed_in("admin");
  ASSERT_EQ(admin.get("/admin/alliances").status, 200);
  // An alliance: a lead school that is not on the register is named, and nothing is added.
  const auto before = cases::alliances(*app_.db).size();
  const auto unknown = admin.post("/admin/alliances", {{"alliance_name", "Console Alliance"}, {"lead_school_urn", "199999"}});
  EXPECT_EQ(unknown.status, 422);
  EXPECT_TRUE(contains(unknown.body, "199999")) << unknown.body;
  EXPECT_EQ(cases::alliances(*app_.db).size(), before);
  const auto blank = admin.post("/admin/alliances", {{"alliance_name", ""}, {"lead_school_urn", "12"}});
  EXPECT_EQ(blank.status, 400);
  EXPECT_TRUE(contains(blank.body, "href=\"#f-alliance_name\"")) << blank.body;
  const auto made = admin.post("/admin/alliances", {{"alliance_name", "Console Alliance"}, {"lead_school_urn", "199201"}});
  ASSERT_EQ(made.status, 303) << made.body;
  const std::string alliance_page = made.header("location").substr(0, made.header("location").find('?'));
  const auto id = std::stoll(alliance_page.substr(alliance_page.rfind('/') + 1));
  // Members: added, refused twice, removed.
  ASSERT_EQ(admin.get(alliance_page).status, 200);
  EXPECT_EQ(admin.post(alliance_page + "/members", {{"school_urn", "199202"}}).status, 303);
  const auto is_member = [&](int urn) {
    const auto members = cases::find_alliance(*app_.db, id)->members;
    return std::find(members.begin(), members.end(), urn) != members.end();
  };
  EXPECT_TRUE(is_member(199202));
  const auto twice = admin.post(alliance_page + "/members", {{"school_urn", "199202"}});
  EXPECT_EQ(twice.status, 422);
  EXPECT_TRUE(contains(twice.body, "already a member"));
  const auto page_with_member = admin.get(alliance_page);
  EXPECT_TRUE(contains(page_with_member.body, "Console Academy (URN 199202)"));
  EXPECT_EQ(admin.post(alliance_page + "/members/199202/remove", {}).status, 303);
  EXPECT_FALSE(is_member(199202));
  EXPECT_EQ(admin.post(alliance_page + "/members/199202/remove", {}).status, 409);

  // A system leader in that alliance.
  ASSERT_EQ(admin.get("/admin/system-leaders").status, 200);
  const auto bad_email = admin.post("/admin/system-leaders", {{"leader_name", "Kim Console"},
                                                             {"email", "kim"},
                                                             {"home_school_urn", "199202"},
                                                             {"alliance_id", std::to_string(id)}});
  EXPECT_EQ(bad_email.status, 400);
  EXPECT_TRUE(contains(bad_email.body, "Enter an email address"));
  const auto leader = admin.post("/admin/system-leaders", {{"leader_name", "Kim Console"},
                                                          {"email", "kim@console.example"},
                                                          {"home_school_urn", "199202"},
                                                          {"alliance_id", std::to_string(id)}});
  ASSERT_EQ(leader.status, 303) << leader.body;
  const std::string leader_page = leader.header("location").substr(0, leader.header("location").find('?'));
  const auto leader_id = std::stoll(leader_page.substr(leader_page.rfind('/') + 1));
  EXPECT_EQ(cases::find_system_leader(*app_.db, leader_id)->alliance_id, id);
  // A designation, then an end date; an end before its start is refused by name.
  ASSERT_EQ(admin.get(leader_page).status, 200);
  const auto designation = admin.post(leader_page + "/designations", {{"designation", "SLE"},
                                                                      {"specialisms", "maths"},
                                                                      {"active_from-day", "1"},
                                                                      {"active_from-month", "9"},
                                                                      {"active_from-year", "2025"}});
  ASSERT_EQ(designation.status, 303) << designation.body;
  const auto held = cases::find_system_leader(*app_.db, leader_id)->designations;
  ASSERT_EQ(held.size(), 1u);
  EXPECT_EQ(held[0].label(), "SLE (maths)");
  EXPECT_EQ(held[0].active_to, "");
  const std::string end = leader_page + "/designations/" + std::to_string(held[0].id) + "/end";
  const auto early = admin.post(end, {{"last_day-day", "1"}, {"last_day-month", "1"}, {"last_day-year", "2025"}});
  EXPECT_EQ(early.status, 422);
  EXPECT_TRUE(contains(early.body, "cannot end before it starts")) << early.body;
  EXPECT_TRUE(contains(early.body, "href=\"#f-last_day-" + std::to_string(held[0].id) + "\"")) << early.body;
  EXPECT_EQ(admin.post(end, {{"last_day-day", "31"}, {"last_day-month", "8"}, {"last_day-year", "2027"}}).status, 303);
  EXPECT_EQ(cases::find_system_leader(*app_.db, leader_id)->designations[0].active_to, "2027-08-31");
  // Another leader's designation is not this page's to end.
  EXPECT_EQ(admin.post("/admin/system-leaders/" + std::to_string(leader_in_) + "/designations/" +
                           std::to_string(held[0].id) + "/end",
                       {{"last_day-day", "1"}, {"last_day-month", "1"}, {"last_day-year", "2027"}})
                .status,
            404);
  // Days offered this year; half days only, never below what is reserved.
  const std::string year = cases::academic_year_of(app_.engine->today());
  EXPECT_EQ(admin.post(leader_page + "/capacity", {{"academic_year", year}, {"days_offered", "12.5"}}).status, 303);
  EXPECT_DOUBLE_EQ(cases::capacity(*app_.db, leader_id, year).offered, 12.5);
  const auto third = admin.post(leader_page + "/capacity", {{"academic_year", year}, {"days_offered", "1.3"}});
  EXPECT_EQ(third.status, 422);
  EXPECT_DOUBLE_EQ(cases::capacity(*app_.db, leader_id, year).offered, 12.5);
  const auto reserved = cases::capacity(*app_.db, leader_in_, year);
  ASSERT_GT(reserved.reserved, 0);
  const auto below = admin.post("/admin/system-leaders/" + std::to_string(leader_in_) + "/capacity",
                                {{"academic_year", year}, {"days_offered", "0"}});
  EXPECT_EQ(below.status, 422);
  EXPECT_TRUE(contains(below.body, "already reserved")) << below.body;
  EXPECT_DOUBLE_EQ(cases::capacity(*app_.db, leader_in_, year).offered, reserved.offered);

  // Nobody else may.
  Visitor lead = signed_in("lead");
  EXPECT_EQ(lead.get("/admin/alliances").status, 403);
  EXPECT_EQ(lead.get(leader_page).status, 403);
  EXPECT_EQ(lead.post(leader_page + "/capacity", {{"academic_year", year}, {"days_offered", "40"}}).status, 403);
  EXPECT_DOUBLE_EQ(cases::capacity(*app_.db, leader_id, year).offered, 12.5);
}

TEST_F(WebTest, AnAdministratorChangesAUsersScopeAndTheirNextPageKeepsToIt) {
  Visitor school = signed_in("school");
  const auto user = cases::authenticate(*app_.db, tokens_.at("school"));
  ASSERT_TRUE(user);
  ASSERT_EQ(school.get("/cases/" + reference_).status, 200);  // their own school's case
  Visitor admin = signed_in("admin");
  const std::string form = "/admin/users/" + std::to_string(user->id) + "/scope";
  const auto shown = admin.get(form);
  ASSERT_EQ(shown.status, 200);
  EXPECT_TRUE(contains(shown.body, "value=\"school:" + std::to_string(demo_.deployed_school_urn) + "\""));
  EXPECT_FALSE(contains(shown.body, "name=\"phases\""));  // only a lead's scope has phases
  const auto wrong = admin.post(form, {{"scope", "la:830"}});
  EXPECT_EQ(wrong.status, 422);
  EXPECT_TRUE(contains(wrong.body, "A school needs school:URN, not la")) << wrong.body;
  EXPECT_EQ(cases::authenticate(*app_.db, tokens_.at("school"))->scope_kind, "school");
  const int other = demo_.deployed_school_urn == 148502 ? 146330 : 148502;
  ASSERT_EQ(admin.post(form, {{"scope", "school:" + std::to_string(other)}}).status, 303);
  // Still signed in; the case of their old school is gone from their view.
  EXPECT_EQ(school.get("/").status, 200);
  EXPECT_EQ(school.get("/cases/" + reference_).status, 404);
  const auto admin_user = cases::authenticate(*app_.db, tokens_.at("admin"));
  EXPECT_EQ(admin.get("/admin/users/" + std::to_string(admin_user->id) + "/scope").status, 409);
  EXPECT_EQ(school.get(form).status, 403);
}


TEST_F(WebTest, TheAuditTrailShowsWhoDidWhatOnCasesAndInTheConsole) {
  clock_.set(std::chrono::system_clock::now() + 1min);  // after the demo's history, recorded as the fixture loaded it
  Visitor admin = signed_in("admin");
  const auto revoked = cases::authenticate(*app_.db, tokens_.at("la_officer-out"));
  ASSERT_TRUE(revoked);
  ASSERT_EQ(admin.get("/admin/users").status, 200);  // the form's page, with its security code
  ASSERT_EQ(admin.post("/admin/users/" + std::to_string(revoked->id) + "/revoke", {}).status, 303);
  // The API records its changes too.
  const std::string year = cases::academic_year_of(app_.engine->today());
  ASSERT_EQ(call("admin", "PUT", "/api/v1/system-leaders/" + std::to_string(leader_out_) + "/capacity",
                 "{\"academic_year\": \"" + year + "\", \"days\": 31}")
                .status,
            200);
  const auto trail = admin.get("/admin/audit");
  ASSERT_EQ(trail.status, 200);
  // Newest first: the API's change, then the revocation, by name; case events with links to their cases.
  const auto capacity_at = trail.body.find("Set the days a system leader offers");
  const auto revoke_at = trail.body.find("Revoked a user");
  ASSERT_NE(capacity_at, std::string::npos) << trail.body;
  ASSERT_NE(revoke_at, std::string::npos);
  EXPECT_LT(capacity_at, revoke_at);
  EXPECT_TRUE(contains(trail.body, "31 days in " + year));
  EXPECT_TRUE(contains(trail.body, "admin (admin@test.example.org)"));
  EXPECT_TRUE(contains(trail.body, "la_officer-out (la_officer-out@test.example.org)"));
  const auto events = admin.get("/admin/audit?kind=cases&days=all");
  EXPECT_TRUE(contains(events.body, "href=\"/cases/")) << events.body;
  EXPECT_FALSE(contains(events.body, "Revoked a user"));
  const auto console = admin.get("/admin/audit?kind=administration");
  EXPECT_TRUE(contains(console.body, "Revoked a user"));
  EXPECT_FALSE(contains(console.body, "href=\"/cases/"));
  // By who: the lead's case events only.
  const auto nobody = admin.get("/admin/audit?who=nobody-at-all&days=all");
  EXPECT_TRUE(contains(nobody.body, "Nothing recorded for this choice"));
  // Pages: a second page of case events exists in the demo's history, and differs from the first.
  const auto second = admin.get("/admin/audit?kind=cases&days=all&page=2");
  ASSERT_EQ(second.status, 200);
  EXPECT_TRUE(contains(events.body, "rel=\"next\""));
  EXPECT_NE(events.body, second.body);
  EXPECT_EQ(signed_in("lead").get("/admin/audit").status, 403);
}

}  // namespace
}  // namespace s2s::testing
