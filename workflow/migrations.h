#pragma once

#include <span>
#include <string>
#include <vector>

#include "workflow/database.h"
#include "workflow/embedded.h"

// Numbered SQL migrations (migrations/NNNN_name.sql), one file for both
// dialects, applied in order, each in its own transaction, recorded in
// schema_migrations with the SHA-256 of the SQL the dialect runs, so that an
// applied file that was edited afterwards is caught (docs/architecture.md).
namespace s2s::workflow {

struct Migration {
  int version = 0;   // NNNN
  std::string name;  // the file name, e.g. "0001_core.sql"
  std::string sql;
  std::string checksum;  // sha256_hex(sql)
};

// Migrations from files named NNNN_name.sql (any folder), sorted by version.
// Throws MigrationError on a badly named file or two files with one version.
[[nodiscard]] std::vector<Migration> migrations_from_files(std::span<const embedded::File> files);

// A migration's SQL for one dialect: where the dialects differ the file says
// `{{postgresql text}{sqlite text}}` (either side may be empty or span lines);
// everything else is the same for both. Throws MigrationError naming the file
// and line of a group that is not closed or has no `}{`.
[[nodiscard]] std::string render_dialect(std::string_view source, Backend backend, std::string_view file_name);

// The migrations compiled into this binary, rendered for `backend`.
[[nodiscard]] std::vector<Migration> bundled_migrations(Backend backend);

struct MigrationStatus {
  std::vector<std::string> applied;  // names, in version order
  std::vector<std::string> pending;  // names, in version order
};

// What is applied and what is pending. Throws MigrationError when an applied
// migration's checksum differs from its file, or the database has a migration
// this binary does not know (it was migrated by a newer s2sd).
[[nodiscard]] MigrationStatus migration_status(Database& db, const std::vector<Migration>& migrations);

// Applies the pending migrations and returns their names. Safe to run from
// several processes at once: PostgreSQL serialises them with an advisory lock,
// SQLite with its write lock. Refuses (MigrationError) exactly when
// migration_status would; a failing migration leaves it and later ones
// unapplied, earlier ones applied.
std::vector<std::string> migrate(Database& db, const std::vector<Migration>& migrations);

}  // namespace s2s::workflow
