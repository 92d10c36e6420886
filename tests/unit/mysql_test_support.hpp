#pragma once
// MariaDB test scaffolding shared by the MySQL store, store contract and migration tests: the
// server named by GATEHOUSE_TEST_MYSQL_URL (scripts/test.sh starts a private one), a raw connection
// of the test's own, and a database per test that is dropped afterwards.

#include <gtest/gtest.h>
#include <mysql.h>

#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "config/settings.hpp"
#include "store/mysql/mysql_database.hpp"
#include "store_backends.hpp"

namespace gatehouse::store::testing {

constexpr const char* kUrlVariable = "GATEHOUSE_TEST_MYSQL_URL";

// The server the MariaDB tests use (mysql://user:pass@127.0.0.1:port/db); nullopt when unset.
inline std::optional<config::DatabaseSettings> test_server() {
  return test_server_from(kUrlVariable, config::DatabaseKind::kMysql);
}

// A connection of the test's own, outside the store (text protocol), to set up odd rows, hold
// locks and look at the server. Failures throw, so that they fail the test where they happen.
class RawConnection {
 public:
  RawConnection(const config::DatabaseSettings& server, const std::string& database) {
    mysql_ = mysql_init(nullptr);
    mysql_options(mysql_, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    if (mysql_real_connect(
            mysql_, server.host.c_str(), server.user.c_str(), server.password.c_str(),
            database.empty() ? nullptr : database.c_str(), server.port,
            server.unix_socket.empty() ? nullptr : server.unix_socket.c_str(), 0) == nullptr) {
      const std::string message = mysql_error(mysql_);
      mysql_close(mysql_);
      throw std::runtime_error("test connection: " + message);
    }
    exec("SET time_zone = '+00:00'");
  }
  ~RawConnection() { mysql_close(mysql_); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  // Runs statements separated by ';' at line ends, as the tutorial's tools sent them one by one.
  void exec(const std::string& sql) {
    std::size_t start = 0;
    while (start < sql.size()) {
      std::size_t end = sql.find(";\n", start);
      if (end == std::string::npos) end = sql.size();
      const std::string statement = sql.substr(start, end - start);
      start = end + 2;
      if (statement.find_first_not_of(" \n\t;") == std::string::npos) continue;
      (void)query(statement);
    }
  }

  std::vector<Row> query(const std::string& sql) {
    if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) {
      throw std::runtime_error("test SQL failed: " + std::string(mysql_error(mysql_)) +
                               " in: " + sql);
    }
    std::vector<Row> rows;
    MYSQL_RES* result = mysql_store_result(mysql_);
    if (result == nullptr) return rows;
    const unsigned columns = mysql_num_fields(result);
    while (MYSQL_ROW row = mysql_fetch_row(result)) {
      const unsigned long* lengths = mysql_fetch_lengths(result);
      Row out;
      for (unsigned i = 0; i < columns; ++i) {
        out.push_back(row[i] == nullptr
                          ? std::nullopt
                          : std::optional<std::string>(std::string(row[i], lengths[i])));
      }
      rows.push_back(std::move(out));
    }
    mysql_free_result(result);
    return rows;
  }

  // The first column of the first row ("NULL" for NULL, "" for no row).
  std::string scalar(const std::string& sql) { return first_value(query(sql)); }

 private:
  MYSQL* mysql_ = nullptr;
};

// A database `gh_t_<random>` of the test's own in utf8mb4, dropped at destruction, so tests run
// in parallel.
class TestDatabase final : public ScratchDatabase<RawConnection> {
 public:
  explicit TestDatabase(config::DatabaseSettings server)
      : ScratchDatabase(std::move(server), "", " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
                        "") {}

  MysqlEndpoint endpoint() const {
    MysqlEndpoint e;
    e.host = server().host;
    e.port = server().port;
    e.unix_socket = server().unix_socket;
    e.user = server().user;
    e.password = server().password;
    e.database = name();
    return e;
  }

  // The id of the server connection executing the rotation's SELECT ... FOR UPDATE (waiting for
  // a row lock the test holds), or "".
  std::string locking_read() {
    return raw().scalar(
        "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = '" + name() +
        "' AND COMMAND = 'Execute' AND INFO LIKE '%FOR UPDATE%' ORDER BY ID DESC LIMIT 1");
  }

  // Ids of the server connections to this database other than the test's own.
  std::set<std::string> store_connections() {
    std::set<std::string> ids;
    for (const Row& row : raw().query("SELECT ID FROM information_schema.PROCESSLIST WHERE DB = '" +
                                      name() + "' AND ID <> CONNECTION_ID()")) {
      ids.insert(*row[0]);
    }
    return ids;
  }

  std::set<std::string> tables() {
    std::set<std::string> names;
    for (const Row& row : raw().query("SELECT TABLE_NAME FROM information_schema.TABLES WHERE "
                                      "TABLE_SCHEMA = DATABASE()")) {
      names.insert(*row[0]);
    }
    return names;
  }

  std::set<std::string> indexes(const std::string& table) {
    std::set<std::string> names;
    for (const Row& row :
         raw().query("SELECT DISTINCT INDEX_NAME FROM information_schema.STATISTICS "
                     "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '" +
                     table + "'")) {
      names.insert(*row[0]);
    }
    return names;
  }

  // Columns, indexes and table options of `table`, with `prefix` written as "{p}", one line each.
  std::vector<std::string> shape(const std::string& prefix, const std::string& table) {
    const std::string name = prefix + table;
    std::vector<std::string> out;
    const auto add = [&](const std::vector<Row>& rows) {
      for (const Row& row : rows) {
        std::string line;
        for (const auto& value : row) line += value.value_or("NULL") + " | ";
        out.push_back(line);
      }
    };
    add(
        raw().query("SELECT TABLE_NAME, ENGINE, TABLE_COLLATION FROM information_schema.TABLES "
                    "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '" +
                    name + "'"));
    add(raw().query(
        "SELECT COLUMN_NAME, ORDINAL_POSITION, COLUMN_DEFAULT, IS_NULLABLE, COLUMN_TYPE, EXTRA, "
        "CHARACTER_SET_NAME, COLLATION_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = "
        "DATABASE() AND TABLE_NAME = '" +
        name + "' ORDER BY ORDINAL_POSITION"));
    add(raw().query("SELECT REPLACE(INDEX_NAME, '" + prefix +
                    "', '{p}') AS n, NON_UNIQUE, "
                    "SEQ_IN_INDEX, COLUMN_NAME FROM information_schema.STATISTICS WHERE "
                    "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '" +
                    name + "' ORDER BY n, 3"));
    for (std::string& line : out) {
      for (std::size_t at = line.find(name); at != std::string::npos; at = line.find(name)) {
        line.replace(at, name.size(), "{p}" + table);
      }
    }
    return out;
  }
};

}  // namespace gatehouse::store::testing
