// End-to-end on MariaDB: adopting a tutorial database in place, and riding out a database outage.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json.hpp>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <thread>

#include "http_client.hpp"
#include "server_process.hpp"
#include "test_databases.hpp"

namespace gatehouse::e2e {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

// The schema exactly as the tutorial's Alembic revision e176fc408bdb creates it on MySQL.
constexpr const char* kTutorialSchema = R"sql(
CREATE TABLE api_user (
  id INTEGER NOT NULL AUTO_INCREMENT,
  name VARCHAR(255) NOT NULL,
  email VARCHAR(255) NOT NULL,
  password VARCHAR(255) NOT NULL,
  photo VARCHAR(255),
  verified BOOL DEFAULT false NOT NULL,
  role VARCHAR(255) DEFAULT 'user' NOT NULL,
  created_at TIMESTAMP DEFAULT now() NOT NULL,
  updated_at TIMESTAMP DEFAULT now() NOT NULL,
  PRIMARY KEY (id),
  UNIQUE (email)
);
CREATE INDEX ix_api_user_id ON api_user (id);
CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));
INSERT INTO alembic_version (version_num) VALUES ('e176fc408bdb');
)sql";

struct LegacyUser {
  int id;
  const char* email;
  const char* password;
  const char* hash;  // passlib-style bcrypt, made with python3-bcrypt
};
constexpr LegacyUser kLegacyUsers[] = {
    {3, "alice@example.com", "alice-password-1",
     "$2b$05$c8ASdUkUu7Ynm.GM9CoO5.6SG2JNVH7cYITjYAe1riPuemPV1mTjy"},
    {7, "bob@example.com", "bob-password-22",
     "$2b$05$3J5ScfOInW32fCb.fqNFI.HU3mvhzPfZQalj76cBhwJFF86eRMuSK"},
    {12, "carol@example.com", "carol-password-333",
     "$2b$05$r2/ta9JaIUAgLWcV/XSRN.eGTA5Wh1jukB/FYZj1EcE5rdkuiqfdO"},
};

TEST(MysqlAdoption, TutorialDatabaseIsUpgradedInPlaceAndEveryUserLogsIn) {
  MysqlDatabase db;
  if (db.url().empty()) GTEST_SKIP() << "GATEHOUSE_TEST_MYSQL_URL is not set";
  db.execute(kTutorialSchema);
  for (const auto& u : kLegacyUsers) {
    db.execute(
        "INSERT INTO api_user (id, name, email, password, photo, verified, role, created_at, "
        "updated_at) VALUES (" +
        std::to_string(u.id) + ", 'Legacy', '" + u.email + "', '" + u.hash +
        "', 'p.png', 1, 'user', '2022-11-10 09:00:00', '2022-11-10 09:00:00')");
  }

  TempDir dir;
  auto env = test_env(free_port());
  env["DATABASE_URL"] = db.url();
  auto status = run_gatehouse({"migrate", "status"}, dir.path(), env);
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find("e176fc408bdb"), std::string::npos) << status.out;
  auto up = run_gatehouse({"migrate", "up"}, dir.path(), env);
  ASSERT_EQ(up.exit_code, 0) << up.err;
  EXPECT_NE(up.out.find("adopted 1 create_user"), std::string::npos) << up.out;
  EXPECT_EQ(up.out.find("applied 1 "), std::string::npos) << up.out;
  EXPECT_NE(up.out.find("applied 2 "), std::string::npos) << up.out;
  status = run_gatehouse({"migrate", "status"}, dir.path(), env);
  EXPECT_NE(status.out.find("up to date"), std::string::npos) << status.out;

  ServerProcess server(dir.path(), env);
  ASSERT_TRUE(server.ready()) << server.log();
  HttpClient c(server.port());
  for (const auto& u : kLegacyUsers) {
    auto login =
        c.post_json("/api/auth/login", json::object{{"email", u.email}, {"password", u.password}});
    ASSERT_EQ(login.status, 200) << u.email << ": " << login.body;
    auto me = c.get(
        "/api/users/me",
        {{"Authorization", "Bearer " + std::string(login.json().at("access_token").as_string())}});
    ASSERT_EQ(me.status, 200) << me.body;
    EXPECT_EQ(me.json().at("id").as_int64(), u.id);
    EXPECT_EQ(std::string(me.json().at("created_at").as_string()).substr(0, 19),
              "2022-11-10T09:00:00");
    auto wrong = c.post_json("/api/auth/login",
                             json::object{{"email", u.email}, {"password", "not-the-password"}});
    EXPECT_EQ(wrong.status, 400);
  }
  // A new registration continues after the highest adopted id.
  auto reg = c.post_json("/api/auth/register", json::object{{"name", "New"},
                                                            {"email", "new@example.com"},
                                                            {"photo", "n.png"},
                                                            {"password", "Passw0rd!42"},
                                                            {"passwordConfirm", "Passw0rd!42"}});
  ASSERT_EQ(reg.status, 201) << reg.body;
  EXPECT_GT(reg.json().at("id").as_int64(), 12);
  // The old password still works after its hash was upgraded to argon2id.
  auto again = c.post_json("/api/auth/login", json::object{{"email", "alice@example.com"},
                                                           {"password", "alice-password-1"}});
  EXPECT_EQ(again.status, 200);
}

// A MariaDB of this test's own, so it can be stopped and started again.
class PrivateMariadb {
 public:
  PrivateMariadb() : port_(free_port()) { start(); }
  ~PrivateMariadb() { stop(); }
  void start() {
    const std::string cmd = std::string(GATEHOUSE_SOURCE_DIR) + "/scripts/mariadb.sh start " +
                            dir_.path().string() + " " + std::to_string(port_) + " >/dev/null";
    ok_ = std::system(cmd.c_str()) == 0;
  }
  void stop() {
    const std::string cmd =
        std::string(GATEHOUSE_SOURCE_DIR) + "/scripts/mariadb.sh stop " + dir_.path().string();
    (void)std::system(cmd.c_str());
  }
  bool ok() const { return ok_; }
  std::string url() const {
    return "mysql://gatehouse:gatehouse@127.0.0.1:" + std::to_string(port_) + "/gatehouse";
  }

 private:
  TempDir dir_;
  unsigned short port_;
  bool ok_ = false;
};

TEST(MysqlOutage, RequestsGet503FastAndRecoverWithoutRestart) {
  if (std::getenv("GATEHOUSE_TEST_MYSQL_URL") == nullptr) {
    GTEST_SKIP() << "GATEHOUSE_TEST_MYSQL_URL is not set (no MariaDB on this machine)";
  }
  PrivateMariadb mariadb;
  ASSERT_TRUE(mariadb.ok());
  TempDir dir;
  auto env = test_env(free_port());
  env["DATABASE_URL"] = mariadb.url();
  ASSERT_EQ(run_gatehouse({"migrate", "up"}, dir.path(), env).exit_code, 0);
  ServerProcess server(dir.path(), env);
  ASSERT_TRUE(server.ready()) << server.log();

  std::string access;
  {
    HttpClient c(server.port());
    auto reg = c.post_json("/api/auth/register", json::object{{"name", "O"},
                                                              {"email", "outage@example.com"},
                                                              {"photo", "p"},
                                                              {"password", "Passw0rd!42"},
                                                              {"passwordConfirm", "Passw0rd!42"}});
    ASSERT_EQ(reg.status, 201) << reg.body;
    auto login = c.post_json("/api/auth/login", json::object{{"email", "outage@example.com"},
                                                             {"password", "Passw0rd!42"}});
    ASSERT_EQ(login.status, 200) << login.body;
    access = std::string(login.json().at("access_token").as_string());
  }

  // Load from two clients for the whole test: every answer is 200 or 503, never a 500 or a hang.
  std::atomic<bool> done{false};
  std::atomic<int> ok{0}, unavailable{0}, other{0};
  std::atomic<long> slowest_ms{0};
  std::vector<std::thread> load;
  for (int t = 0; t < 2; ++t) {
    load.emplace_back([&] {
      for (int i = 0; i < 200000 && !done; ++i) {
        const auto start = std::chrono::steady_clock::now();
        int status = 0;
        try {
          HttpClient c(server.port());
          status = c.get("/api/users/me", {{"Authorization", "Bearer " + access}}).status;
        } catch (const std::exception&) {
          status = -1;
        }
        const long ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - start)
                            .count();
        long prev = slowest_ms.load();
        while (ms > prev && !slowest_ms.compare_exchange_weak(prev, ms)) {
        }
        (status == 200 ? ok : status == 503 ? unavailable : other)++;
        std::this_thread::sleep_for(5ms);
      }
    });
  }

  ASSERT_TRUE(wait_until([&] { return ok.load() > 0; })) << "the load did not start";
  mariadb.stop();
  // The server has seen the outage once its readiness probe says so.
  ASSERT_TRUE(
      wait_until([&] { return HttpClient(server.port()).get("/api/readyz").status == 503; }));
  {
    HttpClient c(server.port());
    const auto start = std::chrono::steady_clock::now();
    auto me = c.get("/api/users/me", {{"Authorization", "Bearer " + access}});
    EXPECT_EQ(me.status, 503);
    EXPECT_EQ(me.detail(), "Service unavailable");
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
    EXPECT_EQ(c.get("/api/readyz").status, 503);
    EXPECT_EQ(c.get("/api/healthchecker").status, 200);
  }
  EXPECT_TRUE(server.running());

  mariadb.start();
  ASSERT_TRUE(mariadb.ok());
  bool recovered = false;
  for (int i = 0; i < 100 && !recovered; ++i) {
    HttpClient c(server.port());
    recovered = c.get("/api/users/me", {{"Authorization", "Bearer " + access}}).status == 200;
    if (!recovered) std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(recovered) << "no recovery after the database came back";
  const int ok_at_recovery = ok.load();
  EXPECT_TRUE(wait_until([&] { return ok.load() > ok_at_recovery; })) << "the load did not recover";
  done = true;
  for (auto& t : load) t.join();
  EXPECT_EQ(other.load(), 0) << "answers other than 200/503 during the outage";
  EXPECT_GT(unavailable.load(), 0);
  EXPECT_GT(ok.load(), 0);
  EXPECT_LT(slowest_ms.load(), 6000) << "a request hung";
  EXPECT_TRUE(server.running());
  EXPECT_EQ(HttpClient(server.port()).get("/api/readyz").status, 200);
}

// The tutorial's DATABASE_HOST/PORT/DB/USER/PASSWORD instead of a URL, on the real MariaDB;
// `serve` refuses to start while migrations are pending and says what to run.
TEST(MysqlSettings, TutorialVariablesReachTheDatabaseAndServeWaitsForMigrations) {
  MysqlDatabase db;
  if (db.url().empty()) GTEST_SKIP() << "GATEHOUSE_TEST_MYSQL_URL is not set";
  std::smatch parts;
  const std::string url = db.url();
  ASSERT_TRUE(
      std::regex_match(url, parts, std::regex(R"(mysql://([^:]+):([^@]*)@([^:/]+):(\d+)/(.+))")))
      << url;
  TempDir dir;
  auto env = test_env(free_port());
  env["DATABASE_HOST"] = parts[3];
  env["DATABASE_PORT"] = parts[4];
  env["DATABASE_DB"] = parts[5];
  env["DATABASE_USER"] = parts[1];
  env["DATABASE_PASSWORD"] = parts[2];

  auto refused = run_gatehouse({"serve"}, dir.path(), env);
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("pending migration(s): run `gatehouse migrate up`"), std::string::npos)
      << refused.err;

  auto wrong = env;
  wrong["DATABASE_PASSWORD"] = "not-the-password";
  EXPECT_NE(run_gatehouse({"migrate", "up"}, dir.path(), wrong).exit_code, 0);
  wrong = env;
  wrong["DATABASE_DB"] = "no_such_database";
  EXPECT_NE(run_gatehouse({"migrate", "up"}, dir.path(), wrong).exit_code, 0);

  auto migrated = run_gatehouse({"migrate", "up"}, dir.path(), env);
  ASSERT_EQ(migrated.exit_code, 0) << migrated.err;
  ServerProcess server(dir.path(), env);
  ASSERT_TRUE(server.ready()) << server.log();
  HttpClient c(server.port());
  ASSERT_EQ(c.post_json("/api/auth/register", json::object{{"name", "T"},
                                                           {"email", "vars@example.com"},
                                                           {"photo", "p"},
                                                           {"password", "Passw0rd!42"},
                                                           {"passwordConfirm", "Passw0rd!42"}})
                .status,
            201);
  // The row is in the database the variables name: a server on the same URL finds it.
  server.stop(SIGTERM);
  auto via_url = test_env(free_port());
  via_url["DATABASE_URL"] = url;
  ServerProcess second(dir.path(), via_url);
  ASSERT_TRUE(second.ready()) << second.log();
  EXPECT_EQ(HttpClient(second.port())
                .post_json("/api/auth/login",
                           json::object{{"email", "vars@example.com"}, {"password", "Passw0rd!42"}})
                .status,
            200);
}

}  // namespace
}  // namespace gatehouse::e2e
