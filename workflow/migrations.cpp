#include "workflow/migrations.h"

#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <map>

#include "workflow/errors.h"
#include "workflow/sha256.h"

namespace s2s::workflow {
namespace {

// Any fixed number will do, as long as nothing else in the database uses it.
constexpr long long kMigrationLockKey = 0x5325'0001;

constexpr std::string_view kCreateTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " checksum TEXT NOT NULL,"
    " applied_at TEXT NOT NULL)";

struct Applied {
  std::string name;
  std::string checksum;
};

bool table_exists(soci::session& sql, Backend backend) {
  int count = 0;
  if (backend == Backend::postgresql) {
    sql << "SELECT count(*) FROM pg_catalog.pg_tables WHERE tablename = 'schema_migrations'"
           " AND schemaname = current_schema()",
        soci::into(count);
  } else {
    sql << "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'", soci::into(count);
  }
  return count > 0;
}

std::map<int, Applied> read_applied(soci::session& sql, Backend backend) {
  std::map<int, Applied> applied;
  if (!table_exists(sql, backend)) return applied;
  soci::rowset<soci::row> rows = (sql.prepare << "SELECT version, name, checksum FROM schema_migrations");
  for (const soci::row& row : rows) {
    applied[row.get<int>(0)] = Applied{row.get<std::string>(1), row.get<std::string>(2)};
  }
  return applied;
}

// Throws unless every applied migration is one of ours, unchanged.
void verify(const std::map<int, Applied>& applied, const std::vector<Migration>& migrations) {
  for (const auto& [version, row] : applied) {
    const auto it = std::find_if(migrations.begin(), migrations.end(),
                                 [version = version](const Migration& m) { return m.version == version; });
    if (it == migrations.end()) {
      throw MigrationError("database has migration " + row.name +
                           " which this s2sd does not know: it was migrated by a newer version");
    }
    if (it->checksum != row.checksum) {
      throw MigrationError("migration " + it->name + " was changed after it was applied (recorded checksum " +
                           row.checksum.substr(0, 12) + ", file " + it->checksum.substr(0, 12) +
                           "); restore the file and add a new migration instead");
    }
  }
}

std::string utc_now_iso() {
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  const auto day = std::chrono::floor<std::chrono::days>(now);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss time{now - day};
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02ld:%02ld:%02ldZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<long>(time.hours().count()), static_cast<long>(time.minutes().count()),
                static_cast<long>(time.seconds().count()));
  return buffer;
}

}  // namespace

std::vector<Migration> migrations_from_files(std::span<const embedded::File> files) {
  std::vector<Migration> out;
  for (const embedded::File& file : files) {
    const auto slash = file.path.rfind('/');
    const std::string_view name = slash == std::string_view::npos ? file.path : file.path.substr(slash + 1);
    int version = 0;
    const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), version);
    if (ec != std::errc{} || end - name.data() != 4 || *end != '_' || !name.ends_with(".sql") || version <= 0) {
      throw MigrationError("migration file " + std::string(file.path) + " is not named NNNN_name.sql");
    }
    out.push_back(Migration{version, std::string(name), std::string(file.content), sha256_hex(file.content)});
  }
  std::sort(out.begin(), out.end(), [](const Migration& a, const Migration& b) { return a.version < b.version; });
  for (std::size_t i = 1; i < out.size(); ++i) {
    if (out[i].version == out[i - 1].version) {
      throw MigrationError("migrations " + out[i - 1].name + " and " + out[i].name + " share one version");
    }
  }
  return out;
}

std::string render_dialect(std::string_view source, Backend backend, std::string_view file_name) {
  const auto line_of = [&](std::size_t at) {
    return std::to_string(1 + std::count(source.begin(), source.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
  };
  std::string out;
  out.reserve(source.size());
  std::size_t at = 0;
  while (true) {
    const auto open = source.find("{{", at);
    const auto stray = source.substr(at, open == std::string_view::npos ? std::string_view::npos : open - at).find("}}");
    if (stray != std::string_view::npos) {
      throw MigrationError("migration " + std::string(file_name) + " line " + line_of(at + stray) +
                           ": '}}' without an opening '{{'");
    }
    if (open == std::string_view::npos) break;
    out.append(source.substr(at, open - at));
    const auto middle = source.find("}{", open + 2);
    const auto close = middle == std::string_view::npos ? std::string_view::npos : source.find("}}", middle + 2);
    const auto next_open = source.find("{{", open + 2);
    if (close == std::string_view::npos || next_open < close) {
      throw MigrationError("migration " + std::string(file_name) + " line " + line_of(open) +
                           ": '{{' opens a dialect choice that is not '{{postgresql}{sqlite}}'");
    }
    out.append(backend == Backend::postgresql ? source.substr(open + 2, middle - open - 2)
                                              : source.substr(middle + 2, close - middle - 2));
    at = close + 2;
  }
  out.append(source.substr(at));
  return out;
}

std::vector<Migration> bundled_migrations(Backend backend) {
  auto out = migrations_from_files(embedded::files_under("migrations/"));
  for (Migration& m : out) {
    m.sql = render_dialect(m.sql, backend, m.name);
    m.checksum = sha256_hex(m.sql);
  }
  return out;
}

MigrationStatus migration_status(Database& db, const std::vector<Migration>& migrations) {
  auto connection = db.acquire();
  std::map<int, Applied> applied;
  try {
    applied = read_applied(connection.session(), db.backend());
  } catch (...) {
    connection.rethrow_translated();
  }
  verify(applied, migrations);
  MigrationStatus status;
  for (const Migration& m : migrations) {
    (applied.contains(m.version) ? status.applied : status.pending).push_back(m.name);
  }
  return status;
}

std::vector<std::string> migrate(Database& db, const std::vector<Migration>& migrations) {
  auto connection = db.acquire();
  soci::session& sql = connection.session();
  const bool postgres = db.backend() == Backend::postgresql;
  std::vector<std::string> done;
  try {
    if (postgres) {
      // Session-level lock: a second process waits here until the first is done,
      // then finds nothing pending.
      sql << "SELECT pg_advisory_lock(:key)", soci::use(kMigrationLockKey);
    }
    struct Unlock {
      soci::session& sql;
      bool postgres;
      ~Unlock() {
        if (!postgres) return;
        try {
          sql << "SELECT pg_advisory_unlock(:key)", soci::use(kMigrationLockKey);
        } catch (...) {
          // The lock dies with the connection, which the pool then replaces.
        }
      }
    } unlock{sql, postgres};
    // SQLite changes a table's constraints only by rebuilding it, which its
    // documented procedure does with foreign key enforcement off (a pragma
    // that has no effect inside a transaction); each migration's foreign keys
    // are checked before it commits instead.
    struct ForeignKeysOff {
      Database::Connection& connection;
      bool sqlite;
      ForeignKeysOff(Database::Connection& c, bool on_sqlite) : connection(c), sqlite(on_sqlite) {
        if (sqlite) connection.session() << "PRAGMA foreign_keys = OFF";
      }
      ~ForeignKeysOff() {
        if (!sqlite) return;
        // The pragma is ignored inside a transaction: end any left open by a
        // failure first, so that no connection goes back to the pool unenforced.
        connection.rollback();
        try {
          connection.session() << "PRAGMA foreign_keys = ON";
        } catch (...) {
          connection.mark_broken();
        }
      }
      ForeignKeysOff(const ForeignKeysOff&) = delete;
      ForeignKeysOff& operator=(const ForeignKeysOff&) = delete;
    } foreign_keys_off{connection, !postgres};

    connection.begin();
    connection.exec_script(kCreateTable);
    connection.commit();
    verify(read_applied(sql, db.backend()), migrations);

    for (const Migration& m : migrations) {
      connection.begin();
      // Under the lock: SQLite's BEGIN IMMEDIATE, PostgreSQL's advisory lock.
      if (read_applied(sql, db.backend()).contains(m.version)) {
        connection.commit();
        continue;
      }
      try {
        connection.exec_script(m.sql);
        if (!postgres) {
          soci::rowset<soci::row> broken = sql.prepare << "PRAGMA foreign_key_check";
          for (const auto& row : broken) {
            throw DatabaseError("a row of " + row.get<std::string>(0) + " refers to a missing row of " +
                                row.get<std::string>(2));
          }
        }
      } catch (const DatabaseError& e) {
        connection.rollback();
        throw MigrationError("migration " + m.name + " failed, nothing of it applied: " + e.what());
      }
      const std::string now = utc_now_iso();
      sql << "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (:v, :n, :c, :a)",
          soci::use(m.version), soci::use(m.name), soci::use(m.checksum), soci::use(now);
      connection.commit();
      spdlog::info("applied migration {}", m.name);
      done.push_back(m.name);
    }
  } catch (const MigrationError&) {
    connection.rollback();
    throw;
  } catch (const Error&) {
    connection.rollback();
    throw;
  } catch (...) {
    connection.rollback();
    connection.rethrow_translated();
  }
  return done;
}

}  // namespace s2s::workflow
