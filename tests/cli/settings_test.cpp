#include "cli/settings.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

namespace s2s::cli {
namespace {

CommandSpec serve_spec() {
  return CommandSpec{"serve",
                     "",
                     "test",
                     {
                         {"config", "FILE", "", ""},
                         {"db", "URL", "", "sqlite:var/s2s.db", "S2S_DATABASE_URL"},
                         {"listen", "HOST:PORT", "", "127.0.0.1:8080"},
                         {"pool-size", "N", "", "8"},
                         {"no-migrate", "", "", ""},
                     }};
}

const std::vector<std::string> kKnown = {"config", "db", "listen", "pool-size", "no-migrate", "workers"};

struct Env {
  std::map<std::string, std::string> values;
  std::optional<std::string> operator()(const std::string& name) const {
    const auto it = values.find(name);
    return it == values.end() ? std::nullopt : std::optional<std::string>(it->second);
  }
};

std::string write_config(const std::string& text) {
  static int counter = 0;
  const auto path = std::filesystem::temp_directory_path() /
                    ("s2s-cli-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".conf");
  std::ofstream(path) << text;
  return path.string();
}

Settings resolve(std::vector<std::string> args, const Env& env = {}) {
  return resolve_settings(serve_spec(), args, env, kKnown);
}

TEST(SettingsTest, DefaultsApplyWhenNothingElseSetsAValue) {
  const auto s = resolve({});
  EXPECT_EQ(s.get("listen"), "127.0.0.1:8080");
  EXPECT_EQ(s.source("listen"), "default");
  EXPECT_FALSE(s.enabled("no-migrate"));
}

TEST(SettingsTest, FlagBeatsEnvironmentBeatsConfigFileBeatsDefault) {
  const auto config = write_config("# comment\nlisten = 10.0.0.1:1\npool-size = \"3\"\ndb = sqlite:from-file.db\n");
  const Env env{{{"S2S_CONFIG", config}, {"S2S_LISTEN", "10.0.0.2:2"}, {"S2S_DATABASE_URL", "sqlite:env.db"}}};
  const auto s = resolve({"--listen", "10.0.0.3:3"}, env);
  EXPECT_EQ(s.get("listen"), "10.0.0.3:3");
  EXPECT_EQ(s.source("listen"), "--listen");
  EXPECT_EQ(s.get("db"), "sqlite:env.db");
  EXPECT_EQ(s.source("db"), "S2S_DATABASE_URL");
  EXPECT_EQ(s.integer("pool-size", 1, 10), 3);
  EXPECT_EQ(s.source("pool-size"), "config file " + config + " line 3");
  std::filesystem::remove(config);
}

// "auto" leaves a number to the machine; anything else must be a number in range.
TEST(SettingsTest, AutoTakesTheMachinesNumberAndAnythingElseMustBeInRange) {
  EXPECT_EQ(resolve({"--pool-size", "auto"}).integer_or_auto("pool-size", 1, 10, 7), 7);
  EXPECT_EQ(resolve({"--pool-size", "4"}).integer_or_auto("pool-size", 1, 10, 7), 4);
  for (const char* bad : {"11", "0", "Auto", "4x", ""}) {
    try {
      (void)resolve({"--pool-size", bad}).integer_or_auto("pool-size", 1, 10, 7);
      FAIL() << "expected UsageError for '" << bad << "'";
    } catch (const UsageError& e) {
      const std::string text = e.what();
      EXPECT_NE(text.find("pool-size"), std::string::npos) << text;
      if (*bad != '\0') {
        EXPECT_NE(text.find("must be auto or a whole number from 1 to 10, got '" + std::string(bad) + "'"),
                  std::string::npos)
            << text;
      }
    }
  }
}

TEST(SettingsTest, AcceptsNameEqualsValueAndSwitches) {
  const auto s = resolve({"--listen=0.0.0.0:9", "--no-migrate"});
  EXPECT_EQ(s.get("listen"), "0.0.0.0:9");
  EXPECT_TRUE(s.enabled("no-migrate"));
}

TEST(SettingsTest, UnknownFlagIsAUsageErrorNamingIt) {
  try {
    (void)resolve({"--lisen", "x"});
    FAIL() << "expected UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown option --lisen"), std::string::npos) << e.what();
  }
}

TEST(SettingsTest, FlagWithoutValueIsAUsageError) { EXPECT_THROW((void)resolve({"--listen"}), UsageError); }

TEST(SettingsTest, UnexpectedPositionalArgumentIsAUsageError) { EXPECT_THROW((void)resolve({"extra"}), UsageError); }

TEST(SettingsTest, ConfigFileErrorsNameTheLine) {
  const auto config = write_config("listen = 1.2.3.4:5\n\nlsten = x\n");
  try {
    (void)resolve({"--config", config});
    FAIL() << "expected UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("line 3: unknown setting 'lsten'"), std::string::npos) << e.what();
  }
  std::filesystem::remove(config);
}

TEST(SettingsTest, ConfigFileKeysOfOtherCommandsAreIgnored) {
  const auto config = write_config("workers = 4\n");
  const auto s = resolve({"--config", config});
  EXPECT_EQ(s.get("workers"), std::nullopt);
  std::filesystem::remove(config);
}

TEST(SettingsTest, MissingConfigFileIsAUsageError) {
  EXPECT_THROW((void)resolve({"--config", "/nonexistent/s2s.conf"}), UsageError);
}

TEST(SettingsTest, IntegerOutOfRangeNamesOptionValueAndSource) {
  const auto s = resolve({}, Env{{{"S2S_POOL_SIZE", "0"}}});
  try {
    (void)s.integer("pool-size", 1, 100);
    FAIL() << "expected UsageError";
  } catch (const UsageError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("S2S_POOL_SIZE"), std::string::npos) << what;
    EXPECT_NE(what.find("'0'"), std::string::npos) << what;
  }
  EXPECT_THROW((void)resolve({"--pool-size", "3x"}).integer("pool-size", 1, 100), UsageError);
}

TEST(SettingsTest, HelpListsEveryOptionWithItsEnvironmentVariable) {
  const auto help = help_text(serve_spec());
  EXPECT_NE(help.find("--listen HOST:PORT"), std::string::npos);
  EXPECT_NE(help.find("S2S_DATABASE_URL"), std::string::npos);
  EXPECT_NE(help.find("S2S_POOL_SIZE"), std::string::npos);
}

}  // namespace
}  // namespace s2s::cli
