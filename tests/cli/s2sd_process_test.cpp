// s2sd end to end: the real executable, its flags, exit codes and a real server process.
#include <signal.h>
#include <unistd.h>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <soci/soci.h>

#include <algorithm>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "cases/kinds.h"
#include "tests/support/http_client.h"
#include "tests/support/process.h"
#include "tests/support/smtp_sink.h"
#include "tests/support/test_database.h"
#include "workflow/audit.h"

namespace s2s::testing {
namespace {

const std::string kS2sd = S2SD_PATH;

bool one_line(const std::string& text) { return !text.empty() && text.find('\n') == text.size() - 1; }

TEST(S2sdTest, VersionPrintsTheVersion) {
  const auto result = run_process({kS2sd, "version"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.out.rfind("s2sd ", 0), 0u) << result.out;
#ifdef S2S_EXPECT_JEMALLOC
  // The allocator s2sd was built for is the one it runs with.
  EXPECT_NE(result.out.find("\nmemory: jemalloc 5."), std::string::npos) << result.out;
#else
  EXPECT_NE(result.out.find("\nmemory: the C library's malloc"), std::string::npos) << result.out;
#endif
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

// The commands `s2sd --help` lists: the lower-case words that start each line
// under "Commands:" ("calendar holidays" of "  calendar holidays YEAR  Print ...").
std::vector<std::vector<std::string>> listed_commands() {
  const auto help = run_process({kS2sd, "--help"});
  std::istringstream lines(help.out.substr(help.out.find("Commands:\n") + 10));
  std::vector<std::vector<std::string>> out;
  std::string line;
  while (std::getline(lines, line) && line.rfind("  ", 0) == 0) {
    std::istringstream words(line);
    std::vector<std::string> command;
    std::string word;
    while (words >> word && std::all_of(word.begin(), word.end(), [](char c) { return std::islower(c) || c == '-'; })) {
      command.push_back(word);
    }
    out.push_back(command);
  }
  return out;
}

TEST(S2sdTest, HelpOnEveryCommand) {
  const auto commands = listed_commands();
  ASSERT_GT(commands.size(), 20u);
  for (auto command : commands) {
    std::string name;
    for (const auto& word : command) name += (name.empty() ? "" : " ") + word;
    command.insert(command.begin(), kS2sd);
    command.push_back("--help");
    const auto result = run_process(command);
    EXPECT_EQ(result.exit_code, 0) << name;
    EXPECT_NE(result.out.find("Usage: s2sd " + name), std::string::npos) << result.out;
    // Every command takes --db, so one command line or config file serves them all.
    EXPECT_NE(result.out.find("  --db URL "), std::string::npos) << "s2sd " << name << " does not take --db";
  }
}

TEST(S2sdTest, CommandsThatReadNoDatabaseStillTakeDb) {
  const std::string db = "sqlite:///nonexistent-folder-s2s/never-opened.db";
  const auto deadlines = run_process({kS2sd, "deadlines", "--db", db});
  EXPECT_EQ(deadlines.exit_code, 0) << deadlines.err;
  EXPECT_NE(deadlines.out.find("risk_assessment.report             15 "), std::string::npos) << deadlines.out;
  EXPECT_EQ(run_process({kS2sd, "diagram", "support_request", "--db", db}).exit_code, 0);
  EXPECT_EQ(run_process({kS2sd, "calendar", "holidays", "2030", "--db", db}).exit_code, 0);
  EXPECT_EQ(run_process({kS2sd, "calendar", "add-working-days", "2026-12-18", "10", "--db", db}).out, "2027-01-06\n");
  EXPECT_EQ(run_process({kS2sd, "version", "--db", db}).exit_code, 0);
  EXPECT_FALSE(std::filesystem::exists("/nonexistent-folder-s2s"));
}

// A setting the caller got wrong exits 2, as a bad flag does; what went wrong
// around it (an unreachable server, an unwritable path) exits 1.
TEST(S2sdTest, UnknownUrlSchemeIsOneLineAndExit2) {
  const auto result = run_process({kS2sd, "migrate", "--db", "mysql://localhost/x"});
  EXPECT_EQ(result.exit_code, 2);
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

// The memory for kept histories is a whole number of MiB in its range, a bad one named.
TEST(S2sdTest, ServeTakesTheMemoryForKeptHistoriesInRange) {
  TestDatabase db;
  const std::map<std::string, std::string> env{{"S2S_DATABASE_URL", db.url().text}};
  for (const char* bad : {"-1", "16385", "lots"}) {
    const auto result = run_process({kS2sd, "serve", "--listen", "127.0.0.1:0", "--kept-history-mb", bad}, env);
    EXPECT_EQ(result.exit_code, 2) << bad;
    EXPECT_TRUE(one_line(result.err)) << "named before the database is migrated: " << result.err;
    EXPECT_NE(result.err.find("kept-history-mb must be a whole number from 0 to 16384, got '" + std::string(bad) + "'"),
              std::string::npos)
        << result.err;
  }
  const auto port = free_port();
  ChildProcess s2sd({kS2sd, "serve", "--listen", "127.0.0.1:" + std::to_string(port), "--kept-history-mb", "0"}, env);
  ASSERT_TRUE(s2sd.wait_for_stderr("serving http://")) << s2sd.stderr_text();
  EXPECT_EQ(http_request(port, "GET", "/readyz").status, 200);
  s2sd.signal(SIGTERM);
  EXPECT_EQ(s2sd.wait(), 0) << s2sd.stderr_text();
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
  { std::ofstream(path) << "# s2sd settings\ndb = " << db.url().text << "\n"; }
  const auto ok = run_process({kS2sd, "migrate", "--config", path.string()});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  { std::ofstream(path) << "db = " << db.url().text << "\nlisten 127.0.0.1:1\n"; }
  const auto bad = run_process({kS2sd, "migrate", "--config", path.string()});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("line 2"), std::string::npos) << bad.err;
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace s2s::testing

namespace s2s::testing {
namespace {

TEST(S2sdCalendarTest, AddWorkingDaysPrintsTheDateAloneOnALine) {
  const auto result = run_process({kS2sd, "calendar", "add-working-days", "2026-12-18", "10"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "2027-01-06\n");
  EXPECT_EQ(run_process({kS2sd, "calendar", "add-working-days", "2026-12-19", "1"}).out, "2026-12-21\n");
}

TEST(S2sdCalendarTest, HolidaysPrintsDatesAndNamesOneALine) {
  const auto result = run_process({kS2sd, "calendar", "holidays", "2030"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out.rfind("2030-01-01  New Year’s Day\n", 0), 0u) << result.out;
  EXPECT_NE(result.out.find("2030-04-19  Good Friday\n"), std::string::npos) << result.out;
  EXPECT_EQ(std::count(result.out.begin(), result.out.end(), '\n'), 8);
}

TEST(S2sdCalendarTest, BadArgumentsAreNamedWithExit2) {
  const auto bad_date = run_process({kS2sd, "calendar", "add-working-days", "2026-02-30", "1"});
  EXPECT_EQ(bad_date.exit_code, 2);
  EXPECT_NE(bad_date.err.find("2026-02-30"), std::string::npos) << bad_date.err;
  const auto bad_n = run_process({kS2sd, "calendar", "add-working-days", "2026-02-03", "ten"});
  EXPECT_EQ(bad_n.exit_code, 2);
  EXPECT_NE(bad_n.err.find("'ten'"), std::string::npos) << bad_n.err;
  EXPECT_EQ(run_process({kS2sd, "calendar", "holidays"}).exit_code, 2);
}

TEST(S2sdCalendarTest, ClosingADayMovesOpenDeadlines) {
  TestDatabase db;
  const std::map<std::string, std::string> env{{"S2S_DATABASE_URL", db.url().text}};
  ASSERT_EQ(run_process({kS2sd, "migrate"}, env).exit_code, 0);
  const auto result = run_process({kS2sd, "calendar", "close", "2031-02-14", "--reason", "INSET day"}, env);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("2031-02-14 closed (INSET day); 0 open deadline(s) moved"), std::string::npos)
      << result.out;
  const auto again = run_process({kS2sd, "calendar", "close", "2031-02-14", "--reason", "again"}, env);
  EXPECT_EQ(again.exit_code, 2);  // the caller's ask: the day is closed already
  EXPECT_NE(again.err.find("already closed"), std::string::npos) << again.err;
  EXPECT_EQ(run_process({kS2sd, "calendar", "close", "2031-02-17"}, env).exit_code, 2) << "--reason is required";
}

TEST(S2sdDiagramTest, TheReadmeShowsEachKindsDiagramAsGenerated) {
  std::ifstream in(std::string(S2S_SOURCE_DIR) + "/README.md");
  const std::string readme((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(readme.empty());
  for (const std::string kind : {"support_request", "risk_assessment", "designation_review", "pupil_premium_review"}) {
    const auto result = run_process({kS2sd, "diagram", kind});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.out.rfind("stateDiagram-v2\n", 0), 0u);
    EXPECT_NE(readme.find("```mermaid\n" + result.out + "```"), std::string::npos)
        << "README.md's " << kind << " diagram differs from `s2sd diagram " << kind << "`:\n"
        << result.out;
  }
  const auto unknown = run_process({kS2sd, "diagram", "fishing_licence"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("support_request"), std::string::npos) << unknown.err;
}

// The columns of the line of `table` that starts with `purpose`: runs of two or more spaces separate them.
std::vector<std::string> deadline_row(const std::string& table, const std::string& purpose) {
  std::istringstream lines(table);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(purpose + " ", 0) != 0) continue;
    std::vector<std::string> columns;
    std::size_t start = 0;
    while (start < line.size()) {
      const auto gap = line.find("  ", start);
      columns.push_back(line.substr(start, gap - start));
      if (gap == std::string::npos) break;
      start = line.find_first_not_of(' ', gap);
    }
    return columns;
  }
  return {};
}

TEST(S2sdDeadlinesTest, ListsDefaultsOwnersAndSourcesAndRefusesUnknownPurposes) {
  const auto defaults = run_process({kS2sd, "deadlines"});
  EXPECT_EQ(defaults.exit_code, 0);
  EXPECT_EQ(defaults.out.rfind("deadline ", 0), 0u) << defaults.out;
  EXPECT_EQ(deadline_row(defaults.out, "risk_assessment.report"),
            (std::vector<std::string>{"risk_assessment.report", "15", "system_leader", "design",
                                      "the assessor submits the report after accepting"}))
      << defaults.out;
  const auto contact = deadline_row(defaults.out, "designation_review.contact");
  ASSERT_EQ(contact.size(), 5u) << defaults.out;
  EXPECT_EQ(contact[1], "10");
  EXPECT_EQ(contact[2], "lead");
  EXPECT_EQ(contact[3], "seed");
  EXPECT_EQ(deadline_row(defaults.out, "support_request.rating")[2], "school");
  EXPECT_EQ(deadline_row(defaults.out, "support_request.triage")[3], "policy");
  // Each source's words follow the table.
  EXPECT_NE(defaults.out.find("  designation_review.contact: East Midlands plan 2016-17: \"Contact is made with "
                              "de-designated school within 10 working days of appeals panel outcome.\""),
            std::string::npos)
      << defaults.out;
  EXPECT_NE(defaults.out.find("  support_request.triage: a local policy default: "), std::string::npos);
  const auto configured = run_process({kS2sd, "deadlines"}, {{"S2S_DEADLINE_DAYS", "risk_assessment.report=20"}});
  EXPECT_EQ(deadline_row(configured.out, "risk_assessment.report")[1], "20 (default 15)") << configured.out;
  EXPECT_EQ(deadline_row(configured.out, "risk_assessment.triage")[1], "5") << configured.out;
  const auto bad = run_process({kS2sd, "deadlines", "--deadline-days", "risk_assessment.reprot=20"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("reprot"), std::string::npos) << bad.err;
}

// The README's deadline table and docs/deadlines.md say what the kinds say:
// each deadline's default, whose move it is and where the number comes from.
TEST(S2sdDeadlinesTest, TheReadmeAndDocsListEveryDeadlineAsTheKindsDeclareIt) {
  for (const std::string file : {"README.md", "docs/deadlines.md"}) {
    SCOPED_TRACE(file);
    std::ifstream in(std::string(S2S_SOURCE_DIR) + "/" + file);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_FALSE(text.empty());
    for (const auto* kind : cases::all_kinds()->all()) {
      for (const auto& d : kind->deadlines()) {
        const std::string row = fmt::format("| `{}` | {} | {} | {} | {}: {} |", d.purpose, d.default_working_days,
                                            d.owner, d.description, workflow::to_string(d.source.kind), d.source.text);
        EXPECT_NE(text.find(row), std::string::npos) << "missing or different:\n" << row;
      }
    }
  }
}

}  // namespace
}  // namespace s2s::testing

namespace s2s::testing {
namespace {

TEST(S2sdUserTest, AddPrintsTheTokenAloneOnTheLastLineAndLogsNeverHoldIt) {
  TestDatabase db;
  const std::map<std::string, std::string> env{{"S2S_DATABASE_URL", db.url().text}, {"S2S_LOG_LEVEL", "debug"}};
  ASSERT_EQ(run_process({kS2sd, "migrate"}, env).exit_code, 0);
  const auto added = run_process(
      {kS2sd, "user", "add", "--name", "Amy", "--email", "amy@example.org", "--role", "school", "--scope", "school:1"},
      env);
  EXPECT_EQ(added.exit_code, 0) << added.err;
  const auto last_newline = added.out.rfind('\n', added.out.size() - 2);
  const std::string last_line = added.out.substr(last_newline + 1, added.out.size() - last_newline - 2);
  EXPECT_EQ(last_line.rfind("s2s_", 0), 0u) << added.out;
  EXPECT_EQ(last_line.size(), 68u) << added.out;
  EXPECT_EQ(added.err.find(last_line), std::string::npos) << "the token reached the log";
  const auto revoked = run_process({kS2sd, "user", "revoke", "amy@example.org"}, env);
  EXPECT_EQ(revoked.exit_code, 0) << revoked.err;
  EXPECT_NE(revoked.out.find("1 token(s) of amy@example.org revoked"), std::string::npos);
  const auto trail = workflow::audit_trail(*db.open(), {});
  ASSERT_EQ(trail.rows.size(), 2u);
  EXPECT_EQ(trail.rows[0].what, "user.revoke");
  EXPECT_EQ(trail.rows[1].what, "user.add");
  EXPECT_EQ(trail.rows[1].subject, "Amy (amy@example.org)");
  const auto bad =
      run_process({kS2sd, "user", "add", "--name", "B", "--email", "b@example.org", "--role", "lead"}, env);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--scope mini_region:NAME or alliance:ID"), std::string::npos) << bad.err;
  // The plan's Primary, Secondary and Special leads: a lead narrowed to phase groups, and the strategic group.
  const auto special = run_process({kS2sd, "user", "add", "--name", "S", "--email", "s@example.org", "--role", "lead",
                                    "--scope", "mini_region:Lincolnshire", "--phases", "special"},
                                   env);
  EXPECT_EQ(special.exit_code, 0) << special.err;
  EXPECT_NE(special.out.find("(lead, mini_region:Lincolnshire, phases special)"), std::string::npos) << special.out;
  const auto juniors = run_process({kS2sd, "user", "add", "--name", "J", "--email", "j@example.org", "--role", "lead",
                                    "--scope", "mini_region:Lincolnshire", "--phases", "juniors"},
                                   env);
  EXPECT_EQ(juniors.exit_code, 2);
  EXPECT_NE(juniors.err.find("phase 'juniors' is not one of"), std::string::npos) << juniors.err;
  const auto strategic =
      run_process({kS2sd, "user", "add", "--name", "G", "--email", "g@example.org", "--role", "strategic"}, env);
  EXPECT_EQ(strategic.exit_code, 0) << strategic.err;
  EXPECT_NE(strategic.out.find("(strategic)"), std::string::npos) << strategic.out;
}

TEST(S2sdImportTest, ImportsTheSampleAndRefusesAFileWithoutRequiredColumns) {
  TestDatabase db;
  const std::map<std::string, std::string> env{{"S2S_DATABASE_URL", db.url().text}};
  ASSERT_EQ(run_process({kS2sd, "migrate"}, env).exit_code, 0);
  const std::string sample = std::string(S2S_SOURCE_DIR) + "/tests/data/gias_sample.csv";
  const auto first = run_process({kS2sd, "import", "gias", sample}, env);
  EXPECT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("(UTF-8): 10 rows: 10 inserted, 0 updated, 0 unchanged, 0 skipped"), std::string::npos)
      << first.out;
  const auto bad_path = std::filesystem::temp_directory_path() / ("s2s-bad-" + std::to_string(::getpid()) + ".csv");
  std::ofstream(bad_path) << "URN,Name\n1,x\n";
  const auto bad = run_process({kS2sd, "import", "gias", bad_path.string()}, env);
  EXPECT_EQ(bad.exit_code, 2);  // the caller's file is not an extract
  EXPECT_NE(bad.err.find("EstablishmentName"), std::string::npos) << bad.err;
  std::filesystem::remove(bad_path);
  EXPECT_EQ(run_process({kS2sd, "import", "gias", "/nonexistent.csv"}, env).exit_code, 1);
}

}  // namespace
}  // namespace s2s::testing

namespace s2s::testing {
namespace {

TEST(S2sdProvidersTest, AnAdminRecordsAllianceSystemLeaderDesignationAndCapacity) {
  TestDatabase db;
  const std::map<std::string, std::string> env{{"S2S_DATABASE_URL", db.url().text}};
  EXPECT_EQ(run_process({kS2sd, "alliance", "add", "--name", "Peak TSA", "--lead-urn", "112934"}, env).exit_code, 1)
      << "refused before migrating";
  ASSERT_EQ(run_process({kS2sd, "migrate"}, env).exit_code, 0);
  ASSERT_EQ(run_process({kS2sd, "import", "gias", std::string(S2S_SOURCE_DIR) + "/tests/data/gias_sample.csv"}, env)
                .exit_code,
            0);
  const auto alliance = run_process({kS2sd, "alliance", "add", "--name", "Peak TSA", "--lead-urn", "112934"}, env);
  EXPECT_EQ(alliance.exit_code, 0) << alliance.err;
  EXPECT_EQ(alliance.out, "alliance 1 created\n");
  const auto leader = run_process({kS2sd, "system-leader", "add", "--name", "Sam", "--email", "sam@example.org",
                                   "--home-urn", "144871", "--alliance", "1"},
                                  env);
  EXPECT_EQ(leader.out, "system leader 1 created\n") << leader.err;
  const auto designation = run_process({kS2sd, "designation", "add", "--system-leader", "1", "--designation", "SLE",
                                        "--specialisms", "maths,SEND", "--from", "2024-09-01"},
                                       env);
  EXPECT_EQ(designation.exit_code, 0) << designation.err;
  const auto capacity =
      run_process({kS2sd, "capacity", "set", "--system-leader", "1", "--year", "2026/27", "--days", "12.5"}, env);
  EXPECT_EQ(capacity.exit_code, 0) << capacity.err;
  EXPECT_EQ(capacity.out, "system leader 1 offers 12.5 days in 2026/27 (0 reserved, 0 logged)\n");

  const auto unknown_school = run_process({kS2sd, "alliance", "add", "--name", "X", "--lead-urn", "999999"}, env);
  EXPECT_EQ(unknown_school.exit_code, 2);
  EXPECT_NE(unknown_school.err.find("no school with URN 999999"), std::string::npos) << unknown_school.err;
  const auto quarter =
      run_process({kS2sd, "capacity", "set", "--system-leader", "1", "--year", "2026/27", "--days", "7.25"}, env);
  EXPECT_EQ(quarter.exit_code, 2);
  EXPECT_NE(quarter.err.find("half"), std::string::npos) << quarter.err;
  const auto bad_designation = run_process(
      {kS2sd, "designation", "add", "--system-leader", "1", "--designation", "XYZ", "--from", "2024-09-01"}, env);
  EXPECT_EQ(bad_designation.exit_code, 2);
  // Each change is in the audit trail as the command line's, and none that was refused.
  const auto opened = db.open();
  const auto trail = workflow::audit_trail(*opened, {});
  std::vector<std::string> actions;
  for (const auto& row : trail.rows) {
    EXPECT_TRUE(row.actor.starts_with("admin:cli ")) << row.actor;
    actions.insert(actions.begin(), row.what);  // oldest first
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"schools.import", "alliance.add", "leader.add", "designation.add",
                                               "capacity.set"}));
}

TEST(S2sdDemoTest, DemoLoadPrintsATokenPerRoleThenMatchExplainsACase) {
  TestDatabase db;
  const std::map<std::string, std::string> env{{"S2S_DATABASE_URL", db.url().text}};
  ASSERT_EQ(run_process({kS2sd, "migrate"}, env).exit_code, 0);
  const auto demo = run_process({kS2sd, "demo", "load"}, env);
  ASSERT_EQ(demo.exit_code, 0) << demo.err;
  EXPECT_NE(demo.out.find("demo loaded: the Peak and Trent Teaching School Alliance"), std::string::npos) << demo.out;
  for (const char* role : {"admin ", "lead ", "system_leader ", "school ", "la_officer "}) {
    EXPECT_NE(demo.out.find(std::string("  ") + role), std::string::npos) << role << " has no token:\n" << demo.out;
  }
  EXPECT_EQ(std::count(demo.out.begin(), demo.out.end(), '\n'), 8) << demo.out;

  const auto again = run_process({kS2sd, "demo", "load"}, env);
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("demo data is loaded only into a new database"), std::string::npos) << again.err;

  const auto match = run_process({kS2sd, "match", "--case", "3"}, env);
  EXPECT_EQ(match.exit_code, 0) << match.err;
  EXPECT_NE(match.out.find("ranked ("), std::string::npos) << match.out;
  EXPECT_NE(match.out.find("phase "), std::string::npos) << match.out;
  EXPECT_NE(match.out.find("excluded ("), std::string::npos) << match.out;
  const auto missing = run_process({kS2sd, "match", "--case", "9999"}, env);
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("no case with id 9999"), std::string::npos) << missing.err;
  // By the reference it prints first, in either letter case: the same answer.
  const std::string reference = match.out.substr(0, match.out.find(' '));
  ASSERT_EQ(reference.rfind("SR-", 0), 0u) << match.out;
  std::string lower = reference;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const auto& key : {reference, lower}) {
    const auto by_reference = run_process({kS2sd, "match", "--case", key}, env);
    EXPECT_EQ(by_reference.exit_code, 0) << by_reference.err;
    EXPECT_EQ(by_reference.out, match.out);
  }
  const auto unknown = run_process({kS2sd, "match", "--case", "SR-1999-0001"}, env);
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("no case with reference SR-1999-0001"), std::string::npos) << unknown.err;

  const auto edited =
      run_process({kS2sd, "school", "set", "146330", "--ofsted-grade", "2", "--ssif-eligible", "yes"}, env);
  EXPECT_EQ(edited.exit_code, 0) << edited.err;
  EXPECT_NE(edited.out.find("ofsted: 2 on 2024-01-16, ssif eligible: yes"), std::string::npos) << edited.out;
  const auto bad = run_process({kS2sd, "school", "set", "146330", "--ssif-eligible", "maybe"}, env);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--ssif-eligible must be yes or no, got 'maybe'"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace s2s::testing

namespace s2s::testing {
namespace {

TEST(S2sdNotificationsTest, RunListAndResendFromTheCommandLine) {
  TestDatabase db;
  SmtpSink sink;
  const std::map<std::string, std::string> env{{"S2S_DATABASE_URL", db.url().text}};
  ASSERT_EQ(run_process({kS2sd, "migrate"}, env).exit_code, 0);
  ASSERT_EQ(run_process({kS2sd, "demo", "load"}, env).exit_code, 0);

  // A refusing server: with one attempt allowed, every message is a dead letter.
  sink.refuse(true);
  const auto refused =
      run_process({kS2sd, "notifications", "run", "--smtp-url", sink.url(), "--notify-max-attempts", "1"}, env);
  EXPECT_EQ(refused.exit_code, 1) << refused.err;
  EXPECT_NE(refused.out.find("sent 0, to retry 0, dead "), std::string::npos) << refused.out;
  const auto listed = run_process({kS2sd, "notifications", "list"}, env);
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("referral_received  dead"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("451"), std::string::npos) << listed.out;
  const std::string first = listed.out.substr(0, listed.out.find(' '));

  // The server is back: the resent dead letter is delivered, with its Message-ID.
  sink.refuse(false);
  const auto resent = run_process({kS2sd, "notifications", "resend", first}, env);
  EXPECT_EQ(resent.exit_code, 0) << resent.err;
  EXPECT_NE(resent.out.find("deliveries queued again"), std::string::npos) << resent.out;
  const auto sent = run_process({kS2sd, "notifications", "run", "--smtp-url", sink.url()}, env);
  EXPECT_EQ(sent.exit_code, 0) << sent.err;
  EXPECT_EQ(sent.out.rfind("sent ", 0), 0u) << sent.out;
  ASSERT_FALSE(sink.messages().empty());
  const std::string data(sink.messages().front().at("data").as_string());
  EXPECT_NE(data.find("Message-ID: <outbox-" + first + "@s2s.localhost>"), std::string::npos) << data;

  // Killed between the server's acceptance and recording it: nothing is lost;
  // once the lease ends the message goes again, with the same Message-ID.
  std::string second;
  {
    std::istringstream lines(listed.out);
    std::string line;
    while (std::getline(lines, line) && second.empty()) {
      const std::string id = line.substr(0, line.find(' '));
      if (!line.empty() && line[0] != ' ' && id != first) second = id;
    }
  }
  ASSERT_FALSE(second.empty()) << listed.out;
  ASSERT_EQ(run_process({kS2sd, "notifications", "resend", second}, env).exit_code, 0);
  const auto before_kill = sink.messages().size();
  sink.slow(true);
  ChildProcess sender({kS2sd, "notifications", "run", "--smtp-url", sink.url()}, env);
  ASSERT_TRUE(sink.wait_for_stored(before_kill + 1)) << "nothing reached the server";
  sender.signal(SIGKILL);
  sender.wait();
  sink.slow(false);
  const auto key = [](const boost::json::object& m) {
    const std::string data(m.at("data").as_string());
    const auto at = data.find("Message-ID: ");
    return data.substr(at, data.find('\r', at) - at) + " to " + std::string(m.at("rcpt_tos").at(0).as_string());
  };
  const std::string killed = key(sink.messages().back());
  {
    // The dead process's lease ends (without waiting for it).
    auto database = db.open();
    auto c = database->acquire();
    c.session() << "UPDATE deliveries SET next_attempt_at = '2000-01-01T00:00:00.000000Z' WHERE status = 'pending'";
  }
  const auto after = run_process({kS2sd, "notifications", "run", "--smtp-url", sink.url()}, env);
  EXPECT_EQ(after.exit_code, 0) << after.err;
  int copies = 0;
  for (const auto& m : sink.messages()) copies += key(m) == killed;
  EXPECT_EQ(copies, 2) << killed << " was not sent again (or more than once)";

  // Bad input names itself and changes nothing.
  const auto again = run_process({kS2sd, "notifications", "resend", first}, env);
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("not a dead letter"), std::string::npos) << again.err;
  const auto bad_url = run_process({kS2sd, "notifications", "run", "--smtp-url", "http://mail"}, env);
  EXPECT_EQ(bad_url.exit_code, 2);
  EXPECT_NE(bad_url.err.find("smtp://host:port"), std::string::npos) << bad_url.err;
}

}  // namespace
}  // namespace s2s::testing

namespace s2s::testing {
namespace {

TEST(S2sdReportTest, KpisAsATableCsvAndExplainedWithBadInputNamed) {
  TestDatabase db;
  const std::map<std::string, std::string> env{{"S2S_DATABASE_URL", db.url().text}};
  ASSERT_EQ(run_process({kS2sd, "migrate"}, env).exit_code, 0);
  ASSERT_EQ(run_process({kS2sd, "demo", "load"}, env).exit_code, 0);
  const auto table = run_process({kS2sd, "report", "kpis"}, env);
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("Support rated good or better"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("open cases by phase:"), std::string::npos) << table.out;
  const auto csv = run_process({kS2sd, "report", "kpis", "--csv", "--alliance", "1"}, env);
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_EQ(csv.out.substr(0, 3), "\xEF\xBB\xBF");
  EXPECT_NE(csv.out.find("deployment_days_in_need"), std::string::npos);
  const auto explained = run_process({kS2sd, "report", "kpis", "--explain", "overdue_deadlines"}, env);
  ASSERT_EQ(explained.exit_code, 0) << explained.err;
  EXPECT_EQ(std::count(explained.out.begin(), explained.out.end(), '\n'), 2 + 7) << explained.out;  // 7 overdue
  const auto bad_year = run_process({kS2sd, "report", "kpis", "--academic-year", "2026-27"}, env);
  EXPECT_EQ(bad_year.exit_code, 2);
  EXPECT_NE(bad_year.err.find("academic year must look like 2026/27"), std::string::npos) << bad_year.err;
  const auto bad_kpi = run_process({kS2sd, "report", "kpis", "--explain", "nonsense"}, env);
  EXPECT_EQ(bad_kpi.exit_code, 2);
  const auto bad_day = run_process({kS2sd, "report", "kpis", "--as-of", "2026-02-30"}, env);
  EXPECT_EQ(bad_day.exit_code, 2);
  EXPECT_NE(bad_day.err.find("--as-of must be a date (YYYY-MM-DD), got '2026-02-30'"), std::string::npos)
      << bad_day.err;
}

TEST(S2sdReportTest, AQuarterlyReportAsMarkdownOrHtmlWrittenWholeToAFile) {
  TestDatabase db;
  const std::map<std::string, std::string> env{{"S2S_DATABASE_URL", db.url().text}};
  ASSERT_EQ(run_process({kS2sd, "migrate"}, env).exit_code, 0);
  ASSERT_EQ(run_process({kS2sd, "demo", "load"}, env).exit_code, 0);
  const auto md = run_process({kS2sd, "report", "quarterly", "--alliance", "1", "--day-rate", "400"}, env);
  ASSERT_EQ(md.exit_code, 0) << md.err;
  EXPECT_EQ(md.out.rfind("# Quarterly progress report: Peak and Trent Teaching School Alliance\n", 0), 0u) << md.out;
  EXPECT_NE(md.out.find("## Overdue items at "), std::string::npos) << md.out;
  EXPECT_NE(md.out.find("| Funding source | Days | Spend |"), std::string::npos) << md.out;

  const auto dir = std::filesystem::temp_directory_path() / ("s2s-quarterly-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto file = dir / "q.html";
  const auto html = run_process({kS2sd, "report", "quarterly", "--html", "--output", file.string()}, env);
  ASSERT_EQ(html.exit_code, 0) << html.err;
  EXPECT_NE(html.out.find("report written to " + file.string()), std::string::npos) << html.out;
  std::ifstream in(file, std::ios::binary);
  const std::string page((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(page.rfind("<!DOCTYPE html>\n", 0), 0u);
  EXPECT_EQ(page.substr(page.size() - 8), "</html>\n");
  EXPECT_FALSE(std::filesystem::exists(dir / "q.html.partial"));
  // A file that cannot be written is named, and nothing is left behind: a
  // failure around the command (exit 1), as an unwritable database path is.
  const auto nowhere =
      run_process({kS2sd, "report", "quarterly", "--output", (dir / "missing" / "q.md").string()}, env);
  EXPECT_EQ(nowhere.exit_code, 1);
  EXPECT_NE(
      nowhere.err.find("--output: cannot write " + (dir / "missing" / "q.md").string() + ": No such file or directory"),
      std::string::npos)
      << nowhere.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "missing"));
  const auto bad = run_process({kS2sd, "report", "quarterly", "--quarter", "2026/27-Q9"}, env);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--quarter must look like 2026/27-Q1"), std::string::npos) << bad.err;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace s2s::testing

namespace s2s::testing {
namespace {

TEST(S2sdBackupTest, AnSqliteDatabaseIsCopiedWholeToANewFileAndPostgresqlIsPgDumps) {
  TestDatabase db;
  const std::map<std::string, std::string> env{{"S2S_DATABASE_URL", db.url().text}};
  ASSERT_EQ(run_process({kS2sd, "migrate"}, env).exit_code, 0);
  const auto demo = run_process({kS2sd, "demo", "load"}, env);
  ASSERT_EQ(demo.exit_code, 0) << demo.err;
  const auto admin_at = demo.out.find("  admin ");
  ASSERT_NE(admin_at, std::string::npos) << demo.out;
  const auto token_at = demo.out.find("s2s_", admin_at);
  const std::string admin = demo.out.substr(token_at, demo.out.find('\n', token_at) - token_at);
  const auto folder = std::filesystem::temp_directory_path() / ("s2s-backup-" + std::to_string(getpid()));
  std::filesystem::create_directories(folder);
  const std::string to = (folder / "copy.db").string();
  const auto backup = run_process({kS2sd, "backup", "--to", to}, env);
  if (db.backend() == workflow::Backend::postgresql) {
    EXPECT_EQ(backup.exit_code, 2);
    EXPECT_NE(backup.err.find("pg_dump"), std::string::npos) << backup.err;
    std::filesystem::remove_all(folder);
    return;
  }
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  // The copy reports what the original reports, and is whole.
  const auto report = [&](const std::string& url) {
    return run_process({kS2sd, "report", "kpis", "--csv"}, {{"S2S_DATABASE_URL", url}});
  };
  const auto original = report(db.url().text);
  const auto copied = report("sqlite:" + to);
  ASSERT_EQ(original.exit_code, 0) << original.err;
  EXPECT_EQ(copied.out, original.out);
  const auto copy = workflow::Database::open(workflow::DatabaseUrl::parse("sqlite:" + to));
  std::string integrity;
  copy->read([&](soci::session& sql) { sql << "PRAGMA integrity_check", soci::into(integrity); });
  EXPECT_EQ(integrity, "ok");
  // Restored, it serves the same cases: s2sd on the copy answers the API as
  // s2sd on the original does, the same token and all.
  const auto served = [&](const std::string& url) {
    const auto port = free_port();
    ChildProcess s2sd({kS2sd, "serve", "--listen", "127.0.0.1:" + std::to_string(port), "--no-timers"},
                      {{"S2S_DATABASE_URL", url}});
    EXPECT_TRUE(s2sd.wait_for_stderr("serving http://")) << s2sd.stderr_text();
    const auto cases = http_request(port, "GET", "/api/v1/cases?limit=200", "", {{"Authorization", "Bearer " + admin}});
    const auto history = http_request(port, "GET", "/api/v1/cases/3/history", "", {{"Authorization", "Bearer " + admin}});
    s2sd.signal(SIGTERM);
    EXPECT_EQ(s2sd.wait(), 0) << s2sd.stderr_text();
    EXPECT_EQ(cases.status, 200) << cases.body;
    return cases.body + "\n" + history.body;
  };
  const auto from_original = served(db.url().text);
  EXPECT_NE(from_original.find("\"items\":[{"), std::string::npos) << from_original;
  EXPECT_EQ(served("sqlite:" + to), from_original);
  // Never over a file that exists; and the backup is in the audit trail.
  const auto again = run_process({kS2sd, "backup", "--to", to}, env);
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("exists already"), std::string::npos) << again.err;
  EXPECT_EQ(workflow::audit_trail(*db.open(), {}).rows.front().what, "database.backup");
  std::filesystem::remove_all(folder);
}

}  // namespace
}  // namespace s2s::testing

namespace s2s::testing {
namespace {

// The systemd unit shipped in docs/deploy passes systemd's own check, with
// its ExecStart pointed at this build's s2sd.
TEST(S2sdDeployTest, TheShippedSystemdUnitVerifies) {
  std::ifstream in(std::string(S2S_SOURCE_DIR) + "/docs/deploy/s2sd.service");
  std::string unit((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string exec = "ExecStart=/usr/local/bin/s2sd serve";
  const auto at = unit.find(exec);
  ASSERT_NE(at, std::string::npos);
  unit.replace(at, exec.size(), "ExecStart=" + kS2sd + " serve");
  const auto folder = std::filesystem::temp_directory_path() / ("s2s-unit-" + std::to_string(getpid()));
  std::filesystem::create_directories(folder);
  std::ofstream(folder / "s2sd.service") << unit;
  const auto verified = run_process({"/usr/bin/systemd-analyze", "verify", "--man=no", (folder / "s2sd.service").string()});
  std::filesystem::remove_all(folder);
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_EQ(verified.err, "") << verified.err;
}

}  // namespace
}  // namespace s2s::testing
