#include "workflow/migrations.h"

#include <gtest/gtest.h>
#include <soci/soci.h>

#include <algorithm>
#include <atomic>
#include <tuple>
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

// 0012 rebuilds users on SQLite (a CHECK cannot change in place): users,
// their tokens and idempotency keys that refer to them come through whole,
// the strategic role is taken, and foreign keys are enforced again after.
TEST(MigrationsTest, TheStrategicRoleMigrationKeepsUsersTokensAndForeignKeys) {
  TestDatabase test_db;
  auto db = test_db.open();
  auto bundled = bundled_migrations(db->backend());
  const auto twelve = std::find_if(bundled.begin(), bundled.end(), [](const Migration& m) { return m.version == 12; });
  ASSERT_NE(twelve, bundled.end());
  migrate(*db, std::vector<Migration>(bundled.begin(), twelve));
  {
    auto connection = db->acquire();
    auto& sql = connection.session();
    sql << "INSERT INTO users (id, name, email, role, scope_kind, scope_value, created_at, notify)"
           " VALUES (7, 'Amy', 'amy@example.org', 'lead', 'mini_region', 'Derbyshire', '2026-01-01T00:00:00Z', 'digest')";
    sql << "INSERT INTO api_tokens (user_id, token_hash, token_prefix, created_at) VALUES (7, 'h', 'p', '2026-01-01')";
  }
  migrate(*db, bundled);
  auto connection = db->acquire();
  auto& sql = connection.session();
  std::string email;
  std::string notify;
  sql << "SELECT u.email, u.notify FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = 'h'",
      soci::into(email), soci::into(notify);
  EXPECT_EQ(email, "amy@example.org");
  EXPECT_EQ(notify, "digest");
  EXPECT_NO_THROW(sql << "INSERT INTO users (name, email, role, created_at) VALUES ('S', 's@example.org',"
                         " 'strategic', '2026-01-01')");
  EXPECT_ANY_THROW(sql << "INSERT INTO users (name, email, role, created_at) VALUES ('X', 'x@example.org',"
                          " 'nobody', '2026-01-01')");
  EXPECT_ANY_THROW(sql << "INSERT INTO api_tokens (user_id, token_hash, token_prefix, created_at)"
                          " VALUES (999, 'h2', 'p', '2026-01-01')")
      << "foreign keys are enforced again after migrating";
}

// On SQLite a migration runs with foreign key enforcement off (to rebuild a
// table); one that leaves a row pointing nowhere is refused whole.
TEST(MigrationsTest, SqliteOnlyAMigrationLeavingABrokenForeignKeyIsRefused) {
  TestDatabase test_db;
  auto db = test_db.open();
  const auto migrations = make({{"m/0001_a.sql", "CREATE TABLE a (id INTEGER PRIMARY KEY);"
                                                 " CREATE TABLE b (a_id INTEGER REFERENCES a (id));"},
                                {"m/0002_b.sql", "INSERT INTO b (a_id) VALUES (42);"}});
  try {
    migrate(*db, migrations);
    FAIL() << "expected MigrationError";
  } catch (const MigrationError& e) {
    EXPECT_NE(std::string(e.what()).find("a row of b refers to a missing row of a"), std::string::npos) << e.what();
  }
  EXPECT_EQ(migration_status(*db, migrations).pending, std::vector<std::string>{"0002_b.sql"});
}

// The phase groups a lead may be narrowed to, worked out by the database.
TEST(MigrationsTest, SchoolsPhaseGroupComesFromTheirPhaseAndType) {
  TestDatabase test_db;
  auto db = test_db.open_migrated();
  auto connection = db->acquire();
  auto& sql = connection.session();
  const std::vector<std::tuple<int, std::string, std::string, std::string>> schools{
      {1, "Primary", "Academy converter", "primary"},
      {2, "Middle deemed secondary", "Community school", "middle"},
      {3, "Not applicable", "Community special school", "special"},
      {4, "Secondary", "Academy special sponsor led", "special"},
      {5, "Not applicable", "Pupil referral unit", "alternative_provision"},
      {6, "16 plus", "Further education", "sixteen_plus"},
      {7, "All-through", "Free schools", "all_through"},
      {8, "Nursery", "Local authority nursery school", "nursery"},
      {9, "Not applicable", "Other independent school", "other"}};
  for (const auto& [urn, phase, type, group] : schools) {
    sql << "INSERT INTO schools (urn, name, la_code, la_name, phase, status, type, gias_checksum, imported_at,"
           " updated_at) VALUES (:u, 'S', 830, 'Derbyshire', :p, 'Open', :t, 'x', '2026-01-01T00:00:00Z',"
           " '2026-01-01T00:00:00Z')",
        soci::use(urn), soci::use(phase), soci::use(type);
    std::string got;
    sql << "SELECT phase_group FROM schools WHERE urn = :u", soci::use(urn), soci::into(got);
    EXPECT_EQ(got, group) << phase << ", " << type;
  }
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
