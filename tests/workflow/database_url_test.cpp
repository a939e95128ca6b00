#include "workflow/database.h"

#include <gtest/gtest.h>

#include "workflow/errors.h"

namespace s2s::workflow {
namespace {

TEST(DatabaseUrlTest, SqliteAbsolutePath) {
  const auto url = DatabaseUrl::parse("sqlite:///var/lib/s2s/s2s.db");
  EXPECT_EQ(url.backend, Backend::sqlite);
  EXPECT_EQ(url.sqlite_path, "/var/lib/s2s/s2s.db");
}

TEST(DatabaseUrlTest, SqliteRelativePath) {
  const auto url = DatabaseUrl::parse("sqlite:var/s2s.db");
  EXPECT_EQ(url.backend, Backend::sqlite);
  EXPECT_EQ(url.sqlite_path, "var/s2s.db");
}

TEST(DatabaseUrlTest, SqliteDoubleSlashWithoutAbsolutePathIsRefused) {
  EXPECT_THROW((void)DatabaseUrl::parse("sqlite://var/s2s.db"), ConfigError);
  EXPECT_THROW((void)DatabaseUrl::parse("sqlite:"), ConfigError);
  EXPECT_THROW((void)DatabaseUrl::parse("sqlite:var/"), ConfigError);
}

TEST(DatabaseUrlTest, PostgresqlUrlPassesThrough) {
  const auto url = DatabaseUrl::parse("postgresql://s2s@127.0.0.1:5432/s2s?sslmode=disable");
  EXPECT_EQ(url.backend, Backend::postgresql);
  EXPECT_EQ(url.connect_string, "postgresql://s2s@127.0.0.1:5432/s2s?sslmode=disable");
  EXPECT_EQ(DatabaseUrl::parse("postgres://h/db").backend, Backend::postgresql);
}

TEST(DatabaseUrlTest, PasswordsAreRedacted) {
  EXPECT_EQ(DatabaseUrl::parse("postgresql://s2s:hunter2@db:5432/s2s").redacted, "postgresql://s2s:***@db:5432/s2s");
  EXPECT_EQ(DatabaseUrl::parse("postgresql://db/s2s?user=a&password=hunter2&x=1").redacted,
            "postgresql://db/s2s?user=a&password=***&x=1");
}

TEST(DatabaseUrlTest, UnknownSchemeNamesIt) {
  try {
    (void)DatabaseUrl::parse("mysql://root:pw@localhost/db");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("unknown scheme 'mysql'"), std::string::npos) << what;
    EXPECT_EQ(what.find("pw"), std::string::npos) << "password leaked: " << what;
  }
}

TEST(DatabaseUrlTest, OneLineFoldsWhitespace) {
  EXPECT_EQ(one_line("could not connect\n\tIs the server running?\n"), "could not connect Is the server running?");
}

}  // namespace
}  // namespace s2s::workflow
