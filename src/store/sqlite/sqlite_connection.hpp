#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "store/sql/connection.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace gatehouse::store {

// The service error for a failed SQLite call `rc` (an extended result code) on `db`, with
// sqlite3_errmsg and `what` (the statement's name) in `internal`. kUnavailable when the database
// cannot be used right now (BUSY/LOCKED after busy_timeout, CANTOPEN, IOERR, FULL, READONLY,
// NOMEM, PROTOCOL); kInternal for everything else (misuse, bad SQL, constraint, corruption).
// `db` may be null. Call it on the thread that made the failing call, before the next call.
Error sqlite_error(int rc, sqlite3* db, std::string_view what);

// What a failed SQLite call means to the store: constraint violations by kind, BUSY and LOCKED
// (the busy timeout ran out) as a lock conflict. A local file is never "lost".
sql::FailureKind sqlite_failure_kind(int rc);

// An owned sqlite3 connection: the embedded backend's sql::Connection.
// Threading: opened with SQLITE_OPEN_NOMUTEX, so one thread at a time (the pool guarantees it).
class SqliteConnection final : public sql::Connection {
 public:
  // Opens (creating the file if missing) with READWRITE|CREATE|NOMUTEX and extended result codes,
  // sets busy_timeout, journal_mode=WAL, synchronous=NORMAL and foreign_keys=ON, and checks that
  // WAL and foreign keys really are on. `prefix` goes where queries write `{{prefix}}`.
  static Result<std::unique_ptr<SqliteConnection>> open(const std::string& path,
                                                        std::chrono::milliseconds busy_timeout,
                                                        std::string prefix = {});
  ~SqliteConnection() override;

  // Turns off SQLite's checkpoint at commit (wal_autocheckpoint=0) and calls `on_commit` with the
  // WAL's size in pages after every commit of this connection instead, on the committing thread,
  // after the write lock is released. Whoever takes this over must checkpoint the WAL.
  void hand_over_checkpoints(std::function<void(int wal_pages)> on_commit);

  // The file stays open for the connection's life: there is nothing to connect again.
  Status connect() override { return ok_status(); }
  Status reconnect() override { return ok_status(); }
  void close() noexcept override {}

  // BEGIN IMMEDIATE: takes the write lock now, waiting up to busy_timeout.
  Status begin_write() override;
  Status commit() override;
  // Rolls back if a transaction is open (SQLite may already have rolled back after an error).
  void rollback() noexcept override;
  bool in_transaction() const override;
  Status ping() override;
  // sqlite3_exec: several statements in one call.
  Status execute_script(std::string_view sql, std::string_view what) override;
  bool broken() const override { return false; }
  bool commit_in_doubt() const override { return false; }

  sqlite3* handle() const { return db_; }
  // Records how `rc` failed and returns its Error (see sqlite_error).
  Error fail(int rc, std::string_view what);

 protected:
  // sqlite3_prepare_v3 with SQLITE_PREPARE_PERSISTENT: each statement lives as long as the
  // connection.
  Result<std::unique_ptr<sql::Statement>> prepare(std::string_view name,
                                                  const std::string& sql) override;

 private:
  SqliteConnection(sqlite3* db, std::string prefix);
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
  std::array<sqlite3_stmt*, 3> control_{};  // BEGIN IMMEDIATE, COMMIT, ROLLBACK
};

}  // namespace gatehouse::store
