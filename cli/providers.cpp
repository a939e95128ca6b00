#include "cli/command_list.h"

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>

#include "cases/providers.h"
#include "workflow/database.h"

namespace s2s::cli {
namespace providers_commands {

int run_alliance_add(const Settings& settings) {
  auto db = open_migrated(settings);
  const auto id = cases::create_alliance(*db, settings.require("name"),
                                         static_cast<int>(settings.integer("lead-urn", 1, 2147483647)));
  record(*db, "alliance.add", settings.require("name") + " (alliance " + std::to_string(id) + ")",
         "led by URN " + std::to_string(settings.integer("lead-urn", 1, 2147483647)));
  std::cout << "alliance " << id << " created\n";
  return 0;
}

int run_system_leader_add(const Settings& settings) {
  auto db = open_migrated(settings);
  std::optional<std::int64_t> alliance;
  if (settings.get("alliance")) alliance = settings.integer("alliance", 1, 1LL << 62);
  const auto id = cases::create_system_leader(*db, settings.require("name"), settings.require("email"),
                                              static_cast<int>(settings.integer("home-urn", 1, 2147483647)), alliance);
  record(*db, "leader.add", settings.require("name") + " (" + settings.require("email") + ")",
         "system leader " + std::to_string(id));
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
  record(*db, "designation.add", "system leader " + std::to_string(settings.integer("system-leader", 1, 1LL << 62)),
         settings.require("designation") + " from " + settings.require("from") +
             (settings.get("to") ? " to " + *settings.get("to") : ""));
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
  record(*db, "capacity.set", "system leader " + std::to_string(leader), days_text + " days in " + year);
  const auto held = cases::capacity(*db, leader, year);
  std::cout << "system leader " << leader << " offers " << held.offered << " days in " << year << " (" << held.reserved
            << " reserved, " << held.consumed << " logged)\n";
  return 0;
}

}  // namespace providers_commands

}  // namespace s2s::cli
