#include "store/postgres/postgres_connection.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstring>
#include <span>
#include <utility>
#include <vector>

#include "store/sql/naming.hpp"
#include "store/sql_timestamp.hpp"

namespace gatehouse::store {

using sql::kCommitSql;
using sql::kRollbackSql;
using sql::with_name;

namespace {

using std::chrono::steady_clock;

// The type OID of `boolean` (fixed since the first release; catalog/pg_type_d.h is a server
// header, not part of libpq-dev).
constexpr Oid kBoolOid = 16;

// Unix seconds that SysTime can hold (its nanoseconds overflow after the year 2262).
constexpr std::int64_t kMaxUnixSeconds = 9'000'000'000;

constexpr std::string_view kBeginSql = "BEGIN";
// How many pending messages connect() reads from an idle connection before it gives up looking for
// the end of the stream (an idle session receives at most a few: a FATAL error before it closes).
constexpr int kMaxIdleReads = 8;

// Waits until `fd` is ready for `events` or `deadline` passes. Returns the poll revents (> 0), 0 on
// timeout, -1 on error (errno set).
int wait_for(int fd, short events, steady_clock::time_point deadline) {
  if (fd < 0) {
    errno = EBADF;
    return -1;
  }
  while (true) {
    const auto left = deadline - steady_clock::now();
    if (left <= steady_clock::duration::zero()) return 0;
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, static_cast<int>(std::min<decltype(ms)>(ms, INT_MAX)));
    if (n > 0) return p.revents;
    if (n < 0 && errno != EINTR) return -1;
    // n == 0 or EINTR: the loop checks the deadline again.
  }
}

// libpq's messages end with a newline and continue on tab-indented lines ("server closed the
// connection unexpectedly\n\tThis probably means..."): made one line for the log.
std::string one_line(std::string_view message) {
  std::string out;
  bool space = false;
  for (const char c : message) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out.empty() ? "unknown error" : out;
}

std::string seconds_text(std::chrono::seconds s) {
  return std::to_string(s.count()) + " s";
}

// Receives notices (a migration's "table does not exist, skipping") and errors the server sends
// to an idle session, which libpq hands over as notices. They are not failures of a call, so
// nothing is printed (libpq's default prints them to stderr); but a FATAL one says the server has
// ended the session, which sets the bool at `session_ended`.
void receive_notice(void* session_ended, const PGresult* notice) {
  const char* severity = PQresultErrorField(notice, PG_DIAG_SEVERITY_NONLOCALIZED);
  if (severity != nullptr &&
      (std::string_view(severity) == "FATAL" || std::string_view(severity) == "PANIC")) {
    *static_cast<bool*>(session_ended) = true;
  }
}

// Reads a whole decimal integer; a fraction of zeros (NUMERIC's "42.000") is accepted.
std::optional<std::int64_t> parse_integer(std::string_view text) {
  std::int64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr == text.data()) return std::nullopt;
  if (ptr != end) {
    if (*ptr != '.' || std::any_of(ptr + 1, end, [](char c) { return c != '0'; })) {
      return std::nullopt;
    }
  }
  return value;
}

bool is_error(ExecStatusType status) {
  return status == PGRES_FATAL_ERROR || status == PGRES_BAD_RESPONSE ||
         status == PGRES_NONFATAL_ERROR;
}

bool is_copy(ExecStatusType status) {
  return status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH;
}

// Whether the server has closed the idle connection since we last used it (restart,
// pg_terminate_backend, idle_session_timeout), seen without a round trip: an idle session has
// nothing to read but for a last FATAL error before the end of the stream. Pending messages are
// read and handled (as notices, see receive_notice, which sets `session_ended`) until the socket is
// quiet; that error, the end of the stream or a socket error means the session is gone.
bool server_closed(PGconn* conn, const bool& session_ended) {
  for (int i = 0; i < kMaxIdleReads && !session_ended; ++i) {
    if (PQstatus(conn) != CONNECTION_OK) return true;
    pollfd p{PQsocket(conn), POLLIN, 0};
    const int n = ::poll(&p, 1, 0);
    if (n == 0) return false;  // quiet: alive as far as can be told without a round trip
    if (n < 0) return errno != EINTR;
    if (PQconsumeInput(conn) == 0) return true;
    (void)PQisBusy(conn);  // parses what was read: an idle session's messages become notices
  }
  return session_ended || PQstatus(conn) != CONNECTION_OK;
}

ErrorCode code_for(std::string_view sqlstate) {
  switch (postgres_failure_kind(sqlstate)) {
    case sql::FailureKind::kLockConflict:
    case sql::FailureKind::kLockTimeout:
    case sql::FailureKind::kConnectionLost:
      return ErrorCode::kUnavailable;
    default:
      break;
  }
  if (sqlstate == "57014" || sqlstate == "3D000" || sqlstate == "25006") {
    return ErrorCode::kUnavailable;
  }
  if (sqlstate.size() == 5 &&
      (sqlstate.starts_with("53") || sqlstate.starts_with("28") || sqlstate.starts_with("58"))) {
    return ErrorCode::kUnavailable;
  }
  return ErrorCode::kInternal;
}

Error make_error(ErrorCode code, std::string_view sqlstate, std::string_view message,
                 std::string_view what) {
  std::string internal = "postgresql ";
  internal += what;
  internal += ": ";
  internal += one_line(message);
  if (!sqlstate.empty()) {
    internal += " (SQLSTATE ";
    internal += sqlstate;
    internal += ')';
  }
  return Error{code, std::move(internal)};
}

std::string_view field(const PGresult& result, int code) {
  const char* value = PQresultErrorField(&result, code);
  return value == nullptr ? std::string_view() : std::string_view(value);
}

}  // namespace

std::chrono::milliseconds statement_timeout(std::chrono::seconds read_timeout) {
  const std::chrono::milliseconds wait = std::max(read_timeout, std::chrono::seconds(1));
  const auto margin = std::clamp<std::chrono::milliseconds>(
      wait / 10, std::chrono::milliseconds(100), std::chrono::seconds(1));
  return wait - margin;
}

// ---- errors ----

sql::FailureKind postgres_failure_kind(std::string_view sqlstate) {
  if (sqlstate == "23505") return sql::FailureKind::kUniqueViolation;
  if (sqlstate == "23503") return sql::FailureKind::kForeignKeyViolation;
  if (sqlstate == "55P03") return sql::FailureKind::kLockTimeout;  // lock_not_available
  if (sqlstate == "40001" || sqlstate == "40P01") {
    return sql::FailureKind::kLockConflict;
  }
  // Class 08: connection exceptions. 57P01 admin_shutdown (also pg_terminate_backend), 57P02
  // crash_shutdown, 57P03 cannot_connect_now, 57P04 database_dropped, 57P05 idle_session_timeout,
  // 25P03 idle_in_transaction_session_timeout: the server has ended the session.
  if ((sqlstate.size() == 5 && sqlstate.starts_with("08")) || sqlstate == "57P01" ||
      sqlstate == "57P02" || sqlstate == "57P03" || sqlstate == "57P04" || sqlstate == "57P05" ||
      sqlstate == "25P03") {
    return sql::FailureKind::kConnectionLost;
  }
  return sql::FailureKind::kOther;
}

Error postgres_failure(std::string_view sqlstate, std::string_view message, std::string_view what) {
  return make_error(code_for(sqlstate), sqlstate, message, what);
}

// ---- PostgresEndpoint ----

std::string PostgresEndpoint::describe() const {
  return user + "@" + host + ":" + std::to_string(port) + "/" + database;
}

// ---- placeholders ----

NumberedSql number_placeholders(std::string_view sql) {
  NumberedSql out;
  out.sql.reserve(sql.size() + 8);
  const auto identifier_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '$' || static_cast<unsigned char>(c) >= 0x80;
  };
  std::size_t i = 0;
  const std::size_t n = sql.size();
  // Copies sql[i, end) as it is and moves i there.
  const auto copy_to = [&](std::size_t end) {
    end = std::min(end, n);
    out.sql.append(sql.substr(i, end - i));
    i = end;
  };
  while (i < n) {
    const char c = sql[i];
    if (c == '?') {
      out.sql += '$';
      out.sql += std::to_string(++out.placeholders);
      ++i;
    } else if (c == '\'') {
      // A string literal; '' inside is a quote. E'...' (escape syntax) also has \' and \\.
      const bool escapes = i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e') &&
                           (i == 1 || !identifier_char(sql[i - 2]));
      std::size_t j = i + 1;
      while (j < n && sql[j] != '\'') j += (escapes && sql[j] == '\\') ? 2 : 1;
      copy_to(j + 1);
    } else if (c == '"') {
      // A quoted identifier; "" inside is a quote, read as two identifiers back to back.
      const std::size_t close = sql.find('"', i + 1);
      copy_to(close == std::string_view::npos ? n : close + 1);
    } else if (c == '-' && i + 1 < n && sql[i + 1] == '-') {
      copy_to(sql.find('\n', i));
    } else if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
      // Block comments nest in PostgreSQL.
      std::size_t j = i + 2;
      for (int depth = 1; j < n && depth > 0;) {
        if (sql.compare(j, 2, "/*") == 0) {
          ++depth;
          j += 2;
        } else if (sql.compare(j, 2, "*/") == 0) {
          --depth;
          j += 2;
        } else {
          ++j;
        }
      }
      copy_to(j);
    } else if (c == '$' && (i == 0 || !identifier_char(sql[i - 1]))) {
      // A dollar-quoted string $tag$...$tag$ (a $ followed by digits is a numbered parameter).
      std::size_t j = i + 1;
      while (j < n && identifier_char(sql[j]) && sql[j] != '$') ++j;
      const bool tag =
          j < n && sql[j] == '$' && !(j > i + 1 && sql[i + 1] >= '0' && sql[i + 1] <= '9');
      if (tag) {
        const std::string_view delimiter = sql.substr(i, j + 1 - i);
        const std::size_t close = sql.find(delimiter, j + 1);
        copy_to(close == std::string_view::npos ? n : close + delimiter.size());
      } else {
        copy_to(i + 1);
      }
    } else {
      copy_to(i + 1);
    }
  }
  return out;
}

// ---- PostgresStatement ----

// A statement prepared on the server, and the whole reply of its last execution (text format).
class PostgresStatement final : public sql::Statement {
 public:
  PostgresStatement(PostgresConnection& connection, std::string name, std::string server_name,
                    int placeholders)
      : connection_(connection),
        name_(std::move(name)),
        server_name_(std::move(server_name)),
        placeholders_(placeholders) {}

  Status execute(std::span<const sql::Param> params) override;
  Result<bool> next() override;
  void reset() noexcept override {
    result_.reset();
    row_ = -1;
  }

  bool is_null(int column) const override { return value(row_, column) == nullptr; }
  std::int64_t int64(int column) const override { return integer(row_, column); }
  std::string text(int column) const override;
  std::optional<SysTime> time(int column) const override;
  std::int64_t rows_affected() const override;
  std::int64_t new_id() const override { return integer(0, column_of_id); }

 private:
  static constexpr int column_of_id = 0;

  // The text of a value; null for NULL and outside the result.
  const char* value(int row, int column) const;
  std::int64_t integer(int row, int column) const;

  PostgresConnection& connection_;
  const std::string name_;         // the Query's name, for messages
  const std::string server_name_;  // the prepared statement's name in the session
  const int placeholders_;
  PostgresConnection::OwnedResult result_;
  int row_ = -1;  // the row next() moved to
};

Status PostgresStatement::execute(std::span<const sql::Param> params) {
  reset();
  const std::string what = with_name("execute", name_);
  if (params.size() != static_cast<std::size_t>(placeholders_)) {
    connection_.note_failure(sql::FailureKind::kOther);
    return Error{ErrorCode::kInternal, "postgresql " + what + ": " + std::to_string(params.size()) +
                                           " parameters for " + std::to_string(placeholders_) +
                                           " placeholders"};
  }
  // Every value is sent as NUL-terminated text (libpq ignores lengths of text parameters), so
  // text is copied, and text holding a NUL is refused rather than sent cut short.
  std::vector<std::string> texts(params.size());
  std::vector<const char*> values(params.size(), nullptr);
  for (std::size_t i = 0; i < params.size(); ++i) {
    const sql::Param& param = params[i];
    switch (param.kind()) {
      case sql::Param::Kind::kNull:
        break;
      case sql::Param::Kind::kInt64:
        texts[i] = std::to_string(param.int64());
        values[i] = texts[i].c_str();
        break;
      case sql::Param::Kind::kText:
        if (param.text().find('\0') != std::string_view::npos) {
          connection_.note_failure(sql::FailureKind::kOther);
          return Error{ErrorCode::kInternal, "postgresql " + what + ": parameter " +
                                                 std::to_string(i + 1) +
                                                 " holds a NUL byte, which PostgreSQL text cannot"};
        }
        texts[i] = std::string(param.text());
        values[i] = texts[i].c_str();
        break;
    }
  }
  auto reply = connection_.round_trip(
      [&](PGconn* conn) {
        return PQsendQueryPrepared(conn, server_name_.c_str(), static_cast<int>(values.size()),
                                   values.data(), nullptr, nullptr, 0);
      },
      what, connection_.reply_deadline());
  if (!reply) return std::move(reply).error();
  result_ = std::move(*reply);
  return ok_status();
}

Result<bool> PostgresStatement::next() {
  if (!result_) return false;
  const int rows = PQntuples(result_.get());
  if (row_ < rows) ++row_;
  return row_ < rows;
}

const char* PostgresStatement::value(int row, int column) const {
  if (!result_ || row < 0 || row >= PQntuples(result_.get()) || column < 0 ||
      column >= PQnfields(result_.get()) || PQgetisnull(result_.get(), row, column)) {
    return nullptr;
  }
  return PQgetvalue(result_.get(), row, column);
}

std::int64_t PostgresStatement::integer(int row, int column) const {
  const char* v = value(row, column);
  if (v == nullptr) return 0;
  if (PQftype(result_.get(), column) == kBoolOid) return v[0] == 't' ? 1 : 0;
  return parse_integer(v).value_or(0);
}

std::string PostgresStatement::text(int column) const {
  const char* v = value(row_, column);
  if (v == nullptr) return {};
  // Booleans as the other databases give them (their BOOLEAN is an integer).
  if (PQftype(result_.get(), column) == kBoolOid) return v[0] == 't' ? "1" : "0";
  return std::string(v, static_cast<std::size_t>(PQgetlength(result_.get(), row_, column)));
}

std::optional<SysTime> PostgresStatement::time(int column) const {
  const char* v = value(row_, column);
  if (v == nullptr) return std::nullopt;
  const std::string_view text(v);
  // Unix seconds (BIGINT columns), else TIMESTAMP '2024-01-31 12:00:00[.ffffff]' or TIMESTAMPTZ
  // with the session's offset ('+00'); 'infinity' and BC dates are no point in time we use.
  if (!text.empty() && (std::isdigit(static_cast<unsigned char>(text[0])) || text[0] == '-') &&
      std::all_of(text.begin() + 1, text.end(),
                  [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; })) {
    const auto seconds = parse_integer(text);
    // SysTime counts nanoseconds in 64 bits: about 292 years either side of 1970.
    if (!seconds || *seconds < -kMaxUnixSeconds || *seconds > kMaxUnixSeconds) return std::nullopt;
    return from_unix_seconds(*seconds);
  }
  return parse_sql_timestamp(text);
}

std::int64_t PostgresStatement::rows_affected() const {
  if (!result_) return 0;
  // "" for statements that report no count.
  return parse_integer(PQcmdTuples(result_.get())).value_or(0);
}

// ---- PostgresConnection ----

void PostgresConnection::ResultFree::operator()(pg_result* result) const noexcept {
  PQclear(result);
}

PostgresConnection::PostgresConnection(PostgresEndpoint endpoint, std::string prefix,
                                       std::string session_sql)
    : sql::Connection(sql::Dialect::kPostgres, std::move(prefix)),
      endpoint_(std::move(endpoint)),
      session_sql_(std::move(session_sql)) {}

PostgresConnection::~PostgresConnection() {
  close();
}

PostgresConnection::Deadline PostgresConnection::reply_deadline() const {
  return steady_clock::now() + std::max(endpoint_.read_timeout, std::chrono::seconds(1));
}

Error PostgresConnection::not_connected(std::string_view what) {
  note_failure(sql::FailureKind::kConnectionLost);
  return Error{ErrorCode::kUnavailable, "postgresql " + std::string(what) + ": not connected"};
}

Error PostgresConnection::lost(std::string_view message, std::string_view what) {
  broken_ = true;
  note_failure(sql::FailureKind::kConnectionLost);
  return make_error(ErrorCode::kUnavailable, {}, message, what);
}

Error PostgresConnection::fail(const pg_result& result, std::string_view what) {
  const std::string_view sqlstate = field(result, PG_DIAG_SQLSTATE);
  std::string_view message = field(result, PG_DIAG_MESSAGE_PRIMARY);
  if (message.empty()) message = PQresultErrorMessage(&result);
  sql::FailureKind kind = postgres_failure_kind(sqlstate);
  ErrorCode code = code_for(sqlstate);
  // A FATAL error ends the session whatever its SQLSTATE (e.g. an idle-in-transaction timeout of a
  // newer server), and so does a connection libpq has found closed.
  const std::string_view severity = field(result, PG_DIAG_SEVERITY_NONLOCALIZED);
  if (severity == "FATAL" || severity == "PANIC" || PQstatus(conn_) != CONNECTION_OK) {
    kind = sql::FailureKind::kConnectionLost;
  }
  if (kind == sql::FailureKind::kConnectionLost) {
    broken_ = true;
    code = ErrorCode::kUnavailable;
  }
  note_failure(kind);
  return make_error(code, sqlstate, message, what);
}

template <class Send>
Result<PostgresConnection::OwnedResult> PostgresConnection::round_trip(Send send,
                                                                       std::string_view what,
                                                                       Deadline deadline) {
  request_sent_ = false;
  if (!usable()) return not_connected(what);
  const auto timed_out = [&] {
    return lost("no reply within " +
                    seconds_text(std::max(endpoint_.read_timeout, std::chrono::seconds(1))) +
                    "; the connection is dropped",
                what);
  };
  // Every send failure is a connection failure: libpq refuses to queue a request only when the
  // connection is bad or its protocol state is lost.
  if (send(conn_) == 0) return lost(PQerrorMessage(conn_), what);
  // The non-blocking socket may not take the whole request at once.
  while (true) {
    const int flushed = PQflush(conn_);
    if (flushed == 0) break;
    if (flushed < 0) return lost(PQerrorMessage(conn_), what);
    const int ready = wait_for(PQsocket(conn_), POLLIN | POLLOUT, deadline);
    if (ready == 0) return timed_out();
    if (ready < 0) return lost(std::strerror(errno), what);
    // libpq's advice: read while waiting to write, so that a server blocked on writing to us
    // cannot deadlock us both.
    if ((ready & POLLIN) != 0 && PQconsumeInput(conn_) == 0) {
      return lost(PQerrorMessage(conn_), what);
    }
  }
  request_sent_ = true;

  // A request has one result per statement; a failure stops the server there. Keep the first
  // failure, else the last result.
  OwnedResult kept;
  bool kept_failure = false;
  while (true) {
    while (PQisBusy(conn_) != 0) {
      const int ready = wait_for(PQsocket(conn_), POLLIN, deadline);
      if (ready == 0) return timed_out();
      if (ready < 0 || PQconsumeInput(conn_) == 0) {
        // The server's last word (e.g. 57P01 "terminating connection due to administrator
        // command") says more than "server closed the connection unexpectedly".
        if (kept_failure) {
          Error error = fail(*kept, what);
          broken_ = true;
          note_failure(sql::FailureKind::kConnectionLost);
          error.code = ErrorCode::kUnavailable;
          return error;
        }
        return lost(ready < 0 ? std::strerror(errno) : PQerrorMessage(conn_), what);
      }
    }
    PGresult* raw = PQgetResult(conn_);
    if (raw == nullptr) break;
    OwnedResult result(raw);
    const ExecStatusType status = PQresultStatus(raw);
    if (is_copy(status)) {
      // No statement of ours copies; the protocol state cannot be recovered without ending it.
      broken_ = true;
      note_failure(sql::FailureKind::kOther);
      return Error{ErrorCode::kInternal,
                   "postgresql " + std::string(what) + ": COPY is not supported"};
    }
    if (!kept_failure) {
      kept_failure = is_error(status);
      kept = std::move(result);
    }
  }
  if (kept_failure) return fail(*kept, what);
  if (!kept) return lost(PQerrorMessage(conn_), what);
  return kept;
}

Status PostgresConnection::run_simple(std::string_view sql, std::string_view what,
                                      Deadline deadline) {
  if (sql.find('\0') != std::string_view::npos) {
    note_failure(sql::FailureKind::kOther);
    return Error{ErrorCode::kInternal,
                 "postgresql " + std::string(what) + ": SQL holds a NUL byte"};
  }
  const std::string text(sql);  // NUL-terminated for libpq
  auto reply =
      round_trip([&](PGconn* conn) { return PQsendQuery(conn, text.c_str()); }, what, deadline);
  if (!reply) return std::move(reply).error();
  return ok_status();
}

Status PostgresConnection::connect() {
  if (conn_ != nullptr && !broken_ && !server_closed(conn_, session_ended_)) return ok_status();
  close();
  return open();
}

Status PostgresConnection::reconnect() {
  close();
  return open();
}

Status PostgresConnection::open() {
  broken_ = false;
  commit_in_doubt_ = false;
  in_transaction_ = false;
  const std::string what = "connect to " + endpoint_.describe();
  const Deadline deadline =
      steady_clock::now() + std::max(endpoint_.connect_timeout, std::chrono::seconds(1));
  const auto refused = [&](std::string_view message) {
    note_failure(sql::FailureKind::kConnectionLost);
    // Whatever the reason (refused, wrong password, unknown database, too many connections), the
    // database cannot be used now. libpq does not give the SQLSTATE of a refused login.
    return make_error(ErrorCode::kUnavailable, {}, message, what);
  };

  const std::string port = std::to_string(endpoint_.port);
  // Empty values are left to libpq's defaults (environment variables, then built-in ones).
  const char* const keys[] = {
      "host", "port", "dbname", "user", "password", "client_encoding", "application_name", nullptr};
  const char* const values[] = {endpoint_.host.c_str(),
                                port.c_str(),
                                endpoint_.database.c_str(),
                                endpoint_.user.c_str(),
                                endpoint_.password.c_str(),
                                "UTF8",
                                "gatehouse",
                                nullptr};
  // Non-blocking from the start: the name lookup is the only step that may block (a host name;
  // addresses are not looked up), every other step is bounded by `deadline` below.
  PGconn* conn = PQconnectStartParams(keys, values, 0);
  if (conn == nullptr) return refused("out of memory");
  session_ended_ = false;
  PQsetNoticeReceiver(conn, receive_notice, &session_ended_);
  const auto give_up = [&](std::string_view message) {
    Error error = refused(message);
    PQfinish(conn);
    return error;
  };
  if (PQstatus(conn) == CONNECTION_BAD) return give_up(PQerrorMessage(conn));
  // libpq's loop: poll for what PQconnectPoll asked for, starting as if it asked for writing.
  PostgresPollingStatusType polled = PGRES_POLLING_WRITING;
  while (polled != PGRES_POLLING_OK) {
    if (polled == PGRES_POLLING_FAILED) return give_up(PQerrorMessage(conn));
    const short events = polled == PGRES_POLLING_READING ? POLLIN : POLLOUT;
    const int ready = wait_for(PQsocket(conn), events, deadline);
    if (ready == 0) {
      return give_up("no answer within " +
                     seconds_text(std::max(endpoint_.connect_timeout, std::chrono::seconds(1))));
    }
    if (ready < 0) return give_up(std::strerror(errno));
    polled = PQconnectPoll(conn);
  }
  if (PQsetnonblocking(conn, 1) != 0) return give_up(PQerrorMessage(conn));
  conn_ = conn;

  // One round trip for the whole set-up.
  std::string setup = "SET TIME ZONE 'UTC';\nSET statement_timeout = " +
                      std::to_string(statement_timeout(endpoint_.read_timeout).count()) + ";\n";
  if (!session_sql_.empty()) setup += session_sql_;
  if (auto st = run_simple(setup, "session setup", deadline); !st) {
    close();
    return st;
  }
  return ok_status();
}

void PostgresConnection::close() noexcept {
  if (conn_ != nullptr) {
    // Sends Terminate without waiting (the socket is non-blocking) and frees the connection.
    PQfinish(conn_);
    conn_ = nullptr;
  }
  // The session's prepared statements ended with it.
  forget_statements();
  in_transaction_ = false;
}

Result<std::unique_ptr<sql::Statement>> PostgresConnection::prepare(std::string_view name,
                                                                    const std::string& sql) {
  const std::string what = with_name("prepare", name);
  if (!usable()) return not_connected(what);
  if (sql.find('\0') != std::string::npos) {
    note_failure(sql::FailureKind::kOther);
    return Error{ErrorCode::kInternal, "postgresql " + what + ": SQL holds a NUL byte"};
  }
  const NumberedSql numbered = number_placeholders(sql);
  std::string server_name = "gh" + std::to_string(++statements_made_);
  // No parameter types: the server infers each from where it stands in the statement.
  auto reply = round_trip(
      [&](PGconn* conn) {
        return PQsendPrepare(conn, server_name.c_str(), numbered.sql.c_str(), 0, nullptr);
      },
      what, reply_deadline());
  if (!reply) return std::move(reply).error();
  return std::unique_ptr<sql::Statement>(std::make_unique<PostgresStatement>(
      *this, std::string(name), std::move(server_name), numbered.placeholders));
}

Status PostgresConnection::begin_write() {
  if (in_transaction_) {
    note_failure(sql::FailureKind::kOther);
    return Error{ErrorCode::kInternal, "postgresql BEGIN: a transaction is already open"};
  }
  commit_in_doubt_ = false;
  if (auto st = run_simple(kBeginSql, kBeginSql, reply_deadline()); !st) return st;
  in_transaction_ = true;
  return ok_status();
}

Status PostgresConnection::commit() {
  if (!in_transaction_) {
    note_failure(sql::FailureKind::kOther);
    return Error{ErrorCode::kInternal, "postgresql COMMIT: no transaction is open"};
  }
  const std::string text(kCommitSql);
  auto reply = round_trip([&](PGconn* conn) { return PQsendQuery(conn, text.c_str()); }, kCommitSql,
                          reply_deadline());
  // Whatever the answer, the transaction is over: committed, rolled back by the server, or gone
  // with the connection.
  in_transaction_ = false;
  if (!reply) {
    // The COMMIT reached the server whole and then the connection died: it may have been carried
    // out. (A request that never left whole cannot have been.)
    if (broken_ && request_sent_) commit_in_doubt_ = true;
    return std::move(reply).error();
  }
  // The server answers a COMMIT of a transaction that had failed with a ROLLBACK.
  if (std::string_view(PQcmdStatus(reply->get())) != kCommitSql) {
    note_failure(sql::FailureKind::kOther);
    return Error{ErrorCode::kInternal,
                 "postgresql COMMIT: the transaction had failed earlier and was rolled back"};
  }
  return ok_status();
}

void PostgresConnection::rollback() noexcept {
  if (!in_transaction_) return;
  in_transaction_ = false;
  // A lost connection took the transaction with it: the server rolls back when a session ends.
  if (!usable()) return;
  // Not through fail(): last_failure() keeps the failure that made the caller give up.
  const std::string text(kRollbackSql);
  const Deadline deadline = reply_deadline();
  const sql::FailureKind before = last_failure();
  auto reply = round_trip([&](PGconn* conn) { return PQsendQuery(conn, text.c_str()); },
                          kRollbackSql, deadline);
  note_failure(before);
  if (!reply) broken_ = true;
}

Status PostgresConnection::ping() {
  return run_simple("", "ping", reply_deadline());
}

Status PostgresConnection::execute_script(std::string_view sql, std::string_view what) {
  return run_simple(sql, what, reply_deadline());
}

}  // namespace gatehouse::store
