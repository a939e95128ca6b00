// The monthly forecast to the leads, on SQLite and PostgreSQL, through a real
// SMTP server: nothing before the month's first working day at the digest
// time; then one message to each lead (not to a revoked lead, nor to anyone
// else), with their teaching schools' forecast; never twice, however many
// processes; a refused message retried after its backoff, and dead after
// the last try.
#include "cases/forecast_digest.h"

#include <gtest/gtest.h>
#include <soci/soci.h>

#include <set>

#include "cases/kinds.h"
#include "cases/kpis.h"
#include "cases/providers.h"
#include "cases/users.h"
#include "tests/support/smtp_sink.h"
#include "tests/support/test_database.h"
#include "tests/support/two_schools.h"
#include "workflow/date.h"
#include "workflow/engine.h"

namespace s2s::cases {
namespace {

using namespace std::chrono;
using testing::SmtpSink;

year_month_day day(const char* text) { return *workflow::parse_date(text); }
// London is on GMT in December and January: local time is UTC.
system_clock::time_point at(const char* date, int hour, int minute = 0) {
  return sys_days(day(date)) + hours(hour) + minutes(minute);
}

notifications::Mailer mailer(const SmtpSink& sink) {
  notifications::SmtpOptions o;
  o.url = sink.url();
  return notifications::Mailer(o);
}

std::string data_of(const boost::json::object& m) { return std::string(m.at("data").as_string()); }

class ForecastDigestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = test_db_.open_migrated();
    const auto alliance = s2s::testing::two_schools_and_an_alliance(*db_);
    lead_ = add_user(*db_, "Amy Lead", "amy@example.org", "lead", "alliance:" + std::to_string(alliance)).user;
    (void)add_user(*db_, "Gone Lead", "gone@example.org", "lead", "mini_region:Nottinghamshire");
    (void)revoke_tokens(*db_, "gone@example.org");
    (void)add_user(*db_, "Sam Strategic", "sam@example.org", "strategic", "");
    engine_ = std::make_unique<workflow::Engine>(db_, all_kinds());
  }

  ForecastDigestOptions options() {
    ForecastDigestOptions o;
    o.public_url = "https://s2s.example.org";
    o.retry.max_attempts = 2;
    o.retry.backoff_base = seconds(60);
    o.clock = [this] { return now_; };
    return o;
  }

  std::string status_of(const std::string& month, std::int64_t user, int* attempts = nullptr) {
    auto c = db_->acquire();
    std::string status;
    int tries = 0;
    const long long id = user;
    c.session() << "SELECT status, attempts FROM forecast_digests WHERE month = :m AND user_id = :u", soci::use(month),
        soci::use(id), soci::into(status), soci::into(tries);
    if (attempts) *attempts = tries;
    return status;
  }

  int rows() {
    auto c = db_->acquire();
    int n = 0;
    c.session() << "SELECT count(*) FROM forecast_digests", soci::into(n);
    return n;
  }

  testing::TestDatabase test_db_;
  std::shared_ptr<workflow::Database> db_;
  std::unique_ptr<workflow::Engine> engine_;
  User lead_;
  system_clock::time_point now_;
};

TEST_F(ForecastDigestTest, TheFirstWorkingDayOfAMonthSkipsWeekendsAndBankHolidays) {
  const auto calendar = engine_->calendar();
  EXPECT_EQ(first_working_day(calendar, year(2026) / December), day("2026-12-01"));  // a Tuesday
  EXPECT_EQ(first_working_day(calendar, year(2027) / January), day("2027-01-04"));   // 1 January is a Friday holiday
  EXPECT_EQ(first_working_day(calendar, year(2026) / August), day("2026-08-03"));    // 1 August is a Saturday
}

TEST_F(ForecastDigestTest, EachLeadGetsTheirForecastOnceOnTheFirstWorkingDayOfTheMonth) {
  SmtpSink sink;
  ForecastDigests digests(*db_, *engine_, options());
  // Not before 07:00 on the first working day; not late in November (its
  // forecast went on the 2nd, or not at all if nothing ran that week).
  for (const auto when : {at("2026-11-30", 12), at("2026-12-01", 6, 59)}) {
    now_ = when;
    EXPECT_EQ(digests.run_once(mailer(sink), when).sent, 0U);
  }
  EXPECT_EQ(rows(), 0);
  now_ = at("2026-12-01", 7, 0);
  const auto report = digests.run_once(mailer(sink), now_);
  EXPECT_EQ(report.sent, 1U);
  EXPECT_EQ(report.retried + report.dead, 0U);
  ASSERT_TRUE(sink.wait_for_stored(1));
  const auto messages = sink.messages();
  ASSERT_EQ(messages.size(), 1U);
  EXPECT_EQ(std::string(messages[0].at("rcpt_tos").as_array().at(0).as_string()), "amy@example.org");
  const std::string data = data_of(messages[0]);
  // What the message says is the forecast of Amy's alliance as it stands today.
  KpiScope scope;
  scope.academic_year = "2026/27";
  keep_report_scope_to(lead_, scope);
  scope.with_ahead = true;
  const auto f = forecast(engine_->calendar(), kpi_report(*db_, engine_->calendar(), scope, day("2026-12-01")),
                          day("2026-12-01"));
  ASSERT_EQ(f.teaching_schools.size(), 1U);
  const auto& t = f.teaching_schools[0];
  const bool behind = t.outlook != Outlook::on_course;
  EXPECT_NE(data.find(std::string("Subject: s2s forecast for December 2026: ") +
                      (behind ? "1 of 1 teaching school not on course" : "the teaching school is on course")),
            std::string::npos)
      << data;
  EXPECT_NE(data.find("Message-ID: <forecast-2026-12-" + std::to_string(lead_.id) + "@s2s.localhost>"),
            std::string::npos)
      << data;
  EXPECT_NE(data.find("- " + t.name + ": " + std::string(to_string(t.outlook)) + ". "), std::string::npos) << data;
  EXPECT_NE(data.find("on 1 December 2026, with " + std::to_string(f.working_days_left) + " working days left to 31 August 2027"),
            std::string::npos)
      << data;
  EXPECT_NE(data.find("https://s2s.example.org/kpis"), std::string::npos) << data;
  EXPECT_EQ(status_of("2026-12", lead_.id), "sent");
  EXPECT_EQ(rows(), 1) << "the revoked lead and the strategic user get nothing";

  // Later the same day, and from a second process, nothing more goes.
  now_ = at("2026-12-01", 9);
  EXPECT_EQ(digests.run_once(mailer(sink), now_).sent, 0U);
  ForecastDigests other(*db_, *engine_, options());
  EXPECT_EQ(other.run_once(mailer(sink), now_).sent, 0U);
  now_ = at("2026-12-14", 9);
  EXPECT_EQ(other.run_once(mailer(sink), now_).sent, 0U);
  EXPECT_EQ(sink.messages().size(), 1U);
  // January's goes on Monday the 4th: not on the 1st (a bank holiday).
  now_ = at("2027-01-01", 10);
  EXPECT_EQ(digests.run_once(mailer(sink), now_).sent, 0U);
  now_ = at("2027-01-04", 8);
  EXPECT_EQ(digests.run_once(mailer(sink), now_).sent, 1U);
  EXPECT_EQ(status_of("2027-01", lead_.id), "sent");
}

TEST_F(ForecastDigestTest, ARefusedForecastIsRetriedAfterItsBackoffAndDeadAfterTheLastTry) {
  SmtpSink sink;
  sink.refuse(true);
  ForecastDigests digests(*db_, *engine_, options());
  now_ = at("2026-12-01", 7, 30);
  auto report = digests.run_once(mailer(sink), now_);
  EXPECT_EQ(report.retried, 1U);
  int attempts = 0;
  EXPECT_EQ(status_of("2026-12", lead_.id, &attempts), "pending");
  EXPECT_EQ(attempts, 1);
  // Not again until its backoff (about a minute) has passed.
  now_ += seconds(10);
  EXPECT_EQ(digests.run_once(mailer(sink), now_).retried, 0U);
  // Accepted on the next try, with the same Message-ID.
  sink.refuse(false);
  now_ += minutes(5);
  report = digests.run_once(mailer(sink), now_);
  EXPECT_EQ(report.sent, 1U);
  EXPECT_EQ(status_of("2026-12", lead_.id, &attempts), "sent");
  EXPECT_EQ(attempts, 2);

  // January: refused twice, the last try allowed; then dead, and not tried again.
  sink.refuse(true);
  now_ = at("2027-01-04", 7, 30);
  EXPECT_EQ(digests.run_once(mailer(sink), now_).retried, 1U);
  now_ += minutes(5);
  report = digests.run_once(mailer(sink), now_);
  EXPECT_EQ(report.dead, 1U);
  EXPECT_EQ(status_of("2027-01", lead_.id, &attempts), "dead");
  EXPECT_EQ(attempts, 2);
  sink.refuse(false);
  now_ += hours(2);
  EXPECT_EQ(digests.run_once(mailer(sink), now_).sent, 0U);
}

TEST_F(ForecastDigestTest, ManyLeadsAreSentAFewARoundEachOnce) {
  for (int i = 0; i < 6; ++i) {
    (void)add_user(*db_, "Lead " + std::to_string(i), "lead" + std::to_string(i) + "@example.org", "lead",
                   "mini_region:Nottinghamshire");
  }
  SmtpSink sink;
  ForecastDigests digests(*db_, *engine_, options());
  now_ = at("2026-12-01", 8);
  EXPECT_EQ(digests.run_once(mailer(sink), now_).sent, 5U);
  EXPECT_EQ(digests.run_once(mailer(sink), now_).sent, 2U);
  EXPECT_EQ(digests.run_once(mailer(sink), now_).sent, 0U);
  ASSERT_TRUE(sink.wait_for_stored(7));
  std::set<std::string> to;
  for (const auto& m : sink.messages()) to.insert(std::string(m.at("rcpt_tos").as_array().at(0).as_string()));
  EXPECT_EQ(to.size(), 7U);
  EXPECT_EQ(rows(), 7);
}

}  // namespace
}  // namespace s2s::cases
