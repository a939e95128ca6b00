#include "cli/commands.h"

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "cases/providers.h"
#include "cases/users.h"
#include "cli/command_list.h"
#include "cli/common.h"
#include "cli/logging.h"
#include "cli/notifications.h"
#include "cli/settings.h"
#include "cli/timers.h"

namespace s2s::cli {
namespace {

Command version_command() {
  return {{"version", "", "Print the version.", common_options()}, [](const Settings&) {
            std::cout << "s2sd " << version() << '\n' << "memory: " << memory_allocator() << '\n';
            return 0;
          }};
}

// `first`, the options that choose a report's schools and its day rate, then `last`.
std::vector<OptionSpec> report_options(std::vector<OptionSpec> first, const std::vector<OptionSpec>& last) {
  first.insert(first.end(), {{"alliance", "ID", "the schools of an alliance (its days: its system leaders')", ""},
                             {"mini-region", "NAME", "the schools of a mini region", ""},
                             {"la", "CODE", "the schools of a local authority", ""},
                             {"day-rate", "POUNDS", "spend per deployment day, for days by funding source", ""}});
  first.insert(first.end(), last.begin(), last.end());
  return first;
}

// Every command: its words, arguments, summary and options, and what runs it,
// in the order s2sd --help lists them. Every command takes the common options,
// --db among them, so that one config file or command line serves them all
// (the calendar's commands and diagram read no database but calendar close).
std::vector<Command> all_commands() {
  // clang-format off
  return {
      {{"serve", "",
           "Serve the web pages and the HTTP API. Migrates the database first unless --no-migrate. Cookies are "
           "Secure when --public-url is https.",
           with_common(
               {
                   {"listen", "HOST:PORT", "address to listen on", "127.0.0.1:8080"},
                   {"no-migrate", "", "do not apply pending migrations on start", ""},
                   {"io-threads", "N", "threads running sockets", "1"},
                   {"workers", "N", "threads running request handlers (auto: twice the cores)", "auto"},
                   {"max-connections", "N", "open connections at most; more get 503", "512"},
                   {"trusted-proxy", "ADDRESSES",
                    "reverse proxies (comma-separated addresses) whose X-Forwarded-For names the client", ""},
                   {"backdate-years", "N",
                    "leads and admins may date events from the start of the academic year N before this one (others: "
                    "this term)",
                    "1"},
                   {"max-connections-per-client", "N",
                    "open connections from one address at most; more get 503 (behind a proxy, all are one)", "128"},
                   {"max-body-bytes", "N", "largest request body; larger get 413", "1048576"},
                   {"max-upload-bytes", "N", "largest GIAS upload (an administrator's, by the API or the admin console)", "67108864"},
                   {"upload-timeout-ms", "MS", "a whole GIAS upload must arrive within this", "300000"},
                   {"max-page-size", "N", "largest ?limit on lists; larger get 400", "200"},
                   {"rate-limit", "N", "requests a second per user, sustained; more get 429", "50"},
                   {"rate-burst", "N", "requests per user in a burst above the rate", "100"},
                   {"read-timeout-ms", "MS", "a whole request must arrive within this", "10000"},
                   {"write-timeout-ms", "MS", "a whole response must be sent within this", "10000"},
                   {"idle-timeout-ms", "MS", "keep-alive connections close after this idle", "30000"},
                   {"shutdown-grace-ms", "MS", "on SIGTERM, in-flight requests get this long", "10000"},
                   {"no-timers", "", "do not fire due timers in this process", ""},
                   {"session-idle-minutes", "N", "a web session unused this long ends", "60"},
                   {"session-hours", "N", "and any web session this old", "12"},
                   {"cold-spot-days", "N", "an area with fewer free days per school in need is a cold spot", "10"},
                   {"kept-history-mb", "N",
                    "memory (MiB, about) for the histories of cases whose pages were read, so that a page read "
                    "again asks only for the entries written since, and for their timelines as shown (0: none)",
                    "96"},
               },
               engine_options(),
               [] {
                 auto specs = timer_option_specs();
                 for (auto& spec : smtp_option_specs()) specs.push_back(spec);
                 return specs;
               }())},
       serve_commands::run_serve},
      {{"migrate", "", "Apply pending database migrations (or list them with --status).",
           with_common({{"status", "", "list applied and pending migrations; exit 3 if any pending", ""}})},
       migrate_commands::run_migrate},
      {{"backup", "",
           "Copy an SQLite database, whole and consistent, to a new file while it serves (PostgreSQL: pg_dump).",
           with_common({{"to", "FILE", "the new file (must not exist; required)", ""}})},
       migrate_commands::run_backup},
      {{"calendar add-working-days", "DATE N",
           "Print the Nth working day after DATE (England and Wales bank holidays; N < 0 counts back).",
           common_options(), 2},
       calendar_commands::run_calendar_add},
      {{"calendar holidays", "YEAR", "Print YEAR's England and Wales bank holidays, one a line.", common_options(), 1},
       calendar_commands::run_calendar_holidays},
      {{"calendar close", "DATE",
           "Close DATE for everyone (an admin closure day) and move the open deadlines it affects.",
           with_common({{"reason", "TEXT", "why the day is closed (required)", ""},
                        {"actor", "NAME", "who closes it, for the record", "admin:cli"}},
                       engine_options()),
           1},
       calendar_commands::run_calendar_close},
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
       users_commands::run_user_add},
      {{"user revoke", "EMAIL",
           "Revoke the user with this email: their tokens and web sessions end, and they can no longer sign in.",
           common_options(), 1},
       users_commands::run_user_revoke},
      {{"user sign-in-link", "EMAIL",
           "Print a one-time link that signs the user in to the web pages (valid 15 minutes, used once).",
           with_common({{"public-url", "URL", "where people reach s2s", "http://127.0.0.1:8080"},
                        {"next", "PATH", "the page to open once signed in", "/"}}),
           1},
       users_commands::run_user_sign_in_link},
      {{"alliance add", "", "Create an alliance led by a teaching school (a school already imported).",
           with_common({{"name", "NAME", "the alliance's name (required)", ""},
                        {"lead-urn", "URN", "its lead teaching school (required)", ""}})},
       providers_commands::run_alliance_add},
      {{"system-leader add", "", "Create a system leader.",
           with_common({{"name", "NAME", "required", ""},
                        {"email", "EMAIL", "required, unique", ""},
                        {"home-urn", "URN", "their home school (required)", ""},
                        {"alliance", "ID", "the alliance they work for", ""}})},
       providers_commands::run_system_leader_add},
      {{"designation add", "", "Record a system leader's designation (NLE, LLE, SLE, NLG, LLG, PPR).",
           with_common({{"system-leader", "ID", "required", ""},
                        {"designation", "D", "NLE, LLE, SLE, NLG, LLG or PPR (required)", ""},
                        {"specialisms", "LIST", "comma-separated, e.g. maths,SEND", ""},
                        {"from", "DATE", "active from (required)", ""},
                        {"to", "DATE", "active to", ""}})},
       providers_commands::run_designation_add},
      {{"capacity set", "", "Set the days a system leader offers in an academic year.",
           with_common({{"system-leader", "ID", "required", ""},
                        {"year", "YYYY/YY", "the academic year, e.g. 2026/27 (required)", ""},
                        {"days", "N", "days offered, in half-day steps (required)", ""}})},
       providers_commands::run_capacity_set},
      {{"demo load", "",
           "Load the demo data set into a new database (an alliance, system leaders, cases of every kind in "
           "every phase) and print a bearer token for a user of each role.",
           with_common({}, engine_options())},
       demo_commands::run_demo_load},
      {{"school show", "URN", "Print a school as the KPIs see it.", common_options(), 1},
       schools_commands::run_school_show},
      {{"school set", "URN", "Edit what GIAS lacks: Ofsted grade and date, SSIF eligibility, Category 5/6 area, trust.",
       with_common(
           {{"ofsted-grade", "N", "1 outstanding, 2 good, 3 requires improvement, 4 inadequate; none clears", ""},
            {"ofsted-date", "DATE", "the inspection's date; none clears", ""},
            {"ssif-eligible", "yes|no", "eligible for the Strategic School Improvement Fund", ""},
            {"category-5-6", "yes|no", "in a Category 5/6 area", ""},
            {"trust-code", "CODE", "the trust's GIAS code; none clears", ""},
            {"trust-name", "NAME", "the trust's name; none clears", ""}}),
       1},
       schools_commands::run_school_set},
      {{"match", "",
           "Rank the system leaders who could take a case, with each score explained, and list "
           "those excluded with the reasons.",
           with_common({{"case", "ID|REFERENCE", "the case's id or reference, e.g. SR-2026-0003 (required)", ""},
                        {"on", "DATE", "weigh designations and capacity on this date (default: today)", ""}},
                       engine_options())},
       match_commands::run_match},
      {{"import gias", "FILE.csv",
           "Import schools from a GIAS establishment extract (UTF-8 or Windows-1252), upserting by URN.",
           common_options(), 1},
       schools_commands::run_import_gias},
      {{"import ofsted", "FILE.csv",
           "Import schools' report cards and graded judgements from Ofsted's inspection outcomes file "
           "(management information, by URN); the schools must be on the register.",
           common_options(), 1},
       schools_commands::run_import_ofsted},
      {{"diagram", "KIND", "Print a case kind's state machine as a Mermaid stateDiagram-v2.", common_options(), 1},
       calendar_commands::run_diagram},
      {{"deadlines", "",
           "List every deadline: its working days in force, whose move it is, where its default comes from and what "
           "it is for.",
           with_common({}, engine_options())},
       calendar_commands::run_deadlines},
      {{"notifications run", "",
           "Send every due notification now over SMTP, then exit (serve does this continuously when given "
           "--smtp-url).",
           with_common({}, smtp_option_specs())},
       notifications_commands::run_notifications},
      {{"notifications resend", "ID", "Queue a dead letter's failed deliveries again.", common_options(), 1},
       notifications_commands::run_notifications_resend},
      {{"notifications list", "", "List notifications and their deliveries (dead letters by default).",
           with_common({{"status", "STATUS", "pending, sent or dead", "dead"}})},
       notifications_commands::run_notifications_list},
      {{"report kpis", "",
       "The action plans' KPIs for an academic year (a table; --csv for Excel; --explain KPI for its cases).",
       with_common(report_options({{"academic-year", "YYYY/YY", "the academic year (default: the current one)", ""}},
                                  {{"as-of", "YYYY-MM-DD", "the figures as they stood at the end of that day (default: today)", ""},
                                   {"csv", "", "CSV (UTF-8 with BOM) instead of a table", ""},
                                   {"explain", "KPI", "the definition and the cases behind one KPI", ""}}),
                   engine_options())},
       reports_commands::run_report_kpis},
      {{"report quarterly", "",
           "The quarterly progress report for the strategic group: the KPIs beside last quarter's, open cases, days "
           "and spend, overdue items (Markdown; --html for a page).",
           with_common(report_options({{"quarter", "YYYY/YY-QN",
                                        "the academic year's quarter, e.g. 2026/27-Q1 (default: the current one)", ""}},
                                      {{"html", "", "an HTML page instead of Markdown", ""},
                                       {"output", "FILE", "write the report to FILE instead of standard output", ""}}),
                       engine_options())},
       reports_commands::run_report_quarterly},
      {{"user feed", "EMAIL",
           "Make the user a calendar feed of their deadlines (a read-only token; an earlier one is revoked).",
           with_common({{"public-url", "URL", "where people reach s2s", "http://127.0.0.1:8080"}}), 1},
       users_commands::run_user_feed},
      {{"user notify", "EMAIL immediate|digest",
           "How a user hears of their cases: each message at once, or a daily digest.", common_options(), 2},
       users_commands::run_user_notify},
      {{"webhook add", "", "POST every notification about the schools of an alliance or mini region to a URL, signed.",
       with_common({{"scope", "KIND:VALUE", "alliance:ID or mini_region:NAME (required)", ""},
                    {"url", "URL", "http:// or https:// (required)", ""},
                    {"allow-private-address", "", "the URL may be a loopback or private address (a test receiver)", ""}})},
       notifications_commands::run_webhook_add},
      {{"timers run", "", "Fire every due timer now, then exit (serve does this continuously).",
           with_common({}, engine_options(), timer_option_specs())},
       timers_commands::run_timers},
      version_command(),
  };
  // clang-format on
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
  const auto all = all_commands();
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << top_level_help(all);
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "--version") {
    std::cout << "s2sd " << version() << '\n';
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
  } catch (const workflow::Error& e) {
    // One line naming the problem; the exit code from its category, in this
    // one place: 2 for what the caller asked wrongly, 1 for what went wrong.
    std::cerr << "s2sd " << command->spec.name << ": " << e.what() << '\n';
    switch (e.category()) {
      case workflow::ErrorCategory::invalid:
      case workflow::ErrorCategory::not_found:
      case workflow::ErrorCategory::conflict:
      case workflow::ErrorCategory::refused:
      case workflow::ErrorCategory::forbidden:
        return 2;
      case workflow::ErrorCategory::unavailable:
      case workflow::ErrorCategory::internal:
        return 1;
    }
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "s2sd " << command->spec.name << ": " << e.what() << '\n';
    return 1;
  }
}

}  // namespace s2s::cli
