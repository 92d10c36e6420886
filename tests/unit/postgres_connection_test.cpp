#include "store/postgres/postgres_connection.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "postgres_test_support.hpp"
#include "store/migrations.hpp"  // apply_prefix
#include "store/sql/connection.hpp"
#include "store/sql/pooled_database.hpp"
#include "store/sql/query.hpp"
#include "store_backends.hpp"

namespace gatehouse::store {
namespace {

using sql::FailureKind;
using sql::Query;
using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::postgres_test_server;
using testing::PostgresTestDatabase;
using testing::RawPostgres;
using testing::SilenceableRelay;

// ---- without a server ----

TEST(PostgresPlaceholders, NumbersEachQuestionMarkInOrder) {
  const NumberedSql n = number_placeholders("SELECT a FROM t WHERE b = ? AND c IN (?, ?)");
  EXPECT_EQ(n.sql, "SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)");
  EXPECT_EQ(n.placeholders, 3);
  EXPECT_EQ(number_placeholders("SELECT 1").placeholders, 0);
  EXPECT_EQ(number_placeholders("?").sql, "$1");
  EXPECT_EQ(number_placeholders("").sql, "");
}

TEST(PostgresPlaceholders, LeavesLiteralsIdentifiersAndCommentsAlone) {
  const struct {
    const char* in;
    const char* out;
    int count;
  } cases[] = {
      {"SELECT '?', ?", "SELECT '?', $1", 1},
      {"SELECT 'it''s ?', ?", "SELECT 'it''s ?', $1", 1},
      {"SELECT E'\\' ?', ?", "SELECT E'\\' ?', $1", 1},
      {"SELECT \"odd?name\", ? FROM \"a\"\"?\"", "SELECT \"odd?name\", $1 FROM \"a\"\"?\"", 1},
      {"SELECT ? -- why?\n, ?", "SELECT $1 -- why?\n, $2", 2},
      {"SELECT /* a? /* nested? */ b? */ ?", "SELECT /* a? /* nested? */ b? */ $1", 1},
      {"SELECT $$it's ?$$, $tag$?$tag$, ?", "SELECT $$it's ?$$, $tag$?$tag$, $1", 1},
      {"SELECT a$b, ?", "SELECT a$b, $1", 1},
      {"SELECT 'unterminated ?", "SELECT 'unterminated ?", 0},
      {"SELECT \"unterminated ?", "SELECT \"unterminated ?", 0},
      {"SELECT ? /* unterminated ?", "SELECT $1 /* unterminated ?", 1},
      {"SELECT ? -- to the end ?", "SELECT $1 -- to the end ?", 1},
      {"SELECT $tag$ unterminated ?", "SELECT $tag$ unterminated ?", 0},
      {"SELECT E'\\", "SELECT E'\\", 0},
  };
  for (const auto& c : cases) {
    const NumberedSql n = number_placeholders(c.in);
    EXPECT_EQ(n.sql, c.out) << c.in;
    EXPECT_EQ(n.placeholders, c.count) << c.in;
  }
}

// Random texts over the characters that matter: numbering ends, and undoing it (each inserted $n
// back to ?) gives the text back. Without '$' in the alphabet, every "$n" of the output is ours.
TEST(PostgresPlaceholders, RandomTextsRoundTrip) {
  std::mt19937 rng(20261202);
  const std::string alphabet = "?'\"-/*E\\\n a";
  for (int round = 0; round < 20000; ++round) {
    std::string text(rng() % 24, ' ');
    for (char& c : text) c = alphabet[rng() % alphabet.size()];
    const NumberedSql n = number_placeholders(text);
    std::string undone;
    int seen = 0;
    for (std::size_t i = 0; i < n.sql.size(); ++i) {
      if (n.sql[i] == '$') {
        ++seen;
        undone += '?';
        while (i + 1 < n.sql.size() && std::isdigit(static_cast<unsigned char>(n.sql[i + 1]))) ++i;
      } else {
        undone += n.sql[i];
      }
    }
    ASSERT_EQ(undone, text);
    ASSERT_EQ(seen, n.placeholders) << text;
  }
  // With '$' too, it ends and never numbers more than there are '?'.
  const std::string dollars = alphabet + "$1t";
  for (int round = 0; round < 20000; ++round) {
    std::string text(rng() % 24, ' ');
    for (char& c : text) c = dollars[rng() % dollars.size()];
    const NumberedSql n = number_placeholders(text);
    ASSERT_LE(n.placeholders, std::count(text.begin(), text.end(), '?')) << text;
    ASSERT_GE(n.sql.size(), text.size());
  }
}

TEST(PostgresFailure, SqlstatesMapToFailureKindsAndCodes) {
  const struct {
    const char* sqlstate;
    FailureKind kind;
    ErrorCode code;
  } cases[] = {
      {"23505", FailureKind::kUniqueViolation, ErrorCode::kInternal},
      {"23503", FailureKind::kForeignKeyViolation, ErrorCode::kInternal},
      {"23502", FailureKind::kOther, ErrorCode::kInternal},  // not null
      {"40001", FailureKind::kLockConflict, ErrorCode::kUnavailable},
      {"40P01", FailureKind::kLockConflict, ErrorCode::kUnavailable},
      {"55P03", FailureKind::kLockTimeout, ErrorCode::kUnavailable},
      {"08006", FailureKind::kConnectionLost, ErrorCode::kUnavailable},
      {"08P01", FailureKind::kConnectionLost, ErrorCode::kUnavailable},
      {"57P01", FailureKind::kConnectionLost, ErrorCode::kUnavailable},
      {"57P02", FailureKind::kConnectionLost, ErrorCode::kUnavailable},
      {"57P03", FailureKind::kConnectionLost, ErrorCode::kUnavailable},
      {"57014", FailureKind::kOther, ErrorCode::kUnavailable},
      {"53300", FailureKind::kOther, ErrorCode::kUnavailable},  // too many connections
      {"53100", FailureKind::kOther, ErrorCode::kUnavailable},  // disk full
      {"28P01", FailureKind::kOther, ErrorCode::kUnavailable},  // wrong password
      {"3D000", FailureKind::kOther, ErrorCode::kUnavailable},  // no such database
      {"25006", FailureKind::kOther, ErrorCode::kUnavailable},  // read-only
      {"42P01", FailureKind::kOther, ErrorCode::kInternal},     // no such table
      {"42601", FailureKind::kOther, ErrorCode::kInternal},     // syntax error
      {"XX000", FailureKind::kOther, ErrorCode::kInternal},
      {"", FailureKind::kOther, ErrorCode::kInternal},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(postgres_failure_kind(c.sqlstate), c.kind) << c.sqlstate;
    EXPECT_EQ(postgres_failure(c.sqlstate, "m", "w").code, c.code) << c.sqlstate;
  }
}

TEST(PostgresFailure, MessageNamesTheCallAndTheSqlstateOnOneLine) {
  const Error e = postgres_failure("23505", "duplicate key value\n\tvioLates \"x\"\n", "execute f");
  EXPECT_EQ(e.internal,
            "postgresql execute f: duplicate key value vioLates \"x\" (SQLSTATE 23505)");
}

TEST(PostgresEndpointTest, DescribeNeverShowsThePassword) {
  PostgresEndpoint e;
  e.host = "db.example.com";
  e.port = 5433;
  e.database = "app";
  e.user = "svc";
  e.password = "s3cret";
  EXPECT_EQ(e.describe(), "svc@db.example.com:5433/app");
}

TEST(PostgresStatementTimeout, IsATenthShorterThanTheReadTimeout) {
  EXPECT_EQ(statement_timeout(seconds(5)), milliseconds(4500));
  EXPECT_EQ(statement_timeout(seconds(1)), milliseconds(900));
  EXPECT_EQ(statement_timeout(seconds(0)), milliseconds(900));  // 1 s at least
  EXPECT_EQ(statement_timeout(seconds(60)), milliseconds(59000));
}

PostgresEndpoint local_endpoint(std::uint16_t port) {
  PostgresEndpoint e;
  e.host = "127.0.0.1";
  e.port = port;
  e.database = "gatehouse";
  e.user = "gatehouse";
  e.password = "secret-password";
  e.connect_timeout = seconds(1);
  e.read_timeout = seconds(1);
  return e;
}

TEST(PostgresConnectionOffline, NothingHappensBeforeConnect) {
  PostgresConnection conn(local_endpoint(testing::unused_local_port()), "api_");
  EXPECT_EQ(conn.dialect(), sql::Dialect::kPostgres);
  EXPECT_FALSE(conn.broken());
  EXPECT_FALSE(conn.in_transaction());
  EXPECT_FALSE(conn.commit_in_doubt());
  static constexpr Query kOne{.name = "one", .sql = "SELECT 1"};
  auto rows = conn.run(kOne, {});
  ASSERT_FALSE(rows);
  EXPECT_EQ(rows.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(rows.error().internal.find("not connected"), std::string::npos);
  auto ping = conn.ping();
  ASSERT_FALSE(ping);
  EXPECT_EQ(ping.error().code, ErrorCode::kUnavailable);
  conn.rollback();  // nothing to do, never fails
  conn.close();
}

TEST(PostgresConnectionOffline, UnreachableServerIsUnavailableQuickly) {
  PostgresConnection conn(local_endpoint(testing::unused_local_port()), "api_");
  const auto started = std::chrono::steady_clock::now();
  auto st = conn.connect();
  const auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(conn.last_failure(), FailureKind::kConnectionLost);
  EXPECT_NE(st.error().internal.find("postgresql connect to gatehouse@127.0.0.1:"),
            std::string::npos)
      << st.error().internal;
  EXPECT_EQ(st.error().internal.find("secret-password"), std::string::npos);
  EXPECT_EQ(st.error().internal.find('\n'), std::string::npos) << st.error().internal;
  EXPECT_LT(elapsed, milliseconds(1000));
}

TEST(PostgresConnectionOffline, SilentServerIsUnavailableWithinTheConnectTimeout) {
  const testing::SilentServer silent;  // accepts TCP connections but never answers
  PostgresConnection conn(local_endpoint(silent.port()), "api_");
  const auto started = std::chrono::steady_clock::now();
  auto st = conn.connect();
  const auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(st.error().internal.find("no answer within 1 s"), std::string::npos)
      << st.error().internal;
  EXPECT_GE(elapsed, milliseconds(900));
  EXPECT_LT(elapsed, milliseconds(1500));
}

// ---- against a server ----

// Statements of the tests. A Query must have static storage duration (connections key their
// statement cache by its address).
constexpr Query kCreateValues{.name = "create_values", .sql = R"sql(
CREATE TABLE {{prefix}}value (
  id BIGSERIAL PRIMARY KEY,
  i BIGINT NULL,
  n INTEGER NULL,
  t TEXT NULL,
  b BOOLEAN NULL,
  ts TIMESTAMP NULL,
  tz TIMESTAMPTZ NULL,
  tag VARCHAR(20) NULL UNIQUE
))sql"};
constexpr Query kInsertValue{.name = "insert_value", .sql = R"sql(
INSERT INTO {{prefix}}value (i, n, t, b, ts, tz, tag) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id)sql"};
constexpr Query kSelectValue{.name = "select_value", .sql = R"sql(
SELECT i, n, t, b, ts, tz, tag, '?' AS literal FROM {{prefix}}value WHERE id = ?)sql"};
constexpr Query kSelectAll{.name = "select_all",
                           .sql = "SELECT id FROM {{prefix}}value ORDER BY id"};
constexpr Query kSetN{.name = "set_n", .sql = "UPDATE {{prefix}}value SET n = ? WHERE n = ?"};
constexpr Query kEcho{.name = "echo", .sql = "SELECT ?, ?, '?', \"?\" FROM (SELECT 1 AS \"?\") x"};
constexpr Query kBackendPid{.name = "backend_pid", .sql = "SELECT pg_backend_pid()"};
constexpr Query kSleep{.name = "sleep", .sql = "SELECT pg_sleep(?)"};
constexpr Query kSessionSettings{
    .name = "session_settings",
    .sql =
        "SELECT current_setting('TimeZone'), current_setting('client_encoding'), "
        "current_setting('statement_timeout'), current_setting('lock_timeout')"};

class PostgresConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto server = postgres_test_server();
    if (!server) GTEST_SKIP() << testing::missing_postgres_server();
    db_ = std::make_unique<PostgresTestDatabase>(*server);
    conn_ = open("");
    ASSERT_TRUE(conn_->connect());
  }

  std::unique_ptr<PostgresConnection> open(const std::string& session_sql,
                                           seconds read_timeout = seconds(5)) const {
    PostgresEndpoint e = db_->endpoint();
    e.read_timeout = read_timeout;
    return std::make_unique<PostgresConnection>(e, "t_", session_sql);
  }

  void create_values() {
    auto made = conn_->execute_script(apply_prefix(kCreateValues.sql, "t_"), "create values");
    ASSERT_TRUE(made) << made.error().internal;
  }

  std::int64_t insert(sql::Connection& conn, std::optional<std::int64_t> n,
                      std::optional<std::string> tag = std::nullopt) {
    auto rows = conn.run(kInsertValue, {std::nullopt, n, std::nullopt, std::nullopt, std::nullopt,
                                        std::nullopt, tag});
    EXPECT_TRUE(rows) << rows.error().internal;
    return rows ? rows->new_id() : 0;
  }

  std::int64_t backend_pid(sql::Connection& conn) {
    auto rows = conn.run(kBackendPid, {});
    EXPECT_TRUE(rows) << rows.error().internal;
    if (!rows) return 0;
    EXPECT_TRUE(rows->next().value());
    return rows->int64(0);
  }

  // Ends the server session `pid` and waits until it is gone.
  void terminate(std::int64_t pid) {
    const std::string id = std::to_string(pid);
    EXPECT_EQ(db_->raw().scalar("SELECT pg_terminate_backend(" + id + ")"), "t");
    for (int i = 0; i < 500; ++i) {
      if (db_->raw().scalar("SELECT count(*) FROM pg_stat_activity WHERE pid = " + id) == "0") {
        return;
      }
      std::this_thread::sleep_for(milliseconds(10));
    }
    ADD_FAILURE() << "backend " << id << " did not end";
  }

  std::unique_ptr<PostgresTestDatabase> db_;  // declared first: dropped after the connection
  std::unique_ptr<PostgresConnection> conn_;
};

TEST_F(PostgresConnectionTest, SessionIsUtcUtf8WithStatementTimeoutAndSessionSql) {
  auto conn = open("SET lock_timeout = '250ms';\nSET application_name = 'gh-test'");
  ASSERT_TRUE(conn->connect());
  auto rows = conn->run(kSessionSettings, {});
  ASSERT_TRUE(rows) << rows.error().internal;
  ASSERT_TRUE(rows->next().value());
  EXPECT_EQ(rows->text(0), "UTC");
  EXPECT_EQ(rows->text(1), "UTF8");
  EXPECT_EQ(rows->text(2), "4500ms");
  EXPECT_EQ(rows->text(3), "250ms");
}

TEST_F(PostgresConnectionTest, BadSessionSqlFailsTheConnect) {
  auto conn = open("SET no_such_setting = 1");
  auto st = conn->connect();
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().internal.find("postgresql session setup:"), std::string::npos)
      << st.error().internal;
  EXPECT_NE(st.error().internal.find("(SQLSTATE 42704)"), std::string::npos);
}

TEST_F(PostgresConnectionTest, WrongPasswordAndUnknownDatabaseAreUnavailable) {
  PostgresEndpoint wrong_password = db_->endpoint();
  wrong_password.password = "not-the-password";
  PostgresConnection a(wrong_password, "t_");
  auto st = a.connect();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(st.error().internal.find("password authentication failed"), std::string::npos)
      << st.error().internal;
  EXPECT_EQ(st.error().internal.find("not-the-password"), std::string::npos);

  PostgresEndpoint no_database = db_->endpoint();
  no_database.database = db_->name() + "_missing";
  PostgresConnection b(no_database, "t_");
  st = b.connect();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(st.error().internal.find("does not exist"), std::string::npos) << st.error().internal;
}

TEST_F(PostgresConnectionTest, PreparedStatementsNumberPlaceholdersButNotInLiterals) {
  auto rows = conn_->run(kEcho, {7, "it's"});
  ASSERT_TRUE(rows) << rows.error().internal;
  ASSERT_TRUE(rows->next().value());
  EXPECT_EQ(rows->int64(0), 7);
  EXPECT_EQ(rows->text(0), "7");
  EXPECT_EQ(rows->text(1), "it's");
  EXPECT_EQ(rows->text(2), "?");
  EXPECT_EQ(rows->int64(3), 1);
  EXPECT_FALSE(rows->next().value());
}

TEST_F(PostgresConnectionTest, WrongParameterCountIsRefusedBeforeSending) {
  auto rows = conn_->run(kEcho, {7});
  ASSERT_FALSE(rows);
  EXPECT_EQ(rows.error().code, ErrorCode::kInternal);
  EXPECT_NE(rows.error().internal.find("1 parameters for 2 placeholders"), std::string::npos);
  EXPECT_FALSE(conn_->broken());
  EXPECT_TRUE(conn_->run(kEcho, {7, "x"}));
}

TEST_F(PostgresConnectionTest, TextWithANulByteIsRefusedNotCutShort) {
  const std::string with_nul("victim@example.com\0junk", 23);
  auto rows = conn_->run(kEcho, {1, with_nul});
  ASSERT_FALSE(rows);
  EXPECT_EQ(rows.error().code, ErrorCode::kInternal);
  EXPECT_NE(rows.error().internal.find("NUL"), std::string::npos);
  EXPECT_FALSE(conn_->broken());
}

TEST_F(PostgresConnectionTest, ValuesRoundTrip) {
  create_values();
  const std::string text = "naïve ☃ 'quoted' \"double\" ?";
  auto inserted = conn_->run(kInsertValue,
                             {std::int64_t{-9'007'199'254'740'993}, 42, text, true,
                              "2023-11-14 22:13:20.123456", "2023-11-15T00:13:20+02:00", "first"});
  ASSERT_TRUE(inserted) << inserted.error().internal;
  EXPECT_EQ(inserted->rows_affected(), 1);
  const std::int64_t id = inserted->new_id();
  EXPECT_GT(id, 0);

  auto rows = conn_->run(kSelectValue, {id});
  ASSERT_TRUE(rows) << rows.error().internal;
  ASSERT_TRUE(rows->next().value());
  EXPECT_EQ(rows->int64(0), -9'007'199'254'740'993);
  EXPECT_EQ(rows->int64(1), 42);
  EXPECT_EQ(rows->text(2), text);
  EXPECT_EQ(rows->int64(3), 1);  // boolean true
  EXPECT_EQ(rows->text(3), "1");
  const SysTime t0 = from_unix_seconds(1'700'000'000);               // 2023-11-14 22:13:20 UTC
  EXPECT_EQ(rows->time(4), t0 + std::chrono::microseconds(123456));  // TIMESTAMP
  EXPECT_EQ(rows->time(5), t0);                                      // TIMESTAMPTZ, '+00'
  EXPECT_EQ(rows->text(5), "2023-11-14 22:13:20+00");
  EXPECT_EQ(rows->text(6), "first");
  EXPECT_EQ(rows->text(7), "?");
  EXPECT_EQ(rows->time(0), std::nullopt);           // out of the clock's range
  EXPECT_EQ(rows->time(1), from_unix_seconds(42));  // integers are unix seconds
  EXPECT_EQ(rows->time(2), std::nullopt);           // text that is no time
  EXPECT_FALSE(rows->next().value());
  auto none = conn_->run(kSelectValue, {id + 1000});
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->next().value());
}

TEST_F(PostgresConnectionTest, NullsAndFalseRoundTrip) {
  create_values();
  auto inserted =
      conn_->run(kInsertValue, {std::nullopt, std::optional<std::int64_t>(), std::nullopt, false,
                                std::nullopt, std::nullopt, std::nullopt});
  ASSERT_TRUE(inserted) << inserted.error().internal;
  const std::int64_t id = inserted->new_id();
  auto rows = conn_->run(kSelectValue, {id});
  ASSERT_TRUE(rows);
  ASSERT_TRUE(rows->next().value());
  for (int column : {0, 1, 2, 4, 5, 6}) {
    EXPECT_TRUE(rows->is_null(column)) << column;
    EXPECT_EQ(rows->int64(column), 0) << column;
    EXPECT_EQ(rows->text(column), "") << column;
    EXPECT_EQ(rows->time(column), std::nullopt) << column;
  }
  EXPECT_EQ(rows->optional_text(2), std::nullopt);
  EXPECT_EQ(rows->optional_int64(1), std::nullopt);
  EXPECT_FALSE(rows->is_null(3));
  EXPECT_EQ(rows->int64(3), 0);  // boolean false
  EXPECT_EQ(rows->text(3), "0");
  EXPECT_TRUE(rows->is_null(99));  // no such column
  EXPECT_EQ(rows->text(99), "");
}

TEST_F(PostgresConnectionTest, RowsAffectedCountsMatchedRowsAndNewIdsFollowEachOther) {
  create_values();
  const std::int64_t first = insert(*conn_, 1);
  const std::int64_t second = insert(*conn_, 1);
  insert(*conn_, 2);
  EXPECT_EQ(second, first + 1);
  {
    auto updated = conn_->run(kSetN, {1, 1});  // rewrites the value with itself: still matched
    ASSERT_TRUE(updated);
    EXPECT_EQ(updated->rows_affected(), 2);
  }
  auto unmatched = conn_->run(kSetN, {5, 7});
  ASSERT_TRUE(unmatched);
  EXPECT_EQ(unmatched->rows_affected(), 0);
  auto all = conn_->run(kSelectAll, {});
  ASSERT_TRUE(all);
  int count = 0;
  while (all->next().value()) ++count;
  EXPECT_EQ(count, 3);
  EXPECT_EQ(all->rows_affected(), 3);  // a SELECT's count of rows
}

TEST_F(PostgresConnectionTest, UniqueAndForeignKeyViolationsAreNamed) {
  create_values();
  insert(*conn_, 1, "taken");
  auto again = conn_->run(kInsertValue, {std::nullopt, 2, std::nullopt, std::nullopt, std::nullopt,
                                         std::nullopt, "taken"});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kInternal);
  EXPECT_EQ(conn_->last_failure(), FailureKind::kUniqueViolation);
  EXPECT_NE(again.error().internal.find("postgresql execute insert_value: duplicate key value"),
            std::string::npos)
      << again.error().internal;
  EXPECT_NE(again.error().internal.find("(SQLSTATE 23505)"), std::string::npos);
  EXPECT_FALSE(conn_->broken());

  static constexpr Query kCreateChild{.name = "create_child", .sql = R"sql(
CREATE TABLE {{prefix}}child (
  id BIGSERIAL PRIMARY KEY,
  value_id BIGINT NOT NULL REFERENCES {{prefix}}value (id) ON DELETE CASCADE
))sql"};
  static constexpr Query kInsertChild{
      .name = "insert_child",
      .sql = "INSERT INTO {{prefix}}child (value_id) VALUES (?) RETURNING id"};
  ASSERT_TRUE(conn_->execute_script(apply_prefix(kCreateChild.sql, "t_"), "create child"));
  conn_->clear_failure();
  auto orphan = conn_->run(kInsertChild, {std::int64_t{999'999}});
  ASSERT_FALSE(orphan);
  EXPECT_EQ(orphan.error().code, ErrorCode::kInternal);
  EXPECT_EQ(conn_->last_failure(), FailureKind::kForeignKeyViolation);
  EXPECT_NE(orphan.error().internal.find("(SQLSTATE 23503)"), std::string::npos);
  EXPECT_FALSE(conn_->broken());
  EXPECT_TRUE(conn_->ping());
}

TEST_F(PostgresConnectionTest, ARowLockHeldElsewhereIsALockConflict) {
  create_values();
  const std::int64_t id = insert(*conn_, 1);
  auto holder = db_->connect();
  holder->exec("BEGIN");
  holder->exec("SELECT id FROM t_value WHERE id = " + std::to_string(id) + " FOR UPDATE");

  auto conn = open("SET lock_timeout = '100ms'");
  ASSERT_TRUE(conn->connect());
  ASSERT_TRUE(conn->begin_write());
  EXPECT_TRUE(conn->in_transaction());
  const auto started = std::chrono::steady_clock::now();
  auto updated = conn->run(kSetN, {2, 1});
  const auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(updated);
  EXPECT_EQ(updated.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(conn->last_failure(), FailureKind::kLockTimeout);
  EXPECT_NE(updated.error().internal.find("(SQLSTATE 55P03)"), std::string::npos)
      << updated.error().internal;
  EXPECT_LT(elapsed, seconds(2));
  EXPECT_FALSE(conn->broken());
  EXPECT_TRUE(conn->in_transaction());
  conn->rollback();
  EXPECT_FALSE(conn->in_transaction());

  holder->exec("ROLLBACK");
  ASSERT_TRUE(conn->begin_write());
  auto retried = conn->run(kSetN, {2, 1});
  ASSERT_TRUE(retried) << retried.error().internal;
  EXPECT_EQ(retried->rows_affected(), 1);
  ASSERT_TRUE(conn->commit());
}

TEST_F(PostgresConnectionTest, ASlowStatementIsStoppedByTheServerAndTheConnectionStays) {
  auto conn = open("", seconds(2));  // statement_timeout 1.8 s
  ASSERT_TRUE(conn->connect());
  const std::int64_t pid = backend_pid(*conn);
  const auto started = std::chrono::steady_clock::now();
  auto slept = conn->run(kSleep, {5});
  const auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(slept);
  EXPECT_EQ(slept.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(slept.error().internal.find("(SQLSTATE 57014)"), std::string::npos)
      << slept.error().internal;
  EXPECT_EQ(conn->last_failure(), FailureKind::kOther);  // not retried
  EXPECT_LT(elapsed, seconds(2));
  EXPECT_FALSE(conn->broken());
  EXPECT_EQ(backend_pid(*conn), pid);
}

TEST_F(PostgresConnectionTest, AKilledBackendBreaksTheConnectionAndTheNextConnectWorks) {
  create_values();
  insert(*conn_, 1);
  const std::int64_t pid = backend_pid(*conn_);
  terminate(pid);

  auto rows = conn_->run(kSelectAll, {});
  ASSERT_FALSE(rows);
  EXPECT_EQ(rows.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(conn_->last_failure(), FailureKind::kConnectionLost);
  EXPECT_TRUE(conn_->broken());

  ASSERT_TRUE(conn_->connect());
  EXPECT_FALSE(conn_->broken());
  EXPECT_NE(backend_pid(*conn_), pid);
  // The statement cache went with the old session: statements are prepared again.
  EXPECT_GT(insert(*conn_, 2), 0);
  auto again = conn_->run(kSelectAll, {});
  ASSERT_TRUE(again) << again.error().internal;
  EXPECT_TRUE(again->next().value());
}

TEST_F(PostgresConnectionTest, ConnectReusesAHealthySessionAndReplacesAClosedOne) {
  const std::int64_t pid = backend_pid(*conn_);
  ASSERT_TRUE(conn_->connect());
  EXPECT_EQ(backend_pid(*conn_), pid);

  // Ended while idle: connect() sees it without a round trip and opens a new session.
  terminate(pid);
  ASSERT_TRUE(conn_->connect());
  const std::int64_t second = backend_pid(*conn_);
  EXPECT_NE(second, pid);
  EXPECT_FALSE(conn_->broken());

  ASSERT_TRUE(conn_->reconnect());
  EXPECT_NE(backend_pid(*conn_), second);
  conn_->close();
  EXPECT_FALSE(conn_->ping());
  ASSERT_TRUE(conn_->connect());
  EXPECT_TRUE(conn_->ping());
}

// The driver under the shared layer: a pooled connection whose session the server ended while it
// sat in the pool is replaced on the next acquire, and a lock conflict is tried again by the
// retry rules.
TEST_F(PostgresConnectionTest, UnderAPooledDatabaseEndedSessionsAndLockConflictsAreRecovered) {
  create_values();
  const std::int64_t id = insert(*conn_, 1);
  std::vector<std::unique_ptr<sql::Connection>> connections;
  connections.push_back(open("SET lock_timeout = '100ms'"));
  sql::PooledDatabase db(sql::Dialect::kPostgres, std::move(connections), milliseconds(500),
                         sql::RetryRules{.lock_conflict_retries = 3,
                                         .lock_timeout_retries = 1,
                                         .stale_connection_window = seconds(1)});
  const auto pid_of = [&]() -> Result<std::int64_t> {
    return db.read([&](sql::Connection& conn) -> Result<std::int64_t> {
      auto rows = conn.run(kBackendPid, {});
      if (!rows) return std::move(rows).error();
      auto row = rows->next();
      if (!row) return std::move(row).error();
      return rows->int64(0);
    });
  };
  auto first = pid_of();
  ASSERT_TRUE(first) << first.error().internal;
  terminate(*first);
  auto second = pid_of();
  ASSERT_TRUE(second) << second.error().internal;
  EXPECT_NE(*second, *first);

  // A row lock held elsewhere: the first attempt times out on it (55P03) and is tried again, and
  // the lock is released before the second.
  auto holder = db_->connect();
  holder->exec("BEGIN");
  holder->exec("SELECT id FROM t_value WHERE id = " + std::to_string(id) + " FOR UPDATE");
  int attempts = 0;
  auto updated = db.transaction([&](sql::Connection& conn) -> Result<std::int64_t> {
    if (++attempts == 2) holder->exec("ROLLBACK");
    auto rows = conn.run(kSetN, {3, 1});
    if (!rows) return std::move(rows).error();
    return rows->rows_affected();
  });
  ASSERT_TRUE(updated) << updated.error().internal;
  EXPECT_EQ(*updated, 1);
  EXPECT_EQ(attempts, 2);
  EXPECT_EQ(db_->raw().scalar("SELECT n FROM t_value WHERE id = " + std::to_string(id)), "3");
}

TEST_F(PostgresConnectionTest, ASilentServerMidSessionIsUnavailableWithinTheReadTimeout) {
  const auto& server = db_->server();
  SilenceableRelay relay(server.host, server.port);
  PostgresEndpoint e = db_->endpoint();
  e.host = "127.0.0.1";
  e.port = relay.port();
  e.connect_timeout = seconds(1);
  e.read_timeout = seconds(1);
  PostgresConnection conn(e, "t_");
  ASSERT_TRUE(conn.connect());
  ASSERT_TRUE(conn.ping());

  relay.freeze();
  const auto started = std::chrono::steady_clock::now();
  auto rows = conn.run(kBackendPid, {});
  const auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(rows);
  EXPECT_EQ(rows.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(rows.error().internal.find("no reply within 1 s"), std::string::npos)
      << rows.error().internal;
  EXPECT_EQ(conn.last_failure(), FailureKind::kConnectionLost);
  EXPECT_TRUE(conn.broken());
  EXPECT_GE(elapsed, milliseconds(900));
  EXPECT_LT(elapsed, milliseconds(1500));

  // A connect through the silent relay fails within the connect timeout too.
  const auto again = std::chrono::steady_clock::now();
  EXPECT_FALSE(conn.connect());
  EXPECT_LT(std::chrono::steady_clock::now() - again, milliseconds(1500));
}

TEST_F(PostgresConnectionTest, ACommitWhoseAnswerIsLostIsInDoubt) {
  create_values();
  const auto& server = db_->server();
  SilenceableRelay relay(server.host, server.port);
  PostgresEndpoint e = db_->endpoint();
  e.host = "127.0.0.1";
  e.port = relay.port();
  e.read_timeout = seconds(1);
  PostgresConnection conn(e, "t_");
  ASSERT_TRUE(conn.connect());
  ASSERT_TRUE(conn.begin_write());
  insert(conn, 1);
  EXPECT_FALSE(conn.commit_in_doubt());

  relay.freeze();
  auto committed = conn.commit();
  ASSERT_FALSE(committed);
  EXPECT_EQ(committed.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(conn.last_failure(), FailureKind::kConnectionLost);
  EXPECT_TRUE(conn.broken());
  EXPECT_TRUE(conn.commit_in_doubt());
  EXPECT_FALSE(conn.in_transaction());
  conn.rollback();  // nothing to do on a lost connection
}

TEST_F(PostgresConnectionTest, CommitRollbackAndInTransaction) {
  create_values();
  EXPECT_FALSE(conn_->in_transaction());
  ASSERT_TRUE(conn_->begin_write());
  EXPECT_TRUE(conn_->in_transaction());
  EXPECT_FALSE(conn_->begin_write());  // no nesting
  insert(*conn_, 1);
  conn_->rollback();
  EXPECT_FALSE(conn_->in_transaction());
  EXPECT_EQ(db_->raw().scalar("SELECT count(*) FROM t_value"), "0");

  ASSERT_TRUE(conn_->begin_write());
  insert(*conn_, 1);
  // Not visible elsewhere before the commit.
  EXPECT_EQ(db_->raw().scalar("SELECT count(*) FROM t_value"), "0");
  ASSERT_TRUE(conn_->commit());
  EXPECT_FALSE(conn_->in_transaction());
  EXPECT_FALSE(conn_->commit_in_doubt());
  EXPECT_EQ(db_->raw().scalar("SELECT count(*) FROM t_value"), "1");
  EXPECT_FALSE(conn_->commit());  // nothing to commit
  conn_->rollback();              // nothing to roll back
}

TEST_F(PostgresConnectionTest, CommitOfAFailedTransactionIsAFailure) {
  create_values();
  ASSERT_TRUE(conn_->begin_write());
  insert(*conn_, 1, "dup");
  auto dup = conn_->run(kInsertValue, {std::nullopt, 2, std::nullopt, std::nullopt, std::nullopt,
                                       std::nullopt, "dup"});
  ASSERT_FALSE(dup);
  // The server refuses everything else in the transaction...
  auto after = conn_->run(kSelectAll, {});
  ASSERT_FALSE(after);
  EXPECT_NE(after.error().internal.find("(SQLSTATE 25P02)"), std::string::npos)
      << after.error().internal;
  // ...and answers COMMIT with a rollback, which must not pass for a commit.
  auto committed = conn_->commit();
  ASSERT_FALSE(committed);
  EXPECT_EQ(committed.error().code, ErrorCode::kInternal);
  EXPECT_NE(committed.error().internal.find("rolled back"), std::string::npos);
  EXPECT_FALSE(conn_->in_transaction());
  EXPECT_FALSE(conn_->commit_in_doubt());
  EXPECT_EQ(db_->raw().scalar("SELECT count(*) FROM t_value"), "0");
  EXPECT_TRUE(conn_->run(kSelectAll, {}));
}

TEST_F(PostgresConnectionTest, ExecuteScriptRunsSeveralStatementsInsideTheTransaction) {
  ASSERT_TRUE(conn_->begin_write());
  auto ran = conn_->execute_script(
      "CREATE TABLE s (x INTEGER PRIMARY KEY);\n"
      "INSERT INTO s VALUES (1);\n"
      "INSERT INTO s VALUES (2);\n"
      "CREATE INDEX ix_s ON s (x);\n",
      "script");
  ASSERT_TRUE(ran) << ran.error().internal;
  ASSERT_TRUE(conn_->commit());
  EXPECT_EQ(db_->raw().scalar("SELECT count(*) FROM s"), "2");

  // A failure part-way: DDL is transactional, so nothing of the script stays.
  ASSERT_TRUE(conn_->begin_write());
  auto failed = conn_->execute_script(
      "CREATE TABLE s2 (x INTEGER);\n"
      "INSERT INTO s VALUES (1);\n"
      "INSERT INTO s2 VALUES (3);\n",
      "0009_broken");
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::kInternal);
  EXPECT_NE(failed.error().internal.find("postgresql 0009_broken: duplicate key"),
            std::string::npos)
      << failed.error().internal;
  EXPECT_EQ(conn_->last_failure(), FailureKind::kUniqueViolation);
  conn_->rollback();
  EXPECT_EQ(db_->raw().scalar("SELECT to_regclass('s2') IS NULL"), "t");
  EXPECT_EQ(db_->raw().scalar("SELECT count(*) FROM s"), "2");
}

}  // namespace
}  // namespace gatehouse::store
