#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"

// Connector/C's handle types (MYSQL, MYSQL_STMT), declared here so that only .cpp files include
// <mysql.h>.
struct st_mysql;
struct st_mysql_stmt;

namespace gatehouse::store {

// Where a MySQL/MariaDB server is, who we are there, and how long to wait for it.
struct MysqlEndpoint {
  std::string host = "localhost";
  std::uint16_t port = 3306;
  std::string unix_socket;  // when set, the connection goes through this socket, not host:port
  std::string database;
  std::string user;
  std::string password;
  std::chrono::seconds connect_timeout{2};  // TCP connect plus the server's greeting
  std::chrono::seconds read_timeout{5};     // waiting for one reply
  std::chrono::seconds write_timeout{5};

  // "user@host:port/database", or "user@host/database (socket /path)"; never the password.
  std::string describe() const;
};

// True for errors after which a connection cannot be used again: the client lost the server
// (2002, 2003, 2006, 2013, ...) or the server ended the session (killed, shutting down, network
// errors). The server rolls back whatever transaction was open on it.
bool is_mysql_connection_error(unsigned error_number);

// The service error for MySQL error `error_number`, with "mysql <what>: <message> (error N)" in
// `internal`. kUnavailable when the database cannot serve us right now: connection errors, refused
// logins and unknown databases (only seen at connect), too many connections, lock wait timeout,
// deadlock, read-only server, full disk, interrupted statements. kInternal for everything else
// (bad SQL, missing table, constraint violations).
Error mysql_failure(unsigned error_number, std::string_view message, std::string_view what);

// One statement parameter, typed by what it is made from: integers and bools are sent as BIGINT,
// text as a string, nullopt as NULL. Text is referred to, not copied: a MysqlParam lives only in
// the argument list of MysqlStatement::execute.
class MysqlParam {
 public:
  // Implicit on purpose: `st->execute({user.name, user.id, user.photo})`.
  MysqlParam(std::int64_t value) : kind_(Kind::kInt64), int_(value) {}           // NOLINT
  MysqlParam(int value) : MysqlParam(std::int64_t{value}) {}                     // NOLINT
  MysqlParam(bool value) : MysqlParam(std::int64_t{value ? 1 : 0}) {}            // NOLINT
  MysqlParam(std::string_view value) : kind_(Kind::kText), text_(value) {}       // NOLINT
  MysqlParam(const std::string& value) : MysqlParam(std::string_view(value)) {}  // NOLINT
  MysqlParam(const char* value) : MysqlParam(std::string_view(value)) {}         // NOLINT
  MysqlParam(std::nullopt_t) : kind_(Kind::kNull) {}                             // NOLINT
  MysqlParam(const std::optional<std::string>& value)                            // NOLINT
      : kind_(value ? Kind::kText : Kind::kNull), text_(value ? *value : std::string_view()) {}
  MysqlParam(std::optional<std::int64_t> value)  // NOLINT
      : kind_(value ? Kind::kInt64 : Kind::kNull), int_(value.value_or(0)) {}

 private:
  friend class MysqlStatement;
  enum class Kind { kNull, kInt64, kText };
  Kind kind_;
  std::int64_t int_ = 0;
  std::string_view text_;
};

class MysqlConnection;
struct MysqlPrepared;  // a cached MYSQL_STMT with its result buffers (mysql_connection.cpp)

// One use of a cached prepared statement: execute() with parameters, then fetch() rows and read
// columns (from 0). execute() reads the whole result into client memory, so the connection is free
// for the next statement while rows are read; destruction frees that memory (no round trip).
// Integer columns are read with int64(), TIMESTAMP/DATETIME with time(), the rest with text();
// int64() and time() also parse text columns.
// Example:
//   auto st = conn.statement(kSlot, "find_user", "SELECT id, name FROM user WHERE email = ?");
//   if (!st) return st.error();
//   if (auto run = st->execute({email}); !run) return run.error();
//   auto row = st->fetch();
//   if (!row) return row.error();
//   if (*row) use(st->int64(0), st->text(1));
class MysqlStatement {
 public:
  MysqlStatement(MysqlConnection& connection, MysqlPrepared& prepared)
      : connection_(&connection), prepared_(&prepared) {}
  MysqlStatement(MysqlStatement&& other) noexcept;
  MysqlStatement& operator=(MysqlStatement&&) = delete;
  MysqlStatement(const MysqlStatement&) = delete;
  MysqlStatement& operator=(const MysqlStatement&) = delete;
  ~MysqlStatement();

  // Binds `params` (one per '?', in order) and executes: one round trip.
  Status execute(std::initializer_list<MysqlParam> params);
  // The next row: true when one is ready to read, false after the last.
  Result<bool> fetch();

  // Rows matched by an UPDATE (the connection sets CLIENT_FOUND_ROWS), inserted, or deleted.
  std::uint64_t affected_rows() const;
  // The AUTO_INCREMENT value the INSERT just generated.
  std::uint64_t insert_id() const;

  bool is_null(int column) const;
  std::int64_t int64(int column) const;  // 0 for NULL or unreadable text
  std::string text(int column) const;    // "" for NULL
  std::optional<std::string> optional_text(int column) const;
  std::optional<std::int64_t> optional_int64(int column) const;
  // TIMESTAMP/DATETIME as the session's time zone (UTC on our connections), integers as unix
  // seconds, text as 'YYYY-MM-DD HH:MM:SS' (see parse_sql_timestamp); nullopt for NULL and for
  // values that are no point in time (the zero date '0000-00-00 00:00:00').
  std::optional<SysTime> time(int column) const;

 private:
  Error fail(std::string_view step);

  MysqlConnection* connection_;  // null once moved from
  MysqlPrepared* prepared_;
  bool has_result_ = false;  // a buffered result is held and must be freed
};

// An owned MySQL connection with a cache of prepared statements, connected on demand.
// Session setup after every connect: utf8mb4, time_zone '+00:00', CLIENT_FOUND_ROWS, no automatic
// reconnect (MYSQL_OPT_RECONNECT stays off: a silent reconnect would drop the session settings,
// the prepared statements and an open transaction), LOCAL INFILE off, then `session_sql`.
// A call that fails with a connection error marks the connection broken(); it is closed and opened
// again by the next connect(), once no MysqlStatement of it is alive.
// Threading: one thread at a time (the pool guarantees it).
class MysqlConnection {
 public:
  // Not connected yet. `session_sql` (may be empty) runs after every connect; `statement_slots`
  // sizes the statement cache.
  MysqlConnection(MysqlEndpoint endpoint, std::string session_sql, std::size_t statement_slots);
  ~MysqlConnection();
  MysqlConnection(const MysqlConnection&) = delete;
  MysqlConnection& operator=(const MysqlConnection&) = delete;

  // Makes sure there is a usable connection: opens one when there is none, when the last one
  // broke, or when the server has closed it meanwhile (a server restart, wait_timeout; seen
  // without a round trip). kUnavailable when the server cannot be reached within connect_timeout.
  Status connect();
  // Closes the connection (if any) and opens a new one.
  Status reconnect();
  // Closes the connection and frees its statements. No MysqlStatement of it may be alive.
  void close() noexcept;
  bool is_open() const { return mysql_ != nullptr; }

  // The statement cached in `slot`, prepared on this connection from `sql` on first use (a round
  // trip) and reused afterwards. A slot must not be used twice at once.
  Result<MysqlStatement> statement(std::size_t slot, std::string_view name, std::string_view sql);
  // Runs one statement with the text protocol (DDL, SET), discarding any result.
  Status execute(std::string_view sql, std::string_view what);
  Status ping();

  // START TRANSACTION, COMMIT, ROLLBACK. A COMMIT that fails with a connection error leaves
  // commit_in_doubt(): the server may or may not have committed.
  Status begin();
  Status commit();
  // Rolls back if a transaction is open; a failure marks the connection broken.
  void rollback() noexcept;
  bool in_transaction() const { return in_transaction_; }

  bool broken() const { return broken_; }
  bool commit_in_doubt() const { return commit_in_doubt_; }
  // The MySQL error number of the last failed call (0 when none has failed since connect()).
  unsigned last_errno() const { return last_errno_; }

  // Turns a failed call on this connection into an Error (see mysql_failure) and records what it
  // means for the connection. Used by MysqlStatement.
  Error fail(unsigned error_number, std::string_view message, std::string_view what);

 private:
  Status open();
  Status query(std::string_view sql, std::string_view what);

  const MysqlEndpoint endpoint_;
  const std::string session_sql_;
  st_mysql* mysql_ = nullptr;
  std::vector<std::unique_ptr<MysqlPrepared>> statements_;  // by slot; null until first use
  bool broken_ = false;
  bool commit_in_doubt_ = false;
  bool in_transaction_ = false;
  unsigned last_errno_ = 0;
};

// A transaction (START TRANSACTION) that rolls back when destroyed uncommitted.
// Example:
//   auto tx = MysqlTransaction::begin(conn);
//   if (!tx) return tx.error();
//   ... writes ...
//   return tx->commit();
class MysqlTransaction {
 public:
  static Result<MysqlTransaction> begin(MysqlConnection& connection);
  MysqlTransaction(MysqlTransaction&& other) noexcept;
  MysqlTransaction& operator=(MysqlTransaction&&) = delete;
  ~MysqlTransaction();

  Status commit();

 private:
  explicit MysqlTransaction(MysqlConnection& connection) : connection_(&connection) {}
  MysqlConnection* connection_;  // null once committed or moved from
};

}  // namespace gatehouse::store
