#include "workflow/database.h"

#include <gtest/gtest.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <atomic>
#include <functional>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "tests/support/test_database.h"
#include "workflow/errors.h"

namespace s2s::workflow {
namespace {

using testing::TestDatabase;

void create_counter(Database& db) {
  db.transact([](soci::session& sql) {
    sql << "CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)";
    sql << "INSERT INTO counter (id, n) VALUES (1, 0)";
  });
}

int read_counter(Database& db) {
  auto connection = db.acquire();
  int n = -1;
  connection.session() << "SELECT n FROM counter WHERE id = 1", soci::into(n);
  return n;
}

TEST(DatabaseTest, TransactCommitsWhenTheFunctionReturns) {
  TestDatabase test_db;
  auto db = test_db.open();
  create_counter(*db);
  const int returned = db->transact([](soci::session& sql) {
    sql << "UPDATE counter SET n = 7 WHERE id = 1";
    return 42;
  });
  EXPECT_EQ(returned, 42);
  EXPECT_EQ(read_counter(*db), 7);
}

TEST(DatabaseTest, TransactRollsBackWhenTheFunctionThrows) {
  TestDatabase test_db;
  auto db = test_db.open();
  create_counter(*db);
  EXPECT_THROW(db->transact([](soci::session& sql) {
    sql << "UPDATE counter SET n = 99 WHERE id = 1";
    throw std::logic_error("domain refusal");
  }),
               std::logic_error);
  EXPECT_EQ(read_counter(*db), 0);
}

TEST(DatabaseTest, SqlErrorsBecomeDatabaseErrorAndRollBack) {
  TestDatabase test_db;
  auto db = test_db.open();
  create_counter(*db);
  EXPECT_THROW(db->transact([](soci::session& sql) {
    sql << "UPDATE counter SET n = 5 WHERE id = 1";
    sql << "INSERT INTO counter (id, n) VALUES (1, 1)";  // duplicate key
  }),
               DatabaseError);
  EXPECT_EQ(read_counter(*db), 0);
  // The connection went back to the pool in a usable state.
  db->transact([](soci::session& sql) { sql << "UPDATE counter SET n = 1 WHERE id = 1"; });
  EXPECT_EQ(read_counter(*db), 1);
}

TEST(DatabaseTest, ASnapshotKeepsSeeingOneStateWhileOthersWrite) {
  TestDatabase test_db;
  auto db = test_db.open();
  create_counter(*db);
  {
    auto reader = db->acquire();
    reader.begin_snapshot();
    int n = -1;
    reader.session() << "SELECT n FROM counter WHERE id = 1", soci::into(n);
    EXPECT_EQ(n, 0);
    // A writer is not held up by the snapshot, and the snapshot does not see it.
    db->transact([](soci::session& sql) { sql << "UPDATE counter SET n = 5 WHERE id = 1"; });
    reader.session() << "SELECT n FROM counter WHERE id = 1", soci::into(n);
    EXPECT_EQ(n, 0);
    reader.rollback();
    reader.session() << "SELECT n FROM counter WHERE id = 1", soci::into(n);
    EXPECT_EQ(n, 5);
  }
  EXPECT_EQ(read_counter(*db), 5);
}

TEST(DatabaseTest, AcquireWaitsForAFreeConnectionThenGivesUp) {
  TestDatabase test_db;
  auto db = test_db.open({.pool_size = 1, .acquire_timeout = std::chrono::milliseconds(50)});
  {
    auto held = db->acquire();
    EXPECT_THROW((void)db->acquire(), DatabaseUnavailable);
  }
  // Released: available again.
  EXPECT_NO_THROW(db->ping());
}

TEST(DatabaseTest, PoolServesManyThreadsWithFewConnections) {
  TestDatabase test_db;
  auto db = test_db.open({.pool_size = 2});
  create_counter(*db);
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&db] {
      for (int i = 0; i < 20; ++i) {
        db->transact([](soci::session& sql) { sql << "UPDATE counter SET n = n + 1 WHERE id = 1"; });
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(read_counter(*db), 120);
}

TEST(SqliteOnlyDatabaseTest, ConnectionsUseWalForeignKeysAndBusyTimeout) {
  TestDatabase test_db;
  auto db = test_db.open({.busy_timeout = std::chrono::milliseconds(1234)});
  auto connection = db->acquire();
  std::string mode;
  int foreign_keys = 0;
  int busy = 0;
  connection.session() << "PRAGMA journal_mode", soci::into(mode);
  connection.session() << "PRAGMA foreign_keys", soci::into(foreign_keys);
  connection.session() << "PRAGMA busy_timeout", soci::into(busy);
  EXPECT_EQ(mode, "wal");
  EXPECT_EQ(foreign_keys, 1);
  EXPECT_EQ(busy, 1234);
}

// Each connection is leased to one thread at a time, so SQLite runs in
// multi-thread mode (no lock of each connection's own) and keeps no memory
// statistics (whose lock every allocation of every connection would take).
TEST(SqliteOnlyDatabaseTest, ConnectionsTakeNoLockOfTheirOwnAndSqliteCountsNoMemory) {
  TestDatabase test_db;
  auto db = test_db.open({.pool_size = 2});
  create_counter(*db);
  auto connection = db->acquire();
  auto* backend = static_cast<soci::sqlite3_session_backend*>(connection.session().get_backend());
  EXPECT_EQ(sqlite_api::sqlite3_db_mutex(backend->conn_), nullptr);
  int n = -1;
  connection.session() << "SELECT n FROM counter WHERE id = 1", soci::into(n);
  EXPECT_EQ(n, 0);
  sqlite_api::sqlite3_int64 used = -1;
  sqlite_api::sqlite3_int64 highest = -1;
  ASSERT_EQ(sqlite_api::sqlite3_status64(SQLITE_STATUS_MEMORY_USED, &used, &highest, 0), SQLITE_OK);
  EXPECT_EQ(used, 0) << "memory statistics are kept";
}

TEST(SqliteOnlyDatabaseTest, WritersTakeTheLockUpFrontSoReadModifyWriteLosesNothing) {
  TestDatabase test_db;
  auto db = test_db.open({.pool_size = 4});
  create_counter(*db);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&db] {
      for (int i = 0; i < 25; ++i) {
        db->transact([](soci::session& sql) {
          int n = 0;
          sql << "SELECT n FROM counter WHERE id = 1", soci::into(n);
          sql << "UPDATE counter SET n = :n WHERE id = 1", soci::use(n + 1);
        });
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(read_counter(*db), 100);
}

TEST(SqliteOnlyDatabaseTest, UnwritablePathIsReportedWithThePath) {
  try {
    (void)Database::open(DatabaseUrl::parse("sqlite:///nonexistent-folder/s2s.db"));
    FAIL() << "expected DatabaseUnavailable";
  } catch (const DatabaseUnavailable& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-folder/s2s.db"), std::string::npos) << e.what();
  }
}

TEST(DatabaseTest, TryAcquireGivesNothingAtOnceWhenEveryConnectionIsInUse) {
  TestDatabase test_db;
  auto db = test_db.open({.pool_size = 1, .acquire_timeout = std::chrono::milliseconds(60000)});
  {
    auto held = db->acquire();
    EXPECT_FALSE(db->try_acquire().has_value());  // at once, not after the minute acquire would wait
  }
  auto freed = db->try_acquire();
  ASSERT_TRUE(freed.has_value());
  int one = 0;
  freed->session() << "SELECT 1", soci::into(one);
  EXPECT_EQ(one, 1);
}

TEST(DatabaseTest, RunInSnapshotRunsEveryJobOnce) {
  TestDatabase test_db;
  auto db = test_db.open({.pool_size = 4});
  create_counter(*db);
  db->transact([](soci::session& sql) { sql << "UPDATE counter SET n = 3 WHERE id = 1"; });
  std::vector<int> seen(12, -1);
  std::vector<std::function<void(soci::session&)>> jobs;
  for (std::size_t i = 0; i < seen.size(); ++i) {
    jobs.emplace_back([&seen, i](soci::session& sql) { sql << "SELECT n FROM counter WHERE id = 1", soci::into(seen[i]); });
  }
  auto main = db->acquire();
  main.begin_snapshot();
  run_in_snapshot(*db, main, jobs, 3, "");
  main.rollback();
  EXPECT_EQ(seen, std::vector<int>(12, 3));
}

TEST(DatabaseTest, RunInSnapshotRethrowsAFailedJobsErrorAfterTheOthersStop) {
  TestDatabase test_db;
  auto db = test_db.open({.pool_size = 4});
  create_counter(*db);
  std::atomic<int> ran{0};
  std::vector<std::function<void(soci::session&)>> jobs;
  for (int i = 0; i < 6; ++i) {
    jobs.emplace_back([&ran, i](soci::session& sql) {
      ++ran;
      if (i == 2) sql << "SELECT no_such_column FROM counter";
    });
  }
  auto main = db->acquire();
  main.begin_snapshot();
  try {
    run_in_snapshot(*db, main, jobs, 2, "");
    FAIL() << "expected DatabaseError";
  } catch (const DatabaseError& e) {
    EXPECT_NE(std::string(e.what()).find("no_such_column"), std::string::npos) << e.what();
  }
  main.rollback();
  EXPECT_GE(ran.load(), 3);
  EXPECT_LE(ran.load(), 6);
  EXPECT_EQ(read_counter(*db), 0);  // every connection went back to the pool in working order
}

TEST(PostgresOnlyDatabaseTest, SessionsRunInUtc) {
  TestDatabase test_db;
  auto db = test_db.open();
  auto connection = db->acquire();
  std::string zone;
  connection.session() << "SHOW TIME ZONE", soci::into(zone);
  EXPECT_EQ(zone, "UTC");
}

TEST(PostgresOnlyDatabaseTest, BrokenConnectionIsReplacedNotReused) {
  TestDatabase test_db;
  auto db = test_db.open({.pool_size = 1});
  int first_pid = 0;
  {
    auto connection = db->acquire();
    connection.session() << "SELECT pg_backend_pid()", soci::into(first_pid);
  }
  // Kill the pooled connection's server process from outside, as a restart would.
  {
    auto other = test_db.open({.pool_size = 1});
    auto connection = other->acquire();
    connection.session() << "SELECT pg_terminate_backend(:pid)", soci::use(first_pid);
  }
  EXPECT_THROW(db->transact([](soci::session& sql) { sql << "SELECT 1"; }), DatabaseUnavailable);
  int second_pid = 0;
  db->transact([&](soci::session& sql) { sql << "SELECT pg_backend_pid()", soci::into(second_pid); });
  EXPECT_NE(second_pid, 0);
  EXPECT_NE(second_pid, first_pid);
}

TEST(PostgresOnlyDatabaseTest, RunInSnapshotSharesOneSnapshotOverSeveralConnections) {
  TestDatabase test_db;
  auto db = test_db.open({.pool_size = 4});
  create_counter(*db);
  auto main = db->acquire();
  main.begin_snapshot();
  int before = -1;
  main.session() << "SELECT n FROM counter WHERE id = 1", soci::into(before);  // the snapshot is taken here
  // A write committed after the snapshot: no job may see it.
  db->transact([](soci::session& sql) { sql << "UPDATE counter SET n = 9 WHERE id = 1"; });
  constexpr std::size_t kJobs = 8;
  std::vector<int> seen(kJobs, -1);
  std::vector<int> pids(kJobs, 0);
  std::vector<std::function<void(soci::session&)>> jobs;
  for (std::size_t i = 0; i < kJobs; ++i) {
    jobs.emplace_back([&, i](soci::session& sql) {
      sql << "SELECT pg_sleep(0.05)";  // long enough for the other connection to take a job too
      sql << "SELECT n, pg_backend_pid() FROM counter WHERE id = 1", soci::into(seen[i]), soci::into(pids[i]);
    });
  }
  run_in_snapshot(*db, main, jobs, 2, "SET LOCAL jit = off");
  main.rollback();
  EXPECT_EQ(before, 0);
  EXPECT_EQ(seen, std::vector<int>(kJobs, 0));
  EXPECT_EQ(std::set<int>(pids.begin(), pids.end()).size(), 2U) << "the jobs ran on one connection";
  EXPECT_EQ(read_counter(*db), 9);
}

// The counter's statements as the hot path runs them, straight through libpq.
const PgStatement kCounterLocked{"s2s_test_counter_locked",
                                 "SELECT n, txid_current() FROM counter WHERE id = $1 FOR UPDATE"};
const PgStatement kCounterSet{"s2s_test_counter_set", "UPDATE counter SET n = $1 WHERE id = $2"};
const PgStatement kCounterInsert{"s2s_test_counter_insert", "INSERT INTO counter (id, n) VALUES ($1, $2)"};

TEST(PostgresOnlyDatabaseTest, ADeferredBeginGoesWithTheFirstStatementAndQueuedWritesBeforeTheNext) {
  TestDatabase test_db;
  auto db = test_db.open();
  create_counter(*db);
  long long first_txid = 0;
  long long later_txid = -1;
  int seen = -1;
  db->transact([&](Database::Connection& connection) {
    const PgRows rows = connection.run(kCounterLocked, {"1"});
    EXPECT_EQ(rows.size(), 1);
    EXPECT_EQ(rows.integer(0, 0), 0);
    first_txid = rows.integer(0, 1);
    connection.queue(kCounterSet, {"5", "1"});
    // SOCI's statements run after what was queued, in the same transaction.
    connection.session() << "SELECT n, txid_current() FROM counter WHERE id = 1", soci::into(seen),
        soci::into(later_txid);
    connection.queue(kCounterSet, {"6", "1"});  // goes with the COMMIT
  });
  EXPECT_EQ(seen, 5);
  EXPECT_EQ(later_txid, first_txid) << "the locked read ran outside the transaction";
  EXPECT_EQ(read_counter(*db), 6);
}

// Whatever text an element holds comes out of unnest() as it went in.
TEST(PostgresOnlyDatabaseTest, AnArrayLiteralCarriesEveryElementAsItWasWithNullsAndNumbers) {
  TestDatabase test_db;
  auto db = test_db.open({.pool_size = 1});
  const std::vector<std::string> texts = {"plain",
                                          "",
                                          "with \"quotes\"",
                                          "back\\slash\\",
                                          "{braces}, commas",
                                          "NULL",
                                          " spaced ",
                                          "Ysgol Gymraeg \u2019",
                                          R"({"json": "a \"quoted\" value", "path": "C:\\x"})"};
  PgArray text;
  for (const auto& t : texts) text.text(t);
  text.null();
  const PgStatement unnest_text{
      "s2s_test_unnest_text",
      "SELECT v, v IS NULL FROM unnest(CAST($1 AS text[])) WITH ORDINALITY AS u(v, n) ORDER BY n"};
  const PgStatement unnest_numbers{"s2s_test_unnest_numbers",
                                   "SELECT sum(v), count(v), count(*) FROM unnest(CAST($1 AS bigint[])) AS u(v)"};
  db->transact([&](Database::Connection& connection) {
    const PgRows rows = connection.run(unnest_text, {text.str()});
    ASSERT_EQ(rows.size(), static_cast<int>(texts.size()) + 1);
    for (int i = 0; i < static_cast<int>(texts.size()); ++i) {
      EXPECT_EQ(rows.text(i, 0), texts[static_cast<std::size_t>(i)]) << "element " << i;
      EXPECT_EQ(rows.text(i, 1), "f") << "element " << i;
    }
    EXPECT_TRUE(rows.is_null(static_cast<int>(texts.size()), 0));
    const PgRows numbers = connection.run(unnest_numbers, {PgArray().number(-3).number(9'000'000'000).null().str()});
    EXPECT_EQ(numbers.integer(0, 0), 8'999'999'997);
    EXPECT_EQ(numbers.integer(0, 1), 2);
    EXPECT_EQ(numbers.integer(0, 2), 3);
  });
  EXPECT_EQ(PgArray().str(), "{}");
}

TEST(PostgresOnlyDatabaseTest, AQueuedWriteThatFailsAtTheCommitUndoesTheWholeTransaction) {
  TestDatabase test_db;
  auto db = test_db.open({.pool_size = 1});
  create_counter(*db);
  try {
    db->transact([](Database::Connection& connection) {
      connection.run(kCounterSet, {"3", "1"});
      connection.queue(kCounterInsert, {"1", "2"});  // id 1 is there already
      connection.queue(kCounterInsert, {"2", "2"});  // skipped: the one before it failed
    });
    FAIL() << "expected DatabaseError";
  } catch (const DatabaseError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("duplicate key"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << "not one line: " << what;
  }
  EXPECT_EQ(read_counter(*db), 0) << "the update before the failed write was committed";
  // The connection goes back to the pool in working order, its statements still prepared.
  db->transact([](Database::Connection& connection) { connection.run(kCounterSet, {"4", "1"}); });
  EXPECT_EQ(read_counter(*db), 4);
  int rows = 0;
  db->acquire().session() << "SELECT count(*) FROM counter", soci::into(rows);
  EXPECT_EQ(rows, 1);
}

TEST(PostgresOnlyDatabaseTest, WritesQueuedBeforeAFailureAreNeverSent) {
  TestDatabase test_db;
  auto db = test_db.open({.pool_size = 2});
  create_counter(*db);
  EXPECT_THROW(db->transact([](Database::Connection& connection) {
    connection.queue(kCounterSet, {"8", "1"});
    throw std::runtime_error("the caller gave up");
  }),
               std::runtime_error);
  EXPECT_EQ(read_counter(*db), 0);
  // Outside a transaction a queued write runs at once.
  auto connection = db->acquire();
  connection.queue(kCounterSet, {"9", "1"});
  EXPECT_EQ(read_counter(*db), 9);
}

TEST(PostgresOnlyDatabaseTest, ALostConnectionOnTheHotPathIsDatabaseUnavailableAndReplaced) {
  TestDatabase test_db;
  auto db = test_db.open({.pool_size = 1});
  create_counter(*db);
  int first_pid = 0;
  db->acquire().session() << "SELECT pg_backend_pid()", soci::into(first_pid);
  {
    auto other = test_db.open({.pool_size = 1});
    other->acquire().session() << "SELECT pg_terminate_backend(:pid)", soci::use(first_pid);
  }
  EXPECT_THROW(db->transact([](Database::Connection& connection) { connection.run(kCounterLocked, {"1"}); }),
               DatabaseUnavailable);
  long long n = -1;
  db->transact([&](Database::Connection& connection) { n = connection.run(kCounterLocked, {"1"}).integer(0, 0); });
  EXPECT_EQ(n, 0);
}

TEST(PostgresOnlyDatabaseTest, AColumnThatIsNotAnIntegerIsSaidWithItsValue) {
  TestDatabase test_db;
  auto db = test_db.open();
  const PgStatement text{"s2s_test_text", "SELECT 'twelve'::text"};
  auto connection = db->acquire();
  const PgRows rows = connection.run(text, {});
  EXPECT_EQ(rows.text(0, 0), "twelve");
  try {
    (void)rows.integer(0, 0);
    FAIL() << "expected DatabaseError";
  } catch (const DatabaseError& e) {
    EXPECT_NE(std::string(e.what()).find("'twelve'"), std::string::npos) << e.what();
  }
}

TEST(PostgresOnlyDatabaseTest, UnreachableServerIsDatabaseUnavailableNamingIt) {
  try {
    (void)Database::open(DatabaseUrl::parse("postgresql://s2s@127.0.0.1:1/none"));
    FAIL() << "expected DatabaseUnavailable";
  } catch (const DatabaseUnavailable& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("127.0.0.1:1"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << "not one line: " << what;
  }
}

}  // namespace
}  // namespace s2s::workflow
