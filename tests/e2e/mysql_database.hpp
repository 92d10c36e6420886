#pragma once

#include <optional>
#include <string>

namespace gatehouse::e2e {

// A database of its own on the test MariaDB named by GATEHOUSE_TEST_MYSQL_URL (scripts/test.sh
// starts a private server and sets it), dropped at destruction. `url()` is empty when the
// variable is unset; tests then skip their MariaDB variant.
class MysqlDatabase {
 public:
  MysqlDatabase();
  ~MysqlDatabase();
  MysqlDatabase(const MysqlDatabase&) = delete;
  MysqlDatabase& operator=(const MysqlDatabase&) = delete;

  const std::string& url() const { return url_; }
  // Runs SQL statements (separated by ';' at line ends) in this database; throws on failure.
  void execute(const std::string& sql) const;

 private:
  std::string server_url_;  // without the database
  std::string name_;
  std::string url_;
};

}  // namespace gatehouse::e2e
