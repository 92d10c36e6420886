#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace gatehouse::e2e {

// A database of its own on a test server (scripts/test.sh starts private ones and names them in
// GATEHOUSE_TEST_MYSQL_URL and GATEHOUSE_TEST_POSTGRES_URL), dropped at destruction. `url()` is
// empty when the variable is unset; tests then skip that backend's variant.
class TestDatabase {
 public:
  virtual ~TestDatabase() = default;
  // "mysql" or "postgresql".
  static std::unique_ptr<TestDatabase> create(std::string_view backend);

  const std::string& url() const { return url_; }
  // The variable that names the server, for skip messages.
  virtual std::string_view server_variable() const = 0;
  // Runs SQL statements (separated by ';') in this database; throws on failure.
  virtual void execute(const std::string& sql) const = 0;

 protected:
  std::string url_;
};

// A MariaDB database (GATEHOUSE_TEST_MYSQL_URL).
class MysqlDatabase final : public TestDatabase {
 public:
  MysqlDatabase();
  ~MysqlDatabase() override;
  MysqlDatabase(const MysqlDatabase&) = delete;
  MysqlDatabase& operator=(const MysqlDatabase&) = delete;

  std::string_view server_variable() const override { return "GATEHOUSE_TEST_MYSQL_URL"; }
  void execute(const std::string& sql) const override;

 private:
  std::string server_url_;  // without the database
  std::string name_;
};

// A PostgreSQL database (GATEHOUSE_TEST_POSTGRES_URL).
class PostgresDatabase final : public TestDatabase {
 public:
  PostgresDatabase();
  ~PostgresDatabase() override;
  PostgresDatabase(const PostgresDatabase&) = delete;
  PostgresDatabase& operator=(const PostgresDatabase&) = delete;

  std::string_view server_variable() const override { return "GATEHOUSE_TEST_POSTGRES_URL"; }
  void execute(const std::string& sql) const override;

 private:
  std::string server_url_;
  std::string name_;
};

// The database a test of `backend` ("sqlite", "mysql", "postgresql") runs on: for a server, a
// database of its own, migrated with `gatehouse migrate up` in `dir` and named in `env` as
// DATABASE_URL. Returns null for SQLite (the server's default file) and sets `skip` when the
// server's variable is unset; throws when migrating fails.
std::unique_ptr<TestDatabase> prepare_backend(std::string_view backend, const std::string& dir,
                                              std::map<std::string, std::string>& env,
                                              std::string& skip);

}  // namespace gatehouse::e2e
