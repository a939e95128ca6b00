#pragma once

#include <memory>
#include <string>

#include "workflow/database.h"

namespace s2s::testing {

// The backend a database test runs on, from S2S_TEST_BACKEND ("sqlite" or
// "postgresql"; ctest runs each database suite once per backend).
[[nodiscard]] workflow::Backend backend_under_test();

// A fresh, empty database for one test: a new SQLite file in a temporary
// folder, or a new schema in the PostgreSQL that S2S_TEST_POSTGRES_URL names
// (./scripts/test starts one). Removed on destruction. A PostgreSQL test whose
// server is unset or unreachable fails: it never skips.
class TestDatabase {
 public:
  explicit TestDatabase(workflow::Backend backend = backend_under_test());
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;
  ~TestDatabase();

  [[nodiscard]] const workflow::DatabaseUrl& url() const noexcept { return url_; }
  [[nodiscard]] workflow::Backend backend() const noexcept { return url_.backend; }

  // A new pool on this database.
  [[nodiscard]] std::shared_ptr<workflow::Database> open(const workflow::DatabaseOptions& options = {}) const;
  // open() and apply every bundled migration.
  [[nodiscard]] std::shared_ptr<workflow::Database> open_migrated(const workflow::DatabaseOptions& options = {}) const;

 private:
  workflow::DatabaseUrl url_;
  std::string folder_;  // sqlite
  std::string schema_;  // postgresql
};

// The one number a query gives ("SELECT count(*) FROM cases"), on a
// connection of its own: what tests count rows with.
[[nodiscard]] long long count_rows(workflow::Database& db, const std::string& query);

}  // namespace s2s::testing
