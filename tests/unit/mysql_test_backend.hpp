#pragma once
// The MySQL/MariaDB backend of the store's tests (see store_backends.hpp): a database of the test's
// own on the server named by GATEHOUSE_TEST_MYSQL_URL, skipped when that is unset.

#include <chrono>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "mysql_test_support.hpp"
#include "store/mysql/mysql_database.hpp"
#include "store_backends.hpp"

namespace gatehouse::store::testing {

// What ServerBackend needs to know of MySQL.
struct MysqlDriver {
  using Options = MysqlOptions;
  using Database = TestDatabase;
  static constexpr sql::Dialect kDialect = sql::Dialect::kMysql;
  static std::optional<config::DatabaseSettings> server() { return test_server(); }
  static std::string missing_server() {
    return testing::missing_server(kUrlVariable, "MariaDB/MySQL", "mariadb.sh");
  }
  // innodb_lock_wait_timeout counts whole seconds.
  static void set_lock_timeout(MysqlOptions& options, std::chrono::milliseconds timeout) {
    options.lock_wait_timeout = std::chrono::ceil<std::chrono::seconds>(timeout);
  }
  static auto open_database(const MysqlOptions& options) { return open_mysql_database(options); }
  static auto open_migration_connection(const MysqlOptions& options) {
    return open_mysql_migration_connection(options);
  }
};

class MysqlBackend final : public ServerBackend<MysqlDriver> {
 public:
  // innodb_lock_wait_timeout counts whole seconds.
  std::chrono::milliseconds shortest_lock_timeout() const override {
    return std::chrono::seconds(1);
  }

  std::string says_duplicate() const override { return "Duplicate entry"; }
  std::string says_missing_table(const std::string& table) const override {
    return database().name() + "." + table + "' doesn't exist";
  }
  std::string says_lock_timeout() const override { return "Lock wait timeout exceeded"; }

  bool transactional_ddl() const override { return false; }

  std::set<std::string> tables() override { return database().tables(); }
  std::set<std::string> indexes(const std::string& table) override {
    return database().indexes(table);
  }
  std::set<std::string> cascading_foreign_keys() override {
    return first_column(
        "SELECT CONCAT(TABLE_NAME, ' -> ', REFERENCED_TABLE_NAME) FROM "
        "information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() "
        "AND DELETE_RULE = 'CASCADE'");
  }

  // SQLAlchemy's rendering for MySQL: server defaults `False`, 'user' and now().
  std::string tutorial_schema() const override {
    return tutorial_schema_of({.id = "INTEGER NOT NULL AUTO_INCREMENT",
                               .boolean = "BOOL",
                               .timestamp = "TIMESTAMP DEFAULT now()"});
  }

  // information_schema's view: the table's engine and collation, every column's type, default,
  // extra and character set, every index's columns (TestDatabase::shape).
  std::vector<std::string> user_table_shape(const std::string& prefix) override {
    return database().shape(prefix, "user");
  }
};

}  // namespace gatehouse::store::testing
