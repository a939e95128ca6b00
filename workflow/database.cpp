#include "workflow/database.h"

#include <filesystem>

#include <fmt/format.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <charconv>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <unordered_set>
#include <vector>

#include "workflow/errors.h"

namespace s2s::workflow {

std::string_view to_string(Backend backend) noexcept {
  return backend == Backend::postgresql ? "postgresql" : "sqlite";
}

namespace {

// "user:secret@host" -> "user:***@host"; "password=x" query values -> "password=***".
std::string redact(std::string_view url) {
  std::string out(url);
  const auto scheme_end = out.find("://");
  if (scheme_end != std::string::npos) {
    const auto authority = scheme_end + 3;
    const auto at = out.find('@', authority);
    const auto slash = out.find('/', authority);
    if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
      const auto colon = out.find(':', authority);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  for (std::size_t pos = out.find("password="); pos != std::string::npos; pos = out.find("password=", pos + 1)) {
    const auto value = pos + 9;
    const auto end = out.find('&', value);
    out.replace(value, (end == std::string::npos ? out.size() : end) - value, "***");
  }
  return out;
}

bool has_query_param(std::string_view url, std::string_view name) {
  const auto q = url.find('?');
  if (q == std::string_view::npos) return false;
  std::string_view query = url.substr(q + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    if (pair.substr(0, pair.find('=')) == name) return true;
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return false;
}

// SOCI's connection-string parser takes name=value pairs; a value with spaces
// or quotes must be quoted, with embedded quotes doubled.
std::string soci_quote(std::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

}  // namespace

PgArray& PgArray::text(std::string_view value) {
  separate();
  text_ += '"';
  for (const char c : value) {
    if (c == '"' || c == '\\') text_ += '\\';
    text_ += c;
  }
  text_ += '"';
  return *this;
}

PgArray& PgArray::number(long long value) {
  separate();
  text_ += std::to_string(value);
  return *this;
}

PgArray& PgArray::null() {
  separate();
  text_ += "NULL";
  return *this;
}

std::string one_line(std::string_view message) {
  std::string out;
  for (const char c : message) {
    const bool space = c == '\n' || c == '\r' || c == '\t' || c == ' ';
    if (space) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

DatabaseUrl DatabaseUrl::parse(std::string_view url) {
  DatabaseUrl out;
  out.text = std::string(url);
  out.redacted = redact(url);
  if (url.starts_with("sqlite:")) {
    std::string_view rest = url.substr(7);
    if (rest.starts_with("//")) {
      rest.remove_prefix(2);  // sqlite:///abs/path.db: an empty authority, then an absolute path
      if (!rest.starts_with('/')) {
        throw ConfigError("database URL " + out.redacted +
                          ": sqlite:// needs an absolute path (sqlite:///abs/path.db) or use sqlite:relative/path.db");
      }
    }
    if (rest.empty() || rest.ends_with('/')) {
      throw ConfigError("database URL " + out.redacted + ": no SQLite file name");
    }
    if (rest.find('?') != std::string_view::npos) {
      throw ConfigError("database URL " + out.redacted + ": SQLite URLs take no parameters");
    }
    out.backend = Backend::sqlite;
    out.sqlite_path = std::string(rest);
    out.connect_string = "db=" + soci_quote(rest);
    return out;
  }
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    const auto authority = url.find("://") + 3;
    if (authority >= url.size()) throw ConfigError("database URL " + out.redacted + ": no host or database");
    out.backend = Backend::postgresql;
    out.connect_string = std::string(url);
    return out;
  }
  const auto colon = url.find(':');
  const std::string scheme = colon == std::string_view::npos ? std::string(url) : std::string(url.substr(0, colon));
  throw ConfigError("database URL " + out.redacted + ": unknown scheme '" + scheme +
                    "' (use sqlite:PATH or postgresql://user@host:port/dbname)");
}

namespace {

// SQLite's process-wide settings, made once before its first connection
// (docs/performance.md, "SQLite without its process-wide locks"). Debian's
// library is built without the per-connection lookaside allocator, so every
// value a statement reads is a malloc: with memory statistics on (the
// default) each one takes a mutex shared by the whole process, and the
// workers queue on it. s2s never reads those statistics. Each connection is
// used by one thread at a time (the pool leases it whole), so the
// connections need no mutex of their own either: multi-thread mode. When
// something opened SQLite before us the settings are refused (SQLITE_MISUSE)
// and it runs as it was: slower, not wrong.
void configure_sqlite() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sqlite_api::sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) != SQLITE_OK ||
        sqlite_api::sqlite3_config(SQLITE_CONFIG_MULTITHREAD) != SQLITE_OK) {
      spdlog::debug("SQLite was initialised before s2s configured it: its defaults stand");
    }
  });
}

}  // namespace

struct Database::Impl {
  DatabaseUrl url;
  DatabaseOptions options;
  std::mutex mutex;
  std::condition_variable freed;
  struct Pooled {
    std::unique_ptr<soci::session> session;
    std::unique_ptr<Connection::Locals> locals;
  };
  std::vector<Pooled> idle;
  std::size_t open = 0;  // idle plus leased

  std::unique_ptr<soci::session> connect() const {
    try {
      if (url.backend == Backend::sqlite) {
        configure_sqlite();
        auto session = std::make_unique<soci::session>(soci::sqlite3, url.connect_string);
        const auto busy = static_cast<long long>(options.busy_timeout.count());
        // busy_timeout first: enabling WAL itself needs the lock when another process holds it.
        *session << "PRAGMA busy_timeout = " + std::to_string(busy);
        std::string mode;
        // Turning a new file to WAL takes its exclusive lock, and SQLite may
        // answer "locked" at once, busy handler or not, while another
        // process opens the same new file: try again for up to the busy timeout.
        for (auto waited = std::chrono::milliseconds(0);; waited += std::chrono::milliseconds(20)) {
          try {
            *session << "PRAGMA journal_mode = WAL", soci::into(mode);
            break;
          } catch (const soci::soci_error&) {
            if (waited >= options.busy_timeout) throw;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
          }
        }
        *session << "PRAGMA foreign_keys = ON";
        *session << "PRAGMA synchronous = NORMAL";
        return session;
      }
      std::string connect = url.connect_string;
      const char separator = connect.find('?') == std::string::npos ? '?' : '&';
      std::string extra;
      if (!has_query_param(connect, "connect_timeout")) {
        extra += "connect_timeout=" + std::to_string(options.connect_timeout.count());
      }
      if (!has_query_param(connect, "application_name")) {
        extra += std::string(extra.empty() ? "" : "&") + "application_name=s2sd";
      }
      if (!extra.empty()) connect += separator + extra;
      auto session = std::make_unique<soci::session>(soci::postgresql, connect);
      // Timestamps cross the wire as text: read them in UTC whatever the server's zone.
      *session << "SET TIME ZONE 'UTC'";
      return session;
    } catch (const soci::soci_error& e) {
      throw DatabaseUnavailable("cannot open " + std::string(to_string(url.backend)) + " database " + url.redacted +
                                ": " + one_line(e.get_error_message()));
    }
  }

  void release(std::unique_ptr<soci::session> session, std::unique_ptr<Connection::Locals> locals, bool broken) {
    {
      std::lock_guard lock(mutex);
      if (broken) {
        --open;
      } else {
        idle.push_back(Pooled{std::move(session), std::move(locals)});
      }
    }
    if (broken) {
      spdlog::warn("database connection found broken; it will be replaced");
      locals.reset();  // prepared statements before the session they belong to
      session.reset();
    }
    freed.notify_one();
  }
};

Database::Database(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Database::~Database() = default;

std::shared_ptr<Database> Database::open(const DatabaseUrl& url, const DatabaseOptions& options) {
  if (options.pool_size == 0) throw ConfigError("database pool size must be at least 1");
  auto impl = std::make_unique<Impl>();
  impl->url = url;
  impl->options = options;
  impl->idle.push_back(Impl::Pooled{impl->connect(), std::make_unique<Connection::Locals>()});
  impl->open = 1;
  return std::shared_ptr<Database>(new Database(std::move(impl)));
}

Backend Database::backend() const noexcept { return impl_->url.backend; }
const DatabaseUrl& Database::url() const noexcept { return impl_->url; }

Database::Connection Database::acquire() {
  Impl& pool = *impl_;
  std::unique_lock lock(pool.mutex);
  const auto deadline = std::chrono::steady_clock::now() + pool.options.acquire_timeout;
  while (pool.idle.empty() && pool.open >= pool.options.pool_size) {
    if (pool.freed.wait_until(lock, deadline) == std::cv_status::timeout && pool.idle.empty() &&
        pool.open >= pool.options.pool_size) {
      throw DatabaseUnavailable("no database connection free within " +
                                std::to_string(pool.options.acquire_timeout.count()) + " ms (pool size " +
                                std::to_string(pool.options.pool_size) + ")");
    }
  }
  return take(lock);
}

std::optional<Database::Connection> Database::try_acquire() {
  std::unique_lock lock(impl_->mutex);
  if (impl_->idle.empty() && impl_->open >= impl_->options.pool_size) return std::nullopt;
  return take(lock);
}

Database::Connection Database::take(std::unique_lock<std::mutex>& lock) {
  Impl& pool = *impl_;
  if (!pool.idle.empty()) {
    auto pooled = std::move(pool.idle.back());
    pool.idle.pop_back();
    return Connection(&pool, std::move(pooled.session), std::move(pooled.locals));
  }
  ++pool.open;  // reserve the slot, then connect without holding the lock
  lock.unlock();
  try {
    return Connection(&pool, pool.connect(), std::make_unique<Connection::Locals>());
  } catch (...) {
    lock.lock();
    --pool.open;
    lock.unlock();
    pool.freed.notify_one();
    throw;
  }
}

void Database::ping() {
  Connection connection = acquire();
  try {
    int one = 0;
    connection.session() << "SELECT 1", soci::into(one);
  } catch (...) {
    connection.rethrow_translated();
  }
}

void Database::backup_to(const std::string& path) {
  if (backend() != Backend::sqlite) {
    throw ConfigError("a PostgreSQL database is backed up with pg_dump (docs/operations.md), not by s2sd");
  }
  if (path.empty()) throw ConfigError("the backup needs a file to write");
  if (std::filesystem::exists(path)) throw ConfigError(path + " exists already: back up to a new file");
  std::string quoted = "'";
  for (const char c : path) quoted += c == '\'' ? std::string("''") : std::string(1, c);
  quoted += "'";
  Connection connection = acquire();
  try {
    connection.session() << "VACUUM INTO " + quoted;
  } catch (...) {
    connection.rethrow_translated();
  }
}

struct Database::Connection::Queued {
  const PgStatement* statement = nullptr;
  std::vector<std::string> values;
  std::vector<bool> nulls;
};

namespace {

// The names a connection has prepared through run() and queue(); kept with
// its other locals, as long as its session.
struct PgPrepared {
  std::unordered_set<std::string> names;
};

Database::Connection::Queued queued(const PgStatement& statement, std::initializer_list<PgParam> params) {
  Database::Connection::Queued out;
  out.statement = &statement;
  out.values.reserve(params.size());
  out.nulls.reserve(params.size());
  for (const PgParam& param : params) {
    out.values.emplace_back(param.value_or(std::string_view()));
    out.nulls.push_back(!param.has_value());
  }
  return out;
}

void clear_result(void* result) { PQclear(static_cast<PGresult*>(result)); }

// Prepared as the others are, so that the server parses neither at every transaction.
const PgStatement kBegin{"s2s_begin", "BEGIN"};
const PgStatement kCommit{"s2s_commit", "COMMIT"};

}  // namespace

// One round trip in libpq's pipeline mode: the deferred BEGIN, the queued
// writes, then `last` and COMMIT when given, sent at once and their results
// read in order. The first failure is thrown once every result is read (the
// server skips what follows it, and the transaction is then to be rolled
// back); anything unexpected on the wire leaves the connection to be replaced.
class PgPipeline {
 public:
  static PgRows round_trip(Database::Connection& c, const Database::Connection::Queued* last, bool commit) {
    if (c.backend() != Backend::postgresql) throw std::logic_error("libpq's pipeline is PostgreSQL's");
    PGconn* conn = static_cast<soci::postgresql_session_backend*>(c.session_->get_backend())->conn_;
    static const Database::Connection::Queued begin_command{&kBegin, {}, {}};
    static const Database::Connection::Queued commit_command{&kCommit, {}, {}};
    std::vector<const Database::Connection::Queued*> commands;
    commands.reserve(c.queued_.size() + 3);
    if (c.begin_deferred_) commands.push_back(&begin_command);
    for (const auto& q : c.queued_) commands.push_back(q.get());
    if (last != nullptr) commands.push_back(last);
    if (commit) commands.push_back(&commit_command);
    // Whatever happens below, these are sent or lost with the connection.
    const auto sent = std::move(c.queued_);
    c.queued_.clear();

    auto& slot = (*c.locals_)[std::type_index(typeid(PgPrepared))];
    if (!slot) slot = std::make_shared<PgPrepared>();
    auto& prepared = static_cast<PgPrepared*>(slot.get())->names;
    for (const auto* w : commands) {
      if (prepared.contains(w->statement->name)) continue;
      PGresult* result = PQprepare(conn, w->statement->name, w->statement->sql.c_str(), 0, nullptr);
      const bool ok = PQresultStatus(result) == PGRES_COMMAND_OK;
      const std::string message = ok ? "" : PQresultErrorMessage(result);
      PQclear(result);
      if (!ok) fail(c, conn, message);
      prepared.insert(w->statement->name);
    }

    // From here the BEGIN is sent, or the connection is not used again.
    c.begin_deferred_ = false;
    if (PQenterPipelineMode(conn) != 1) lose(c, conn, PQerrorMessage(conn));
    bool sending = true;
    for (const auto* w : commands) {
      if (!sending) break;
      std::vector<const char*> values;
      values.reserve(w->values.size());
      for (std::size_t i = 0; i < w->values.size(); ++i) {
        values.push_back(w->nulls[i] ? nullptr : w->values[i].c_str());
      }
      sending = PQsendQueryPrepared(conn, w->statement->name, static_cast<int>(values.size()), values.data(), nullptr,
                                    nullptr, 0) == 1;
    }
    if (!sending || PQpipelineSync(conn) != 1) lose(c, conn, PQerrorMessage(conn));

    std::string error;
    PGresult* rows = nullptr;
    for (const auto* command : commands) {
      PGresult* result = PQgetResult(conn);
      if (result == nullptr) {
        if (rows != nullptr) PQclear(rows);
        lose(c, conn, PQerrorMessage(conn));
      }
      const auto status = PQresultStatus(result);
      const bool ok = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
      if (!ok && error.empty()) {
        error = status == PGRES_PIPELINE_ABORTED ? "statement skipped" : PQresultErrorMessage(result);
      }
      if (command == last && ok) {
        rows = result;
      } else {
        PQclear(result);
      }
      while ((result = PQgetResult(conn)) != nullptr) PQclear(result);  // each command's results end with a null
    }
    PGresult* sync = PQgetResult(conn);
    const bool synced = sync != nullptr && PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
    PQclear(sync);
    if (!synced || PQexitPipelineMode(conn) != 1) {
      if (rows != nullptr) PQclear(rows);
      lose(c, conn, error.empty() ? PQerrorMessage(conn) : error);
    }
    if (!error.empty()) {
      if (rows != nullptr) PQclear(rows);
      fail(c, conn, error);
    }
    return PgRows(rows != nullptr ? std::shared_ptr<void>(rows, clear_result) : nullptr);
  }

 private:
  // The server's refusal: DatabaseError, or DatabaseUnavailable when the connection went with it.
  [[noreturn]] static void fail(Database::Connection& c, PGconn* conn, const std::string& message) {
    if (PQstatus(conn) != CONNECTION_OK) lose(c, conn, message);
    throw DatabaseError(one_line(message));
  }

  [[noreturn]] static void lose(Database::Connection& c, PGconn* conn, const std::string& message) {
    c.broken_ = true;
    if (PQstatus(conn) != CONNECTION_OK) throw DatabaseUnavailable("database connection lost: " + one_line(message));
    throw DatabaseError(one_line(message));
  }
};

Database::Connection::Connection(Database::Impl* pool, std::unique_ptr<soci::session> session,
                                 std::unique_ptr<Locals> locals) noexcept
    : pool_(pool), session_(std::move(session)), locals_(std::move(locals)) {}

Database::Connection::Connection(Connection&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)),
      session_(std::move(other.session_)),
      locals_(std::move(other.locals_)),
      broken_(other.broken_),
      in_transaction_(other.in_transaction_),
      begin_deferred_(other.begin_deferred_),
      queued_(std::move(other.queued_)) {}

Database::Connection::~Connection() {
  if (pool_ == nullptr || !session_) return;
  if (in_transaction_) rollback();
  pool_->release(std::move(session_), std::move(locals_), broken_);
}

Backend Database::Connection::backend() const noexcept { return pool_->url.backend; }

// Straight to the driver: these run twice for every event, and SOCI's
// statement machinery costs more than the statements themselves.
void Database::Connection::begin() {
  exec_script(backend() == Backend::sqlite ? "BEGIN IMMEDIATE" : "BEGIN");
  in_transaction_ = true;
}

void Database::Connection::begin_deferred() {
  if (backend() != Backend::postgresql) {
    begin();
    return;
  }
  begin_deferred_ = true;
  in_transaction_ = true;
}

void Database::Connection::begin_snapshot() {
  exec_script(backend() == Backend::sqlite ? "BEGIN" : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  in_transaction_ = true;
}

std::string Database::Connection::export_snapshot() {
  if (backend() != Backend::postgresql) throw ConfigError("only PostgreSQL shares a snapshot between connections");
  std::string name;
  *session_ << "SELECT pg_export_snapshot()", soci::into(name);
  return name;
}

void Database::Connection::begin_snapshot(const std::string& name) {
  if (backend() != Backend::postgresql) throw ConfigError("only PostgreSQL shares a snapshot between connections");
  // The name is the server's own (export_snapshot), quoted all the same.
  std::string quoted;
  for (const char c : name) quoted += c == '\'' ? std::string("''") : std::string(1, c);
  exec_script("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT '" + quoted + "'");
  in_transaction_ = true;
}

void Database::Connection::commit() {
  if (!queued_.empty()) {
    (void)PgPipeline::round_trip(*this, nullptr, true);  // the writes, then COMMIT
  } else if (begin_deferred_) {
    begin_deferred_ = false;  // nothing ran: nothing to commit
  } else {
    exec_script("COMMIT");
  }
  in_transaction_ = false;
}

void Database::Connection::rollback() noexcept {
  if (!in_transaction_) return;
  in_transaction_ = false;
  queued_.clear();
  if (std::exchange(begin_deferred_, false)) return;  // BEGIN never sent: nothing to undo
  try {
    *session_ << "ROLLBACK";
  } catch (...) {
    broken_ = true;  // a connection that cannot roll back is not safe to reuse
  }
}

void Database::Connection::exec_script(std::string_view sql) {
  if (has_deferred()) send_deferred();
  const std::string script(sql);
  if (backend() == Backend::postgresql) {
    auto* backend = static_cast<soci::postgresql_session_backend*>(session_->get_backend());
    PGresult* result = PQexec(backend->conn_, script.c_str());
    const auto status = PQresultStatus(result);
    std::string message = PQresultErrorMessage(result);
    PQclear(result);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      if (PQstatus(backend->conn_) != CONNECTION_OK) {
        broken_ = true;
        throw DatabaseUnavailable("database connection lost: " + one_line(message));
      }
      throw DatabaseError(one_line(message));
    }
    return;
  }
  auto* backend = static_cast<soci::sqlite3_session_backend*>(session_->get_backend());
  char* error = nullptr;
  if (sqlite_api::sqlite3_exec(backend->conn_, script.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error != nullptr ? error : "unknown SQLite error";
    sqlite_api::sqlite3_free(error);
    throw DatabaseError(message);
  }
}

PgRows Database::Connection::run(const PgStatement& statement, std::initializer_list<PgParam> params) {
  const Queued q = queued(statement, params);
  return PgPipeline::round_trip(*this, &q, false);
}

void Database::Connection::queue(const PgStatement& statement, std::initializer_list<PgParam> params) {
  if (!in_transaction_) {
    (void)run(statement, params);
    return;
  }
  queued_.push_back(std::make_shared<Queued>(queued(statement, params)));
}

void Database::Connection::send_deferred() { (void)PgPipeline::round_trip(*this, nullptr, false); }

int PgRows::size() const noexcept { return result_ ? PQntuples(static_cast<const PGresult*>(result_.get())) : 0; }

bool PgRows::is_null(int row, int column) const noexcept {
  return PQgetisnull(static_cast<const PGresult*>(result_.get()), row, column) == 1;
}

std::string PgRows::text(int row, int column) const {
  const auto* result = static_cast<const PGresult*>(result_.get());
  return {PQgetvalue(result, row, column), static_cast<std::size_t>(PQgetlength(result, row, column))};
}

long long PgRows::integer(int row, int column) const {
  const auto* result = static_cast<const PGresult*>(result_.get());
  const char* value = PQgetvalue(result, row, column);
  const char* end = value + PQgetlength(result, row, column);
  long long out = 0;
  const auto parsed = std::from_chars(value, end, out);
  if (parsed.ec != std::errc() || parsed.ptr != end) {
    throw DatabaseError("column " + std::to_string(column) + " holds '" + std::string(value, end) +
                        "', not an integer");
  }
  return out;
}

long long row_integer(const soci::row& row, std::size_t column) {
  if (row.get_indicator(column) == soci::i_null) return 0;
  switch (row.get_properties(column).get_data_type()) {
    case soci::dt_integer:
      return row.get<int>(column);
    case soci::dt_long_long:
      return row.get<long long>(column);
    case soci::dt_unsigned_long_long:
      return static_cast<long long>(row.get<unsigned long long>(column));
    case soci::dt_double:
      return static_cast<long long>(row.get<double>(column));
    case soci::dt_string:
      return std::stoll(row.get<std::string>(column));
    default:
      throw std::logic_error("column " + row.get_properties(column).get_name() + " is not a number");
  }
}

double row_number(const soci::row& row, std::size_t column) {
  if (row.get_indicator(column) == soci::i_null) return 0;
  switch (row.get_properties(column).get_data_type()) {
    case soci::dt_double:
      return row.get<double>(column);
    case soci::dt_string:
      return std::stod(row.get<std::string>(column));
    default:
      return static_cast<double>(row_integer(row, column));
  }
}

std::string row_text(const soci::row& row, std::size_t column) {
  if (row.get_indicator(column) == soci::i_null) return {};
  switch (row.get_properties(column).get_data_type()) {
    case soci::dt_string:
      return row.get<std::string>(column);
    case soci::dt_double:
      return fmt::format("{}", row.get<double>(column));
    default:
      return std::to_string(row_integer(row, column));
  }
}

void run_in_snapshot(Database& db, Database::Connection& main,
                     const std::vector<std::function<void(soci::session&)>>& jobs, std::size_t spread,
                     const std::string& setup) {
  std::vector<Database::Connection> helpers;
  if (main.backend() == Backend::postgresql && jobs.size() > 1 && spread > 1) {
    const std::string snapshot = main.export_snapshot();
    while (helpers.size() + 1 < std::min(spread, jobs.size())) {
      // A helper is a nicety: none free, or one that cannot be opened or
      // import the snapshot (the server at its connection limit), and main
      // carries on with what it has.
      try {
        auto acquired = db.try_acquire();
        if (!acquired) break;
        try {
          acquired->begin_snapshot(snapshot);
          if (!setup.empty()) acquired->exec_script(setup);
        } catch (...) {
          acquired->rollback();
          break;
        }
        helpers.push_back(std::move(*acquired));
      } catch (...) {
        break;
      }
    }
  }
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex first_mutex;
  std::exception_ptr first;
  // Takes the next job until none is left or one has failed.
  const auto work = [&](Database::Connection& connection) {
    try {
      for (auto i = next++; i < jobs.size() && !failed; i = next++) jobs[i](connection.session());
    } catch (...) {
      failed = true;
      std::exception_ptr translated;
      try {
        connection.rethrow_translated();
      } catch (...) {
        translated = std::current_exception();
      }
      std::lock_guard lock(first_mutex);
      if (!first) first = translated;
    }
  };
  {
    std::vector<std::jthread> threads;
    threads.reserve(helpers.size());
    for (auto& helper : helpers) threads.emplace_back([&work, &helper] { work(helper); });
    work(main);
  }  // joined
  for (auto& helper : helpers) helper.rollback();  // nothing was written
  if (first) std::rethrow_exception(first);
}

bool execute_once(soci::statement& statement, Backend backend) {
  const bool row = statement.execute(true);
  if (backend == Backend::sqlite) {
    // What SOCI's own (unexported) sqlite3_statement_backend::reset() does.
    auto* lite = static_cast<soci::sqlite3_statement_backend*>(statement.get_backend());
    if (sqlite_api::sqlite3_reset(lite->stmt_) == SQLITE_OK) lite->databaseReady_ = true;
  }
  return row;
}

void Database::Connection::rethrow_translated() {
  try {
    throw;
  } catch (const soci::soci_error& e) {
    const std::string message = one_line(e.get_error_message());
    bool lost = e.get_error_category() == soci::soci_error::connection_error;
    if (backend() == Backend::postgresql) {
      auto* pg = static_cast<soci::postgresql_session_backend*>(session_->get_backend());
      if (pg->conn_ == nullptr || PQstatus(pg->conn_) != CONNECTION_OK) lost = true;
      if (const auto* pg_error = dynamic_cast<const soci::postgresql_soci_error*>(&e)) {
        if (pg_error->sqlstate().starts_with("08")) lost = true;  // connection exception class
      }
    }
    if (lost) {
      broken_ = true;
      throw DatabaseUnavailable("database connection lost: " + message);
    }
    throw DatabaseError(message);
  }
}

}  // namespace s2s::workflow
