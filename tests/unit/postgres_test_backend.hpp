#pragma once
// The PostgreSQL backend of the store's tests (see store_backends.hpp): a database of the test's
// own on the server named by GATEHOUSE_TEST_POSTGRES_URL, skipped when that is unset.

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "postgres_test_support.hpp"
#include "store/postgres/postgres_database.hpp"
#include "store_backends.hpp"

namespace gatehouse::store::testing {

// What ServerBackend needs to know of PostgreSQL.
struct PostgresDriver {
  using Options = PostgresOptions;
  using Database = PostgresTestDatabase;
  static constexpr sql::Dialect kDialect = sql::Dialect::kPostgres;
  static std::optional<config::DatabaseSettings> server() { return postgres_test_server(); }
  static std::string missing_server() { return missing_postgres_server(); }
  // lock_timeout counts milliseconds.
  static void set_lock_timeout(PostgresOptions& options, std::chrono::milliseconds timeout) {
    options.lock_timeout = timeout;
  }
  static auto open_database(const PostgresOptions& options) {
    return open_postgres_database(options);
  }
  static auto open_migration_connection(const PostgresOptions& options) {
    return open_postgres_migration_connection(options);
  }
};

class PostgresBackend final : public ServerBackend<PostgresDriver> {
 public:
  // A tenth of a second keeps the lock tests quick but real.
  std::chrono::milliseconds shortest_lock_timeout() const override {
    return std::chrono::milliseconds(100);
  }

  std::string says_duplicate() const override { return "duplicate key value"; }
  std::string says_missing_table(const std::string& table) const override {
    return "relation \"" + table + "\" does not exist";
  }
  std::string says_lock_timeout() const override { return "lock timeout"; }

  bool transactional_ddl() const override { return true; }

  std::set<std::string> tables() override {
    return first_column("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()");
  }
  std::set<std::string> indexes(const std::string& table) override {
    return first_column(
        "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = '" +
        table + "'");
  }
  std::set<std::string> cascading_foreign_keys() override {
    return first_column(
        "SELECT conrelid::regclass::text || ' -> ' || confrelid::regclass::text FROM pg_constraint "
        "WHERE contype = 'f' AND confdeltype = 'c' AND connamespace = "
        "to_regnamespace(current_schema())");
  }

  // SQLAlchemy's rendering for PostgreSQL: Integer primary key: SERIAL; TIMESTAMP(timezone=True):
  // TIMESTAMP WITH TIME ZONE. The server names the constraints api_user_pkey and
  // api_user_email_key.
  std::string tutorial_schema() const override {
    return tutorial_schema_of({.id = "SERIAL NOT NULL",
                               .boolean = "BOOLEAN",
                               .timestamp = "TIMESTAMP WITH TIME ZONE DEFAULT now()"});
  }

  // The catalog's view, in an order that does not depend on the database's collation: the
  // columns (type, length, nullability, default) on one line, the constraints on the next, the
  // indexes on the last.
  std::vector<std::string> user_table_shape(const std::string& prefix) override {
    const std::string table = "'" + prefix + "user'";
    const auto sorted = [&](const std::string& column) {
      return " ORDER BY " + without_prefix(column, prefix) + " COLLATE \"C\"";
    };
    return {
        scalar("SELECT string_agg(column_name || ' ' || data_type || coalesce('(' || "
               "character_maximum_length || ')', '') || ' ' || is_nullable || ' ' || coalesce(" +
               without_prefix("column_default", prefix) +
               ", '-'), '; ' ORDER BY ordinal_position) FROM information_schema.columns "
               "WHERE table_schema = current_schema() AND table_name = " +
               table),
        scalar("SELECT string_agg(" + without_prefix("conname", prefix) +
               " || ' ' || contype::text || ' ' || " +
               without_prefix("pg_get_constraintdef(oid)", prefix) + ", '; '" + sorted("conname") +
               ") FROM pg_constraint WHERE conrelid = " + table + "::regclass"),
        scalar("SELECT string_agg(" + without_prefix("indexdef", prefix) + ", '; '" +
               sorted("indexname") +
               ") FROM pg_indexes WHERE schemaname = current_schema() AND tablename = " + table),
    };
  }

 private:
  // `column` with the prefix taken out, in SQL: "replace(column, 'api_', '{p}')".
  static std::string without_prefix(const std::string& column, const std::string& prefix) {
    return "replace(" + column + ", '" + prefix + "', '{p}')";
  }
};

}  // namespace gatehouse::store::testing
