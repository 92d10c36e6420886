#include "test_databases.hpp"

#include <libpq-fe.h>
#include <mysql.h>

#include <boost/url/parse.hpp>

#include <cstdlib>
#include <random>
#include <stdexcept>

#include "server_process.hpp"

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

// A name no other test uses, for a database of its own.
std::string random_database_name() {
  std::random_device rd;
  return "gh_e2e_" + std::to_string(rd() % 1000000000u) + "_" + std::to_string(rd() % 1000u);
}

// A libpq connection to `url` with its database replaced by `database`; throws on failure.
PGconn* pg_connect(const std::string& url, const std::string& database) {
  const std::string target = url.substr(0, url.rfind('/') + 1) + database;
  PGconn* conn = PQconnectdb(target.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    const std::string err = PQerrorMessage(conn);
    PQfinish(conn);
    throw std::runtime_error("cannot connect to the test PostgreSQL: " + err);
  }
  return conn;
}

void pg_run(PGconn* conn, const std::string& sql) {
  PGresult* result = PQexec(conn, sql.c_str());
  const ExecStatusType status = PQresultStatus(result);
  const std::string err = PQresultErrorMessage(result);
  PQclear(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY) {
    throw std::runtime_error("SQL failed: " + err + " in: " + sql.substr(0, 200));
  }
}

}  // namespace

std::unique_ptr<TestDatabase> TestDatabase::create(std::string_view backend) {
  if (backend == "mysql") return std::make_unique<MysqlDatabase>();
  if (backend == "postgresql") return std::make_unique<PostgresDatabase>();
  throw std::invalid_argument("no test database for backend " + std::string(backend));
}

std::unique_ptr<TestDatabase> prepare_backend(std::string_view backend, const std::string& dir,
                                              std::map<std::string, std::string>& env,
                                              std::string& skip) {
  if (backend == "sqlite") return nullptr;
  auto db = TestDatabase::create(backend);
  if (db->url().empty()) {
    skip = std::string(db->server_variable()) + " is not set";
    return db;
  }
  env["DATABASE_URL"] = db->url();
  auto migrated = run_gatehouse({"migrate", "up"}, dir, env);
  if (migrated.exit_code != 0) throw std::runtime_error("gatehouse migrate up: " + migrated.err);
  return db;
}

// ---- MariaDB ----

MysqlDatabase::MysqlDatabase() {
  const char* env = std::getenv("GATEHOUSE_TEST_MYSQL_URL");
  if (env == nullptr || *env == '\0') return;
  server_url_ = env;
  name_ = random_database_name();
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

// ---- PostgreSQL ----

PostgresDatabase::PostgresDatabase() {
  const char* env = std::getenv("GATEHOUSE_TEST_POSTGRES_URL");
  if (env == nullptr || *env == '\0') return;
  server_url_ = env;
  name_ = random_database_name();
  PGconn* conn = pg_connect(server_url_, "postgres");
  try {
    pg_run(conn, "CREATE DATABASE " + name_ + " ENCODING 'UTF8' TEMPLATE template0");
  } catch (...) {
    PQfinish(conn);
    throw;
  }
  PQfinish(conn);
  url_ = server_url_.substr(0, server_url_.rfind('/') + 1) + name_;
}

PostgresDatabase::~PostgresDatabase() {
  if (url_.empty()) return;
  try {
    PGconn* conn = pg_connect(server_url_, "postgres");
    // WITH (FORCE): a server killed by a test may have left its sessions behind.
    PQclear(PQexec(conn, ("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)").c_str()));
    PQfinish(conn);
  } catch (const std::exception&) {
    // A server stopped by a test: nothing to drop.
  }
}

void PostgresDatabase::execute(const std::string& sql) const {
  PGconn* conn = pg_connect(server_url_, name_);
  try {
    pg_run(conn, sql);
  } catch (...) {
    PQfinish(conn);
    throw;
  }
  PQfinish(conn);
}

}  // namespace gatehouse::e2e
