// Several s2sd processes firing one database's due timers at once: each timer
// fires exactly once, whichever process claims it.
#include <gtest/gtest.h>
#include <soci/soci.h>

#include <future>

#include "cases/kinds.h"
#include "tests/support/process.h"
#include "tests/support/test_database.h"
#include "workflow/date.h"
#include "workflow/engine.h"

namespace s2s::testing {
namespace {

using namespace std::chrono;

const std::string kS2sd = S2SD_PATH;

long long count(workflow::Database& db, const std::string& sql_text) {
  auto connection = db.acquire();
  long long n = 0;
  connection.session() << sql_text, soci::into(n);
  return n;
}

long long fired_in(const std::string& out) {
  const auto pos = out.find("fired ");
  return pos == std::string::npos ? -1 : std::stoll(out.substr(pos + 6));
}

TEST(TimersProcessTest, ThreeProcessesFireAThousandDueTimersEachExactlyOnce) {
  TestDatabase test_db;
  auto db = test_db.open_migrated({.pool_size = 4});
  {
    workflow::Engine engine(db, cases::all_kinds());
    // Referrals typed in today that arrived 40 days ago, never triaged: each has
    // one timer, its passed deadline (a reminder whose day has gone is not armed).
    const auto long_ago = year_month_day(floor<days>(system_clock::now()) - days(40));
    const boost::json::object referral{{"source", "self"}, {"summary", "help"}};
    for (int i = 0; i < 1000; ++i) engine.open_case("support_request", 100000 + i, referral, "lead:test", long_ago);
  }
  ASSERT_EQ(count(*db, "SELECT count(*) FROM timers WHERE status = 'pending'"), 1000);

  const std::map<std::string, std::string> env{{"S2S_DATABASE_URL", test_db.url().text}};
  std::vector<std::future<ProcessResult>> runs;
  for (int p = 0; p < 3; ++p) {
    runs.push_back(std::async(std::launch::async, [&env] {
      return run_process({kS2sd, "timers", "run", "--timer-batch", "25", "--log-level", "warn"}, env,
                         std::chrono::minutes(5));
    }));
  }
  long long reported = 0;
  for (auto& run : runs) {
    const auto result = run.get();
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_GE(fired_in(result.out), 0) << result.out;
    reported += fired_in(result.out);
  }
  EXPECT_EQ(reported, 1000) << "the processes together fired every timer once";
  EXPECT_EQ(count(*db, "SELECT count(*) FROM timers WHERE status = 'fired'"), 1000);
  EXPECT_EQ(count(*db, "SELECT count(*) FROM case_history WHERE timer_id IS NOT NULL"), 1000);
  EXPECT_EQ(count(*db, "SELECT count(DISTINCT timer_id) FROM case_history WHERE timer_id IS NOT NULL"), 1000);
  EXPECT_EQ(count(*db, "SELECT count(*) FROM deadlines WHERE status = 'overdue'"), 1000);
  // Every case took its timer event once, versions intact.
  EXPECT_EQ(count(*db, "SELECT count(*) FROM cases WHERE version <> 2"), 0);
  EXPECT_EQ(count(*db, "SELECT count(*) FROM outbox WHERE message = 'deadline_passed'"), 1000);
}

}  // namespace
}  // namespace s2s::testing
