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
            std::cout << "s2sd " << version() << '\n';
            return 0;
          }};
}

// Every command, in the order s2sd --help lists them.
std::vector<Command> all_commands() {
  return {
      serve_command(),
      migrate_command(),
      backup_command(),
      calendar_add_working_days_command(),
      calendar_holidays_command(),
      calendar_close_command(),
      user_add_command(),
      user_revoke_command(),
      user_sign_in_link_command(),
      alliance_add_command(),
      system_leader_add_command(),
      designation_add_command(),
      capacity_set_command(),
      demo_load_command(),
      school_show_command(),
      school_set_command(),
      match_command(),
      import_gias_command(),
      diagram_command(),
      deadlines_command(),
      notifications_run_command(),
      notifications_resend_command(),
      notifications_list_command(),
      report_kpis_command(),
      report_quarterly_command(),
      user_feed_command(),
      user_notify_command(),
      webhook_add_command(),
      timers_run_command(),
      version_command(),
  };
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
