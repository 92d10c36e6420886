#pragma once
// The MySQL/MariaDB backend of the store's tests (see store_backends.hpp): a database of the test's
// own on the server named by GATEHOUSE_TEST_MYSQL_URL, skipped when that is unset.

#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "mysql_test_support.hpp"
#include "store/mysql/mysql_database.hpp"
#include "store/sql/sql_migration_target.hpp"
#include "store/sql/sql_store.hpp"
#include "store_backends.hpp"

namespace gatehouse::store::testing {

class MysqlBackend final : public TestBackend {
 public:
  // The database of the test's own; only after create_database() succeeded.
  TestDatabase& database() { return *db_; }

  // The options the server would open the database with, for `settings`.
  MysqlOptions options(const StoreSettings& settings) const {
    MysqlOptions o;
    o.endpoint = db_->endpoint();
    o.prefix = settings.prefix;
    o.pool_size = settings.pool_size;
    if (settings.lock_timeout) {
      o.lock_wait_timeout = std::chrono::ceil<std::chrono::seconds>(*settings.lock_timeout);
    }
    return o;
  }

  static Result<std::unique_ptr<sql::SqlStore>> open_store(const MysqlOptions& options) {
    auto db = open_mysql_database(options);
    if (!db) return std::move(db).error();
    return std::make_unique<sql::SqlStore>(std::move(*db));
  }

  sql::Dialect dialect() const override { return sql::Dialect::kMysql; }

  std::optional<std::string> create_database() override {
    const auto server = test_server();
    if (!server) {
      return std::string(kUrlVariable) +
             " is not set: the MySQL tests need a MariaDB/MySQL server (scripts/test.sh starts a "
             "private one and sets it; or scripts/mariadb.sh start DIR)";
    }
    db_ = std::make_unique<TestDatabase>(*server);
    return std::nullopt;
  }

  Result<std::unique_ptr<sql::SqlStore>> open_store(const StoreSettings& settings) override {
    return open_store(options(settings));
  }

  std::unique_ptr<MigrationTarget> migration_target(const std::string& prefix) override {
    StoreSettings settings;
    settings.prefix = prefix;
    return std::make_unique<sql::SqlMigrationTarget>(
        std::unique_ptr<sql::Connection>(open_mysql_migration_connection(options(settings))));
  }

  void exec(const std::string& sql) override { db_->raw().exec(sql); }
  std::string scalar(const std::string& sql) override { return db_->raw().scalar(sql); }
  std::vector<Row> query(const std::string& sql) override { return db_->raw().query(sql); }

  std::unique_ptr<HeldLock> hold_write_lock(const std::string& table,
                                            const std::string& where) override {
    auto lock = std::make_unique<Lock>(db_->connect());
    lock->take("SELECT * FROM " + table + " WHERE " + where + " FOR UPDATE");
    return lock;
  }

  // innodb_lock_wait_timeout counts whole seconds.
  std::chrono::milliseconds shortest_lock_timeout() const override {
    return std::chrono::seconds(1);
  }
  // open_mysql_database retries a deadlock or a lock wait timeout once.
  int lock_attempts() const override { return 2; }

  std::string says_duplicate() const override { return "Duplicate entry"; }
  std::string says_missing_table(const std::string& table) const override {
    return db_->name() + "." + table + "' doesn't exist";
  }
  std::string says_lock_timeout() const override { return "Lock wait timeout exceeded"; }

  bool transactional_ddl() const override { return false; }

  std::set<std::string> tables() override { return db_->tables(); }
  std::set<std::string> indexes(const std::string& table) override { return db_->indexes(table); }
  std::set<std::string> cascading_foreign_keys() override {
    std::set<std::string> out;
    for (const Row& row : db_->raw().query(
             "SELECT CONCAT(TABLE_NAME, ' -> ', REFERENCED_TABLE_NAME) FROM "
             "information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() "
             "AND DELETE_RULE = 'CASCADE'")) {
      out.insert(row.at(0).value_or("NULL"));
    }
    return out;
  }

  // SQLAlchemy's rendering for MySQL: server defaults `False`, 'user' and now().
  std::string tutorial_schema() const override {
    return tutorial_schema_of({.id = "INTEGER NOT NULL AUTO_INCREMENT",
                               .boolean = "BOOL",
                               .timestamp = "TIMESTAMP DEFAULT now()"});
  }

  std::unique_ptr<MigrationTarget> unreachable_migration_target() override {
    return unreachable_migration_target_of<MysqlOptions>(open_mysql_migration_connection);
  }

 private:
  // Row locks of a transaction on a connection of its own.
  class Lock final : public HeldLock {
   public:
    explicit Lock(std::unique_ptr<RawConnection> conn) : conn_(std::move(conn)) {}
    void take(const std::string& locking_read) {
      conn_->exec("START TRANSACTION");
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
    std::unique_ptr<RawConnection> conn_;
  };

  std::unique_ptr<TestDatabase> db_;
};

}  // namespace gatehouse::store::testing
