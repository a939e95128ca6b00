#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cli/settings.h"
#include "workflow/engine.h"

namespace s2s::workflow {
class Database;
class KindRegistry;
struct DeadlinePolicy;
}  // namespace s2s::workflow

// What the s2sd commands share: how a command is declared, the options every
// command takes, and the database and engine built from them. A command group
// (cli/serve.cpp, cli/users.cpp, ...) uses these and never repeats them.
namespace s2s::cli {

// One s2sd command: its name, arguments and options, and what runs it. `run`
// returns the exit status, and throws UsageError (or a domain error the
// registry counts as the caller's mistake) for what was asked wrongly and
// anything else for what went wrong; run_s2sd prints either as one line.
struct Command {
  CommandSpec spec;
  std::function<int(const Settings&)> run;
};

// --config, --db, --pool-size, --log-level and --log-format. Every command
// takes them, those that read no database too, so that one command line or
// config file serves them all.
[[nodiscard]] std::vector<OptionSpec> common_options();

// common_options(), then `extra`, `more` and `yet_more` in that order.
[[nodiscard]] std::vector<OptionSpec> with_common(std::vector<OptionSpec> extra, std::vector<OptionSpec> more = {},
                                                  std::vector<OptionSpec> yet_more = {});

// --deadline-days and --reminder-days: for every command that builds an engine
// (make_engine) or shows the deadlines in force.
[[nodiscard]] std::vector<OptionSpec> engine_options();

// The policy --deadline-days ("purpose=days,...", each purpose one the kinds
// declare) and --reminder-days ask for. Throws UsageError naming the option's
// source and the item at fault.
[[nodiscard]] workflow::DeadlinePolicy deadline_policy(const Settings& settings, const workflow::KindRegistry& kinds);

// Threads for request handlers when --workers is auto: twice the cores, as a
// handler spends much of its time waiting on the database; at least 2.
[[nodiscard]] std::size_t handler_threads_for_machine();

// The database pool of --db with at most --pool-size connections (auto: one
// for each handler thread, at least 8); an SQLite
// file's folder is created when missing. Throws workflow::ConfigError, the
// database errors, or UsageError for a bad --pool-size. The caller shares the pool.
[[nodiscard]] std::shared_ptr<workflow::Database> open_database(const Settings& settings);

// Records in the audit trail (workflow/audit.h; codes in docs/audit.md) what
// a command has just done, as "admin:cli USER" (the operating system's user
// who ran it). A trail that cannot be written is a warning: the change stands.
void record(workflow::Database& db, std::string action, std::string subject, std::string detail = {});

// open_database(), refusing with workflow::MigrationError a database that has
// migrations pending ("run s2sd migrate"): what every command but migrate and
// serve, which migrate themselves, works on.
[[nodiscard]] std::shared_ptr<workflow::Database> open_migrated(const Settings& settings);

// The engine's options from `settings`: the deadline policy of
// engine_options(), and where the command takes them how far back events may
// be dated and the memory for kept histories. UsageError names a bad one.
[[nodiscard]] workflow::EngineOptions engine_options_of(const Settings& settings);
// An engine over `db` with the four case kinds (cases::all_kinds()) and
// `options`, or those of `settings`. The caller owns the engine; it shares `db`.
[[nodiscard]] std::unique_ptr<workflow::Engine> make_engine(workflow::EngineOptions options,
                                                            std::shared_ptr<workflow::Database> db);
[[nodiscard]] std::unique_ptr<workflow::Engine> make_engine(const Settings& settings,
                                                            std::shared_ptr<workflow::Database> db);

// `text` as a date that exists (YYYY-MM-DD); else UsageError naming `what`
// ("DATE", "--from").
[[nodiscard]] std::chrono::year_month_day parse_date_argument(const std::string& text, std::string_view what);

// s2sd's version, the project's ("0.1.0").
[[nodiscard]] std::string_view version();
// Where s2sd's memory comes from: "jemalloc 5.3.0" (the C library's malloc
// only in a sanitizer build).
[[nodiscard]] std::string memory_allocator();

}  // namespace s2s::cli
