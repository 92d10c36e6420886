#include <gtest/gtest.h>

#include "store/sql/query.hpp"

namespace gatehouse::store::sql {
namespace {

constexpr Query kPlain{.name = "plain",
                       .sql = "SELECT u.id FROM {{prefix}}user AS u WHERE u.id = ?"};

constexpr Query kLocking{
    .name = "locking",
    .sql =
        "SELECT u.id, d.disabled_at FROM {{prefix}}user AS u "
        "LEFT JOIN {{prefix}}disabled_user AS d ON d.user_id = u.id WHERE u.id = ?",
    .locks = "u",
};

constexpr Query kOwnText{
    .name = "own_text",
    .sql = "SELECT 1 FROM t AS a",
    .postgres = "SELECT 2 FROM t AS a",
    .locks = "a",
};

TEST(StatementText, AStatementWithoutLocksIsItsText) {
  for (const Dialect d : {Dialect::kSqlite, Dialect::kMysql, Dialect::kPostgres}) {
    EXPECT_EQ(statement_text(kPlain, d), kPlain.sql) << to_string(d);
  }
}

TEST(StatementText, EachDialectLocksTheRowsItsOwnWay) {
  // SQLite's write transaction holds the whole database: no clause (it has none).
  EXPECT_EQ(statement_text(kLocking, Dialect::kSqlite), kLocking.sql);
  EXPECT_EQ(statement_text(kLocking, Dialect::kMysql), std::string(kLocking.sql) + " FOR UPDATE");
  // PostgreSQL refuses to lock the nullable side of an outer join: only the named aliases.
  EXPECT_EQ(statement_text(kLocking, Dialect::kPostgres),
            std::string(kLocking.sql) + " FOR UPDATE OF u");
}

TEST(StatementText, TheClauseFollowsTheDialectsOwnText) {
  EXPECT_EQ(statement_text(kOwnText, Dialect::kPostgres), "SELECT 2 FROM t AS a FOR UPDATE OF a");
  EXPECT_EQ(statement_text(kOwnText, Dialect::kMysql), "SELECT 1 FROM t AS a FOR UPDATE");
}

}  // namespace
}  // namespace gatehouse::store::sql
