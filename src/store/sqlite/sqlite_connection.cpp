#include "store/sqlite/sqlite_connection.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <sqlite3.h>

#include <algorithm>
#include <thread>

#include <cassert>
#include <climits>
#include <utility>

#include "store/sql_timestamp.hpp"

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

namespace {

// A statement prepared once and used again and again: bind, step, read columns, reset.
// Text is bound without copying (SQLITE_STATIC): reset() clears the bindings before the caller's
// buffers can go away.
class SqliteStatement final : public sql::Statement {
 public:
  SqliteStatement(SqliteConnection& connection, sqlite3_stmt* stmt, std::string name)
      : connection_(connection), stmt_(stmt), name_(std::move(name)) {}
  ~SqliteStatement() override { sqlite3_finalize(stmt_); }
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  Status execute(std::span<const sql::Param> params) override {
    // A statement in use has been stepped and not yet reset by its Cursor.
    assert(!sqlite3_stmt_busy(stmt_));
    int index = 1;
    for (const sql::Param& param : params) {
      if (const int rc = bind(index++, param); rc != SQLITE_OK) {
        return connection_.fail(rc, "bind " + name_);
      }
    }
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) {
      row_pending_ = true;
    } else if (rc != SQLITE_DONE) {
      return connection_.fail(rc, name_);
    }
    return ok_status();
  }

  Result<bool> next() override {
    if (row_pending_) {
      row_pending_ = false;
      return true;
    }
    if (!sqlite3_stmt_busy(stmt_)) return false;  // done, or a statement without rows
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return connection_.fail(rc, name_);
  }

  void reset() noexcept override {
    // reset returns the last step's error again; it was already reported.
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    row_pending_ = false;
  }

  bool is_null(int column) const override {
    return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
  }
  std::int64_t int64(int column) const override { return sqlite3_column_int64(stmt_, column); }
  std::string text(int column) const override {
    const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    if (data == nullptr) return {};
    return std::string(data, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
  }
  // Text as the app and the tutorial write it; integers (unix seconds) too, since SQLite lets any
  // column hold any type.
  std::optional<SysTime> time(int column) const override {
    switch (sqlite3_column_type(stmt_, column)) {
      case SQLITE_INTEGER:
        return from_unix_seconds(sqlite3_column_int64(stmt_, column));
      case SQLITE_TEXT:
        return parse_sql_timestamp(text(column));
      default:
        return std::nullopt;
    }
  }
  // Of the connection's last statement: read before the next one runs (as the store does).
  std::int64_t rows_affected() const override { return sqlite3_changes64(connection_.handle()); }
  std::int64_t new_id() const override { return sqlite3_last_insert_rowid(connection_.handle()); }

 private:
  int bind(int index, const sql::Param& param) {
    switch (param.kind()) {
      case sql::Param::Kind::kNull:
        return sqlite3_bind_null(stmt_, index);
      case sql::Param::Kind::kInt64:
        return sqlite3_bind_int64(stmt_, index, param.int64());
      case sql::Param::Kind::kText: {
        const std::string_view value = param.text();
        if (value.size() > static_cast<std::size_t>(INT_MAX)) return SQLITE_TOOBIG;
        // A non-null pointer even for "" so that the empty string is bound as '' and not as NULL.
        const char* data = value.data() != nullptr ? value.data() : "";
        return sqlite3_bind_text(stmt_, index, data, static_cast<int>(value.size()), SQLITE_STATIC);
      }
    }
    return SQLITE_MISUSE;
  }

  SqliteConnection& connection_;
  sqlite3_stmt* const stmt_;
  const std::string name_;
  bool row_pending_ = false;  // execute() stepped onto the first row; next() hands it out
};

}  // namespace

// ---- SqliteConnection ----

sql::FailureKind sqlite_failure_kind(int rc) {
  switch (rc) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return sql::FailureKind::kUniqueViolation;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return sql::FailureKind::kForeignKeyViolation;
    default:
      break;
  }
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return sql::FailureKind::kLockConflict;
    default:
      return sql::FailureKind::kOther;
  }
}

SqliteConnection::SqliteConnection(sqlite3* db, std::string prefix)
    : sql::Connection(sql::Dialect::kSqlite, std::move(prefix)), db_(db) {}

SqliteConnection::~SqliteConnection() {
  // The statements first: sqlite3_close refuses a connection with unfinalized statements.
  forget_statements();
  for (sqlite3_stmt* stmt : control_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

Error SqliteConnection::fail(int rc, std::string_view what) {
  note_failure(sqlite_failure_kind(rc));
  return sqlite_error(rc, db_, what);
}

Result<std::unique_ptr<SqliteConnection>> SqliteConnection::open(
    const std::string& path, std::chrono::milliseconds busy_timeout, std::string prefix) {
  // A new database file is made 0600 before SQLite opens it (SQLite would make it 0644 under the
  // usual umask): it holds password hashes. Its -wal and -shm files take the same mode from it.
  // An existing file keeps the mode its owner gave it. ":memory:" and "file:" names are not files.
  if (path != ":memory:" && !path.starts_with("file:")) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0) ::close(fd);
  }
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Error error = sqlite_error(rc, db, "open " + path);
    sqlite3_close(db);  // a handle is usually allocated even when the open fails
    return error;
  }
  // From here the connection owns `db` and closes it on every return.
  std::unique_ptr<SqliteConnection> conn(new SqliteConnection(db, std::move(prefix)));
  sqlite3_extended_result_codes(db, 1);
  conn->busy_timeout_ = busy_timeout;
  sqlite3_busy_handler(db, &SqliteConnection::on_busy, conn.get());

  auto mode = pragma_text(db, kJournalModeSql);
  if (!mode) return std::move(mode).error();
  if (*mode != "wal") {
    return Error{ErrorCode::kUnavailable,
                 "sqlite open " + path + ": journal_mode is '" + *mode + "', WAL was refused"};
  }
  if (auto st = conn->execute_script(kPragmasSql, "pragmas"); !st) return std::move(st).error();
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

Result<std::unique_ptr<sql::Statement>> SqliteConnection::prepare(std::string_view name,
                                                                  const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return fail(rc, "prepare " + std::string(name));
  }
  if (stmt == nullptr) {
    return Error{ErrorCode::kInternal, "sqlite prepare " + std::string(name) + ": empty SQL"};
  }
  return std::unique_ptr<sql::Statement>(
      std::make_unique<SqliteStatement>(*this, stmt, std::string(name)));
}

Status SqliteConnection::execute_script(std::string_view sql, std::string_view what) {
  const std::string text(sql);
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  sqlite3_free(message);  // the same text is available from sqlite3_errmsg
  if (rc != SQLITE_OK) return fail(rc, what);
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
      return fail(rc, sql);
    }
  }
  const int rc = sqlite3_step(stmt);
  sqlite3_reset(stmt);
  if (rc != SQLITE_DONE) return fail(rc, sql);
  return ok_status();
}

Status SqliteConnection::begin_write() {
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

bool SqliteConnection::in_transaction() const {
  return sqlite3_get_autocommit(db_) == 0;
}

Status SqliteConnection::ping() {
  return execute_script("SELECT 1", "ping");
}

}  // namespace gatehouse::store
