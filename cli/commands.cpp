#include "cli/commands.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "api/app.h"
#include "cli/settings.h"
#include "cli/logging.h"
#include "api/server.h"
#include "api/users.h"
#include "cases/demo.h"
#include "cases/gias_import.h"
#include "cases/kinds.h"
#include "cases/kpis.h"
#include "cases/matching.h"
#include "cases/progress_report.h"
#include "cases/providers.h"
#include "cases/schools.h"
#include "notifications/dispatcher.h"
#include "notifications/templates.h"
#include "workflow/calendar.h"
#include "workflow/date.h"
#include "workflow/diagram.h"
#include "workflow/engine.h"
#include "workflow/errors.h"
#include "workflow/migrations.h"
#include "workflow/timer_service.h"

#ifndef S2S_VERSION
#define S2S_VERSION "0.0.0"
#endif

namespace s2s::cli {
namespace {

using workflow::Database;
using workflow::DatabaseUrl;

constexpr std::string_view kDefaultDatabase = "sqlite:var/s2s.db";

std::vector<OptionSpec> common_options() {
  return {
      {"config", "FILE", "read settings from FILE (name = value lines)", ""},
      {"db", "URL", "database: sqlite:PATH, sqlite:///ABS/PATH or postgresql://user@host:port/db",
       std::string(kDefaultDatabase), "S2S_DATABASE_URL"},
      {"pool-size", "N", "database connections at most", "8"},
      {"log-level", "LEVEL", "trace, debug, info, warn, error or off", "info"},
      {"log-format", "FORMAT", "text or json (one JSON object a line)", "text"},
  };
}

std::vector<OptionSpec> with_common(std::vector<OptionSpec> extra, std::vector<OptionSpec> more = {},
                                    std::vector<OptionSpec> yet_more = {}) {
  auto options = common_options();
  for (auto* list : {&extra, &more, &yet_more}) options.insert(options.end(), list->begin(), list->end());
  return options;
}

struct Command {
  CommandSpec spec;
  std::function<int(const Settings&)> run;
};

std::shared_ptr<Database> open_database(const Settings& settings) {
  const auto url = DatabaseUrl::parse(settings.require("db"));
  if (url.backend == workflow::Backend::sqlite) {
    // A fresh checkout has no var/: make the folder, not just the file.
    const auto parent = std::filesystem::path(url.sqlite_path).parent_path();
    std::error_code ec;
    if (!parent.empty() && !std::filesystem::exists(parent, ec)) {
      std::filesystem::create_directories(parent, ec);
      if (ec) {
        throw workflow::ConfigError("cannot create folder " + parent.string() + " for SQLite database " +
                                    url.sqlite_path + ": " + ec.message());
      }
    }
  }
  workflow::DatabaseOptions options;
  options.pool_size = static_cast<std::size_t>(settings.integer("pool-size", 1, 1000));
  auto db = Database::open(url, options);
  spdlog::debug("database {} ({})", url.redacted, workflow::to_string(url.backend));
  return db;
}

std::vector<OptionSpec> engine_options() {
  return {
      {"deadline-days", "PURPOSE=N,...",
       "override deadlines' working days, e.g. risk_assessment.report=20 (see s2sd deadlines)", ""},
      {"reminder-days", "N", "working days before a deadline that its reminder goes out (0: none)", "2"},
  };
}

// Parses "purpose=days,purpose=days" against the kinds' declared deadlines.
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

std::unique_ptr<workflow::Engine> make_engine(const Settings& settings, std::shared_ptr<Database> db) {
  auto kinds = cases::all_kinds();
  workflow::EngineOptions options;
  options.policy = deadline_policy(settings, *kinds);
  return std::make_unique<workflow::Engine>(std::move(db), std::move(kinds), std::move(options));
}

std::chrono::year_month_day parse_date_argument(const std::string& text, std::string_view what) {
  const auto date = workflow::parse_date(text);
  if (!date) throw UsageError(std::string(what) + " must be a date that exists, as YYYY-MM-DD, got '" + text + "'");
  return *date;
}

std::shared_ptr<Database> open_migrated(const Settings& settings) {
  auto db = open_database(settings);
  const auto status = workflow::migration_status(*db, workflow::bundled_migrations(db->backend()));
  if (!status.pending.empty()) throw workflow::MigrationError("the database is not migrated: run s2sd migrate");
  return db;
}

int run_calendar_add(const Settings& settings) {
  const auto start = parse_date_argument(settings.positional[0], "DATE");
  char* end = nullptr;
  const long n = std::strtol(settings.positional[1].c_str(), &end, 10);
  if (settings.positional[1].empty() || *end != '\0' || n < -10000 || n > 10000) {
    throw UsageError("N must be a whole number of working days, got '" + settings.positional[1] + "'");
  }
  std::cout << workflow::format_date(workflow::england_and_wales().add_working_days(start, static_cast<int>(n)))
            << '\n';
  return 0;
}

int run_calendar_holidays(const Settings& settings) {
  char* end = nullptr;
  const long year = std::strtol(settings.positional[0].c_str(), &end, 10);
  if (settings.positional[0].empty() || *end != '\0' || year < 1900 || year > 9999) {
    throw UsageError("YEAR must be a year from 1900 to 9999, got '" + settings.positional[0] + "'");
  }
  for (const auto& holiday : workflow::england_and_wales().holidays(static_cast<int>(year))) {
    std::cout << workflow::format_date(holiday.date) << "  " << holiday.name << '\n';
  }
  return 0;
}

int run_calendar_close(const Settings& settings) {
  const auto day = parse_date_argument(settings.positional[0], "DATE");
  const std::string reason = settings.require("reason");
  auto db = open_migrated(settings);
  auto engine = make_engine(settings, db);
  const int moved = engine->add_closure(day, reason, settings.get("actor").value_or("admin:cli"));
  std::cout << workflow::format_date(day) << " closed (" << reason << "); " << moved << " open deadline(s) moved\n";
  return 0;
}

int run_diagram(const Settings& settings) {
  const auto kinds = cases::all_kinds();
  const auto* kind = kinds->find(settings.positional[0]);
  if (kind == nullptr) {
    std::string names;
    for (const auto* k : kinds->all()) names += (names.empty() ? "" : ", ") + std::string(k->name());
    throw UsageError("unknown case kind '" + settings.positional[0] + "' (one of " + names + ")");
  }
  std::cout << workflow::mermaid_state_diagram(*kind);
  return 0;
}

// A table of every deadline: the working days in force, whose move it is, and
// where its default comes from (seed, design or policy), then each source's
// words (docs/deadlines.md).
int run_deadlines(const Settings& settings) {
  const auto kinds = cases::all_kinds();
  const auto policy = deadline_policy(settings, *kinds);
  struct Row {
    std::string purpose, days, owner, source, description, source_text;
  };
  std::vector<Row> rows{{"deadline", "working days", "owner", "source", "what it is for", ""}};
  for (const auto* kind : kinds->all()) {
    for (const auto& d : kind->deadlines()) {
      const int days = policy.days_for(d.purpose).value_or(d.default_working_days);
      std::string in_force = std::to_string(days);
      if (days != d.default_working_days) in_force += " (default " + std::to_string(d.default_working_days) + ")";
      rows.push_back({std::string(d.purpose), in_force, std::string(d.owner),
                      std::string(workflow::to_string(d.source.kind)), std::string(d.description),
                      std::string(d.source.text)});
    }
  }
  std::size_t widths[4] = {};
  for (const auto& r : rows) {
    widths[0] = std::max(widths[0], r.purpose.size());
    widths[1] = std::max(widths[1], r.days.size());
    widths[2] = std::max(widths[2], r.owner.size());
    widths[3] = std::max(widths[3], r.source.size());
  }
  for (const auto& r : rows) {
    std::cout << fmt::format("{:<{}}  {:<{}}  {:<{}}  {:<{}}  {}\n", r.purpose, widths[0], r.days, widths[1], r.owner,
                             widths[2], r.source, widths[3], r.description);
  }
  std::cout << "\nwhere each default comes from:\n";
  for (std::size_t i = 1; i < rows.size(); ++i) {
    std::cout << "  " << rows[i].purpose << ": " << rows[i].source_text << '\n';
  }
  return 0;
}

workflow::TimerServiceOptions timer_options(const Settings& settings) {
  workflow::TimerServiceOptions options;
  options.poll_interval = std::chrono::milliseconds(settings.integer("timer-poll-ms", 10, 3600000));
  options.batch = static_cast<std::size_t>(settings.integer("timer-batch", 1, 10000));
  options.lease = std::chrono::seconds(settings.integer("timer-lease-seconds", 1, 86400));
  return options;
}

std::vector<OptionSpec> timer_option_specs() {
  return {
      {"timer-poll-ms", "MS", "how often to look for due timers", "1000"},
      {"timer-batch", "N", "due timers claimed and fired per transaction", "100"},
      {"timer-lease-seconds", "S", "another process takes a claimed timer over after this", "60"},
  };
}

std::vector<OptionSpec> smtp_option_specs() {
  return {
      {"smtp-url", "URL", "mail server: smtp://host:port (STARTTLS when offered) or smtps://host:port", ""},
      {"smtp-user", "USER", "login at the mail server (none: no login)", ""},
      {"smtp-password", "PASSWORD", "its password (better from the environment than a flag)", ""},
      {"smtp-from", "ADDRESS", "the From of every message", "s2s <s2s@localhost>"},
      {"public-url", "URL", "where people reach s2s: links in messages", "http://127.0.0.1:8080"},
      {"notify-max-attempts", "N", "failed attempts before a message is a dead letter", "6"},
      {"notify-backoff-seconds", "S", "first retry after this, doubling (with jitter) up to an hour", "30"},
      {"notify-poll-ms", "MS", "how often serve looks for messages to send", "5000"},
      {"notify-lease-seconds", "S", "a message being sent is this process's for this long (then sent again)", "120"},
      {"digest-at", "HH:MM", "when the daily digest goes out (Europe/London)", "07:00"},
  };
}

notifications::Mailer make_mailer(const Settings& settings) {
  notifications::SmtpOptions smtp;
  smtp.url = settings.require("smtp-url");
  smtp.user = settings.get("smtp-user").value_or("");
  smtp.password = settings.get("smtp-password").value_or("");
  smtp.from = settings.get("smtp-from").value_or("s2s <s2s@localhost>");
  try {
    return notifications::Mailer(smtp);
  } catch (const workflow::ConfigError& e) {
    throw UsageError(settings.source("smtp-url") + ": " + e.what());
  }
}

notifications::DispatcherOptions dispatcher_options(const Settings& settings) {
  notifications::DispatcherOptions options;
  options.max_attempts = static_cast<int>(settings.integer("notify-max-attempts", 1, 100));
  options.backoff_base = std::chrono::seconds(settings.integer("notify-backoff-seconds", 0, 86400));
  options.public_url = settings.get("public-url").value_or("http://127.0.0.1:8080");
  // Longer than one send may take (the mail server's 15 s timeout), so that a
  // live process never loses a claim mid-send.
  options.lease = std::chrono::seconds(settings.integer("notify-lease-seconds", 30, 86400));
  const std::string at = settings.get("digest-at").value_or("07:00");
  int hours = -1;
  int minutes = -1;
  if (at.size() != 5 || at[2] != ':' || std::sscanf(at.c_str(), "%2d:%2d", &hours, &minutes) != 2 || hours < 0 ||
      hours > 23 || minutes < 0 || minutes > 59) {
    throw UsageError(settings.source("digest-at") + ": digest-at must be HH:MM (24-hour), got '" + at + "'");
  }
  options.digest_at = std::chrono::minutes(hours * 60 + minutes);
  return options;
}

int run_notifications(const Settings& settings) {
  auto db = open_migrated(settings);
  notifications::Dispatcher dispatcher(db, make_mailer(settings), dispatcher_options(settings));
  const auto r = dispatcher.run_once();
  std::cout << "sent " << r.sent << ", to retry " << r.retried << ", dead " << r.dead << ", undeliverable "
            << r.undeliverable << ", digests " << r.digests << '\n';
  return r.dead == 0 ? 0 : 1;
}

int run_notifications_resend(const Settings& settings) {
  char* end = nullptr;
  const long long id = std::strtoll(settings.positional[0].c_str(), &end, 10);
  if (*end != '\0' || id <= 0)
    throw UsageError("ID must be a notification's number, got '" + settings.positional[0] + "'");
  auto db = open_migrated(settings);
  try {
    const int n = notifications::resend(*db, id, std::chrono::system_clock::now());
    std::cout << "notification " << id << ": " << n << " deliveries queued again\n";
  } catch (const notifications::NotificationError& e) {
    throw UsageError(e.what());
  }
  return 0;
}

int run_notifications_list(const Settings& settings) {
  auto db = open_migrated(settings);
  const std::string status = settings.get("status").value_or("dead");
  std::vector<notifications::Notification> found;
  try {
    found = notifications::notifications(*db, status, 1000);
  } catch (const notifications::NotificationError& e) {
    throw UsageError(e.what());
  }
  for (const auto& n : found) {
    std::cout << n.outbox_id << "  " << n.message << "  " << n.status << "  " << n.created_at << '\n';
    for (const auto& d : n.deliveries) {
      std::cout << "    " << d.recipient_name << " <" << d.recipient << ">: " << d.status << " after " << d.attempts
                << " attempt(s)" << (d.last_error.empty() ? "" : ": " + d.last_error) << '\n';
    }
  }
  if (found.empty()) std::cout << "no " << status << " notifications\n";
  return 0;
}

// --alliance, --mini-region, --la and --day-rate, shared by the reports.
cases::KpiScope report_scope(const Settings& settings) {
  cases::KpiScope scope;
  if (settings.get("alliance")) scope.alliance = settings.integer("alliance", 1, 1LL << 40);
  scope.mini_region = settings.get("mini-region");
  if (settings.get("la")) scope.la = static_cast<int>(settings.integer("la", 1, 9999));
  if (settings.get("day-rate")) scope.day_rate = static_cast<double>(settings.integer("day-rate", 0, 100000));
  return scope;
}

int run_report_kpis(const Settings& settings) {
  auto db = open_migrated(settings);
  auto engine = make_engine(settings, db);
  cases::KpiScope scope = report_scope(settings);
  scope.academic_year = settings.get("academic-year").value_or(cases::academic_year_of(engine->today()));
  scope.with_overdue_items = false;
  if (const auto as_of = settings.get("as-of")) {
    scope.as_of = workflow::parse_date(*as_of);
    if (!scope.as_of) throw UsageError("--as-of must be a date (YYYY-MM-DD), got '" + *as_of + "'");
  }
  cases::KpiReport report;
  try {
    report = cases::kpi_report(*db, engine->calendar(), scope, engine->today());
  } catch (const cases::ProviderError& e) {
    throw UsageError(e.what());
  }
  const auto explain = settings.get("explain");
  if (explain) {
    for (const auto& k : report.kpis) {
      if (k.id != *explain) continue;
      std::cout << k.name << " (" << k.id << ")\n" << k.definition << "\n";
      for (const auto& r : k.references) std::cout << "  " << r << '\n';
      return 0;
    }
    throw UsageError("--explain: no KPI '" + *explain + "'");
  }
  if (settings.enabled("csv")) {
    std::cout << cases::kpi_csv(report);
    return 0;
  }
  std::string where = scope.alliance      ? "alliance " + std::to_string(*scope.alliance)
                      : scope.mini_region ? *scope.mini_region
                      : scope.la          ? "LA " + std::to_string(*scope.la)
                                          : "every school";
  std::cout << "KPIs for " << where << ", academic year " << scope.academic_year << " (" << report.from << " to "
            << report.to << "), as of " << report.as_of << "\n\n";
  std::cout << fmt::format("{:<58} {:>10} {:>12} {:>14}  {}\n", "KPI", "actual", "target", "of", "status");
  for (const auto& k : report.kpis) {
    const std::string actual =
        k.actual ? cases::figure_text(*k.actual) + (k.unit == "percent" ? "%" : "") : std::string("-");
    // A KPI counted per teaching school is a total: each one's own figure follows it.
    const std::string of = !k.parts.empty() || k.denominator <= 0
                               ? std::string()
                               : cases::figure_text(k.numerator) + "/" + cases::figure_text(k.denominator);
    std::cout << fmt::format("{:<58} {:>10} {:>12} {:>14}  {}\n", k.name.substr(0, 58), actual, k.target, of, k.status);
    for (const auto& part : k.parts) {
      std::cout << fmt::format("  {:<56} {:>10} {:>12} {:>14}  {}\n", part.name.substr(0, 56),
                               cases::figure_text(part.actual), part.status == "none" ? "" : "at least 30", "",
                               part.status);
    }
    if (k.previous) {
      std::cout << fmt::format("  {:<56} {:>10}\n", "the academic year before", cases::figure_text(*k.previous));
    }
  }
  std::cout << "\nopen cases by phase:";
  for (const auto& [phase, n] : report.open_by_phase) std::cout << "  " << phase << " " << n;
  std::cout << "\ndays by funding source:";
  for (const auto& f : report.funding) {
    std::cout << "  " << cases::funding_label(f.funding_source) << " " << cases::figure_text(f.days);
  }
  std::cout << "\n";
  return 0;
}

int run_report_quarterly(const Settings& settings) {
  auto db = open_migrated(settings);
  auto engine = make_engine(settings, db);
  const cases::KpiScope scope = report_scope(settings);
  std::optional<cases::Quarter> quarter = cases::quarter_of(engine->today());
  if (const auto text = settings.get("quarter")) {
    quarter = cases::parse_quarter(*text);
    if (!quarter) {
      throw UsageError("--quarter must look like " + std::string(cases::kQuarterForm) + ", got '" + *text + "'");
    }
  }
  std::string text;
  try {
    const auto report = cases::progress_report(*db, engine->calendar(), scope, *quarter, engine->today());
    text = settings.enabled("html") ? cases::progress_html(report) : cases::progress_markdown(report);
  } catch (const cases::ProviderError& e) {
    throw UsageError(e.what());
  }
  const auto output = settings.get("output");
  if (!output) {
    std::cout << text;
    return 0;
  }
  // Written beside the file and renamed over it: a reader never sees half a
  // report, and a failed write leaves nothing behind.
  const std::filesystem::path path(*output);
  const std::filesystem::path partial = path.string() + ".partial";
  std::error_code error;
  std::filesystem::remove(partial, error);  // a leftover (or a link planted there) is not written through
  const auto fail = [&](const std::string& why) {
    std::filesystem::remove(partial, error);
    throw UsageError("--output: cannot write " + path.string() + ": " + why);
  };
  {
    std::ofstream out(partial, std::ios::binary | std::ios::trunc);
    if (!out) fail(std::strerror(errno));
    out << text;
    out.close();
    if (!out) fail(std::strerror(errno));
  }
  std::filesystem::rename(partial, path, error);
  if (error) fail(error.message());
  std::cout << quarter->name() << " report written to " << path.string() << '\n';
  return 0;
}

int run_user_feed(const Settings& settings) {
  auto db = open_migrated(settings);
  std::string token;
  try {
    token = api::new_feed_token(*db, settings.positional[0]);
  } catch (const api::UserError& e) {
    throw UsageError(e.what());
  }
  std::cout << "calendar feed for " << settings.positional[0] << " (any earlier one is revoked), shown only now:\n"
            << settings.get("public-url").value_or("http://127.0.0.1:8080") << "/api/v1/deadlines.ics?token=" << token
            << '\n';
  return 0;
}

int run_user_notify(const Settings& settings) {
  auto db = open_migrated(settings);
  try {
    api::set_notify(*db, settings.positional[0], settings.positional[1]);
  } catch (const api::UserError& e) {
    throw UsageError(e.what());
  }
  std::cout << settings.positional[0] << " now hears " << settings.positional[1]
            << (settings.positional[1] == "digest" ? " (one message a day)" : " (each message as it happens)") << '\n';
  return 0;
}

int run_webhook_add(const Settings& settings) {
  auto db = open_migrated(settings);
  std::string secret;
  try {
    const auto id = notifications::add_webhook(*db, settings.require("scope"), settings.require("url"), secret,
                                               std::chrono::system_clock::now());
    std::cout << "webhook " << id << ": " << settings.require("scope") << " -> " << settings.require("url")
              << "\nits signing secret, shown only now (X-S2S-Signature: sha256=HMAC-SHA256 of the body):\n"
              << secret << '\n';
  } catch (const notifications::NotificationError& e) {
    throw UsageError(e.what());
  }
  return 0;
}

int run_timers(const Settings& settings) {
  auto db = open_migrated(settings);
  auto engine = make_engine(settings, db);
  workflow::TimerService service(*engine, timer_options(settings));
  const auto report = service.run_until_idle();
  std::cout << "fired " << report.fired << ", skipped " << report.skipped << ", failed " << report.failed << '\n';
  return report.failed == 0 ? 0 : 1;
}

int run_import_gias(const Settings& settings) {
  const std::string path = settings.positional[0];
  std::ifstream in(path, std::ios::binary);
  if (!in) throw workflow::ConfigError("cannot read " + path);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  auto db = open_migrated(settings);
  const bool terminal = isatty(STDERR_FILENO) == 1;
  const auto progress = [terminal](std::size_t done, std::size_t total) {
    if (!terminal || total == 0) return;
    const int width = 40;
    const auto filled = static_cast<int>(width * done / total);
    std::cerr << "\r[" << std::string(static_cast<std::size_t>(filled), '#')
              << std::string(static_cast<std::size_t>(width - filled), ' ') << "] " << done << "/" << total << " rows"
              << std::flush;
  };
  const auto report = cases::import_gias(*db, bytes.str(), progress);
  if (terminal) std::cerr << '\n';
  const char* encoding = report.encoding == cases::TextEncoding::windows_1252 ? "Windows-1252"
                         : report.encoding == cases::TextEncoding::utf8_bom   ? "UTF-8 with BOM"
                                                                              : "UTF-8";
  std::cout << path << " (" << encoding << "): " << report.rows << " rows: " << report.inserted << " inserted, "
            << report.updated << " updated, " << report.unchanged << " unchanged, " << report.skipped << " skipped\n";
  for (const auto& problem : report.problems) std::cout << problem << '\n';
  return 0;
}

int run_user_add(const Settings& settings) {
  auto db = open_migrated(settings);
  const auto created = api::add_user(*db, settings.require("name"), settings.require("email"), settings.require("role"),
                                settings.get("scope").value_or(""), settings.get("phases").value_or(""));
  const std::string scope = api::actor_scope(created.user);
  std::cout << "user " << created.user.id << " " << created.user.email << " (" << created.user.role
            << (scope.empty() ? "" : ", " + scope)
            << ") created; its bearer token, shown only now:\n"
            << created.token << '\n';
  return 0;
}

int run_demo_load(const Settings& settings) {
  auto db = open_migrated(settings);
  auto engine = make_engine(settings, db);
  const auto demo = cases::load_demo(*engine);
  std::cout << "demo loaded: the Peak and Trent Teaching School Alliance (alliance " << demo.alliance_id << "), "
            << demo.system_leaders.size() << " system leaders, " << demo.cases << " cases, " << demo.overdue_deadlines
            << " overdue deadlines\n\n"
            << "demo users and their bearer tokens, shown only now:\n";
  const std::string leader = std::to_string(demo.deployed_system_leader);
  const std::tuple<const char*, const char*, const char*, std::string> people[] = {
      {"Alex Admin", "admin@demo.example.org", "admin", ""},
      {"Amy Cole", "lead@demo.example.org", "lead", "alliance:" + std::to_string(demo.alliance_id)},
      {"Imran Shah", "system-leader@demo.example.org", "system_leader", "system_leader:" + leader},
      {"Sam Hughes", "school@demo.example.org", "school", "school:" + std::to_string(demo.deployed_school_urn)},
      {"Raj Patel", "la@demo.example.org", "la_officer", "la:830"},
  };
  for (const auto& [name, email, role, scope] : people) {
    const auto created = api::add_user(*db, name, email, role, scope);
    std::cout << fmt::format("  {:<14} {:<32} {}\n", role, scope.empty() ? email : scope, created.token);
  }
  return 0;
}

int run_user_revoke(const Settings& settings) {
  auto db = open_database(settings);
  const int revoked = api::revoke_tokens(*db, settings.positional[0]);
  std::cout << revoked << " token(s) of " << settings.positional[0] << " revoked\n";
  return 0;
}

int run_alliance_add(const Settings& settings) {
  auto db = open_migrated(settings);
  const auto id = cases::create_alliance(*db, settings.require("name"),
                                         static_cast<int>(settings.integer("lead-urn", 1, 2147483647)));
  std::cout << "alliance " << id << " created\n";
  return 0;
}

int run_system_leader_add(const Settings& settings) {
  auto db = open_migrated(settings);
  std::optional<std::int64_t> alliance;
  if (settings.get("alliance")) alliance = settings.integer("alliance", 1, 1LL << 62);
  const auto id = cases::create_system_leader(*db, settings.require("name"), settings.require("email"),
                                              static_cast<int>(settings.integer("home-urn", 1, 2147483647)), alliance);
  std::cout << "system leader " << id << " created\n";
  return 0;
}

int run_designation_add(const Settings& settings) {
  auto db = open_migrated(settings);
  const auto from = parse_date_argument(settings.require("from"), "--from");
  std::optional<std::chrono::year_month_day> to;
  if (settings.get("to")) to = parse_date_argument(*settings.get("to"), "--to");
  const auto id =
      cases::add_designation(*db, settings.integer("system-leader", 1, 1LL << 62), settings.require("designation"),
                             settings.get("specialisms").value_or(""), from, to);
  std::cout << "designation " << id << " added\n";
  return 0;
}

int run_capacity_set(const Settings& settings) {
  auto db = open_migrated(settings);
  const auto leader = settings.integer("system-leader", 1, 1LL << 62);
  const std::string year = settings.require("year");
  const std::string days_text = settings.require("days");
  char* end = nullptr;
  const double days = std::strtod(days_text.c_str(), &end);
  if (*end != '\0') throw UsageError("--days must be a number of days, got '" + days_text + "'");
  cases::set_capacity(*db, leader, year, days);
  const auto held = cases::capacity(*db, leader, year);
  std::cout << "system leader " << leader << " offers " << held.offered << " days in " << year << " (" << held.reserved
            << " reserved, " << held.consumed << " logged)\n";
  return 0;
}

int run_migrate(const Settings& settings) {
  auto db = open_database(settings);
  const auto migrations = workflow::bundled_migrations(db->backend());
  if (settings.enabled("status")) {
    const auto status = workflow::migration_status(*db, migrations);
    for (const auto& name : status.applied) std::cout << "applied  " << name << '\n';
    for (const auto& name : status.pending) std::cout << "pending  " << name << '\n';
    return status.pending.empty() ? 0 : 3;
  }
  const auto applied = workflow::migrate(*db, migrations);
  std::cout << (applied.empty() ? "database is up to date"
                                : "applied " + std::to_string(applied.size()) + " migration(s)")
            << " (" << db->url().redacted << ")\n";
  return 0;
}

std::pair<std::string, std::uint16_t> parse_listen(const Settings& settings) {
  const std::string listen = settings.require("listen");
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    throw UsageError(settings.source("listen") + ": listen must be HOST:PORT, got '" + listen + "'");
  }
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string port_text = listen.substr(colon + 1);
  char* end = nullptr;
  const long port = std::strtol(port_text.c_str(), &end, 10);
  if (port_text.empty() || *end != '\0' || port < 0 || port > 65535) {
    throw UsageError(settings.source("listen") + ": port must be 0 to 65535, got '" + port_text + "'");
  }
  return {host, static_cast<std::uint16_t>(port)};
}

int run_serve(const Settings& settings) {
  api::ServerOptions options;
  std::tie(options.host, options.port) = parse_listen(settings);
  options.io_threads = static_cast<std::size_t>(settings.integer("io-threads", 1, 64));
  options.worker_threads = static_cast<std::size_t>(settings.integer("workers", 1, 256));
  options.max_connections = static_cast<std::size_t>(settings.integer("max-connections", 1, 100000));
  options.max_body_bytes = static_cast<std::size_t>(settings.integer("max-body-bytes", 1024, 1LL << 30));
  options.read_timeout = std::chrono::milliseconds(settings.integer("read-timeout-ms", 100, 3600000));
  options.write_timeout = std::chrono::milliseconds(settings.integer("write-timeout-ms", 100, 3600000));
  options.idle_timeout = std::chrono::milliseconds(settings.integer("idle-timeout-ms", 100, 3600000));
  options.shutdown_grace = std::chrono::milliseconds(settings.integer("shutdown-grace-ms", 0, 3600000));

  options.max_upload_bytes = static_cast<std::size_t>(settings.integer("max-upload-bytes", 1024, 1LL << 32));
  options.upload_paths = {"/api/v1/schools/import"};
  options.upload_read_timeout = std::chrono::milliseconds(settings.integer("upload-timeout-ms", 1000, 3600000));

  api::App app;
  app.options.max_page_size = static_cast<int>(settings.integer("max-page-size", 1, 10000));
  app.options.default_page_size = std::min(app.options.default_page_size, app.options.max_page_size);
  app.options.rate_per_second = static_cast<double>(settings.integer("rate-limit", 1, 1000000));
  app.options.rate_burst = static_cast<double>(settings.integer("rate-burst", 1, 1000000));
  app.options.public_url = settings.get("public-url").value_or("http://127.0.0.1:8080");
  app.db = open_database(settings);
  if (!settings.enabled("no-migrate")) {
    const auto applied = workflow::migrate(*app.db, workflow::bundled_migrations(app.db->backend()));
    if (!applied.empty()) spdlog::info("applied {} migration(s)", applied.size());
  } else {
    // Still refuse to serve on a database whose applied migrations were edited.
    (void)workflow::migration_status(*app.db, workflow::bundled_migrations(app.db->backend()));
  }
  app.engine = make_engine(settings, app.db);
  std::unique_ptr<workflow::TimerService> timers;
  if (!settings.enabled("no-timers")) {
    timers = std::make_unique<workflow::TimerService>(*app.engine, timer_options(settings));
    timers->start();
  }
  std::unique_ptr<notifications::Dispatcher> dispatcher;
  std::unique_ptr<notifications::DispatchService> dispatch;
  notifications::check_templates();  // a broken template stops s2sd now, not when a message is due
  if (settings.get("smtp-url")) {
    dispatcher =
        std::make_unique<notifications::Dispatcher>(app.db, make_mailer(settings), dispatcher_options(settings));
    dispatch = std::make_unique<notifications::DispatchService>(
        *dispatcher, std::chrono::milliseconds(settings.integer("notify-poll-ms", 100, 3600000)));
    dispatch->start();
  } else {
    spdlog::warn("notifications are not sent: no --smtp-url (they wait in the outbox)");
  }
  api::Router router;
  api::register_routes(router, app);
  api::HttpServer server(options, api::make_handler(router, app));
  spdlog::info("s2sd {} serving http://{}:{} with {} database {}", S2S_VERSION, options.host, server.port(),
               workflow::to_string(app.db->backend()), app.db->url().redacted);
  server.run();
  if (timers) timers->stop();
  if (dispatch) dispatch->stop();
  spdlog::info("stopped");
  return 0;
}

std::int32_t urn_argument(const std::string& text) {
  char* end = nullptr;
  const long urn = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || urn < 1 || urn > 99999999) {
    throw UsageError("URN must be a school's unique reference number, got '" + text + "'");
  }
  return static_cast<std::int32_t>(urn);
}

std::optional<bool> yes_no(const Settings& settings, std::string_view name) {
  const auto value = settings.get(name);
  if (!value) return std::nullopt;
  if (*value == "yes") return true;
  if (*value == "no") return false;
  throw UsageError("--" + std::string(name) + " must be yes or no, got '" + *value + "'");
}

void print_school(const cases::School& s) {
  std::cout << s.urn << "  " << s.name << "\n  " << s.phase << ", " << s.status << ", " << s.la_name << " (LA "
            << s.la_code << ")" << (s.mini_region.empty() ? "" : ", mini region " + s.mini_region) << '\n';
  std::cout << "  trust: " << (s.trust_name.empty() ? "none" : s.trust_name + " (" + s.trust_code + ")") << '\n';
  std::cout << "  ofsted: " << (s.ofsted_grade ? std::to_string(*s.ofsted_grade) : "none")
            << (s.ofsted_date.empty() ? "" : " on " + s.ofsted_date)
            << ", ssif eligible: " << (s.ssif_eligible ? "yes" : "no")
            << ", category 5/6 area: " << (s.category_5_6 ? "yes" : "no") << '\n';
  const auto need = cases::in_need_because(s);
  std::cout << "  in need: " << (need ? "yes, " + *need : std::string("no")) << '\n';
}

int run_school_show(const Settings& settings) {
  auto db = open_migrated(settings);
  const auto urn = urn_argument(settings.positional[0]);
  const auto school = cases::find_school(*db, urn);
  if (!school) throw cases::ProviderError("no school with URN " + std::to_string(urn) + " (import GIAS first)");
  print_school(*school);
  return 0;
}

int run_school_set(const Settings& settings) {
  auto db = open_migrated(settings);
  cases::SchoolEdit edit;
  if (const auto grade = settings.get("ofsted-grade")) {
    edit.ofsted_grade = *grade == "none" ? 0 : static_cast<int>(settings.integer("ofsted-grade", 1, 4));
  }
  if (const auto date = settings.get("ofsted-date")) {
    edit.ofsted_date = *date == "none" ? std::string() : *date;
  }
  edit.ssif_eligible = yes_no(settings, "ssif-eligible");
  edit.category_5_6 = yes_no(settings, "category-5-6");
  if (const auto code = settings.get("trust-code")) edit.trust_code = *code == "none" ? std::string() : *code;
  if (const auto name = settings.get("trust-name")) edit.trust_name = *name == "none" ? std::string() : *name;
  const auto today = workflow::london_date(std::chrono::system_clock::now());
  print_school(cases::edit_school(*db, urn_argument(settings.positional[0]), edit, today));
  return 0;
}

int run_match(const Settings& settings) {
  auto db = open_migrated(settings);
  auto engine = make_engine(settings, db);
  const std::string key = settings.require("case");
  const auto found = engine->lookup(key);
  if (!found) {
    const bool id = key.find_first_not_of("0123456789") == std::string::npos;
    throw cases::ProviderError("no case with " + std::string(id ? "id " : "reference ") + key);
  }
  const auto on = settings.get("on") ? parse_date_argument(*settings.get("on"), "--on") : engine->today();
  const auto request = cases::match_request_for(*found, on);
  const auto result = cases::match_providers(*db, request);
  std::cout << found->reference << " (" << found->kind << ", school " << found->school_urn << ", " << found->state
            << "): " << fmt::format("{:g}", request.days) << " days needed in " << result.academic_year;
  if (!request.focus_areas.empty()) {
    std::string focus;
    for (const auto& area : request.focus_areas) focus += (focus.empty() ? "" : ", ") + area;
    std::cout << ", focus " << focus;
  }
  std::cout << "\n\nranked (" << result.ranked.size() << "):\n";
  int rank = 0;
  for (const auto& p : result.ranked) {
    std::string designations;
    for (const auto& d : p.designations) designations += (designations.empty() ? "" : "; ") + d;
    std::cout << fmt::format("{:3}. {:5.1f}  {} (system leader {}), {} [{}]\n", ++rank, p.score, p.name,
                             p.system_leader_id, p.home_school_name, designations);
    for (const auto& c : p.criteria) {
      std::cout << fmt::format("            {:<10} {:4.1f}/{:<3g} {}\n", c.name, c.points, c.weight, c.reason);
    }
  }
  std::cout << "\nexcluded (" << result.excluded.size() << "):\n";
  for (const auto& p : result.excluded) {
    std::string reasons;
    for (const auto& r : p.reasons) reasons += (reasons.empty() ? "" : "; ") + r.code + ": " + r.reason;
    std::cout << "  " << p.name << " (system leader " << p.system_leader_id << "): " << reasons << '\n';
  }
  return 0;
}

std::vector<Command> commands() {
  std::vector<Command> out;
  out.push_back({{"serve", "", "Run the HTTP API. Migrates the database first unless --no-migrate.",
                  with_common(
                      {
                          {"listen", "HOST:PORT", "address to listen on", "127.0.0.1:8080"},
                          {"no-migrate", "", "do not apply pending migrations on start", ""},
                          {"io-threads", "N", "threads running sockets", "1"},
                          {"workers", "N", "threads running request handlers", "8"},
                          {"max-connections", "N", "open connections at most; more get 503", "512"},
                          {"max-body-bytes", "N", "largest request body; larger get 413", "1048576"},
                          {"max-upload-bytes", "N", "largest GIAS upload (POST /api/v1/schools/import)", "67108864"},
                          {"upload-timeout-ms", "MS", "a whole GIAS upload must arrive within this", "300000"},
                          {"max-page-size", "N", "largest ?limit on lists; larger get 400", "200"},
                          {"rate-limit", "N", "requests a second per user, sustained; more get 429", "50"},
                          {"rate-burst", "N", "requests per user in a burst above the rate", "100"},
                          {"read-timeout-ms", "MS", "a whole request must arrive within this", "10000"},
                          {"write-timeout-ms", "MS", "a whole response must be sent within this", "10000"},
                          {"idle-timeout-ms", "MS", "keep-alive connections close after this idle", "30000"},
                          {"shutdown-grace-ms", "MS", "on SIGTERM, in-flight requests get this long", "10000"},
                          {"no-timers", "", "do not fire due timers in this process", ""},
                      },
                      engine_options(),
                      [] {
                        auto specs = timer_option_specs();
                        for (auto& spec : smtp_option_specs()) specs.push_back(spec);
                        return specs;
                      }())},
                 run_serve});
  out.push_back({{"migrate", "", "Apply pending database migrations (or list them with --status).",
                  with_common({{"status", "", "list applied and pending migrations; exit 3 if any pending", ""}})},
                 run_migrate});
  // Every command takes the common options, --db among them, so one config
  // file or command line serves them all; some read no database.
  out.push_back({{"calendar add-working-days", "DATE N",
                  "Print the Nth working day after DATE (England and Wales bank holidays; N < 0 counts back).",
                  common_options(), 2},
                 run_calendar_add});
  out.push_back(
      {{"calendar holidays", "YEAR", "Print YEAR's England and Wales bank holidays, one a line.", common_options(), 1},
       run_calendar_holidays});
  out.push_back({{"calendar close", "DATE",
                  "Close DATE for everyone (an admin closure day) and move the open deadlines it affects.",
                  with_common({{"reason", "TEXT", "why the day is closed (required)", ""},
                               {"actor", "NAME", "who closes it, for the record", "admin:cli"}},
                              engine_options()),
                  1},
                 run_calendar_close});
  out.push_back(
      {{"user add", "", "Create a user and print its bearer token alone on the last line (stored only as a hash).",
        with_common({{"name", "NAME", "the person's name (required)", ""},
                     {"email", "EMAIL", "their email address, unique (required)", ""},
                     {"role", "ROLE", "lead, strategic, system_leader, school, la_officer or admin (required)", ""},
                     {"scope", "KIND:VALUE",
                      "mini_region:NAME or alliance:ID (lead), school:URN, system_leader:ID, la:CODE; none for "
                      "strategic and admin",
                      ""},
                     {"phases", "LIST",
                      "a lead narrowed to phase groups, e.g. primary,middle (nursery, primary, middle, secondary, "
                      "all_through, sixteen_plus, special, alternative_provision, other)",
                      ""}})},
       run_user_add});
  out.push_back({{"user revoke", "EMAIL", "Revoke every token of the user with this email.", common_options(), 1},
                 run_user_revoke});
  out.push_back({{"alliance add", "", "Create an alliance led by a teaching school (a school already imported).",
                  with_common({{"name", "NAME", "the alliance's name (required)", ""},
                               {"lead-urn", "URN", "its lead teaching school (required)", ""}})},
                 run_alliance_add});
  out.push_back({{"system-leader add", "", "Create a system leader.",
                  with_common({{"name", "NAME", "required", ""},
                               {"email", "EMAIL", "required, unique", ""},
                               {"home-urn", "URN", "their home school (required)", ""},
                               {"alliance", "ID", "the alliance they work for", ""}})},
                 run_system_leader_add});
  out.push_back({{"designation add", "", "Record a system leader's designation (NLE, LLE, SLE, NLG, LLG, PPR).",
                  with_common({{"system-leader", "ID", "required", ""},
                               {"designation", "D", "NLE, LLE, SLE, NLG, LLG or PPR (required)", ""},
                               {"specialisms", "LIST", "comma-separated, e.g. maths,SEND", ""},
                               {"from", "DATE", "active from (required)", ""},
                               {"to", "DATE", "active to", ""}})},
                 run_designation_add});
  out.push_back({{"capacity set", "", "Set the days a system leader offers in an academic year.",
                  with_common({{"system-leader", "ID", "required", ""},
                               {"year", "YYYY/YY", "the academic year, e.g. 2026/27 (required)", ""},
                               {"days", "N", "days offered, in half-day steps (required)", ""}})},
                 run_capacity_set});
  out.push_back({{"demo load", "",
                  "Load the demo data set into a new database (an alliance, system leaders, cases of every kind in "
                  "every phase) and print a bearer token for a user of each role.",
                  with_common({}, engine_options())},
                 run_demo_load});
  out.push_back({{"school show", "URN", "Print a school as the KPIs see it.", common_options(), 1}, run_school_show});
  out.push_back(
      {{"school set", "URN", "Edit what GIAS lacks: Ofsted grade and date, SSIF eligibility, Category 5/6 area, trust.",
        with_common(
            {{"ofsted-grade", "N", "1 outstanding, 2 good, 3 requires improvement, 4 inadequate; none clears", ""},
             {"ofsted-date", "DATE", "the inspection's date; none clears", ""},
             {"ssif-eligible", "yes|no", "eligible for the Strategic School Improvement Fund", ""},
             {"category-5-6", "yes|no", "in a Category 5/6 area", ""},
             {"trust-code", "CODE", "the trust's GIAS code; none clears", ""},
             {"trust-name", "NAME", "the trust's name; none clears", ""}}),
        1},
       run_school_set});
  out.push_back({{"match", "",
                  "Rank the system leaders who could take a case, with each score explained, and list "
                  "those excluded with the reasons.",
                  with_common({{"case", "ID|REFERENCE", "the case's id or reference, e.g. SR-2026-0003 (required)", ""},
                               {"on", "DATE", "weigh designations and capacity on this date (default: today)", ""}},
                              engine_options())},
                 run_match});
  out.push_back({{"import gias", "FILE.csv",
                  "Import schools from a GIAS establishment extract (UTF-8 or Windows-1252), upserting by URN.",
                  common_options(), 1},
                 run_import_gias});
  out.push_back(
      {{"diagram", "KIND", "Print a case kind's state machine as a Mermaid stateDiagram-v2.", common_options(), 1},
       run_diagram});
  out.push_back(
      {{"deadlines", "",
        "List every deadline: its working days in force, whose move it is, where its default comes from and what "
        "it is for.",
        with_common({}, engine_options())},
       run_deadlines});
  out.push_back({{"notifications run", "",
                  "Send every due notification now over SMTP, then exit (serve does this continuously when given "
                  "--smtp-url).",
                  with_common({}, smtp_option_specs())},
                 run_notifications});
  out.push_back({{"notifications resend", "ID", "Queue a dead letter's failed deliveries again.", common_options(), 1},
                 run_notifications_resend});
  out.push_back({{"notifications list", "", "List notifications and their deliveries (dead letters by default).",
                  with_common({{"status", "STATUS", "pending, sent or dead", "dead"}})},
                 run_notifications_list});
  out.push_back(
      {{"report kpis", "",
        "The action plans' KPIs for an academic year (a table; --csv for Excel; --explain KPI for its cases).",
        with_common({{"academic-year", "YYYY/YY", "the academic year (default: the current one)", ""},
                     {"alliance", "ID", "the schools of an alliance (its days: its system leaders')", ""},
                     {"mini-region", "NAME", "the schools of a mini region", ""},
                     {"la", "CODE", "the schools of a local authority", ""},
                     {"day-rate", "POUNDS", "spend per deployment day, for days by funding source", ""},
                     {"as-of", "YYYY-MM-DD", "the figures as they stood at the end of that day (default: today)", ""},
                     {"csv", "", "CSV (UTF-8 with BOM) instead of a table", ""},
                     {"explain", "KPI", "the definition and the cases behind one KPI", ""}},
                    engine_options())},
       run_report_kpis});
  out.push_back(
      {{"report quarterly", "",
        "The quarterly progress report for the strategic group: the KPIs beside last quarter's, open cases, days "
        "and spend, overdue items (Markdown; --html for a page).",
        with_common(
            {{"quarter", "YYYY/YY-QN", "the academic year's quarter, e.g. 2026/27-Q1 (default: the current one)", ""},
             {"alliance", "ID", "the schools of an alliance (its days: its system leaders')", ""},
             {"mini-region", "NAME", "the schools of a mini region", ""},
             {"la", "CODE", "the schools of a local authority", ""},
             {"day-rate", "POUNDS", "spend per deployment day, for days by funding source", ""},
             {"html", "", "an HTML page instead of Markdown", ""},
             {"output", "FILE", "write the report to FILE instead of standard output", ""}},
            engine_options())},
       run_report_quarterly});
  out.push_back({{"user feed", "EMAIL",
                  "Make the user a calendar feed of their deadlines (a read-only token; an earlier one is revoked).",
                  with_common({{"public-url", "URL", "where people reach s2s", "http://127.0.0.1:8080"}}), 1},
                 run_user_feed});
  out.push_back({{"user notify", "EMAIL immediate|digest",
                  "How a user hears of their cases: each message at once, or a daily digest.", common_options(), 2},
                 run_user_notify});
  out.push_back(
      {{"webhook add", "", "POST every notification about the schools of an alliance or mini region to a URL, signed.",
        with_common({{"scope", "KIND:VALUE", "alliance:ID or mini_region:NAME (required)", ""},
                     {"url", "URL", "http:// or https:// (required)", ""}})},
       run_webhook_add});
  out.push_back({{"timers run", "", "Fire every due timer now, then exit (serve does this continuously).",
                  with_common({}, engine_options(), timer_option_specs())},
                 run_timers});
  out.push_back({{"version", "", "Print the version.", common_options()}, [](const Settings&) {
                   std::cout << "s2sd " << S2S_VERSION << '\n';
                   return 0;
                 }});
  return out;
}

std::string top_level_help(const std::vector<Command>& all) {
  std::string out = "Usage: s2sd COMMAND [options]\n\nThe school-to-school support workflow engine.\n\nCommands:\n";
  for (const Command& c : all) {
    std::string left = "  " + c.spec.name + (c.spec.arguments.empty() ? "" : " " + c.spec.arguments);
    out += left + std::string(left.size() < 36 ? 36 - left.size() : 1, ' ') + c.spec.summary + "\n";
  }
  out += "\nRun 's2sd COMMAND --help' for a command's options.\n";
  return out;
}

}  // namespace

int run_s2sd(std::span<const std::string> args) {
  const auto all = commands();
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << top_level_help(all);
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "--version") {
    std::cout << "s2sd " << S2S_VERSION << '\n';
    return 0;
  }

  // The longest command name that the words start with: "calendar holidays" before "calendar".
  const Command* command = nullptr;
  std::size_t used = 0;
  for (const Command& c : all) {
    std::vector<std::string> words;
    for (std::size_t start = 0; start <= c.spec.name.size();) {
      const auto space = c.spec.name.find(' ', start);
      words.push_back(c.spec.name.substr(start, space == std::string::npos ? std::string::npos : space - start));
      if (space == std::string::npos) break;
      start = space + 1;
    }
    if (words.size() > args.size() || words.size() <= used) continue;
    if (std::equal(words.begin(), words.end(), args.begin())) {
      command = &c;
      used = words.size();
    }
  }
  if (command == nullptr) {
    std::cerr << "s2sd: unknown command '" << args[0] << "' (see s2sd --help)\n";
    return 2;
  }
  const auto rest = args.subspan(used);
  for (const auto& arg : rest) {
    if (arg == "--help" || arg == "-h") {
      std::cout << help_text(command->spec);
      return 0;
    }
  }

  std::vector<std::string> known_keys;
  for (const Command& c : all) {
    for (const auto& o : c.spec.options) known_keys.push_back(o.name);
  }
  try {
    const Settings settings = resolve_settings(
        command->spec, rest,
        [](const std::string& name) -> std::optional<std::string> {
          const char* value = std::getenv(name.c_str());
          return value == nullptr ? std::nullopt : std::optional<std::string>(value);
        },
        known_keys);
    configure_logging(settings.get("log-format").value_or("text"), settings.get("log-level").value_or("info"));
    return command->run(settings);
  } catch (const std::exception& e) {
    // One line naming the problem; 2 for what the caller asked wrongly, 1 for what went wrong.
    std::cerr << "s2sd " << command->spec.name << ": " << e.what() << '\n';
    const bool usage = dynamic_cast<const UsageError*>(&e) != nullptr ||
                       dynamic_cast<const api::UserError*>(&e) != nullptr ||
                       dynamic_cast<const cases::ProviderError*>(&e) != nullptr;
    return usage ? 2 : 1;
  }
}

}  // namespace s2s::cli
