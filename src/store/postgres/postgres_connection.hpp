#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "store/sql/connection.hpp"

// libpq's handle types (PGconn, PGresult), declared here so that only .cpp files include
// <libpq-fe.h>.
struct pg_conn;
struct pg_result;

namespace gatehouse::store {

// Where a PostgreSQL server is, who we are there, and how long to wait for it.
struct PostgresEndpoint {
  std::string host = "localhost";  // a name, an address, or a unix socket directory ("/run/...")
  std::uint16_t port = 5432;
  std::string database;
  std::string user;
  std::string password;
  // TCP connect, TLS negotiation, authentication and session set-up, all together (at least 1 s).
  std::chrono::seconds connect_timeout{2};
  // Sending one request and receiving its whole reply (at least 1 s). The session's
  // statement_timeout is a little shorter (see statement_timeout()).
  std::chrono::seconds read_timeout{5};

  // "user@host:port/database"; never the password.
  std::string describe() const;
};

// The statement_timeout a session with `read_timeout` gets: a tenth shorter (at least 100 ms, at
// most 1 s), so that a slow statement is stopped by the server (SQLSTATE 57014: kUnavailable, the
// connection stays usable) before we stop waiting for it, and does not run on holding its locks
// after we gave up. Only a server that stops answering altogether costs the connection.
// Example: statement_timeout(5s) == 4500ms
std::chrono::milliseconds statement_timeout(std::chrono::seconds read_timeout);

// A statement's text with each `?` placeholder numbered for PostgreSQL ($1, $2, ...), and how many
// there were. A `?` inside a '...' or E'...' string literal, a $$...$$ string, a "..." identifier,
// a -- comment or a /* */ comment is left alone; every other `?` is a placeholder (so PostgreSQL's
// jsonb `?` operators cannot be written, which no statement of ours needs).
// Example: number_placeholders("SELECT '?' FROM t WHERE a = ? AND b = ?")
//          == {"SELECT '?' FROM t WHERE a = $1 AND b = $2", 2}
struct NumberedSql {
  std::string sql;
  int placeholders = 0;
};
NumberedSql number_placeholders(std::string_view sql);

// What a failure with SQLSTATE `sqlstate` means for the store: 23505 a unique violation, 23503 a
// foreign-key violation, 40001/40P01/55P03 (serialization failure, deadlock, lock wait timeout) a
// lock conflict, class 08, 57P01-57P05 and 25P03 (the server ended the session: shut down,
// pg_terminate_backend, an idle timeout) a lost connection; kOther for the rest. (The connection
// also counts any FATAL error as a lost connection.)
sql::FailureKind postgres_failure_kind(std::string_view sqlstate);

// The service error for a failure with SQLSTATE `sqlstate` (may be empty when the client failed
// on its own), with "postgresql <what>: <message> (SQLSTATE xxxxx)" in `internal`. kUnavailable
// when the database cannot serve us now: lock conflicts and lost connections (see above), 57014
// (statement canceled, statement_timeout), class 53 (insufficient resources: disk full, too many
// connections), class 28 (login refused), 3D000 (no such database), 25006 (read-only server:
// a standby, or default_transaction_read_only); kInternal for everything else (bad SQL, a missing
// table, constraint violations).
Error postgres_failure(std::string_view sqlstate, std::string_view message, std::string_view what);

class PostgresStatement;

// A connection to a PostgreSQL server through libpq, connected on demand (sql::Connection says
// what each call does).
//
// Every wait has a deadline: connecting uses libpq's asynchronous calls under connect_timeout, and
// each request is sent and its reply read on a non-blocking socket under read_timeout, so a
// server that stops answering (or a listener that never answers) costs at most that long; the
// connection is then broken() and the next connect() opens a new one.
//
// Session set-up after every connect: client_encoding UTF8 (in the startup packet), then
// `SET TIME ZONE 'UTC'`, statement_timeout (see statement_timeout()), and `session_sql` (e.g. a
// lock_timeout).
// Statements are prepared on the server under names unique to the session ("gh1", "gh2", ...),
// with parameters sent as text of an unspecified type, so the server types each from its context
// (a `?` compared with a BIGINT column is a BIGINT; 1 and 0 are read as true and false by a
// BOOLEAN column). Results come back as text, whole (a reply is read completely before the first
// row is returned): int64() reads integers and booleans ('t' 1, 'f' 0), time() reads TIMESTAMP and
// TIMESTAMPTZ (in this UTC session, '2024-01-31 12:00:00.5+00') or integer unix seconds.
//
// PostgreSQL specifics a caller must know:
// - After a failed statement inside a transaction, the server refuses every further statement
//   until ROLLBACK (SQLSTATE 25P02), so an error inside begin_write() must end the transaction; and
//   a COMMIT of such a transaction rolls it back, which commit() reports as a failure.
// - Text cannot hold a NUL byte: a text parameter with one is refused (kInternal), never cut short.
//
// Threading: one thread at a time (its pool lends it to one caller).
class PostgresConnection final : public sql::Connection {
 public:
  // Not connected yet. `prefix` replaces {{prefix}} in every query; `session_sql` (may be empty,
  // may hold several statements) runs after every connect.
  PostgresConnection(PostgresEndpoint endpoint, std::string prefix, std::string session_sql = {});
  ~PostgresConnection() override;

  Status connect() override;
  Status reconnect() override;
  void close() noexcept override;

  Status begin_write() override;
  Status commit() override;
  void rollback() noexcept override;
  bool in_transaction() const override { return in_transaction_; }

  // An empty query: one round trip, no parsing.
  Status ping() override;
  // Sends `sql` as one simple-protocol query: the server runs its statements in order and stops at
  // the first failure (outside a transaction, all of them in one implicit transaction).
  Status execute_script(std::string_view sql, std::string_view what) override;

  bool broken() const override { return broken_; }
  bool commit_in_doubt() const override { return commit_in_doubt_; }

  const PostgresEndpoint& endpoint() const { return endpoint_; }

 protected:
  Result<std::unique_ptr<sql::Statement>> prepare(std::string_view name,
                                                  const std::string& sql) override;

 private:
  friend class PostgresStatement;
  struct ResultFree {
    void operator()(pg_result* result) const noexcept;
  };
  // A reply: the PGresult of a request (of a script: the first that failed, else the last).
  using OwnedResult = std::unique_ptr<pg_result, ResultFree>;
  using Deadline = std::chrono::steady_clock::time_point;

  Status open();
  Deadline reply_deadline() const;
  // Sends a request with `send` (a PQsend* call on the connection) and reads its whole reply by
  // `deadline`. A failure is returned as an Error and recorded (note_failure); a lost connection,
  // a FATAL error or a missed deadline also marks the connection broken. request_sent_ then says
  // whether the whole request left this process (so the server may have carried it out).
  template <class Send>
  Result<OwnedResult> round_trip(Send send, std::string_view what, Deadline deadline);
  // One simple-protocol query (several statements allowed), its rows discarded.
  Status run_simple(std::string_view sql, std::string_view what, Deadline deadline);
  // A client-side failure (no SQLSTATE): the connection is lost or timed out, so it is broken.
  Error lost(std::string_view message, std::string_view what);
  // A failed reply from the server.
  Error fail(const pg_result& result, std::string_view what);
  // kUnavailable before connect() or after the connection broke.
  Error not_connected(std::string_view what);
  bool usable() const { return conn_ != nullptr && !broken_; }

  const PostgresEndpoint endpoint_;
  const std::string session_sql_;
  pg_conn* conn_ = nullptr;
  std::uint64_t statements_made_ = 0;  // names "gh1", "gh2", ... on this connection
  bool broken_ = false;
  bool commit_in_doubt_ = false;
  bool in_transaction_ = false;
  bool request_sent_ = false;   // the last round_trip's request fully left this process
  bool session_ended_ = false;  // the server sent this idle session a FATAL error (libpq's notice
                                // receiver writes it, on the thread that reads the connection)
};

}  // namespace gatehouse::store
