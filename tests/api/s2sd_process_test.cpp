// s2sd end to end: the real executable, its flags, exit codes and a real server process.
#include <signal.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/support/http_client.h"
#include "tests/support/process.h"
#include "tests/support/test_database.h"

namespace s2s::testing {
namespace {

const std::string kS2sd = S2SD_PATH;

bool one_line(const std::string& text) {
  return !text.empty() && text.find('\n') == text.size() - 1;
}

TEST(S2sdTest, VersionPrintsTheVersion) {
  const auto result = run_process({kS2sd, "version"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.out.rfind("s2sd ", 0), 0u) << result.out;
}

TEST(S2sdTest, UnknownFlagIsOneLineAndExit2) {
  const auto result = run_process({kS2sd, "migrate", "--colour"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_TRUE(one_line(result.err)) << result.err;
  EXPECT_NE(result.err.find("unknown option --colour"), std::string::npos) << result.err;
}

TEST(S2sdTest, UnknownCommandIsExit2) {
  const auto result = run_process({kS2sd, "frobnicate"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("unknown command 'frobnicate'"), std::string::npos) << result.err;
}

TEST(S2sdTest, HelpOnEveryCommand) {
  for (const std::string command : {"serve", "migrate", "version"}) {
    const auto result = run_process({kS2sd, command, "--help"});
    EXPECT_EQ(result.exit_code, 0) << command;
    EXPECT_NE(result.out.find("Usage: s2sd " + command), std::string::npos) << result.out;
  }
}

TEST(S2sdTest, UnknownUrlSchemeIsOneLineAndExit1) {
  const auto result = run_process({kS2sd, "migrate", "--db", "mysql://localhost/x"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_TRUE(one_line(result.err)) << result.err;
  EXPECT_NE(result.err.find("unknown scheme 'mysql'"), std::string::npos) << result.err;
}

TEST(S2sdTest, UnreachablePostgresqlIsOneLineAndExit1) {
  const auto result = run_process({kS2sd, "migrate"}, {{"S2S_DATABASE_URL", "postgresql://s2s@127.0.0.1:1/x"}});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_TRUE(one_line(result.err)) << result.err;
  EXPECT_NE(result.err.find("127.0.0.1:1"), std::string::npos) << result.err;
}

TEST(S2sdTest, UnwritableSqlitePathIsOneLineAndExit1) {
  const auto result = run_process({kS2sd, "migrate", "--db", "sqlite:///proc/s2s/s2s.db"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_TRUE(one_line(result.err)) << result.err;
  EXPECT_NE(result.err.find("/proc/s2s"), std::string::npos) << result.err;
}

TEST(S2sdTest, MigrateAppliesThenReportsUpToDate) {
  TestDatabase db;
  const std::map<std::string, std::string> env{{"S2S_DATABASE_URL", db.url().text}};
  const auto pending = run_process({kS2sd, "migrate", "--status"}, env);
  EXPECT_EQ(pending.exit_code, 3) << pending.err;
  EXPECT_NE(pending.out.find("pending  0001_core.sql"), std::string::npos) << pending.out;

  const auto first = run_process({kS2sd, "migrate"}, env);
  EXPECT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("applied"), std::string::npos) << first.out;
  const auto second = run_process({kS2sd, "migrate"}, env);
  EXPECT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.out.find("up to date"), std::string::npos) << second.out;
  const auto status = run_process({kS2sd, "migrate", "--status"}, env);
  EXPECT_EQ(status.exit_code, 0);
  EXPECT_NE(status.out.find("applied  0001_core.sql"), std::string::npos) << status.out;
}

TEST(S2sdTest, ServeMigratesAnswersReadyzAndStopsCleanlyOnSigterm) {
  TestDatabase db;
  const auto port = free_port();
  ChildProcess s2sd({kS2sd, "serve", "--listen", "127.0.0.1:" + std::to_string(port), "--log-format", "json"},
                    {{"S2S_DATABASE_URL", db.url().text}});
  ASSERT_TRUE(s2sd.wait_for_stderr("serving http://")) << s2sd.stderr_text();
  const auto ready = http_request(port, "GET", "/readyz");
  EXPECT_EQ(ready.status, 200) << ready.body;
  EXPECT_EQ(http_request(port, "GET", "/healthz").status, 200);
  s2sd.signal(SIGTERM);
  EXPECT_EQ(s2sd.wait(), 0) << s2sd.stderr_text();
  // JSON log lines, one object a line, and the request log without query strings.
  const auto& log = s2sd.stderr_text();
  EXPECT_EQ(log.rfind("{\"ts\":\"", 0), 0u) << log;
  EXPECT_NE(log.find("GET /readyz 200"), std::string::npos) << log;
  EXPECT_NE(log.find("\"msg\":\"stopped\""), std::string::npos) << log;
}

TEST(S2sdTest, ServeWithNoMigrateIsNotReadyUntilMigrated) {
  TestDatabase db;
  const auto port = free_port();
  const std::map<std::string, std::string> env{{"S2S_DATABASE_URL", db.url().text}};
  ChildProcess s2sd({kS2sd, "serve", "--no-migrate", "--listen", "127.0.0.1:" + std::to_string(port)}, env);
  ASSERT_TRUE(s2sd.wait_for_stderr("serving http://")) << s2sd.stderr_text();
  EXPECT_EQ(http_request(port, "GET", "/readyz").status, 503);
  EXPECT_EQ(run_process({kS2sd, "migrate"}, env).exit_code, 0);
  EXPECT_EQ(http_request(port, "GET", "/readyz").status, 200);
  s2sd.signal(SIGINT);
  EXPECT_EQ(s2sd.wait(), 0) << s2sd.stderr_text();
}

TEST(S2sdTest, ConfigFileSettingsApplyAndBadLinesAreNamed) {
  TestDatabase db;
  const auto path = std::filesystem::temp_directory_path() / ("s2s-" + std::to_string(::getpid()) + ".conf");
  {
    std::ofstream(path) << "# s2sd settings\ndb = " << db.url().text << "\n";
  }
  const auto ok = run_process({kS2sd, "migrate", "--config", path.string()});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  {
    std::ofstream(path) << "db = " << db.url().text << "\nlisten 127.0.0.1:1\n";
  }
  const auto bad = run_process({kS2sd, "migrate", "--config", path.string()});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("line 2"), std::string::npos) << bad.err;
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace s2s::testing
