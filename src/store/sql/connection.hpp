#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "store/sql/query.hpp"

namespace gatehouse::store::sql {

// What went wrong with a call, in terms every driver maps its own codes to. The Error a call
// returns says what the client sees (kUnavailable, kInternal); this says what the store and the
// retry rules can do about it.
enum class FailureKind {
  kNone,
  kUniqueViolation,      // a UNIQUE or PRIMARY KEY constraint refused the row
  kForeignKeyViolation,  // the referenced row does not exist
  kLockConflict,         // a deadlock, a serialization failure, a Galera certification failure:
                         // the transaction was undone and may be tried again at once
  kLockTimeout,          // a lock wait that ran out of time (the row is held): undone; another
                         // try waits as long again
  kConnectionLost,       // the connection is gone; the server undid any open transaction
  kOther,
};

std::string_view to_string(FailureKind kind);

// A driver's prepared statement, cached by its connection and used by one Cursor at a time.
// Columns are numbered from 0. Readers never fail: a column that does not hold the asked type
// reads as 0, "" or nullopt.
class Statement {
 public:
  virtual ~Statement() = default;
  // Binds `params` (one per '?') and runs the statement; a SELECT's rows are then read with next().
  virtual Status execute(std::span<const Param> params) = 0;
  // The next row: true when one is ready to read, false after the last.
  virtual Result<bool> next() = 0;
  // Ends this use: frees the result and drops references to bound text. Never fails.
  virtual void reset() noexcept = 0;

  virtual bool is_null(int column) const = 0;
  virtual std::int64_t int64(int column) const = 0;  // booleans read as 0 and 1
  virtual std::string text(int column) const = 0;    // "" for NULL
  // A point in time in UTC: a TIMESTAMP column, an integer of unix seconds, or text as
  // parse_sql_timestamp reads it; nullopt for NULL and for what is no point in time.
  virtual std::optional<SysTime> time(int column) const = 0;
  // Rows changed by an INSERT, UPDATE or DELETE (for an UPDATE: matched, even when a value is
  // rewritten with itself). Read it, and new_id(), before the connection runs another statement.
  virtual std::int64_t rows_affected() const = 0;
  // The id of the row an INSERT just made (PostgreSQL: the statement ends with RETURNING id).
  virtual std::int64_t new_id() const = 0;
};

// One use of a prepared statement: the rows of a query, or what a write changed. Destruction
// resets the statement, so a read never keeps its snapshot open.
// Example:
//   auto rows = conn.run(kFindUser, {id});
//   if (!rows) return rows.error();
//   auto row = rows->next();
//   if (!row) return row.error();
//   if (*row) use(rows->int64(0), rows->text(1));
class Cursor {
 public:
  explicit Cursor(Statement& statement) : statement_(&statement) {}
  Cursor(Cursor&& other) noexcept : statement_(std::exchange(other.statement_, nullptr)) {}
  Cursor& operator=(Cursor&&) = delete;
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;
  ~Cursor() {
    if (statement_ != nullptr) statement_->reset();
  }

  Result<bool> next() { return statement_->next(); }
  bool is_null(int column) const { return statement_->is_null(column); }
  std::int64_t int64(int column) const { return statement_->int64(column); }
  std::string text(int column) const { return statement_->text(column); }
  std::optional<std::string> optional_text(int column) const {
    if (is_null(column)) return std::nullopt;
    return text(column);
  }
  std::optional<std::int64_t> optional_int64(int column) const {
    if (is_null(column)) return std::nullopt;
    return int64(column);
  }
  std::optional<SysTime> time(int column) const { return statement_->time(column); }
  std::int64_t rows_affected() const { return statement_->rows_affected(); }
  std::int64_t new_id() const { return statement_->new_id(); }

 private:
  Statement* statement_;  // null once moved from
};

// A connection to one database, as the store sees it; each driver (sqlite/, mysql/, postgres/)
// implements it. It runs the store's named queries through prepared statements it keeps, opens
// and ends write transactions, and says how its last call failed.
// Threading: one thread at a time (its pool lends it to one caller).
class Connection {
 public:
  // `prefix` replaces `{{prefix}}` in every query this connection prepares.
  Connection(Dialect dialect, std::string prefix) : dialect_(dialect), prefix_(std::move(prefix)) {}
  virtual ~Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  Dialect dialect() const { return dialect_; }

  // Runs `query` with `params` (one per '?', in order) through this connection's prepared
  // statement of it, prepared on first use. Only one Cursor of a query may be alive at a time.
  Result<Cursor> run(const Query& query, std::initializer_list<Param> params);

  // Makes sure the connection can be used: connects when it never has, or when it broke or the
  // server closed it meanwhile. kUnavailable when the server cannot be reached.
  virtual Status connect() = 0;
  // Drops the connection, whatever its state, and connects again.
  virtual Status reconnect() = 0;
  // Closes the connection; the next connect() opens a new one. No Cursor of it may be alive.
  virtual void close() noexcept = 0;

  // A transaction that writes: SQLite takes the write lock at once (BEGIN IMMEDIATE), the
  // servers START TRANSACTION. Reads inside it that must lock say so in their Query (`locks`).
  virtual Status begin_write() = 0;
  // A COMMIT that loses its connection leaves commit_in_doubt(): it may have been carried out.
  virtual Status commit() = 0;
  // Rolls back if a transaction is open; never fails (a lost connection took it with it).
  virtual void rollback() noexcept = 0;
  virtual bool in_transaction() const = 0;

  // A cheap round trip, for readiness checks.
  virtual Status ping() = 0;

  // Runs `sql` as written (prefix already applied), which may hold several statements separated
  // by ';' at line ends, without parameters and discarding any rows: for migrations. Inside a
  // transaction where the database allows DDL there (SQLite, PostgreSQL); MySQL commits each DDL
  // statement at once, so there a failure part-way says how many statements stay applied.
  virtual Status execute_script(std::string_view sql, std::string_view what) = 0;
  // Whether DDL takes part in transactions (a failed migration then leaves nothing behind).
  bool transactional_ddl() const { return dialect_ != Dialect::kMysql; }

  // How the last failed call on this connection failed (kNone after clear_failure()).
  FailureKind last_failure() const { return failure_; }
  void clear_failure() { failure_ = FailureKind::kNone; }
  // True after a failure that leaves the connection unusable until reconnected.
  virtual bool broken() const = 0;
  virtual bool commit_in_doubt() const = 0;

 protected:
  // Prepares `sql` (prefix applied, placeholders as written) for this connection.
  virtual Result<std::unique_ptr<Statement>> prepare(std::string_view name,
                                                     const std::string& sql) = 0;
  // Drivers call it when their server session ends: its prepared statements end with it.
  void forget_statements() noexcept { statements_.clear(); }
  // Drivers record how each failed call failed.
  void note_failure(FailureKind kind) { failure_ = kind; }

 private:
  const Dialect dialect_;
  const std::string prefix_;
  std::unordered_map<const Query*, std::unique_ptr<Statement>> statements_;
  FailureKind failure_ = FailureKind::kNone;
};

}  // namespace gatehouse::store::sql
