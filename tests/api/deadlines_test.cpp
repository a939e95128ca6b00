// Deadlines people can act on, over real HTTP on SQLite and PostgreSQL: where
// each default comes from (GET /api/v1/kinds), and the caller's deadlines in
// due order with whose move each is and the working days left or late.
#include <algorithm>
#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "cases/providers.h"
#include "cases/users.h"
#include "tests/api/api_fixture.h"
#include "tests/support/test_clock.h"
#include "workflow/date.h"

namespace s2s::testing {
namespace {

namespace json = boost::json;

TEST_F(ApiTest, KindsSayWhoseMoveEachDeadlineIsAndWhereItsDefaultComesFrom) {
  const auto r = call("school", "GET", "/api/v1/kinds");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto kinds = parse(r);
  std::set<std::string> seeded;
  std::size_t count = 0;
  for (const auto& kind : kinds.at("items").as_array()) {
    for (const auto& d : kind.at("deadlines").as_array()) {
      ++count;
      const std::string purpose = str(d.at("purpose"));
      const std::string owner = str(d.at("owner"));
      EXPECT_TRUE(owner == "lead" || owner == "system_leader" || owner == "school") << purpose << ": " << owner;
      const std::string source = str(d.at("source").at("kind"));
      EXPECT_TRUE(source == "seed" || source == "design" || source == "policy") << purpose << ": " << source;
      EXPECT_FALSE(d.at("source").at("text").as_string().empty()) << purpose;
      if (source == "seed") seeded.insert(purpose);
    }
  }
  EXPECT_EQ(count, 17u);
  EXPECT_EQ(seeded, std::set<std::string>{"designation_review.contact"});
  const auto find = [&](const std::string& purpose) -> json::object {
    for (const auto& kind : kinds.at("items").as_array()) {
      for (const auto& d : kind.at("deadlines").as_array()) {
        if (d.at("purpose") == purpose.c_str()) return d.as_object();
      }
    }
    ADD_FAILURE() << "no deadline " << purpose;
    return {};
  };
  const auto contact = find("designation_review.contact");
  EXPECT_EQ(str(contact.at("owner")), "lead");
  EXPECT_NE(str(contact.at("source").at("text"))
                .find("\"Contact is made with de-designated school within 10 working days of appeals panel outcome.\""),
            std::string::npos)
      << json::serialize(contact);
  const auto report = find("risk_assessment.report");
  EXPECT_EQ(str(report.at("owner")), "system_leader");
  EXPECT_EQ(str(report.at("source").at("kind")), "design");
  const auto rating = find("support_request.rating");
  EXPECT_EQ(str(rating.at("owner")), "school");
  EXPECT_EQ(str(rating.at("source").at("kind")), "policy");
  EXPECT_EQ(str(rating.at("source").at("text")).rfind("a local policy default: ", 0), 0u);
}

// The demo world on a clock the test drives, from Thursday 17 December 2026:
// the weekend, Christmas and Boxing Day (substitute Monday 28th) and New
// Year's Day lie ahead. The lead of Northamptonshire ("lead-out") sees only
// the cases of Ise Valley Infant School (121877), which this fixture fills.
class DeadlineListTest : public ApiTest {
 protected:
  void SetUp() override {
    engine_options_.clock = clock_.function();
    start(unlimited());
    leader_ = cases::create_system_leader(*app_.db, "Pat Provider", "pat@test.example.org", 112934, std::nullopt);
    cases::add_designation(*app_.db, leader_, "NLE", "maths", day("2020-09-01"), std::nullopt);
    cases::set_capacity(*app_.db, leader_, "2026/27", 20);
  }

  static std::chrono::year_month_day day(const std::string& text) { return *workflow::parse_date(text); }
  void set_today(const std::string& text) { clock_.set(std::chrono::sys_days(day(text)) + std::chrono::hours(9)); }

  std::int64_t open(const std::string& kind, const std::string& on) {
    return app_.engine
        ->open_case(kind, kOutsideUrn, {{"source", kind == "risk_assessment" ? "lead" : "self"}, {"summary", "test"}},
                    "test", day(on))
        .id;
  }
  void event(std::int64_t id, const std::string& name, const json::object& payload, const std::string& on) {
    (void)app_.engine->apply(id, name, payload, "test", day(on));
  }
  // A support request accepted on `on`, needing 2 days.
  std::int64_t accepted_request(const std::string& on) {
    const auto id = open("support_request", on);
    event(id, "accept_referral",
          {{"priority", "high"},
           {"focus_areas", json::array{"maths"}},
           {"requested_days", 2},
           {"funding_source", "SSIF"}},
          on);
    return id;
  }

  // Every deadline lead-out sees, one page of at most `limit` after another.
  std::vector<json::object> walk(const std::string& who, int limit) {
    std::vector<json::object> out;
    std::string cursor;
    for (int pages = 0; pages < 50; ++pages) {
      const auto r = call(who, "GET", "/api/v1/deadlines?limit=" + std::to_string(limit) + cursor);
      EXPECT_EQ(r.status, 200) << r.body;
      const auto page = parse(r);
      for (const auto& item : page.at("items").as_array()) out.push_back(item.as_object());
      if (page.at("next_cursor").is_null()) return out;
      cursor = "&cursor=" + str(page.at("next_cursor"));
    }
    ADD_FAILURE() << "the pages never end";
    return out;
  }
  static const json::object& by_reference(const std::vector<json::object>& items, const std::string& reference) {
    for (const auto& item : items) {
      if (item.at("reference") == reference.c_str()) return item;
    }
    static const json::object none;
    ADD_FAILURE() << "no deadline of " << reference;
    return none;
  }
  std::string reference(std::int64_t id) { return app_.engine->get(id).reference; }

  TestClock clock_{std::chrono::sys_days(std::chrono::year_month_day(std::chrono::year(2026), std::chrono::December,
                                                                     std::chrono::day(17))) +
                   std::chrono::hours(9)};
  std::int64_t leader_ = 0;
};

TEST_F(DeadlineListTest, OrderedByDueDayThenReferenceWithWhoseMoveAndWorkingDaysLeftOrLate) {
  // outside_case_ (SR, opened today by the fixture): triage due Thursday 24th.
  const auto pupil_premium = open("pupil_premium_review", "2026-12-17");  // triage due the 24th too
  const auto assessment = open("risk_assessment", "2026-12-10");          // triage due today
  const auto old_request = open("support_request", "2026-12-03");         // triage due the 10th: late
  const auto proposed = accepted_request("2026-12-14");
  event(proposed, "propose_provider", {{"provider_id", leader_}}, "2026-12-15");  // the answer due Tuesday 22nd
  const auto rated = accepted_request("2026-12-01");
  event(rated, "propose_provider", {{"provider_id", leader_}}, "2026-12-02");
  event(rated, "provider_accepts", {}, "2026-12-03");
  event(rated, "agree_plan",
        {{"objectives", "maths"}, {"planned_days", 2}, {"starts_on", "2026-12-04"}, {"ends_on", "2026-12-16"}},
        "2026-12-04");
  event(rated, "complete_deployment", {}, "2026-12-17");  // the rating due 5 January, past Christmas

  const auto items = walk("lead-out", 200);
  std::vector<std::string> order;
  for (const auto& item : items) order.push_back(str(item.at("reference")) + " " + str(item.at("purpose")));
  // Due day first; on the same day (the 24th) the case reference decides, not
  // the order the deadlines were armed in (the support request's came first).
  EXPECT_EQ(order, (std::vector<std::string>{
                       reference(old_request) + " support_request.triage",
                       reference(assessment) + " risk_assessment.triage",
                       reference(proposed) + " support_request.provider_response",
                       reference(pupil_premium) + " pupil_premium.triage",
                       reference(outside_case_) + " support_request.triage",
                       reference(rated) + " support_request.rating",
                   }));
  ASSERT_EQ(items.size(), 6u);
  EXPECT_LT(items[4].at("id").as_int64(), items[3].at("id").as_int64());
  // Page by page, the same order: the cursor follows the list's order.
  std::vector<std::int64_t> ids;
  for (const auto& item : walk("lead-out", 1)) ids.push_back(item.at("id").as_int64());
  std::vector<std::int64_t> all_ids;
  for (const auto& item : items) all_ids.push_back(item.at("id").as_int64());
  EXPECT_EQ(ids, all_ids);

  // Whose move: the lead's triage names nobody; the proposed system leader by
  // name; the school by its name.
  const auto& triage = by_reference(items, reference(outside_case_));
  EXPECT_EQ(str(triage.at("owner").at("role")), "lead");
  EXPECT_TRUE(triage.at("owner").at("name").is_null());
  EXPECT_TRUE(triage.at("owner").at("system_leader_id").is_null());
  const auto& answer = by_reference(items, reference(proposed));
  EXPECT_EQ(str(answer.at("owner").at("role")), "system_leader");
  EXPECT_EQ(answer.at("owner").at("system_leader_id").as_int64(), leader_);
  EXPECT_EQ(str(answer.at("owner").at("name")), "Pat Provider");
  const auto& rating = by_reference(items, reference(rated));
  EXPECT_EQ(str(rating.at("owner").at("role")), "school");
  EXPECT_EQ(str(rating.at("owner").at("name")), "Ise Valley Infant School");
  EXPECT_TRUE(rating.at("owner").at("system_leader_id").is_null());

  // Working days left, as the deadlines count them: from Thursday 17th to
  // Thursday 24th is 5 (18, 21, 22, 23, 24) over 7 calendar days; to Tuesday
  // 5 January is 10 over 19 days, past the weekends, Christmas Day, the Boxing
  // Day substitute on the 28th and New Year's Day; the due day itself is 0.
  EXPECT_EQ(str(triage.at("due_on")), "2026-12-24");
  EXPECT_EQ(triage.at("working_days_left").as_int64(), 5);
  EXPECT_EQ(triage.at("days_left").as_int64(), 7);
  EXPECT_FALSE(triage.contains("working_days_late"));
  EXPECT_EQ(str(rating.at("due_on")), "2027-01-05");
  EXPECT_EQ(rating.at("working_days_left").as_int64(), 10);
  EXPECT_EQ(rating.at("days_left").as_int64(), 19);
  EXPECT_EQ(answer.at("working_days_left").as_int64(), 3);
  const auto& due_today = by_reference(items, reference(assessment));
  EXPECT_EQ(str(due_today.at("due_on")), "2026-12-17");
  EXPECT_EQ(due_today.at("working_days_left").as_int64(), 0);
  // Past its due day (Thursday 10th): working days late instead, 11, 14, 15, 16, 17.
  const auto& late = by_reference(items, reference(old_request));
  EXPECT_EQ(late.at("working_days_late").as_int64(), 5);
  EXPECT_FALSE(late.contains("working_days_left"));

  // Christmas Eve: the triages fall due today, the provider's answer is two
  // working days late (23rd, 24th), and the rating has 5 left (29, 30, 31, 4, 5).
  set_today("2026-12-24");
  const auto eve = walk("lead-out", 200);
  EXPECT_EQ(by_reference(eve, reference(outside_case_)).at("working_days_left").as_int64(), 0);
  EXPECT_EQ(by_reference(eve, reference(proposed)).at("working_days_late").as_int64(), 2);
  EXPECT_EQ(by_reference(eve, reference(rated)).at("working_days_left").as_int64(), 5);
  EXPECT_EQ(by_reference(eve, reference(old_request)).at("working_days_late").as_int64(), 10);

  // Thursday 7 January, timers fired: the rating is overdue, 2 working days late (6th, 7th).
  set_today("2027-01-07");
  while (app_.engine->fire_due_timers("test", 500, std::chrono::seconds(60)).claimed > 0) {
  }
  const auto overdue = parse(call("lead-out", "GET", "/api/v1/deadlines?status=overdue&limit=200"));
  std::vector<std::string> overdue_order;
  for (const auto& item : overdue.at("items").as_array()) {
    EXPECT_EQ(str(item.at("status")), "overdue");
    EXPECT_FALSE(item.as_object().contains("working_days_left"));
    overdue_order.push_back(str(item.at("reference")));
  }
  EXPECT_EQ(overdue_order.size(), 6u);
  EXPECT_EQ(overdue_order.back(), reference(rated));
  const auto after_new_year = walk("lead-out", 200);
  const auto& rating_late = by_reference(after_new_year, reference(rated));
  EXPECT_EQ(str(rating_late.at("status")), "overdue");
  EXPECT_EQ(rating_late.at("working_days_late").as_int64(), 2);
  EXPECT_EQ(rating_late.at("days_left").as_int64(), -2);
}

TEST_F(DeadlineListTest, TheCalendarFeedSaysWhoseMoveEachIsAndTheWorkingDaysLeftInTheListsOrder) {
  const auto proposed = accepted_request("2026-12-14");
  event(proposed, "propose_provider", {{"provider_id", leader_}}, "2026-12-15");
  const auto old_request = open("support_request", "2026-12-03");
  const std::string token = cases::new_feed_token(*app_.db, "lead-out@test.example.org");
  const auto feed = call("", "GET", "/api/v1/deadlines.ics?token=" + token);
  ASSERT_EQ(feed.status, 200) << feed.body;
  // Unfolded (RFC 5545: a CRLF and one space continue a line).
  std::string body;
  for (std::size_t i = 0; i < feed.body.size(); ++i) {
    if (feed.body.compare(i, 3, "\r\n ") == 0) {
      i += 2;
    } else {
      body += feed.body[i];
    }
  }
  const auto description = [&](std::int64_t id) {
    const auto at =
        body.find("DESCRIPTION:Deadline " +
                  std::string(id == proposed ? "support_request.provider_response" : "support_request.triage") +
                  " of " + reference(id));
    return at == std::string::npos ? std::string() : body.substr(at, body.find("\r\n", at) - at);
  };
  EXPECT_NE(description(proposed).find("Whose move: Pat Provider (system leader). 3 working days left."),
            std::string::npos)
      << body;
  EXPECT_NE(description(old_request).find("Whose move: the lead. 5 working days late."), std::string::npos) << body;
  EXPECT_NE(description(outside_case_).find("Whose move: the lead. 5 working days left."), std::string::npos) << body;
  // The events come in the list's order.
  std::vector<std::string> uids;
  for (std::size_t at = body.find("UID:deadline-"); at != std::string::npos; at = body.find("UID:deadline-", at + 1)) {
    uids.push_back(body.substr(at + 13, body.find('@', at) - at - 13));
  }
  std::vector<std::string> listed;
  for (const auto& item : walk("lead-out", 200)) listed.push_back(std::to_string(item.at("id").as_int64()));
  EXPECT_EQ(uids, listed);
}

TEST_F(DeadlineListTest, AReportIsTheDeployedAssessorsMoveAndADeclinedProviderIsNamedNoMore) {
  const auto assessment = open("risk_assessment", "2026-12-01");
  event(assessment, "accept_request", {}, "2026-12-01");
  event(assessment, "propose_assessor", {{"provider_id", leader_}}, "2026-12-02");
  event(assessment, "assessor_accepts", {}, "2026-12-03");  // the report due 15 working days later: the 24th
  const auto declined = accepted_request("2026-12-14");
  event(declined, "propose_provider", {{"provider_id", leader_}}, "2026-12-15");
  event(declined, "provider_declines", {{"reason", "no time"}}, "2026-12-16");  // matching again: the lead's move

  tokens_["pat"] = cases::add_user(*app_.db, "Pat", "pat-user@test.example.org", "system_leader",
                                   "system_leader:" + std::to_string(leader_))
                       .token;
  const auto own = walk("pat", 200);
  // Pat sees the assessment they are deployed to, and the request they declined no more.
  ASSERT_EQ(own.size(), 1u);
  const auto& report = own.front();
  EXPECT_EQ(str(report.at("reference")), reference(assessment));
  EXPECT_EQ(str(report.at("purpose")), "risk_assessment.report");
  EXPECT_EQ(str(report.at("due_on")), "2026-12-24");
  EXPECT_EQ(report.at("working_days_left").as_int64(), 5);
  EXPECT_EQ(str(report.at("owner").at("role")), "system_leader");
  EXPECT_EQ(report.at("owner").at("system_leader_id").as_int64(), leader_);
  EXPECT_EQ(str(report.at("owner").at("name")), "Pat Provider");

  const auto lead = walk("lead-out", 200);
  const auto& matching = by_reference(lead, reference(declined));
  EXPECT_EQ(str(matching.at("purpose")), "support_request.matching");
  EXPECT_EQ(str(matching.at("owner").at("role")), "lead");
  EXPECT_TRUE(matching.at("owner").at("system_leader_id").is_null());
  EXPECT_TRUE(matching.at("owner").at("name").is_null());
}

}  // namespace
}  // namespace s2s::testing
