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

// A migration once shipped never changes: these are the SHA-256s that
// databases everywhere recorded for the SQL each dialect ran. A change to a
// file or to the dialect renderer that alters them fails here, not on an
// operator's server ("changed after it was applied").
TEST(MigrationsTest, ShippedMigrationsRenderToTheSqlEachDialectRecorded) {
  struct Shipped {
    std::string_view name, postgresql, sqlite;
  };
  constexpr Shipped shipped[] = {
      {"0001_core.sql", "d5eac739b2ccef3b4aa40568ed7459519f66255ebe28091b5c5740d1d7736b47",
       "d4cc5b3c7201e51c00bc9087b1084e750ab8205b5f22ba4db47c9d5306530283"},
      {"0002_schools.sql", "bfa750710e6384511372a7beed3d48c56867b7121a70c22531c52ca831b43e04",
       "ac0ace8a1d4676e3eb87445092612372f8bb8758be34489655032849fb24a680"},
      {"0003_users.sql", "075673a8625eda3cd622562fc95242a2da72d72b217995475b355fc97a51adeb",
       "366e34c935bca68d00b2d3150a5afdc52d017bdecbdc39ad4f30e468f7fc074f"},
      {"0004_providers.sql", "c0a0a206f676340e7e54236c2029661a04dcb227b6d9db6ad448a364f1c5337a",
       "d4cfb4ecfb275f955d833a008f7164d51a8bab89e1fc03bc6bbd519d56d8af82"},
      {"0005_deployments.sql", "ee41119f505a68d06e17b2dde6ee46998a0c999fe2e7346769aeaa22debd4ec4",
       "06502928708da812f99981d3e86e5d6ed55864c0ce0134ddf7ae146d7ab7cb1d"},
      {"0006_idempotency.sql", "46cdb4c689b39e61ea8ed68aa9059de4ed3f09e87a6dc0ce541c58576dd79c87",
       "d256a8c5340d9b754404dd4210c4265e63b5c8a0abd01ce6eecef9de6561827a"},
      {"0007_deadline_index.sql", "77a7ca38c48dd0b7b0455313af85c0fd5f066eede76c8679be12812fe36124f2",
       "509c355dc5b645ebea09ab1733dc0e90f927fe603d96945e0cd81f0be1fb423a"},
      {"0008_deliveries.sql", "cd020b391c6df58a614639a4621197e813c32bbf96ac5dd53df5fdf0dfc2ebef",
       "17cc35bc083ac5f466936ca6b926219ae5e3d7129beb0380973446c511542b76"},
      {"0009_feed_tokens.sql", "0daf328c654a01a3a68a50c582c77c29198c657290814cf1f7916dde718e77c9",
       "54db57dbb4dd814dc11c12147b6508e1c73b1e5550c8ecefa06820c318f7467e"},
      {"0010_day_totals.sql", "c1fb2690bb7251bae304421ba635e8e7c80a88ccda58a91cb7200be818235788",
       "96ecbcc46e29dcc94a4996ae6b7330d4f5c71ac616f5cdd67c086cdd4fcb1489"},
      {"0011_report_indexes.sql", "38bb7d8cee38de8db5fbbab4b1e17ba807135c5ae16d2bb61b4743620b94daf1",
       "75f0fe93bb25fcaee7344f071ece3ec74fcb2e118f5183f83ecfd6c45ff2280a"},
      {"0012_plan_fidelity.sql", "601193c526ff383c86383ed5357991c26acc06e92c11a5178c2b008aa44f4ec9",
       "6a7dcf9aef783d702e6bb768273b2d726d71143a821404d43e7000220b211687"},
      {"0013_web_sign_in.sql", "e668601585dd175d961b07781d77b26cdcac5f43721495d910b47498d772c115",
       "e041fd4edaf972f4d93eb8c2006b83334762060f79a70b6f32ee75f4f2ca9b9b"},
      {"0014_audit.sql", "a9b171ae6727f6ec7df064b4c2ee746ea5371f70175b0f81326da954ebfecaf1",
       "30b6d76d95c08dc6232000b1b45b3cb094fd956a41d41781abefbddf9bd43232"},
      {"0015_idempotency_commit.sql", "9824ccef3a3ba42152ff1f25f0174866e9432d64220209ce87768f41b1509644",
       "cef402346dce6fc2903abbc339fc8330dcb08fafc0f719c5eb65cf4695334205"},
  };
  const auto pg = bundled_migrations(Backend::postgresql);
  const auto lite = bundled_migrations(Backend::sqlite);
  ASSERT_EQ(pg.size(), lite.size());
  ASSERT_GE(pg.size(), std::size(shipped));
  for (std::size_t i = 0; i < std::size(shipped); ++i) {
    EXPECT_EQ(pg[i].name, shipped[i].name);
    EXPECT_EQ(pg[i].checksum, shipped[i].postgresql) << shipped[i].name << " on PostgreSQL";
    EXPECT_EQ(lite[i].checksum, shipped[i].sqlite) << shipped[i].name << " on SQLite";
  }
  for (std::size_t i = 0; i < pg.size(); ++i) {
    EXPECT_EQ(pg[i].sql.find("{{"), std::string::npos) << pg[i].name;
    EXPECT_EQ(lite[i].sql.find("}}"), std::string::npos) << lite[i].name;
  }
}

TEST(MigrationsTest, DialectChoicesRenderOneSideAndBadOnesNameTheLine) {
  const std::string source = "CREATE TABLE t (\n  id {{BIGSERIAL}{INTEGER}} PRIMARY KEY,\n  at {{TIMESTAMPTZ}{TEXT}}\n);\n"
                             "{{CREATE INDEX t_at ON t (at);\n}{}}";
  EXPECT_EQ(render_dialect(source, Backend::postgresql, "0001_t.sql"),
            "CREATE TABLE t (\n  id BIGSERIAL PRIMARY KEY,\n  at TIMESTAMPTZ\n);\nCREATE INDEX t_at ON t (at);\n");
  EXPECT_EQ(render_dialect(source, Backend::sqlite, "0001_t.sql"),
            "CREATE TABLE t (\n  id INTEGER PRIMARY KEY,\n  at TEXT\n);\n");
  EXPECT_EQ(render_dialect("SELECT 'a' || 'b';", Backend::sqlite, "x.sql"), "SELECT 'a' || 'b';");
  const auto refused = [](const std::string& text) {
    try {
      (void)render_dialect(text, Backend::sqlite, "0002_bad.sql");
    } catch (const MigrationError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(refused("SELECT 1;\nSELECT {{2;").find("0002_bad.sql line 2"), std::string::npos) << refused("{{2");
  EXPECT_NE(refused("SELECT 1;\n\n{{2}};").find("line 3"), std::string::npos);
  EXPECT_NE(refused("SELECT 2}};").find("line 1: '}}' without"), std::string::npos);
  EXPECT_NE(refused("{{a}{b}} {{c}};").find("line 1"), std::string::npos);
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
