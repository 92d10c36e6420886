#include "store/sqlite/sqlite_connection.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <thread>

#include <cassert>
#include <climits>
#include <utility>

namespace gatehouse::store {

namespace {

constexpr std::size_t kBegin = 0;
constexpr std::size_t kCommit = 1;
constexpr std::size_t kRollback = 2;

constexpr std::string_view kBeginSql = "BEGIN IMMEDIATE";
constexpr std::string_view kCommitSql = "COMMIT";
constexpr std::string_view kRollbackSql = "ROLLBACK";

// `PRAGMA journal_mode=WAL` answers with the mode now in force; anything but "wal" means the
// file system or the build refused it, and concurrent readers would then block on writers.
constexpr std::string_view kJournalModeSql = "PRAGMA journal_mode=WAL";
constexpr std::string_view kPragmasSql = "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;";
// foreign_keys=ON is silently ignored by builds without foreign-key support: check it took.
constexpr std::string_view kForeignKeysSql = "PRAGMA foreign_keys";

// Runs a one-row pragma query and returns its first column as text.
Result<std::string> pragma_text(sqlite3* db, std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) return sqlite_error(rc, db, sql);
  rc = sqlite3_step(stmt);
  std::string out;
  if (rc == SQLITE_ROW) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    if (text != nullptr) out = text;
  }
  Result<std::string> result = (rc == SQLITE_ROW || rc == SQLITE_DONE)
                                   ? Result<std::string>(std::move(out))
                                   : Result<std::string>(sqlite_error(rc, db, sql));
  sqlite3_finalize(stmt);
  return result;
}

}  // namespace

Error sqlite_error(int rc, sqlite3* db, std::string_view what) {
  ErrorCode code = ErrorCode::kInternal;
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_NOMEM:
    case SQLITE_PROTOCOL:
      code = ErrorCode::kUnavailable;
      break;
    default:
      break;
  }
  std::string internal = "sqlite ";
  internal += what;
  internal += ": ";
  // sqlite3_errmsg describes the most recent failure on `db`; only trust it when it matches rc.
  if (db != nullptr && sqlite3_extended_errcode(db) == rc) {
    internal += sqlite3_errmsg(db);
  } else {
    internal += sqlite3_errstr(rc);
  }
  internal += " (code " + std::to_string(rc) + ")";
  return Error{code, std::move(internal)};
}

// ---- SqliteStatement ----

SqliteStatement::SqliteStatement(sqlite3_stmt* stmt, sqlite3* db, std::string_view name)
    : stmt_(stmt), db_(db), name_(name) {}

SqliteStatement::SqliteStatement(SqliteStatement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)),
      db_(other.db_),
      name_(other.name_),
      rc_(other.rc_),
      bind_rc_(other.bind_rc_) {}

SqliteStatement::~SqliteStatement() {
  if (stmt_ == nullptr) return;
  // reset returns the last step's error again; it was already reported by step().
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

void SqliteStatement::note_bind(int rc) {
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
}

void SqliteStatement::bind(int index, std::int64_t value) {
  note_bind(sqlite3_bind_int64(stmt_, index, value));
}

void SqliteStatement::bind(int index, std::string_view value) {
  if (value.size() > static_cast<std::size_t>(INT_MAX)) {
    note_bind(SQLITE_TOOBIG);
    return;
  }
  // A non-null pointer even for "" so that the empty string is bound as '' and not as NULL.
  const char* data = value.data() != nullptr ? value.data() : "";
  note_bind(sqlite3_bind_text(stmt_, index, data, static_cast<int>(value.size()), SQLITE_STATIC));
}

void SqliteStatement::bind_optional(int index, const std::optional<std::string>& value) {
  if (value) {
    bind(index, std::string_view(*value));
  } else {
    note_bind(sqlite3_bind_null(stmt_, index));
  }
}

void SqliteStatement::bind_optional(int index, std::optional<std::int64_t> value) {
  if (value) {
    bind(index, *value);
  } else {
    note_bind(sqlite3_bind_null(stmt_, index));
  }
}

Result<bool> SqliteStatement::step() {
  if (bind_rc_ != SQLITE_OK) {
    rc_ = bind_rc_;
    std::string what = "bind ";
    what += name_;
    return sqlite_error(rc_, db_, what);
  }
  rc_ = sqlite3_step(stmt_);
  if (rc_ == SQLITE_ROW) return true;
  if (rc_ == SQLITE_DONE) return false;
  return sqlite_error(rc_, db_, name_);
}

Status SqliteStatement::run() {
  auto stepped = step();
  if (!stepped) return std::move(stepped).error();
  return ok_status();
}

bool SqliteStatement::is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::int64_t SqliteStatement::int64(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

std::string SqliteStatement::text(int column) const {
  const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  if (data == nullptr) return {};
  return std::string(data, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
}

std::optional<std::string> SqliteStatement::optional_text(int column) const {
  if (is_null(column)) return std::nullopt;
  return text(column);
}

std::optional<std::int64_t> SqliteStatement::optional_int64(int column) const {
  if (is_null(column)) return std::nullopt;
  return int64(column);
}

int SqliteStatement::type(int column) const {
  return sqlite3_column_type(stmt_, column);
}

// ---- SqliteConnection ----

SqliteConnection::SqliteConnection(sqlite3* db, std::size_t statement_slots)
    : db_(db), statements_(statement_slots, nullptr) {}

SqliteConnection::~SqliteConnection() {
  for (sqlite3_stmt* stmt : statements_) sqlite3_finalize(stmt);
  for (sqlite3_stmt* stmt : control_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

Result<std::unique_ptr<SqliteConnection>> SqliteConnection::open(
    const std::string& path, std::chrono::milliseconds busy_timeout, std::size_t statement_slots) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Error error = sqlite_error(rc, db, "open " + path);
    sqlite3_close(db);  // a handle is usually allocated even when the open fails
    return error;
  }
  // From here the connection owns `db` and closes it on every return.
  std::unique_ptr<SqliteConnection> conn(new SqliteConnection(db, statement_slots));
  sqlite3_extended_result_codes(db, 1);
  conn->busy_timeout_ = busy_timeout;
  sqlite3_busy_handler(db, &SqliteConnection::on_busy, conn.get());

  auto mode = pragma_text(db, kJournalModeSql);
  if (!mode) return std::move(mode).error();
  if (*mode != "wal") {
    return Error{ErrorCode::kUnavailable,
                 "sqlite open " + path + ": journal_mode is '" + *mode + "', WAL was refused"};
  }
  if (auto st = conn->exec(std::string(kPragmasSql), "pragmas"); !st) return std::move(st).error();
  auto fk = pragma_text(db, kForeignKeysSql);
  if (!fk) return std::move(fk).error();
  if (*fk != "1") {
    return Error{ErrorCode::kInternal,
                 "sqlite open " + path + ": foreign_keys could not be enabled"};
  }
  return conn;
}

int SqliteConnection::on_busy(void* connection, int attempt) {
  auto* self = static_cast<SqliteConnection*>(connection);
  const auto now = std::chrono::steady_clock::now();
  if (attempt == 0) self->busy_since_ = now;
  if (now - self->busy_since_ >= self->busy_timeout_) return 0;  // SQLITE_BUSY to the caller
  if (attempt < 4) {
    std::this_thread::yield();
  } else {
    std::this_thread::sleep_for(std::chrono::microseconds(20 << std::min(attempt - 4, 5)));
  }
  return 1;
}

void SqliteConnection::hand_over_checkpoints(std::function<void(int wal_pages)> on_commit) {
  on_commit_ = std::move(on_commit);
  // sqlite3_wal_autocheckpoint(0) removes SQLite's own WAL hook; this one replaces it.
  sqlite3_wal_autocheckpoint(db_, 0);
  sqlite3_wal_hook(db_, &SqliteConnection::on_wal_commit, this);
}

int SqliteConnection::on_wal_commit(void* connection, sqlite3*, const char*, int wal_pages) {
  static_cast<SqliteConnection*>(connection)->on_commit_(wal_pages);
  return SQLITE_OK;
}

Result<SqliteStatement> SqliteConnection::statement(std::size_t slot, std::string_view name,
                                                    std::string_view sql) {
  assert(slot < statements_.size());
  sqlite3_stmt*& stmt = statements_[slot];
  if (stmt == nullptr) {
    const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(stmt);
      stmt = nullptr;
      std::string what = "prepare ";
      what += name;
      return sqlite_error(rc, db_, what);
    }
    if (stmt == nullptr) {
      return Error{ErrorCode::kInternal, "sqlite prepare " + std::string(name) + ": empty SQL"};
    }
  }
  // A statement in use has been stepped and not yet reset by its SqliteStatement.
  assert(!sqlite3_stmt_busy(stmt));
  return SqliteStatement(stmt, db_, name);
}

Status SqliteConnection::exec(const std::string& sql, std::string_view what) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
  sqlite3_free(message);  // the same text is available from sqlite3_errmsg
  if (rc != SQLITE_OK) return sqlite_error(rc, db_, what);
  return ok_status();
}

Status SqliteConnection::run_control(std::size_t which, std::string_view sql) {
  sqlite3_stmt*& stmt = control_[which];
  if (stmt == nullptr) {
    const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(stmt);
      stmt = nullptr;
      return sqlite_error(rc, db_, sql);
    }
  }
  const int rc = sqlite3_step(stmt);
  sqlite3_reset(stmt);
  if (rc != SQLITE_DONE) return sqlite_error(rc, db_, sql);
  return ok_status();
}

Status SqliteConnection::begin_immediate() {
  return run_control(kBegin, kBeginSql);
}
Status SqliteConnection::commit() {
  return run_control(kCommit, kCommitSql);
}

void SqliteConnection::rollback() noexcept {
  // After some errors (IOERR, FULL, NOMEM, BUSY in some cases) SQLite has already rolled back.
  if (sqlite3_get_autocommit(db_) != 0) return;
  (void)run_control(kRollback, kRollbackSql);
}

std::int64_t SqliteConnection::last_insert_rowid() const {
  return sqlite3_last_insert_rowid(db_);
}
std::int64_t SqliteConnection::changes() const {
  return sqlite3_changes64(db_);
}

// ---- SqliteTransaction ----

Result<SqliteTransaction> SqliteTransaction::begin(SqliteConnection& connection) {
  if (auto st = connection.begin_immediate(); !st) return std::move(st).error();
  return SqliteTransaction(connection);
}

SqliteTransaction::SqliteTransaction(SqliteTransaction&& other) noexcept
    : connection_(std::exchange(other.connection_, nullptr)) {}

SqliteTransaction::~SqliteTransaction() {
  if (connection_ != nullptr) connection_->rollback();
}

Status SqliteTransaction::commit() {
  assert(connection_ != nullptr);
  auto st = connection_->commit();
  // On failure the transaction stays open; the destructor rolls it back.
  if (st) connection_ = nullptr;
  return st;
}

}  // namespace gatehouse::store
