#include "cli/command_list.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "cases/kinds.h"
#include "workflow/calendar.h"
#include "workflow/case_kind.h"
#include "workflow/date.h"
#include "workflow/diagram.h"
#include "workflow/engine.h"

namespace s2s::cli {
namespace calendar_commands {

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
  record(*db, "closure.add", workflow::format_date(day),
         reason + "; " + std::to_string(moved) + (moved == 1 ? " deadline moved" : " deadlines moved"));
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

}  // namespace calendar_commands

}  // namespace s2s::cli
