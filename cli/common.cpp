#include "cli/common.h"

#include <pwd.h>
#include <unistd.h>

#include "workflow/audit.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "cases/kinds.h"
#include "workflow/database.h"
#include "workflow/date.h"
#include "workflow/engine.h"
#include "workflow/errors.h"
#include "workflow/migrations.h"

#ifdef S2S_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

#ifndef S2S_VERSION
#define S2S_VERSION "0.0.0"
#endif

namespace s2s::cli {
namespace {

constexpr std::string_view kDefaultDatabase = "sqlite:var/s2s.db";

}  // namespace

std::size_t handler_threads_for_machine() {
  return std::max<std::size_t>(2, 2 * static_cast<std::size_t>(std::thread::hardware_concurrency()));
}

std::vector<OptionSpec> common_options() {
  return {
      {"config", "FILE", "read settings from FILE (name = value lines)", ""},
      {"db", "URL", "database: sqlite:PATH, sqlite:///ABS/PATH or postgresql://user@host:port/db",
       std::string(kDefaultDatabase), "S2S_DATABASE_URL"},
      {"pool-size", "N", "database connections at most (auto: one for each handler thread, at least 8)", "auto"},
      {"log-level", "LEVEL", "trace, debug, info, warn, error or off", "info"},
      {"log-format", "FORMAT", "text or json (one JSON object a line)", "text"},
  };
}

std::vector<OptionSpec> with_common(std::vector<OptionSpec> extra, std::vector<OptionSpec> more,
                                    std::vector<OptionSpec> yet_more) {
  auto options = common_options();
  for (auto* list : {&extra, &more, &yet_more}) options.insert(options.end(), list->begin(), list->end());
  return options;
}

std::vector<OptionSpec> engine_options() {
  return {
      {"deadline-days", "PURPOSE=N,...",
       "override deadlines' working days, e.g. risk_assessment.report=20 (see s2sd deadlines)", ""},
      {"reminder-days", "N", "working days before a deadline that its reminder goes out (0: none)", "2"},
  };
}

workflow::DeadlinePolicy deadline_policy(const Settings& settings, const workflow::KindRegistry& kinds) {
  workflow::DeadlinePolicy policy;
  policy.reminder_working_days = static_cast<int>(settings.integer("reminder-days", 0, 60));
  std::string text = settings.get("deadline-days").value_or("");
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    std::string item = text.substr(start, end - start);
    start = end + 1;
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (item.empty()) continue;
    const auto eq = item.find('=');
    const std::string purpose = item.substr(0, eq);
    bool known = false;
    for (const auto* kind : kinds.all()) known = known || kind->find_deadline(purpose) != nullptr;
    if (eq == std::string::npos || !known) {
      throw UsageError(settings.source("deadline-days") + ": '" + item +
                       "' is not PURPOSE=DAYS with a known purpose (see s2sd deadlines)");
    }
    char* after = nullptr;
    const long days = std::strtol(item.c_str() + eq + 1, &after, 10);
    if (*after != '\0' || days < 1 || days > 365) {
      throw UsageError(settings.source("deadline-days") + ": days for " + purpose + " must be 1 to 365, got '" +
                       item.substr(eq + 1) + "'");
    }
    policy.working_days.emplace_back(purpose, static_cast<int>(days));
  }
  return policy;
}

std::shared_ptr<workflow::Database> open_database(const Settings& settings) {
  const auto url = workflow::DatabaseUrl::parse(settings.require("db"));
  if (url.backend == workflow::Backend::sqlite) {
    // A fresh checkout has no var/: make the folder, not just the file.
    const auto parent = std::filesystem::path(url.sqlite_path).parent_path();
    std::error_code ec;
    if (!parent.empty() && !std::filesystem::exists(parent, ec)) {
      std::filesystem::create_directories(parent, ec);
      if (ec) {
        throw workflow::IoError("cannot create folder " + parent.string() + " for SQLite database " +
                                    url.sqlite_path + ": " + ec.message());
      }
    }
  }
  workflow::DatabaseOptions options;
  const auto pool_for_machine = static_cast<long long>(std::max<std::size_t>(8, handler_threads_for_machine()));
  options.pool_size = static_cast<std::size_t>(settings.integer_or_auto("pool-size", 1, 1000, pool_for_machine));
  auto db = workflow::Database::open(url, options);
  spdlog::debug("database {} ({})", url.redacted, workflow::to_string(url.backend));
  return db;
}

std::shared_ptr<workflow::Database> open_migrated(const Settings& settings) {
  auto db = open_database(settings);
  const auto status = workflow::migration_status(*db, workflow::bundled_migrations(db->backend()));
  if (!status.pending.empty()) throw workflow::MigrationError("the database is not migrated: run s2sd migrate");
  return db;
}

workflow::EngineOptions engine_options_of(const Settings& settings) {
  workflow::EngineOptions options;
  options.policy = deadline_policy(settings, *cases::all_kinds());
  // Commands serving people say how far back they may date events.
  if (settings.get("backdate-years")) options.backdate_years = static_cast<int>(settings.integer("backdate-years", 0, 20));
  // The server's pages keep the histories they read (docs/architecture.md, "Storage").
  if (settings.get("kept-history-mb")) {
    options.kept_history_bytes = static_cast<std::size_t>(settings.integer("kept-history-mb", 0, 16384)) << 20;
  }
  return options;
}

std::unique_ptr<workflow::Engine> make_engine(workflow::EngineOptions options, std::shared_ptr<workflow::Database> db) {
  return std::make_unique<workflow::Engine>(std::move(db), cases::all_kinds(), std::move(options));
}

std::unique_ptr<workflow::Engine> make_engine(const Settings& settings, std::shared_ptr<workflow::Database> db) {
  return make_engine(engine_options_of(settings), std::move(db));
}

std::chrono::year_month_day parse_date_argument(const std::string& text, std::string_view what) {
  const auto date = workflow::parse_date(text);
  if (!date) throw UsageError(std::string(what) + " must be a date that exists, as YYYY-MM-DD, got '" + text + "'");
  return *date;
}

std::string_view version() { return S2S_VERSION; }

std::string memory_allocator() {
#ifdef S2S_JEMALLOC
  const char* text = nullptr;
  std::size_t size = sizeof text;
  if (mallctl("version", static_cast<void*>(&text), &size, nullptr, 0) == 0 && text != nullptr) {
    const std::string_view v(text);  // "5.3.0-0-g54eaed1d...": the release, then its commit
    return "jemalloc " + std::string(v.substr(0, v.find('-')));
  }
  return "jemalloc";
#else
  return "the C library's malloc";
#endif
}

void record(workflow::Database& db, std::string action, std::string subject, std::string detail) {
  std::string who;
  if (const passwd* pw = getpwuid(getuid()); pw != nullptr && pw->pw_name != nullptr) who = pw->pw_name;
  try {
    workflow::record_audit(db, {"admin:cli " + (who.empty() ? "uid " + std::to_string(getuid()) : who),
                                std::move(action), std::move(subject), std::move(detail)},
                           std::chrono::system_clock::now());
  } catch (const std::exception& e) {
    spdlog::warn("done, but not recorded in the audit trail: {}", e.what());
  }
}

}  // namespace s2s::cli
