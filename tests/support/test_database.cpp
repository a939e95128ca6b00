#include "tests/support/test_database.h"

#include <gtest/gtest.h>
#include <soci/soci.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <stdexcept>

#include "workflow/migrations.h"

namespace s2s::testing {
namespace {

std::string random_suffix() {
  static std::atomic<unsigned> counter{0};
  std::random_device rd;
  return std::to_string(rd()) + "_" + std::to_string(counter++);
}

std::string postgres_base_url() {
  const char* url = std::getenv("S2S_TEST_POSTGRES_URL");
  if (url == nullptr || *url == '\0') {
    throw std::runtime_error(
        "S2S_TEST_POSTGRES_URL is not set: run the suites with ./scripts/test, which starts a PostgreSQL");
  }
  return url;
}

}  // namespace

workflow::Backend backend_under_test() {
  const char* backend = std::getenv("S2S_TEST_BACKEND");
  if (backend != nullptr && std::string_view(backend) == "postgresql") return workflow::Backend::postgresql;
  return workflow::Backend::sqlite;
}

TestDatabase::TestDatabase(workflow::Backend backend) {
  if (backend == workflow::Backend::sqlite) {
    folder_ = (std::filesystem::temp_directory_path() / ("s2s-test-" + random_suffix())).string();
    std::filesystem::create_directories(folder_);
    url_ = workflow::DatabaseUrl::parse("sqlite://" + folder_ + "/test.db");
    return;
  }
  const std::string base = postgres_base_url();
  schema_ = "t_" + random_suffix();
  {
    auto admin = workflow::Database::open(workflow::DatabaseUrl::parse(base), {.pool_size = 1});
    auto connection = admin->acquire();
    connection.session() << "CREATE SCHEMA " + schema_;
  }
  url_ = workflow::DatabaseUrl::parse(base + (base.find('?') == std::string::npos ? "?" : "&") +
                                      "options=-csearch_path%3D" + schema_ + "&application_name=" + schema_);
}

TestDatabase::~TestDatabase() {
  try {
    if (!folder_.empty()) {
      std::filesystem::remove_all(folder_);
    } else if (!schema_.empty()) {
      auto admin = workflow::Database::open(workflow::DatabaseUrl::parse(postgres_base_url()), {.pool_size = 1});
      auto connection = admin->acquire();
      connection.session() << "DROP SCHEMA " + schema_ + " CASCADE";
    }
  } catch (const std::exception& e) {
    ADD_FAILURE() << "cleaning up the test database failed: " << e.what();
  }
}

std::shared_ptr<workflow::Database> TestDatabase::open(const workflow::DatabaseOptions& options) const {
  return workflow::Database::open(url_, options);
}

std::shared_ptr<workflow::Database> TestDatabase::open_migrated(const workflow::DatabaseOptions& options) const {
  auto db = open(options);
  workflow::migrate(*db, workflow::bundled_migrations(db->backend()));
  return db;
}

long long count_rows(workflow::Database& db, const std::string& query) {
  auto connection = db.acquire();
  long long n = 0;
  connection.session() << query, soci::into(n);
  return n;
}

}  // namespace s2s::testing
