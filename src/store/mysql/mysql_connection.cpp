#include "store/mysql/mysql_connection.hpp"

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cerrno>
#include <charconv>
#include <climits>
#include <mutex>
#include <utility>

#include "store/sql/naming.hpp"
#include "store/sql_timestamp.hpp"

namespace gatehouse::store {

using sql::kCommitSql;
using sql::kRollbackSql;
using sql::with_name;

namespace {

// MySQL 8.0.24+ sends ER_CLIENT_INTERACTION_TIMEOUT before it closes an idle session (MariaDB uses
// 4031 for a trigger DDL error that our statements never raise).
constexpr unsigned kMysqlClientInteractionTimeout = 4031;

constexpr std::string_view kStartTransactionSql = "START TRANSACTION";
// More parameters than any statement of ours has; execute() refuses beyond it.
constexpr std::size_t kMaxParams = 16;
// Initial buffer for a text column; a longer value grows it (see MysqlStatement::fetch).
constexpr unsigned long kMaxInitialTextBuffer = 1024;

// mysql_library_init is not thread-safe, and mysql_init calls it implicitly when nobody has: run
// it once, before the first mysql_init of any thread. It is never undone (mysql_library_end): the
// library lives as long as the process.
// Per-thread set-up: Connector/C 3.x keeps no per-thread state. Its mysql_thread_init() and
// mysql_thread_end() are no-ops (checked in libmariadb 3.3.20, Debian 12: `xor eax,eax; ret` and
// `ret`), so pool threads call neither. (Oracle's libmysqlclient would need them; we link
// libmariadb through pkg-config.)
bool library_ready() {
  static std::once_flag once;
  static bool ready = false;
  std::call_once(once, [] { ready = mysql_library_init(0, nullptr, nullptr) == 0; });
  return ready;
}

// Whether the server has closed the connection since we last used it (restart, KILL,
// wait_timeout), seen without a round trip: an idle connection has nothing to read, so end of
// stream or a socket error means it is gone. Pending bytes are left alone (with TLS they could be a
// session ticket): a connection that then fails is retried by the store.
bool server_closed(MYSQL* mysql) {
  const my_socket fd = mysql_get_socket(mysql);
  if (fd == MARIADB_INVALID_SOCKET) return true;
  char byte = 0;
  const ssize_t n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0) return true;
  if (n > 0) return false;
  return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
}

// A point in time from a MYSQL_TIME read on a UTC session; nullopt for the zero date and other
// values that are no date.
std::optional<SysTime> to_sys_time(const MYSQL_TIME& t) {
  using namespace std::chrono;
  const year_month_day ymd{year{static_cast<int>(t.year)}, month{t.month}, day{t.day}};
  if (t.neg || t.year == 0 || !ymd.ok() || t.hour > 23 || t.minute > 59 || t.second > 59) {
    return std::nullopt;
  }
  const auto whole = sys_days{ymd} + hours{t.hour} + minutes{t.minute} + seconds{t.second};
  return SysTime(
      duration_cast<SysTime::duration>(whole.time_since_epoch() + microseconds{t.second_part}));
}

std::string_view trim_right(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::string_view trim_left(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

// The statements of a script: split after each ';' that ends a line (the ';' dropped), keeping
// '--' comment lines inside the statement they precede, and dropping pieces that hold nothing but
// blank and comment lines. A ';' ending a line inside a string literal would split it too: the
// migrations do not write one.
std::vector<std::string> split_statements(std::string_view sql) {
  std::vector<std::string> out;
  std::string current;
  bool has_code = false;
  std::size_t pos = 0;
  while (pos < sql.size()) {
    std::size_t end = sql.find('\n', pos);
    if (end == std::string_view::npos) end = sql.size();
    std::string_view line = trim_right(sql.substr(pos, end - pos));
    pos = end + 1;
    const std::string_view content = trim_left(line);
    const bool comment = content.starts_with("--") || content.starts_with("#");
    const bool last = !comment && line.ends_with(';');
    if (last) line.remove_suffix(1);
    if (!content.empty() && !comment) has_code = true;
    if (!current.empty()) current += '\n';
    current += line;
    if (last) {
      if (has_code) out.push_back(std::move(current));
      current.clear();
      has_code = false;
    }
  }
  if (has_code) out.push_back(std::move(current));
  return out;
}

}  // namespace

// ---- errors ----

bool is_mysql_connection_error(unsigned error_number) {
  switch (error_number) {
    case CR_SOCKET_CREATE_ERROR:
    case CR_CONNECTION_ERROR:
    case CR_CONN_HOST_ERROR:
    case CR_IPSOCK_ERROR:
    case CR_UNKNOWN_HOST:
    case CR_SERVER_GONE_ERROR:
    case CR_SERVER_HANDSHAKE_ERR:
    case CR_SERVER_LOST:
    case CR_COMMANDS_OUT_OF_SYNC:  // the client's protocol state is lost
    case CR_SSL_CONNECTION_ERROR:
    case CR_MALFORMED_PACKET:
    case CR_SERVER_LOST_EXTENDED:
    case CR_STMT_CLOSED:  // a statement whose connection was closed
    case CR_ERR_NET_READ:
    case CR_ERR_NET_WRITE:
    case ER_SERVER_SHUTDOWN:
    case ER_ABORTING_CONNECTION:
    case ER_NET_PACKETS_OUT_OF_ORDER:
    case ER_NET_READ_ERROR:
    case ER_NET_READ_INTERRUPTED:
    case ER_NET_ERROR_ON_WRITE:
    case ER_NET_WRITE_INTERRUPTED:
    case ER_NEW_ABORTING_CONNECTION:
    case ER_CONNECTION_KILLED:
    case kMysqlClientInteractionTimeout:
      return true;
    default:
      return false;
  }
}

Error mysql_failure(unsigned error_number, std::string_view message, std::string_view what) {
  ErrorCode code = ErrorCode::kInternal;
  if (is_mysql_connection_error(error_number)) {
    code = ErrorCode::kUnavailable;
  } else {
    switch (error_number) {
      case CR_OUT_OF_MEMORY:
      case ER_DISK_FULL:
      case ER_OUTOFMEMORY:
      case ER_CON_COUNT_ERROR:
      case ER_OUT_OF_RESOURCES:
      case ER_DBACCESS_DENIED_ERROR:
      case ER_ACCESS_DENIED_ERROR:
      case ER_BAD_DB_ERROR:
      case ER_RECORD_FILE_FULL:
      case ER_HOST_IS_BLOCKED:
      case ER_HOST_NOT_PRIVILEGED:
      case ER_CANT_CREATE_THREAD:
      case ER_TOO_MANY_USER_CONNECTIONS:
      case ER_LOCK_WAIT_TIMEOUT:
      case ER_LOCK_TABLE_FULL:
      case ER_LOCK_DEADLOCK:
      case ER_OPTION_PREVENTS_STATEMENT:  // --read-only
      case ER_QUERY_INTERRUPTED:
      case ER_ACCESS_DENIED_NO_PASSWORD_ERROR:
      case ER_READ_ONLY_MODE:
      case ER_STATEMENT_TIMEOUT:
        code = ErrorCode::kUnavailable;
        break;
      default:
        break;
    }
  }
  std::string internal = "mysql ";
  internal += what;
  internal += ": ";
  internal += message.empty() ? std::string_view("unknown error") : message;
  internal += " (error " + std::to_string(error_number) + ")";
  return Error{code, std::move(internal)};
}

sql::FailureKind mysql_failure_kind(unsigned error_number) {
  if (is_mysql_connection_error(error_number)) return sql::FailureKind::kConnectionLost;
  switch (error_number) {
    case ER_DUP_ENTRY:
    case ER_DUP_ENTRY_WITH_KEY_NAME:
      return sql::FailureKind::kUniqueViolation;
    case ER_NO_REFERENCED_ROW:
    case ER_NO_REFERENCED_ROW_2:
      return sql::FailureKind::kForeignKeyViolation;
    case ER_LOCK_DEADLOCK:  // also Galera's certification failures and brute-force aborts
      return sql::FailureKind::kLockConflict;
    case ER_LOCK_WAIT_TIMEOUT:
      return sql::FailureKind::kLockTimeout;
    default:
      return sql::FailureKind::kOther;
  }
}

// ---- MysqlEndpoint ----

std::string MysqlEndpoint::describe() const {
  // Appended piece by piece: GCC 12 warns (-Wrestrict, a false positive) on `":" + to_string()`.
  std::string out = user;
  out += '@';
  out += host;
  if (unix_socket.empty()) {
    out += ':';
    out += std::to_string(port);
  }
  out += '/';
  out += database;
  if (!unix_socket.empty()) {
    out += " (socket ";
    out += unix_socket;
    out += ')';
  }
  return out;
}

// ---- MysqlStatement ----

namespace {

enum class ColumnKind { kInteger, kTime, kText };

// One result column's buffer. MYSQL_BINDs point into it, so it never moves once bound.
struct MysqlColumn {
  ColumnKind kind = ColumnKind::kText;
  std::int64_t integer = 0;
  MYSQL_TIME time{};
  std::vector<char> text;
  unsigned long length = 0;
  my_bool is_null = 0;
  my_bool error = 0;
};

ColumnKind kind_of(enum_field_types type) {
  switch (type) {
    case MYSQL_TYPE_TINY:
    case MYSQL_TYPE_SHORT:
    case MYSQL_TYPE_LONG:
    case MYSQL_TYPE_LONGLONG:
    case MYSQL_TYPE_INT24:
    case MYSQL_TYPE_YEAR:
      return ColumnKind::kInteger;
    case MYSQL_TYPE_TIMESTAMP:
    case MYSQL_TYPE_DATETIME:
    case MYSQL_TYPE_DATE:
    case MYSQL_TYPE_NEWDATE:
      return ColumnKind::kTime;
    default:
      return ColumnKind::kText;
  }
}

// A server-side prepared statement with its result buffers. execute() reads the whole result into
// client memory, so the connection is free for the next statement while rows are read; reset()
// frees that memory (no round trip).
class MysqlStatement final : public sql::Statement {
 public:
  MysqlStatement(MysqlConnection& connection, MYSQL_STMT* stmt, std::string name)
      : connection_(connection), stmt_(stmt), name_(std::move(name)) {}
  // After the connection was closed this only frees client memory (mysql_close detached it).
  ~MysqlStatement() override { mysql_stmt_close(stmt_); }
  MysqlStatement(const MysqlStatement&) = delete;
  MysqlStatement& operator=(const MysqlStatement&) = delete;

  // Sizes the result buffers from the statement's metadata (none for statements without rows).
  void describe_result() {
    MYSQL_RES* metadata = mysql_stmt_result_metadata(stmt_);
    if (metadata == nullptr) return;
    const unsigned count = mysql_num_fields(metadata);
    const MYSQL_FIELD* fields = mysql_fetch_fields(metadata);
    columns_.resize(count);
    result_binds_.resize(count);
    for (unsigned i = 0; i < count; ++i) {
      MysqlColumn& c = columns_[i];
      c.kind = kind_of(fields[i].type);
      if (c.kind == ColumnKind::kText) {
        c.text.resize(std::clamp<unsigned long>(fields[i].length, 16, kMaxInitialTextBuffer));
      }
      bind_column(i);
    }
    mysql_free_result(metadata);
  }

  Status execute(std::span<const sql::Param> params) override {
    reset();
    const unsigned long expected = mysql_stmt_param_count(stmt_);
    if (params.size() != expected || params.size() > kMaxParams) {
      return Error{ErrorCode::kInternal, "mysql " + name_ + ": " + std::to_string(params.size()) +
                                             " parameters for " + std::to_string(expected) +
                                             " placeholders"};
    }
    // Values are copied or referred to for the duration of this call only: mysql_stmt_execute
    // sends them, and the binding is replaced before the next execute.
    std::array<MYSQL_BIND, kMaxParams> binds{};
    std::array<unsigned long, kMaxParams> lengths{};
    std::array<std::int64_t, kMaxParams> integers{};
    for (std::size_t i = 0; i < params.size(); ++i) {
      const sql::Param& param = params[i];
      MYSQL_BIND& b = binds[i];
      switch (param.kind()) {
        case sql::Param::Kind::kNull:
          b.buffer_type = MYSQL_TYPE_NULL;
          break;
        case sql::Param::Kind::kInt64:
          integers[i] = param.int64();
          b.buffer_type = MYSQL_TYPE_LONGLONG;
          b.buffer = &integers[i];
          break;
        case sql::Param::Kind::kText: {
          const std::string_view text = param.text();
          lengths[i] = static_cast<unsigned long>(text.size());
          b.buffer_type = MYSQL_TYPE_STRING;
          // The library only reads it; a non-null pointer even for "" so that '' is not NULL.
          b.buffer = const_cast<char*>(text.data() != nullptr ? text.data() : "");
          b.buffer_length = lengths[i];
          b.length = &lengths[i];
          break;
        }
      }
    }
    if (expected > 0 && mysql_stmt_bind_param(stmt_, binds.data()) != 0) return fail("bind");
    if (mysql_stmt_execute(stmt_) != 0) return fail("execute");
    if (!columns_.empty()) {
      // Buffered: the rows arrive with this round trip, and the connection is free again.
      if (mysql_stmt_store_result(stmt_) != 0) return fail("read result of");
      has_result_ = true;
      if (mysql_stmt_bind_result(stmt_, result_binds_.data()) != 0) return fail("bind result of");
    }
    return ok_status();
  }

  Result<bool> next() override {
    if (!has_result_) return false;
    const int rc = mysql_stmt_fetch(stmt_);
    if (rc == MYSQL_NO_DATA) return false;
    if (rc == MYSQL_DATA_TRUNCATED) {
      // A text value longer than its buffer: grow the buffer and read the column again.
      for (std::size_t i = 0; i < columns_.size(); ++i) {
        MysqlColumn& c = columns_[i];
        if (!c.error) continue;
        if (c.kind != ColumnKind::kText) {
          return Error{ErrorCode::kInternal, "mysql fetch " + name_ + ": column " +
                                                 std::to_string(i) + " does not fit its type"};
        }
        c.text.resize(c.length);
        bind_column(i);
        if (mysql_stmt_fetch_column(stmt_, &result_binds_[i], static_cast<unsigned>(i), 0) != 0) {
          return fail("fetch column of");
        }
      }
      // The next rows go to the grown buffers.
      if (mysql_stmt_bind_result(stmt_, result_binds_.data()) != 0) return fail("bind result of");
      return true;
    }
    if (rc != 0) return fail("fetch");
    return true;
  }

  // Client memory only: mysql_stmt_free_result sends nothing to the server.
  void reset() noexcept override {
    if (has_result_) mysql_stmt_free_result(stmt_);
    has_result_ = false;
  }

  // Rows matched by an UPDATE (the connection sets CLIENT_FOUND_ROWS), inserted, or deleted.
  std::int64_t rows_affected() const override {
    return static_cast<std::int64_t>(mysql_stmt_affected_rows(stmt_));
  }
  std::int64_t new_id() const override {
    return static_cast<std::int64_t>(mysql_stmt_insert_id(stmt_));
  }

  bool is_null(int column) const override { return at(column).is_null != 0; }

  std::int64_t int64(int column) const override {
    const MysqlColumn& c = at(column);
    if (c.is_null) return 0;
    switch (c.kind) {
      case ColumnKind::kInteger:
        return c.integer;
      case ColumnKind::kText: {
        std::int64_t value = 0;
        const char* begin = c.text.data();
        const char* end = begin + std::min<std::size_t>(c.length, c.text.size());
        const auto [ptr, ec] = std::from_chars(begin, end, value);
        return ec == std::errc() && ptr == end ? value : 0;
      }
      case ColumnKind::kTime:
        break;
    }
    return 0;
  }

  std::string text(int column) const override {
    const MysqlColumn& c = at(column);
    if (c.is_null) return {};
    switch (c.kind) {
      case ColumnKind::kText:
        return std::string(c.text.data(), std::min<std::size_t>(c.length, c.text.size()));
      case ColumnKind::kInteger:
        return std::to_string(c.integer);
      case ColumnKind::kTime:
        if (const auto t = time(column)) return format_sql_timestamp(*t);
        return "0000-00-00 00:00:00";
    }
    return {};
  }

  // TIMESTAMP/DATETIME as the session's time zone (UTC on our connections), integers as unix
  // seconds, text as 'YYYY-MM-DD HH:MM:SS'; nullopt for the zero date '0000-00-00 00:00:00'.
  std::optional<SysTime> time(int column) const override {
    const MysqlColumn& c = at(column);
    if (c.is_null) return std::nullopt;
    switch (c.kind) {
      case ColumnKind::kTime:
        return to_sys_time(c.time);
      case ColumnKind::kInteger:
        return from_unix_seconds(c.integer);
      case ColumnKind::kText:
        return parse_sql_timestamp(text(column));
    }
    return std::nullopt;
  }

 private:
  const MysqlColumn& at(int column) const { return columns_.at(static_cast<std::size_t>(column)); }

  void bind_column(std::size_t i) {
    MysqlColumn& c = columns_[i];
    MYSQL_BIND& b = result_binds_[i];
    b = MYSQL_BIND{};
    b.is_null = &c.is_null;
    b.error = &c.error;
    b.length = &c.length;
    switch (c.kind) {
      case ColumnKind::kInteger:
        b.buffer_type = MYSQL_TYPE_LONGLONG;
        b.buffer = &c.integer;
        b.buffer_length = sizeof c.integer;
        break;
      case ColumnKind::kTime:
        b.buffer_type = MYSQL_TYPE_DATETIME;
        b.buffer = &c.time;
        b.buffer_length = sizeof c.time;
        break;
      case ColumnKind::kText:
        b.buffer_type = MYSQL_TYPE_STRING;
        b.buffer = c.text.data();
        b.buffer_length = static_cast<unsigned long>(c.text.size());
        break;
    }
  }

  Error fail(std::string_view step) {
    const unsigned number = mysql_stmt_errno(stmt_);
    return connection_.fail(number == 0 ? CR_UNKNOWN_ERROR : number, mysql_stmt_error(stmt_),
                            with_name(step, name_));
  }

  MysqlConnection& connection_;
  MYSQL_STMT* const stmt_;
  const std::string name_;
  std::vector<MysqlColumn> columns_;  // sized once at prepare time: result_binds_ point into it
  std::vector<MYSQL_BIND> result_binds_;
  bool has_result_ = false;  // a buffered result is held and must be freed
};

}  // namespace

// ---- MysqlConnection ----

MysqlConnection::MysqlConnection(MysqlEndpoint endpoint, std::string prefix,
                                 std::string session_sql)
    : sql::Connection(sql::Dialect::kMysql, std::move(prefix)),
      endpoint_(std::move(endpoint)),
      session_sql_(std::move(session_sql)) {}

MysqlConnection::~MysqlConnection() {
  close();
}

Error MysqlConnection::fail(unsigned error_number, std::string_view message,
                            std::string_view what) {
  last_errno_ = error_number;
  note_failure(mysql_failure_kind(error_number));
  if (is_mysql_connection_error(error_number)) broken_ = true;
  return mysql_failure(error_number, message, what);
}

Status MysqlConnection::connect() {
  if (mysql_ != nullptr && !broken_ && !server_closed(mysql_)) return ok_status();
  close();
  return open();
}

Status MysqlConnection::reconnect() {
  close();
  return open();
}

Status MysqlConnection::open() {
  assert(mysql_ == nullptr);
  broken_ = false;
  commit_in_doubt_ = false;
  in_transaction_ = false;
  last_errno_ = 0;
  const std::string what = "connect to " + endpoint_.describe();
  if (!library_ready()) return Error{ErrorCode::kInternal, "mysql: mysql_library_init failed"};
  MYSQL* mysql = mysql_init(nullptr);
  if (mysql == nullptr) return mysql_failure(CR_OUT_OF_MEMORY, "mysql_init failed", what);

  const auto seconds = [](std::chrono::seconds s) {
    return static_cast<unsigned>(std::clamp<std::chrono::seconds::rep>(s.count(), 1, UINT_MAX));
  };
  const unsigned connect_timeout = seconds(endpoint_.connect_timeout);
  const unsigned read_timeout = seconds(endpoint_.read_timeout);
  const unsigned write_timeout = seconds(endpoint_.write_timeout);
  const my_bool no_reconnect = 0;
  const unsigned no_local_infile = 0;
  mysql_options(mysql, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
  mysql_options(mysql, MYSQL_OPT_READ_TIMEOUT, &read_timeout);
  mysql_options(mysql, MYSQL_OPT_WRITE_TIMEOUT, &write_timeout);
  mysql_options(mysql, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  // Off is Connector/C 3.x's default; said explicitly because turning it on would be a bug (see the
  // class comment): we reconnect ourselves, between operations.
  mysql_options(mysql, MYSQL_OPT_RECONNECT, &no_reconnect);
  mysql_options(mysql, MYSQL_OPT_LOCAL_INFILE, &no_local_infile);
  if (!endpoint_.unix_socket.empty()) {
    const unsigned protocol = MYSQL_PROTOCOL_SOCKET;
    mysql_options(mysql, MYSQL_OPT_PROTOCOL, &protocol);
  }

  // CLIENT_FOUND_ROWS: an UPDATE reports the rows it matched, so rewriting a value with itself
  // still says the row exists.
  if (mysql_real_connect(mysql, endpoint_.host.c_str(), endpoint_.user.c_str(),
                         endpoint_.password.c_str(), endpoint_.database.c_str(), endpoint_.port,
                         endpoint_.unix_socket.empty() ? nullptr : endpoint_.unix_socket.c_str(),
                         CLIENT_FOUND_ROWS) == nullptr) {
    Error error = mysql_failure(mysql_errno(mysql), mysql_error(mysql), what);
    // Whatever the reason (refused, wrong password, unknown database), the database is not usable.
    error.code = ErrorCode::kUnavailable;
    last_errno_ = mysql_errno(mysql);
    mysql_close(mysql);
    return error;
  }
  mysql_ = mysql;
  if (!session_sql_.empty()) {
    if (auto st = query(session_sql_, "session setup"); !st) {
      close();
      return st;
    }
  }
  return ok_status();
}

void MysqlConnection::close() noexcept {
  if (mysql_ != nullptr) {
    // mysql_close first: it detaches the statements, so closing them below only frees client
    // memory instead of sending COM_STMT_CLOSE on a connection that may be dead (the server frees
    // a session's statements when it ends).
    mysql_close(mysql_);
    mysql_ = nullptr;
  }
  forget_statements();
  in_transaction_ = false;
}

Result<std::unique_ptr<sql::Statement>> MysqlConnection::prepare(std::string_view name,
                                                                 const std::string& sql) {
  if (mysql_ == nullptr || broken_) {
    return Error{ErrorCode::kUnavailable, with_name("mysql", name) + ": not connected"};
  }
  MYSQL_STMT* stmt = mysql_stmt_init(mysql_);
  if (stmt == nullptr) {
    return fail(mysql_errno(mysql_), mysql_error(mysql_), with_name("prepare", name));
  }
  auto prepared = std::make_unique<MysqlStatement>(*this, stmt, std::string(name));
  if (mysql_stmt_prepare(stmt, sql.data(), static_cast<unsigned long>(sql.size())) != 0) {
    return fail(mysql_stmt_errno(stmt), mysql_stmt_error(stmt), with_name("prepare", name));
  }
  prepared->describe_result();
  return std::unique_ptr<sql::Statement>(std::move(prepared));
}

Status MysqlConnection::query(std::string_view sql, std::string_view what) {
  if (mysql_real_query(mysql_, sql.data(), static_cast<unsigned long>(sql.size())) != 0) {
    return fail(mysql_errno(mysql_), mysql_error(mysql_), what);
  }
  if (mysql_field_count(mysql_) > 0) {
    MYSQL_RES* result = mysql_store_result(mysql_);
    if (result == nullptr) return fail(mysql_errno(mysql_), mysql_error(mysql_), what);
    mysql_free_result(result);
  }
  return ok_status();
}

Status MysqlConnection::execute(std::string_view sql, std::string_view what) {
  if (mysql_ == nullptr || broken_) {
    return Error{ErrorCode::kUnavailable, with_name("mysql", what) + ": not connected"};
  }
  return query(sql, what);
}

Result<std::optional<std::string>> MysqlConnection::show_value(std::string_view sql,
                                                               std::string_view what) {
  if (mysql_real_query(mysql_, sql.data(), static_cast<unsigned long>(sql.size())) != 0) {
    return fail(mysql_errno(mysql_), mysql_error(mysql_), what);
  }
  MYSQL_RES* result = mysql_store_result(mysql_);
  if (result == nullptr) return fail(mysql_errno(mysql_), mysql_error(mysql_), what);
  std::optional<std::string> value;
  // SHOW ... LIKE: one row (Variable_name, Value), or none where the server has no such name.
  if (MYSQL_ROW row = mysql_fetch_row(result); row != nullptr && mysql_num_fields(result) >= 2) {
    const unsigned long* lengths = mysql_fetch_lengths(result);
    if (row[1] != nullptr) value = std::string(row[1], lengths[1]);
  }
  mysql_free_result(result);
  return value;
}

Status MysqlConnection::ping() {
  if (mysql_ == nullptr || broken_)
    return Error{ErrorCode::kUnavailable, "mysql ping: not connected"};
  if (mysql_ping(mysql_) != 0) return fail(mysql_errno(mysql_), mysql_error(mysql_), "ping");
  // A Galera node that accepts connections may still refuse queries (error 1047) while it joins
  // the cluster or after it lost the majority: not ready until wsrep_ready is ON, so a load
  // balancer's readiness check takes its Gatehouse node out. SHOW ... LIKE answers no row on
  // MySQL and OFF on a MariaDB without Galera, which need no such check.
  auto wsrep_on = show_value("SHOW VARIABLES LIKE 'wsrep_on'", "ping wsrep_on");
  if (!wsrep_on) return std::move(wsrep_on).error();
  if (*wsrep_on != "ON") return ok_status();
  auto ready = show_value("SHOW STATUS LIKE 'wsrep_ready'", "ping wsrep_ready");
  if (!ready) return std::move(ready).error();
  if (*ready != "ON") {
    return Error{ErrorCode::kUnavailable,
                 "mysql ping: this Galera node is not ready (wsrep_ready " +
                     ready->value_or("missing") + ")"};
  }
  return ok_status();
}

Status MysqlConnection::begin_write() {
  assert(!in_transaction_);
  if (auto st = execute(kStartTransactionSql, kStartTransactionSql); !st) return st;
  in_transaction_ = true;
  return ok_status();
}

Status MysqlConnection::commit() {
  assert(in_transaction_);
  auto st = execute(kCommitSql, kCommitSql);
  if (st) {
    in_transaction_ = false;
  } else if (broken_) {
    // The COMMIT may have reached the server and been carried out before the connection died.
    commit_in_doubt_ = true;
  }
  return st;
}

void MysqlConnection::rollback() noexcept {
  if (!in_transaction_) return;
  in_transaction_ = false;
  // A lost connection took the transaction with it: the server rolls back when a session ends.
  if (mysql_ == nullptr || broken_) return;
  // Not through fail(): last_errno() keeps the error that made the caller give up.
  if (mysql_real_query(mysql_, kRollbackSql.data(), kRollbackSql.size()) != 0) broken_ = true;
}

Status MysqlConnection::execute_script(std::string_view sql, std::string_view what) {
  const std::vector<std::string> statements = split_statements(sql);
  for (std::size_t i = 0; i < statements.size(); ++i) {
    const std::string step = std::string(what) + ", statement " + std::to_string(i + 1) + " of " +
                             std::to_string(statements.size());
    if (auto st = execute(statements[i], step); !st) {
      Error error = std::move(st).error();
      if (i > 0) {
        error.internal += "; its first " + std::to_string(i) +
                          " statement(s) stay applied (MySQL commits DDL at once)";
      }
      return error;
    }
  }
  return ok_status();
}

}  // namespace gatehouse::store
