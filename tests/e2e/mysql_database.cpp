#include "mysql_database.hpp"

#include <mysql.h>

#include <boost/url/parse.hpp>

#include <cstdlib>
#include <random>
#include <stdexcept>

namespace gatehouse::e2e {

namespace {

struct Target {
  std::string host, user, password;
  unsigned port = 3306;
};

Target parse(const std::string& url) {
  auto u = boost::urls::parse_uri(url);
  if (!u) throw std::runtime_error("bad GATEHOUSE_TEST_MYSQL_URL");
  Target t;
  t.host = std::string(u->host());
  t.user = std::string(u->user());
  t.password = std::string(u->password());
  if (u->has_port()) t.port = u->port_number();
  return t;
}

MYSQL* connect(const Target& t, const char* db) {
  MYSQL* m = mysql_init(nullptr);
  if (mysql_real_connect(m, t.host.c_str(), t.user.c_str(), t.password.c_str(), db, t.port, nullptr,
                         CLIENT_MULTI_STATEMENTS) == nullptr) {
    const std::string err = mysql_error(m);
    mysql_close(m);
    throw std::runtime_error("cannot connect to the test MariaDB: " + err);
  }
  return m;
}

void run(MYSQL* m, const std::string& sql) {
  if (mysql_query(m, sql.c_str()) != 0) {
    throw std::runtime_error("SQL failed: " + std::string(mysql_error(m)) +
                             " in: " + sql.substr(0, 200));
  }
  do {
    if (MYSQL_RES* r = mysql_store_result(m)) mysql_free_result(r);
  } while (mysql_next_result(m) == 0);
}

}  // namespace

MysqlDatabase::MysqlDatabase() {
  const char* env = std::getenv("GATEHOUSE_TEST_MYSQL_URL");
  if (env == nullptr || *env == '\0') return;
  server_url_ = env;
  std::random_device rd;
  name_ = "gh_e2e_" + std::to_string(rd() % 1000000000u) + "_" + std::to_string(rd() % 1000u);
  MYSQL* m = connect(parse(server_url_), nullptr);
  run(m, "CREATE DATABASE " + name_ + " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci");
  mysql_close(m);
  url_ = server_url_.substr(0, server_url_.rfind('/') + 1) + name_;
}

MysqlDatabase::~MysqlDatabase() {
  if (url_.empty()) return;
  try {
    MYSQL* m = connect(parse(server_url_), nullptr);
    run(m, "DROP DATABASE IF EXISTS " + name_);
    mysql_close(m);
  } catch (const std::exception&) {
    // A server stopped by a test: nothing to drop.
  }
}

void MysqlDatabase::execute(const std::string& sql) const {
  MYSQL* m = connect(parse(server_url_), name_.c_str());
  try {
    run(m, sql);
  } catch (...) {
    mysql_close(m);
    throw;
  }
  mysql_close(m);
}

}  // namespace gatehouse::e2e
