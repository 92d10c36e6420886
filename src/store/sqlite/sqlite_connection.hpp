#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace gatehouse::store {

// The service error for a failed SQLite call `rc` (an extended result code) on `db`, with
// sqlite3_errmsg and `what` (the statement's name) in `internal`. kUnavailable when the database
// cannot be used right now (BUSY/LOCKED after busy_timeout, CANTOPEN, IOERR, FULL, READONLY,
// NOMEM, PROTOCOL); kInternal for everything else (misuse, bad SQL, constraint, corruption).
// `db` may be null. Call it on the thread that made the failing call, before the next call.
Error sqlite_error(int rc, sqlite3* db, std::string_view what);

// One use of a cached prepared statement: bind, step, read columns. Destruction resets the
// statement and clears its bindings, so a SELECT never keeps its read snapshot open and bound
// text (bound without copying) is never read after the caller's buffer is gone.
// Bind failures are remembered and reported by the next step(). Indexes: parameters from 1,
// columns from 0, as in the C API.
class SqliteStatement {
 public:
  SqliteStatement(sqlite3_stmt* stmt, sqlite3* db, std::string_view name);
  SqliteStatement(SqliteStatement&& other) noexcept;
  SqliteStatement& operator=(SqliteStatement&&) = delete;
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;
  ~SqliteStatement();

  void bind(int index, std::int64_t value);
  // `value` must stay alive until this object is destroyed (bound with SQLITE_STATIC).
  void bind(int index, std::string_view value);
  void bind_optional(int index, const std::optional<std::string>& value);  // NULL when empty
  void bind_optional(int index, std::optional<std::int64_t> value);

  // One step: true when a row is ready to read, false when the statement is done.
  Result<bool> step();
  // Steps a statement that returns no rows (INSERT, UPDATE, DELETE).
  Status run();
  // The (extended) result code of the last step, e.g. SQLITE_CONSTRAINT_UNIQUE after a failure.
  int last_rc() const { return rc_; }

  bool is_null(int column) const;
  std::int64_t int64(int column) const;
  std::string text(int column) const;  // "" for NULL
  std::optional<std::string> optional_text(int column) const;
  std::optional<std::int64_t> optional_int64(int column) const;
  int type(int column) const;  // SQLITE_INTEGER, SQLITE_TEXT, ...

 private:
  void note_bind(int rc);

  sqlite3_stmt* stmt_;
  sqlite3* db_;
  std::string_view name_;
  int rc_ = 0;
  int bind_rc_ = 0;
};

// An owned sqlite3 connection with a cache of prepared statements.
// Threading: opened with SQLITE_OPEN_NOMUTEX, so one thread at a time (the pool guarantees it).
class SqliteConnection {
 public:
  // Opens (creating the file if missing) with READWRITE|CREATE|NOMUTEX and extended result codes,
  // sets busy_timeout, journal_mode=WAL, synchronous=NORMAL and foreign_keys=ON, and checks that
  // WAL and foreign keys really are on. `statement_slots` sizes the statement cache.
  static Result<std::unique_ptr<SqliteConnection>> open(const std::string& path,
                                                        std::chrono::milliseconds busy_timeout,
                                                        std::size_t statement_slots);
  ~SqliteConnection();
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  // The statement cached in `slot`, prepared once (sqlite3_prepare_v3, SQLITE_PREPARE_PERSISTENT)
  // from `sql` on first use and reused afterwards. A slot must not be used twice at once.
  Result<SqliteStatement> statement(std::size_t slot, std::string_view name, std::string_view sql);
  // Runs `sql`, which may hold several statements (sqlite3_exec); for migrations.
  Status exec(const std::string& sql, std::string_view what);

  // Turns off SQLite's checkpoint at commit (wal_autocheckpoint=0) and calls `on_commit` with the
  // WAL's size in pages after every commit of this connection instead, on the committing thread,
  // after the write lock is released. Whoever takes this over must checkpoint the WAL.
  void hand_over_checkpoints(std::function<void(int wal_pages)> on_commit);

  // BEGIN IMMEDIATE (takes the write lock now, waiting up to busy_timeout), COMMIT, ROLLBACK.
  Status begin_immediate();
  Status commit();
  // Rolls back if a transaction is open (SQLite may already have rolled back after an error).
  void rollback() noexcept;

  std::int64_t last_insert_rowid() const;
  std::int64_t changes() const;
  sqlite3* handle() const { return db_; }

 private:
  explicit SqliteConnection(sqlite3* db, std::size_t statement_slots);
  // SQLite's own busy handler sleeps 1, 2, 5, 10... ms between tries, though a write lock here is
  // held for about 0.1 ms, so waiting writers slept far longer than the lock was held. This one
  // retries after microseconds, up to the same busy_timeout.
  static int on_busy(void* connection, int attempt);
  static int on_wal_commit(void* connection, sqlite3* db, const char* schema, int wal_pages);
  Status run_control(std::size_t which, std::string_view sql);

  sqlite3* db_;
  std::function<void(int)> on_commit_;
  std::chrono::milliseconds busy_timeout_{0};
  std::chrono::steady_clock::time_point busy_since_{};
  std::vector<sqlite3_stmt*> statements_;
  std::array<sqlite3_stmt*, 3> control_{};  // BEGIN IMMEDIATE, COMMIT, ROLLBACK
};

// A write transaction (BEGIN IMMEDIATE) that rolls back when destroyed uncommitted.
// Example:
//   auto tx = SqliteTransaction::begin(conn);
//   if (!tx) return tx.error();
//   ... writes ...
//   return tx->commit();
class SqliteTransaction {
 public:
  static Result<SqliteTransaction> begin(SqliteConnection& connection);
  SqliteTransaction(SqliteTransaction&& other) noexcept;
  SqliteTransaction& operator=(SqliteTransaction&&) = delete;
  ~SqliteTransaction();

  Status commit();

 private:
  explicit SqliteTransaction(SqliteConnection& connection) : connection_(&connection) {}
  SqliteConnection* connection_;  // null once committed or moved from
};

}  // namespace gatehouse::store
