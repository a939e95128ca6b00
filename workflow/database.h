#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeindex>
#include <unordered_map>
#include <utility>
#include <vector>

namespace soci {
class session;
class statement;
class row;
}  // namespace soci

// Storage: one database URL selects SOCI's PostgreSQL or SQLite3 backend, and a
// pool hands out connections. SQL itself lives in each module's storage layer.
namespace s2s::workflow {

enum class Backend { sqlite, postgresql };

class PgPipeline;

// A statement the hot path runs straight through libpq on PostgreSQL, with
// $1.. placeholders: prepared once per connection under `name` (which starts
// "s2s_", apart from SOCI's own).
struct PgStatement {
  const char* name;
  std::string sql;
};

// A text parameter of a PgStatement; nullopt is NULL.
using PgParam = std::optional<std::string_view>;

// The rows a PgStatement returned, every column read as text (as SOCI reads a
// column into a std::string).
class PgRows {
 public:
  [[nodiscard]] int size() const noexcept;
  [[nodiscard]] bool is_null(int row, int column) const noexcept;
  [[nodiscard]] std::string text(int row, int column) const;
  [[nodiscard]] long long integer(int row, int column) const;  // throws DatabaseError on a non-integer

 private:
  friend class PgPipeline;
  explicit PgRows(std::shared_ptr<void> result) noexcept : result_(std::move(result)) {}
  std::shared_ptr<void> result_;  // the PGresult
};

// A PostgreSQL array literal ('{"a",NULL,"b"}', '{1,2}') built element by
// element, so that many rows go to the server as one parameter per column
// and come out of unnest() in one statement.
class PgArray {
 public:
  PgArray& text(std::string_view value);  // quoted, its quotes and backslashes escaped
  PgArray& number(long long value);
  PgArray& null();
  // The value, or NULL when there is none.
  PgArray& text_or_null(const std::optional<std::string>& value) { return value ? text(*value) : null(); }
  template <class Integer>
  PgArray& number_or_null(const std::optional<Integer>& value) {
    return value ? number(*value) : null();
  }
  [[nodiscard]] std::string str() const { return text_ + "}"; }

 private:
  void separate() {
    if (text_.size() > 1) text_ += ',';
  }
  std::string text_ = "{";
};

// Folds a database's multi-line message into one line (for one-line errors).
[[nodiscard]] std::string one_line(std::string_view message);

[[nodiscard]] std::string_view to_string(Backend backend) noexcept;

// A parsed database URL:
//   sqlite:///abs/path.db, sqlite:relative/path.db
//   postgresql://user[:password]@host:port/dbname?param=value (also postgres://)
struct DatabaseUrl {
  Backend backend = Backend::sqlite;
  std::string text;            // the URL as given: holds any password, never log it
  std::string connect_string;  // what SOCI's backend is given
  std::string redacted;        // the URL with any password replaced by "***": safe to log
  std::string sqlite_path;     // the file, for sqlite only

  // Throws ConfigError naming the URL (redacted) and what is wrong with it.
  [[nodiscard]] static DatabaseUrl parse(std::string_view url);
};

struct DatabaseOptions {
  std::size_t pool_size = 8;                         // connections at most
  std::chrono::milliseconds acquire_timeout{10000};  // wait for a free connection
  std::chrono::milliseconds busy_timeout{5000};      // SQLite: wait for the write lock
  std::chrono::seconds connect_timeout{5};           // PostgreSQL: unless the URL sets one
};

// A pool of connections to one database. Thread-safe. Connections found broken
// (a PostgreSQL server restart, a dropped socket) are closed and replaced, never
// handed out again.
class Database {
 public:
  class Connection;

  // Opens the pool and one connection, so a bad URL or an unreachable server is
  // reported here. Throws ConfigError or DatabaseUnavailable.
  [[nodiscard]] static std::shared_ptr<Database> open(const DatabaseUrl& url, const DatabaseOptions& options = {});

  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  [[nodiscard]] Backend backend() const noexcept;
  [[nodiscard]] const DatabaseUrl& url() const noexcept;

  // A connection for the caller alone until the returned lease is destroyed.
  // Throws DatabaseUnavailable when none frees up within acquire_timeout or a
  // new one cannot be opened.
  [[nodiscard]] Connection acquire();
  // A connection if one is free or the pool may open one now; nullopt, at
  // once, when every connection is in use (for work that can do without).
  [[nodiscard]] std::optional<Connection> try_acquire();

  // Runs fn(soci::session&), or fn(Connection&), in one transaction on a
  // pooled connection: commits when fn returns, rolls back and rethrows when it
  // throws. SQLite takes the write lock up front (BEGIN IMMEDIATE) so two
  // writers never deadlock. SOCI errors come out as DatabaseUnavailable
  // (connection lost) or DatabaseError.
  template <class F>
  decltype(auto) transact(F&& fn);

  // Runs fn(soci::session&) on a pooled connection without opening a
  // transaction (each statement reads on its own), for the storage layers'
  // lists and lookups. SOCI errors come out as DatabaseUnavailable or
  // DatabaseError, as from transact.
  template <class F>
  decltype(auto) read(F&& fn);

  // Round trip to the server. Throws DatabaseUnavailable.
  void ping();

  // SQLite only: a consistent copy of the whole database in a new file at
  // `path`, made while it serves (VACUUM INTO: one read snapshot; writers
  // carry on). Throws ConfigError for PostgreSQL (pg_dump is its backup) or a
  // path that exists already; DatabaseError when SQLite cannot write the file.
  void backup_to(const std::string& path);

 private:
  struct Impl;
  explicit Database(std::unique_ptr<Impl> impl);
  // The idle connection, or a new one in a slot the caller saw free.
  Connection take(std::unique_lock<std::mutex>& lock);
  std::unique_ptr<Impl> impl_;
};

// A leased connection; returns to the pool when destroyed.
class Database::Connection {
 public:
  Connection(Connection&& other) noexcept;
  Connection& operator=(Connection&&) = delete;
  Connection(const Connection&) = delete;
  ~Connection();

  // The connection's session; a deferred BEGIN and queued writes are sent
  // first, so that whatever runs on it next runs in the transaction after them.
  [[nodiscard]] soci::session& session() {
    if (has_deferred()) send_deferred();
    return *session_;
  }
  [[nodiscard]] Backend backend() const noexcept;

  void begin();  // BEGIN (PostgreSQL) or BEGIN IMMEDIATE (SQLite)
  // As begin(), except that on PostgreSQL the BEGIN waits for the
  // transaction's first statement and goes to the server in its round trip
  // (a transaction that runs nothing costs none).
  void begin_deferred();
  // PostgreSQL only: runs `statement` with `params` and returns its rows. A
  // deferred BEGIN and the queued writes go before it in the same round trip
  // (libpq's pipeline mode). Throws DatabaseError (the first statement that
  // failed), or DatabaseUnavailable when the server is gone.
  PgRows run(const PgStatement& statement, std::initializer_list<PgParam> params);
  // PostgreSQL only: a write whose rows nobody reads, sent with the
  // transaction's next statement or its COMMIT (at once outside a
  // transaction). Its failure surfaces there, and the transaction rolls back.
  void queue(const PgStatement& statement, std::initializer_list<PgParam> params);
  // A read-only transaction whose statements all see one state of the
  // database: REPEATABLE READ READ ONLY on PostgreSQL; on SQLite a deferred
  // BEGIN, which reads one snapshot in WAL mode and takes no write lock.
  // End it with rollback() (or let the lease go).
  void begin_snapshot();
  // PostgreSQL only: the open snapshot's name (pg_export_snapshot), which
  // other connections pass to begin_snapshot to read the same state of the
  // database while this transaction stays open.
  [[nodiscard]] std::string export_snapshot();
  // PostgreSQL only: a read-only snapshot transaction that sees exactly the
  // exported snapshot `name`.
  void begin_snapshot(const std::string& name);
  void commit();
  // Rolls back if a transaction is open; never throws. Marks the connection
  // broken when the server is gone, so the pool replaces it.
  void rollback() noexcept;

  // Runs several semicolon-separated statements without parameters (migrations).
  void exec_script(std::string_view sql);

  // Makes the pool replace this connection when it is released: its session
  // state is no longer what the pool hands out.
  void mark_broken() noexcept { broken_ = true; }

  // Converts the exception in flight (call inside a catch block) into the
  // workflow error model and throws it; marks the connection broken when the
  // server is gone.
  [[noreturn]] void rethrow_translated();

  // State that lives exactly as long as this connection, such as prepared
  // statements: the T that make(session) returns (a std::unique_ptr<T>) on
  // first use, the same T afterwards. Destroyed before the session.
  template <class T, class Make>
  T& local(Make&& make);

  struct Queued;  // a write waiting for the next round trip
  using Locals = std::unordered_map<std::type_index, std::shared_ptr<void>>;

 private:
  friend class Database;
  friend class PgPipeline;
  Connection(Database::Impl* pool, std::unique_ptr<soci::session> session, std::unique_ptr<Locals> locals) noexcept;
  [[nodiscard]] bool has_deferred() const noexcept { return begin_deferred_ || !queued_.empty(); }
  void send_deferred();
  Database::Impl* pool_;
  std::unique_ptr<soci::session> session_;
  std::unique_ptr<Locals> locals_;
  bool broken_ = false;
  bool in_transaction_ = false;
  bool begin_deferred_ = false;                  // BEGIN not yet sent (begin_deferred)
  std::vector<std::shared_ptr<Queued>> queued_;  // writes not yet sent (queue)
};

// Runs each job, fn(session), in the read snapshot open on `main`
// (begin_snapshot), shared out over up to `spread` connections in all: on
// PostgreSQL, connections free in the pool import main's snapshot and take
// jobs in turn beside it, each after running `setup` (SQL; may be empty). On
// SQLite, or with no connection free (or none that can be opened), main
// runs every job in order. Jobs must only read, and write nothing they
// share. Once every job has stopped, the first one's exception is rethrown
// (translated, as from transact).
void run_in_snapshot(Database& db, Database::Connection& main,
                     const std::vector<std::function<void(soci::session&)>>& jobs, std::size_t spread,
                     const std::string& setup);

// Runs a statement kept with a connection (Connection::local) for at most one
// row; true when it returned one. SQLite's is reset at once, since SQLite
// will not commit while a statement is mid-result.
bool execute_once(soci::statement& statement, Backend backend);

// Reading a soci::row whatever type the backend gave a column (PostgreSQL's
// int4 and int8, SQLite's declared or computed types): NULL reads as 0 or "".
[[nodiscard]] long long row_integer(const soci::row& row, std::size_t column);
[[nodiscard]] double row_number(const soci::row& row, std::size_t column);
[[nodiscard]] std::string row_text(const soci::row& row, std::size_t column);

template <class T, class Make>
T& Database::Connection::local(Make&& make) {
  if (has_deferred()) send_deferred();  // what it holds runs on the session
  std::shared_ptr<void>& slot = (*locals_)[std::type_index(typeid(T))];
  if (!slot) slot = std::shared_ptr<T>(make(*session_));
  return *static_cast<T*>(slot.get());
}

template <class F>
decltype(auto) Database::transact(F&& fn) {
  Connection connection = acquire();
  constexpr bool kTakesConnection = std::is_invocable_v<F&, Connection&>;
  const auto call = [&]() -> decltype(auto) {
    if constexpr (kTakesConnection) {
      return fn(connection);
    } else {
      return fn(connection.session());
    }
  };
  try {
    // A caller given the connection may run its first statement through
    // run(), which then carries the BEGIN; session() and local() send it.
    if constexpr (kTakesConnection) {
      connection.begin_deferred();
    } else {
      connection.begin();
    }
    if constexpr (std::is_void_v<decltype(call())>) {
      call();
      connection.commit();
    } else {
      auto result = call();
      connection.commit();
      return result;
    }
  } catch (...) {
    connection.rollback();
    connection.rethrow_translated();
  }
}

template <class F>
decltype(auto) Database::read(F&& fn) {
  Connection connection = acquire();
  try {
    return fn(connection.session());
  } catch (...) {
    connection.rethrow_translated();
  }
}

}  // namespace s2s::workflow
