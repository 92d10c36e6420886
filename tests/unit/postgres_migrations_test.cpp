#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "postgres_test_support.hpp"
#include "store/migrations.hpp"
#include "store/postgres/postgres_connection.hpp"

namespace gatehouse::store {
namespace {

using testing::kPostgresUrlVariable;
using testing::postgres_test_server;
using testing::PostgresTestDatabase;

// migrations/postgresql, applied through the driver the way the migrator does.

class PostgresMigrationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto server = postgres_test_server();
    if (!server) {
      GTEST_SKIP() << kPostgresUrlVariable
                   << " is not set: these tests need a PostgreSQL server "
                      "(scripts/test.sh starts a private one with scripts/postgres.sh and sets it)";
    }
    db_ = std::make_unique<PostgresTestDatabase>(*server);
    conn_ = std::make_unique<PostgresConnection>(db_->endpoint(), "api_");
    ASSERT_TRUE(conn_->connect());
  }

  // One migration file in one transaction, as the migrator runs it.
  void apply(const std::string& sql, const std::string& what) {
    ASSERT_TRUE(conn_->begin_write());
    auto ran = conn_->execute_script(apply_prefix(sql, "api_"), what);
    ASSERT_TRUE(ran) << ran.error().internal;
    auto committed = conn_->commit();
    ASSERT_TRUE(committed) << committed.error().internal;
  }

  std::string tables() {
    std::string out;
    for (const auto& row :
         db_->raw().exec("SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables "
                         "WHERE schemaname = 'public'")) {
      out = row[0].value_or("");
    }
    return out;
  }

  std::unique_ptr<PostgresTestDatabase> db_;  // declared first: dropped after the connection
  std::unique_ptr<PostgresConnection> conn_;
};

TEST(EmbeddedMigrations, PostgresFilesMatchTheOtherDialects) {
  const auto postgres = embedded_migrations("postgresql");
  const auto mysql = embedded_migrations("mysql");
  ASSERT_EQ(postgres.size(), mysql.size());
  for (std::size_t i = 0; i < postgres.size(); ++i) {
    EXPECT_EQ(postgres[i].version, mysql[i].version);
    EXPECT_EQ(postgres[i].name, mysql[i].name);
  }
  EXPECT_NE(postgres[0].up_sql.find("CREATE TABLE {{prefix}}user"), std::string::npos);
}

TEST_F(PostgresMigrationsTest, UpDownUpAndTheShapeOfTheTables) {
  const auto migrations = embedded_migrations("postgresql");
  for (const auto& m : migrations) apply(m.up_sql, m.name);
  EXPECT_EQ(tables(), "api_refresh_token,api_session,api_throttle,api_user");
  EXPECT_EQ(
      db_->raw().scalar("SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes "
                        "WHERE schemaname = 'public'"),
      "api_refresh_token_pkey,api_session_pkey,api_throttle_pkey,api_user_email_key,"
      "api_user_pkey,ix_api_refresh_token_parent_hash,ix_api_refresh_token_session_id,"
      "ix_api_session_expires_at,ix_api_session_user_id,ix_api_throttle_updated_at,"
      "ix_api_user_id");
  // The user table as the tutorial's Alembic revision makes it on PostgreSQL.
  EXPECT_EQ(db_->raw().scalar(
                "SELECT string_agg(column_name || ' ' || data_type || ' ' || is_nullable || ' ' || "
                "coalesce(column_default, '-'), '; ' ORDER BY ordinal_position) "
                "FROM information_schema.columns WHERE table_name = 'api_user'"),
            "id integer NO nextval('api_user_id_seq'::regclass); "
            "name character varying NO -; email character varying NO -; "
            "password character varying NO -; photo character varying YES -; "
            "verified boolean NO false; role character varying NO 'user'::character varying; "
            "created_at timestamp with time zone NO now(); "
            "updated_at timestamp with time zone NO now()");
  // Both foreign keys cascade.
  EXPECT_EQ(db_->raw().scalar("SELECT string_agg(conname || ' ' || confdeltype::text, ',' ORDER BY "
                              "conname) FROM pg_constraint WHERE contype = 'f'"),
            "fk_api_refresh_token_session_id c,fk_api_session_user_id c");

  // The defaults give a usable row, and deleting a user takes its sessions and tokens with it.
  auto& raw = db_->raw();
  raw.exec("INSERT INTO api_user (name, email, password) VALUES ('A', 'a@example.com', 'x')");
  EXPECT_EQ(raw.scalar("SELECT verified::text || ' ' || role || ' ' || "
                       "(now() - created_at < interval '1 minute')::text FROM api_user"),
            "false user true");
  raw.exec(
      "INSERT INTO api_session (id, user_id, created_at, last_used_at, expires_at) "
      "SELECT 'sAbc', id, 1, 1, 2 FROM api_user");
  raw.exec(
      "INSERT INTO api_refresh_token (token_hash, session_id, created_at, expires_at) "
      "VALUES (repeat('a', 64), 'sAbc', 1, 2)");
  raw.exec("DELETE FROM api_user");
  EXPECT_EQ(raw.scalar("SELECT (SELECT count(*) FROM api_session) + "
                       "(SELECT count(*) FROM api_refresh_token)"),
            "0");

  for (auto it = migrations.rbegin(); it != migrations.rend(); ++it) {
    apply(it->down_sql, it->name + " (down)");
  }
  EXPECT_EQ(tables(), "");
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace"),
            "0");
  for (const auto& m : migrations) apply(m.up_sql, m.name);
  EXPECT_EQ(tables(), "api_refresh_token,api_session,api_throttle,api_user");
}

}  // namespace
}  // namespace gatehouse::store
