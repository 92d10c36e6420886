// End-to-end on MariaDB: adopting a tutorial database in place, and the tutorial's DATABASE_*
// variables. Riding out a database outage is tested on every server in outage_e2e_test.cpp.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json.hpp>

#include <regex>

#include "http_client.hpp"
#include "server_process.hpp"
#include "test_databases.hpp"

namespace gatehouse::e2e {
namespace {

namespace json = boost::json;

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
