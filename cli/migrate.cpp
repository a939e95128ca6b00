#include "cli/command_list.h"

#include <iostream>
#include <string>

#include "workflow/database.h"
#include "workflow/migrations.h"

namespace s2s::cli {
namespace migrate_commands {

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

int run_backup(const Settings& settings) {
  auto db = open_database(settings);
  const std::string to = settings.require("to");
  try {
    db->backup_to(to);
  } catch (const workflow::ConfigError& e) {
    throw UsageError(e.what());
  }
  record(*db, "database.backup", to);
  std::cout << "backed up " << db->url().redacted << " to " << to << '\n';
  return 0;
}

}  // namespace migrate_commands

}  // namespace s2s::cli
