#pragma once
// The PostgreSQL backend of the store's tests (see store_backends.hpp): a database of the test's
// own on the server named by GATEHOUSE_TEST_POSTGRES_URL, skipped when that is unset.

#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "postgres_test_support.hpp"
#include "store/postgres/postgres_database.hpp"
#include "store/sql/sql_migration_target.hpp"
#include "store/sql/sql_store.hpp"
#include "store_backends.hpp"

namespace gatehouse::store::testing {

class PostgresBackend final : public TestBackend {
 public:
  // The database of the test's own; only after create_database() succeeded.
  PostgresTestDatabase& database() { return *db_; }

  // The options the server would open the database with, for `settings`.
  PostgresOptions options(const StoreSettings& settings) const {
    PostgresOptions o;
    o.endpoint = db_->endpoint();
    o.prefix = settings.prefix;
    o.pool_size = settings.pool_size;
    if (settings.lock_timeout) o.lock_timeout = *settings.lock_timeout;
    return o;
  }

  sql::Dialect dialect() const override { return sql::Dialect::kPostgres; }

  std::optional<std::string> create_database() override {
    const auto server = postgres_test_server();
    if (!server) {
      return std::string(kPostgresUrlVariable) +
             " is not set: the PostgreSQL tests need a server (scripts/test.sh starts a private "
             "one and sets it; or scripts/postgres.sh start DIR)";
    }
    db_ = std::make_unique<PostgresTestDatabase>(*server);
    return std::nullopt;
  }

  Result<std::unique_ptr<sql::SqlStore>> open_store(const StoreSettings& settings) override {
    auto db = open_postgres_database(options(settings));
    if (!db) return std::move(db).error();
    return std::make_unique<sql::SqlStore>(std::move(*db));
  }

  std::unique_ptr<MigrationTarget> migration_target(const std::string& prefix) override {
    StoreSettings settings;
    settings.prefix = prefix;
    return std::make_unique<sql::SqlMigrationTarget>(
        std::unique_ptr<sql::Connection>(open_postgres_migration_connection(options(settings))));
  }

  void exec(const std::string& sql) override { db_->raw().exec(sql); }
  std::string scalar(const std::string& sql) override { return db_->raw().scalar(sql); }
  std::vector<Row> query(const std::string& sql) override { return db_->raw().exec(sql); }

  std::unique_ptr<HeldLock> hold_write_lock(const std::string& table,
                                            const std::string& where) override {
    auto lock = std::make_unique<Lock>(db_->connect());
    lock->take("SELECT * FROM " + table + " WHERE " + where + " FOR UPDATE");
    return lock;
  }

  // lock_timeout counts milliseconds; a tenth of a second keeps the lock tests quick but real.
  std::chrono::milliseconds shortest_lock_timeout() const override {
    return std::chrono::milliseconds(100);
  }
  // open_postgres_database retries a deadlock, a serialization failure or a lock timeout once.
  int lock_attempts() const override { return 2; }

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

  std::unique_ptr<MigrationTarget> unreachable_migration_target() override {
    return unreachable_migration_target_of<PostgresOptions>(open_postgres_migration_connection);
  }

 private:
  // Row locks of a transaction on a connection of its own.
  class Lock final : public HeldLock {
   public:
    explicit Lock(std::unique_ptr<RawPostgres> conn) : conn_(std::move(conn)) {}
    void take(const std::string& locking_read) {
      conn_->exec("BEGIN");
      conn_->exec(locking_read);
    }
    ~Lock() override {
      try {
        conn_->exec("ROLLBACK");
      } catch (const std::exception&) {
        // Closing the connection rolls back too.
      }
    }

   private:
    std::unique_ptr<RawPostgres> conn_;
  };

  std::set<std::string> first_column(const std::string& sql) {
    std::set<std::string> out;
    for (const Row& row : query(sql)) out.insert(row.at(0).value_or("NULL"));
    return out;
  }

  std::unique_ptr<PostgresTestDatabase> db_;
};

}  // namespace gatehouse::store::testing
