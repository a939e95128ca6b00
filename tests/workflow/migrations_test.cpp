#include "workflow/migrations.h"

#include <gtest/gtest.h>
#include <soci/soci.h>

#include <atomic>
#include <thread>

#include "tests/support/test_database.h"
#include "workflow/errors.h"

namespace s2s::workflow {
namespace {

using testing::TestDatabase;

std::vector<Migration> make(std::vector<embedded::File> files) { return migrations_from_files(files); }

bool table_exists(Database& db, const std::string& table) {
  auto connection = db.acquire();
  int count = 0;
  if (db.backend() == Backend::postgresql) {
    connection.session() << "SELECT count(*) FROM pg_tables WHERE tablename = :t AND schemaname = current_schema()",
        soci::use(table), soci::into(count);
  } else {
    connection.session() << "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = :t", soci::use(table),
        soci::into(count);
  }
  return count == 1;
}

TEST(MigrationsTest, BundledMigrationsApplyOnceAndRecordChecksums) {
  TestDatabase test_db;
  auto db = test_db.open();
  const auto bundled = bundled_migrations(db->backend());
  ASSERT_FALSE(bundled.empty());
  EXPECT_EQ(migration_status(*db, bundled).pending.size(), bundled.size());

  const auto applied = migrate(*db, bundled);
  ASSERT_EQ(applied.size(), bundled.size());
  EXPECT_EQ(applied.front(), "0001_core.sql");
  EXPECT_TRUE(table_exists(*db, "cases"));
  EXPECT_TRUE(migrate(*db, bundled).empty()) << "a second run applies nothing";

  const auto status = migration_status(*db, bundled);
  EXPECT_TRUE(status.pending.empty());
  EXPECT_EQ(status.applied.size(), bundled.size());
  auto connection = db->acquire();
  std::string checksum;
  connection.session() << "SELECT checksum FROM schema_migrations WHERE version = 1", soci::into(checksum);
  EXPECT_EQ(checksum, bundled.front().checksum);
}

TEST(MigrationsTest, BothDialectsShipTheSameMigrationNames) {
  const auto pg = bundled_migrations(Backend::postgresql);
  const auto lite = bundled_migrations(Backend::sqlite);
  ASSERT_EQ(pg.size(), lite.size());
  for (std::size_t i = 0; i < pg.size(); ++i) EXPECT_EQ(pg[i].name, lite[i].name);
}

TEST(MigrationsTest, ChangedAppliedFileIsRefused) {
  TestDatabase test_db;
  auto db = test_db.open();
  migrate(*db, make({{"m/0001_a.sql", "CREATE TABLE a (x INTEGER);"}}));
  const auto edited = make(
      {{"m/0001_a.sql", "CREATE TABLE a (x INTEGER, y INTEGER);"}, {"m/0002_b.sql", "CREATE TABLE b (x INTEGER);"}});
  try {
    (void)migration_status(*db, edited);
    FAIL() << "expected MigrationError";
  } catch (const MigrationError& e) {
    EXPECT_NE(std::string(e.what()).find("0001_a.sql was changed after it was applied"), std::string::npos) << e.what();
  }
  EXPECT_THROW(migrate(*db, edited), MigrationError);
  EXPECT_FALSE(table_exists(*db, "b")) << "nothing applied after the refusal";
}

TEST(MigrationsTest, DatabaseFromANewerVersionIsRefused) {
  TestDatabase test_db;
  auto db = test_db.open();
  migrate(*db,
          make({{"m/0001_a.sql", "CREATE TABLE a (x INTEGER);"}, {"m/0002_b.sql", "CREATE TABLE b (x INTEGER);"}}));
  try {
    (void)migration_status(*db, make({{"m/0001_a.sql", "CREATE TABLE a (x INTEGER);"}}));
    FAIL() << "expected MigrationError";
  } catch (const MigrationError& e) {
    EXPECT_NE(std::string(e.what()).find("0002_b.sql which this s2sd does not know"), std::string::npos) << e.what();
  }
}

TEST(MigrationsTest, FailingMigrationLeavesNothingOfItselfAndKeepsEarlierOnes) {
  TestDatabase test_db;
  auto db = test_db.open();
  const auto migrations = make({{"m/0001_a.sql", "CREATE TABLE a (x INTEGER);"},
                                {"m/0002_b.sql", "CREATE TABLE b (x INTEGER); INSERT INTO missing VALUES (1);"},
                                {"m/0003_c.sql", "CREATE TABLE c (x INTEGER);"}});
  try {
    migrate(*db, migrations);
    FAIL() << "expected MigrationError";
  } catch (const MigrationError& e) {
    EXPECT_NE(std::string(e.what()).find("migration 0002_b.sql failed"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(table_exists(*db, "a"));
  EXPECT_FALSE(table_exists(*db, "b")) << "half of 0002 was applied";
  EXPECT_FALSE(table_exists(*db, "c"));
  const auto status = migration_status(*db, migrations);
  EXPECT_EQ(status.applied, std::vector<std::string>{"0001_a.sql"});
  EXPECT_EQ(status.pending, (std::vector<std::string>{"0002_b.sql", "0003_c.sql"}));
}

TEST(MigrationsTest, ConcurrentMigratorsApplyEachMigrationOnce) {
  TestDatabase test_db;
  // CREATE TABLE without IF NOT EXISTS: applying it twice would fail.
  const auto migrations = make({{"m/0001_a.sql", "CREATE TABLE a (x INTEGER);"},
                                {"m/0002_b.sql", "CREATE TABLE b (x INTEGER); INSERT INTO b VALUES (1);"}});
  std::atomic<int> applied_total{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      try {
        auto db = test_db.open({.pool_size = 1});
        applied_total += static_cast<int>(migrate(*db, migrations).size());
      } catch (const std::exception& e) {
        ++failures;
        ADD_FAILURE() << e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(applied_total, 2);
  auto db = test_db.open();
  auto connection = db->acquire();
  int rows = 0;
  connection.session() << "SELECT count(*) FROM b", soci::into(rows);
  EXPECT_EQ(rows, 1);
}

TEST(MigrationsTest, BadlyNamedFilesAreRefused) {
  EXPECT_THROW(make({{"m/1_a.sql", "SELECT 1;"}}), MigrationError);
  EXPECT_THROW(make({{"m/0001_a.txt", "SELECT 1;"}}), MigrationError);
  EXPECT_THROW(make({{"m/0001_a.sql", "SELECT 1;"}, {"n/0001_b.sql", "SELECT 1;"}}), MigrationError);
}

}  // namespace
}  // namespace s2s::workflow
