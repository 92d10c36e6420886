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
#include "store/sql/connection.hpp"

// Connector/C's handle type (MYSQL), declared here so that only .cpp files include
// <mysql.h>.
struct st_mysql;

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

// What a MySQL error means to the store (see sql::FailureKind).
sql::FailureKind mysql_failure_kind(unsigned error_number);

// An owned MySQL connection: the MySQL/MariaDB driver's sql::Connection, connected on demand.
// Session setup after every connect: utf8mb4, time_zone '+00:00', CLIENT_FOUND_ROWS, no automatic
// reconnect (MYSQL_OPT_RECONNECT stays off: a silent reconnect would drop the session settings,
// the prepared statements and an open transaction), LOCAL INFILE off, then `session_sql`.
// A call that fails with a connection error marks the connection broken(); it is closed and opened
// again by the next connect(), once no Cursor of it is alive. Statements are server-side prepared
// statements whose results are read whole into client memory by execute() (so the connection is
// free for the next statement while rows are read); integer columns are read as integers,
// TIMESTAMP/DATETIME as MYSQL_TIME, the rest as text (grown to fit).
// Threading: one thread at a time (the pool guarantees it).
class MysqlConnection final : public sql::Connection {
 public:
  // Not connected yet. `prefix` goes where queries write `{{prefix}}`; `session_sql` (may be
  // empty) runs after every connect.
  MysqlConnection(MysqlEndpoint endpoint, std::string prefix, std::string session_sql);
  ~MysqlConnection() override;

  // Makes sure there is a usable connection: opens one when there is none, when the last one
  // broke, or when the server has closed it meanwhile (a server restart, wait_timeout; seen
  // without a round trip). kUnavailable when the server cannot be reached within connect_timeout.
  Status connect() override;
  Status reconnect() override;
  // Closes the connection and frees its statements.
  void close() noexcept override;
  bool is_open() const { return mysql_ != nullptr; }

  // START TRANSACTION, COMMIT, ROLLBACK. A COMMIT that fails with a connection error leaves
  // commit_in_doubt(): the server may or may not have committed.
  Status begin_write() override;
  Status commit() override;
  // Rolls back if a transaction is open; a failure marks the connection broken.
  void rollback() noexcept override;
  bool in_transaction() const override { return in_transaction_; }
  Status ping() override;
  // Runs the statements one by one with the text protocol (split after each ';' that ends a line;
  // '--' and '#' lines are comments). MySQL commits DDL at once: when statement N fails, the error
  // says that the N - 1 before it stay applied.
  Status execute_script(std::string_view sql, std::string_view what) override;
  // Runs one statement with the text protocol (DDL, SET), discarding any result.
  Status execute(std::string_view sql, std::string_view what);

  bool broken() const override { return broken_; }
  bool commit_in_doubt() const override { return commit_in_doubt_; }
  // The MySQL error number of the last failed call (0 when none has failed since connect()).
  unsigned last_errno() const { return last_errno_; }

  // Turns a failed call on this connection into an Error (see mysql_failure) and records what it
  // means for the connection. Used by its statements.
  Error fail(unsigned error_number, std::string_view message, std::string_view what);

 protected:
  // Prepared on the server (a round trip) on first use and reused afterwards.
  Result<std::unique_ptr<sql::Statement>> prepare(std::string_view name,
                                                  const std::string& sql) override;

 private:
  Status open();
  Status query(std::string_view sql, std::string_view what);
  // The Value column of a `SHOW VARIABLES|STATUS LIKE 'name'`; nullopt when the server has none.
  Result<std::optional<std::string>> show_value(std::string_view sql, std::string_view what);

  const MysqlEndpoint endpoint_;
  const std::string session_sql_;
  st_mysql* mysql_ = nullptr;
  bool broken_ = false;
  bool commit_in_doubt_ = false;
  bool in_transaction_ = false;
  unsigned last_errno_ = 0;
};

}  // namespace gatehouse::store
