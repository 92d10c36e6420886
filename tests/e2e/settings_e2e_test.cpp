// End-to-end: settings of the README's configuration table shown to take effect on a running
// server at non-default values (tests/unit/readme_settings_test.cpp checks that every row of the
// table names a test that sets it).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <boost/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "auth/jws.hpp"
#include "http_client.hpp"
#include "server_process.hpp"

namespace gatehouse::e2e {
namespace {

namespace json = boost::json;

class SettingsTest : public ::testing::Test {
 protected:
  // Starts a server with the test environment plus `settings`.
  void start(std::map<std::string, std::string> settings) {
    env_ = test_env(free_port());
    for (auto& [k, v] : settings) env_[k] = v;
    server_ = std::make_unique<ServerProcess>(dir_.path(), env_);
    ASSERT_TRUE(server_->ready()) << server_->log();
  }

  HttpClient client() { return HttpClient(server_->port()); }

  HttpResult register_user(const std::string& email, const std::string& password = kPassword) {
    return client().post_json("/api/auth/register", json::object{{"name", "S"},
                                                                 {"email", email},
                                                                 {"photo", "p"},
                                                                 {"password", password},
                                                                 {"passwordConfirm", password}});
  }
  HttpResult login(const std::string& email, const std::string& password = kPassword) {
    return client().post_json("/api/auth/login",
                              json::object{{"email", email}, {"password", password}});
  }
  std::string access_token(const HttpResult& login) {
    return std::string(login.json().at("access_token").as_string());
  }
  int me(const std::string& access) {
    return client().get("/api/users/me", {{"Authorization", "Bearer " + access}}).status;
  }
  static int retry_after(const HttpResult& r) { return std::stoi(r.header("retry-after").value()); }
  HttpResult refresh(const std::string& refresh_token) {
    return client().request("POST", "/api/auth/refresh", "",
                            {{"Authorization", "Bearer " + refresh_token}});
  }
  static std::string refresh_token(const HttpResult& r) {
    return std::string(r.json().at("refresh_token").as_string());
  }

  // Starts a server whose wall clock the test moves with clock_->advance().
  void start_on_fake_clock(std::map<std::string, std::string> settings) {
    ASSERT_TRUE(FakeWallClock::available())
        << "libfaketime is missing: run scripts/install-deps.sh --test";
    clock_ = std::make_unique<FakeWallClock>(dir_.path());
    env_ = test_env(free_port());
    clock_->add_to(env_);
    for (auto& [k, v] : settings) env_[k] = v;
    server_ = std::make_unique<ServerProcess>(dir_.path(), env_);
    ASSERT_TRUE(server_->ready()) << server_->log();
  }

  // Threads of the running server by name (/proc/PID/task/*/comm).
  std::map<std::string, int> thread_names() const {
    std::map<std::string, int> names;
    const auto tasks = std::filesystem::path("/proc") / std::to_string(server_->pid()) / "task";
    for (const auto& task : std::filesystem::directory_iterator(tasks)) {
      std::ifstream comm(task.path() / "comm");
      std::string name;
      std::getline(comm, name);
      ++names[name];
    }
    return names;
  }

  // Open descriptors of the running server on its SQLite file (one per connection).
  int database_file_descriptors() const {
    const auto db = std::filesystem::canonical(dir_.path() / "gatehouse.db");
    int n = 0;
    const auto fds = std::filesystem::path("/proc") / std::to_string(server_->pid()) / "fd";
    for (const auto& fd : std::filesystem::directory_iterator(fds)) {
      std::error_code ec;
      if (std::filesystem::read_symlink(fd.path(), ec) == db) ++n;
    }
    return n;
  }

  std::int64_t sqlite_count(const std::string& sql) const {
    sqlite3* db = nullptr;
    std::int64_t n = -1;
    if (sqlite3_open_v2((dir_.path() / "gatehouse.db").c_str(), &db, SQLITE_OPEN_READONLY,
                        nullptr) == SQLITE_OK) {
      sqlite3_stmt* st = nullptr;
      if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
          sqlite3_step(st) == SQLITE_ROW) {
        n = sqlite3_column_int64(st, 0);
      }
      sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return n;
  }

  static int occurrences(const std::string& text, const std::string& what) {
    int n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  }

  TempDir dir_;
  std::map<std::string, std::string> env_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<FakeWallClock> clock_;
};

TEST_F(SettingsTest, SizeLimitsAtNonDefaultValues) {
  start({{"MAX_BODY_BYTES", "2048"}, {"MAX_HEADER_BYTES", "4096"}, {"PASSWORD_MAX_BYTES", "100"}});
  // PASSWORD_MAX_BYTES: 100 bytes register, 101 get a 422 naming the field.
  EXPECT_EQ(register_user("pw100@example.com", std::string(100, 'p')).status, 201);
  auto long_pw = register_user("pw101@example.com", std::string(101, 'p'));
  EXPECT_EQ(long_pw.status, 422);
  EXPECT_NE(long_pw.body.find("password"), std::string::npos) << long_pw.body;
  // MAX_BODY_BYTES: a 1,500-byte body is read (and refused as JSON), 3,000 bytes get 413.
  EXPECT_EQ(client()
                .request("POST", "/api/auth/login", std::string(1500, ' ') + "{}",
                         {{"Content-Type", "application/json"}})
                .status,
            422);
  const std::string big = raw_exchange(
      server_->port(), "POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 3000\r\n\r\n" +
                           std::string(3000, ' '));
  EXPECT_EQ(big.substr(0, 12), "HTTP/1.1 413") << big.substr(0, 80);
  // MAX_HEADER_BYTES: 3,000 bytes of headers pass, 5,000 get 431.
  EXPECT_EQ(client().get("/api/healthchecker", {{"X-Pad", std::string(3000, 'a')}}).status, 200);
  const std::string huge =
      raw_exchange(server_->port(), "GET /api/healthchecker HTTP/1.1\r\nHost: x\r\nX-Pad: " +
                                        std::string(5000, 'a') + "\r\n\r\n");
  EXPECT_EQ(huge.substr(0, 12), "HTTP/1.1 431") << huge.substr(0, 80);
}

// JWT_ALGORITHM with ES256 and EdDSA keys from `gatehouse keys generate --algorithm`.
TEST_F(SettingsTest, ServesOnEs256AndEdDsa) {
  for (const std::string alg : {"ES256", "EdDSA"}) {
    SCOPED_TRACE(alg);
    auto keys = run_gatehouse({"keys", "generate", "--algorithm", alg}, dir_.path(),
                              {{"PATH", "/usr/bin:/bin"}});
    ASSERT_EQ(keys.exit_code, 0) << keys.err;
    std::map<std::string, std::string> settings;
    std::istringstream lines(keys.out);
    for (std::string line; std::getline(lines, line);) {
      const auto eq = line.find('=');
      if (eq != std::string::npos) settings[line.substr(0, eq)] = line.substr(eq + 1);
    }
    ASSERT_EQ(settings["JWT_ALGORITHM"], alg);
    settings["DATABASE_URL"] = "sqlite:///" + alg + ".db";
    ASSERT_NO_FATAL_FAILURE(start(settings));
    const std::string email = "alg-" + alg + "@example.com";
    ASSERT_EQ(register_user(email).status, 201);
    auto l = login(email);
    ASSERT_EQ(l.status, 200) << l.body;
    const std::string token = access_token(l);
    auto header = auth::base64url_decode(token.substr(0, token.find('.')));
    ASSERT_TRUE(header.ok());
    EXPECT_EQ(json::parse(*header).at("alg").as_string(), alg);
    EXPECT_EQ(me(token), 200);
    server_.reset();
  }
}

TEST_F(SettingsTest, CookieSameSiteNoneWithoutSecureIsRefused) {
  auto env = test_env(free_port());
  env["COOKIE_SAMESITE"] = "none";
  auto refused = run_gatehouse({"serve"}, dir_.path(), env);
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("COOKIE_SAMESITE: none needs COOKIE_SECURE=true"), std::string::npos)
      << refused.err;
  start({{"COOKIE_SAMESITE", "none"}, {"COOKIE_SECURE", "true"}});
  ASSERT_EQ(register_user("none@example.com").status, 201);
  auto l = login("none@example.com");
  EXPECT_NE(l.set_cookies()["access_token"].find("; SameSite=none; Secure"), std::string::npos)
      << l.set_cookies()["access_token"];
}

// LOGIN_FAILURES_PER_HOUR: with the per-failure delays out of the way, the hourly cap alone
// refuses the account for the rest of the hour.
TEST_F(SettingsTest, LoginFailuresPerHourCapsAnAccount) {
  start({{"LOGIN_FREE_FAILURES", "100"}, {"LOGIN_FAILURES_PER_HOUR", "3"}});
  ASSERT_EQ(register_user("hourly@example.com").status, 201);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(login("hourly@example.com", "wrong-password").status, 400);
  auto capped = login("hourly@example.com");  // even the right password
  ASSERT_EQ(capped.status, 429);
  EXPECT_GT(retry_after(capped), 3500);
  EXPECT_LE(retry_after(capped), 3601);
}

// IP_FAILED_LOGINS_PER_HOUR: failures against different accounts from one address add up.
TEST_F(SettingsTest, FailedLoginsPerAddressAddUpAcrossAccounts) {
  start({{"LOGIN_FREE_FAILURES", "100"}, {"IP_FAILED_LOGINS_PER_HOUR", "3"}});
  ASSERT_EQ(register_user("ip-victim@example.com").status, 201);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(login("ip-" + std::to_string(i) + "@example.com", "wrong-password").status, 400);
  }
  auto refused = login("ip-victim@example.com");
  ASSERT_EQ(refused.status, 429);
  EXPECT_GT(retry_after(refused), 3500);
}

// LOGIN_DELAY_MAX_SECONDS caps the delay: a base of 30 s would wait 30 s, the cap says 2.
TEST_F(SettingsTest, LoginDelayIsCappedByTheMaximum) {
  start({{"LOGIN_FREE_FAILURES", "1"},
         {"LOGIN_DELAY_BASE_SECONDS", "30"},
         {"LOGIN_DELAY_MAX_SECONDS", "2"}});
  ASSERT_EQ(register_user("cap@example.com").status, 201);
  EXPECT_EQ(login("cap@example.com", "wrong-password").status, 400);
  auto delayed = login("cap@example.com");
  ASSERT_EQ(delayed.status, 429);
  EXPECT_GE(retry_after(delayed), 2);
  EXPECT_LE(retry_after(delayed), 3);  // 2 s from a failure rounded up to the next second
}

// HASH_QUEUE_LIMIT (with HASH_THREADS=1): logins beyond one hashing and one waiting get 503 with
// Retry-After at once, and the server goes on serving.
TEST_F(SettingsTest, HashQueueLimitAnswers503BeyondTheQueue) {
  start({{"HASH_THREADS", "1"},
         {"HASH_QUEUE_LIMIT", "1"},
         {"ARGON2_MEMORY_KIB", "65536"},
         {"ARGON2_PASSES", "3"},
         {"RATE_LIMITS", "off"}});
  ASSERT_EQ(register_user("queue@example.com").status, 201);
  std::atomic<int> ok{0}, busy{0}, other{0}, with_retry_after{0};
  std::vector<std::thread> logins;
  for (int i = 0; i < 6; ++i) {
    logins.emplace_back([&] {
      try {
        auto r = login("queue@example.com");
        (r.status == 200 ? ok : r.status == 503 ? busy : other)++;
        if (r.status == 503 && r.header("retry-after")) ++with_retry_after;
      } catch (const std::exception&) {
        ++other;
      }
    });
  }
  for (auto& t : logins) t.join();
  EXPECT_EQ(other.load(), 0);
  EXPECT_GE(ok.load(), 1);
  EXPECT_GE(busy.load(), 1) << "six logins at once on one hashing thread and a queue of one";
  EXPECT_EQ(with_retry_after.load(), busy.load());
  EXPECT_EQ(login("queue@example.com").status, 200);
}

// REQUEST_TIMEOUT_SECONDS: a request whose body stops arriving is dropped after the request
// timeout, long before the (default, 30 s) idle timeout.
TEST_F(SettingsTest, RequestTimeoutDropsAStalledRequest) {
  start({{"REQUEST_TIMEOUT_SECONDS", "1"}});
  const auto begin = std::chrono::steady_clock::now();
  // Dropped with or without an answer: the contract is that it ends in time.
  raw_exchange(server_->port(),
               "POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"email\"",
               10000);
  const auto waited = std::chrono::steady_clock::now() - begin;
  EXPECT_GE(waited, std::chrono::milliseconds(900));
  EXPECT_LT(waited, std::chrono::seconds(5)) << "the stalled request was not dropped";
  EXPECT_EQ(client().get("/api/healthchecker").status, 200);
}

// SHUTDOWN_GRACE_SECONDS: after SIGTERM a request still in flight holds the server up for the
// grace and no longer. The request is an upload that stops half-way (with a 120 s request
// timeout, it would hold the server for two minutes); its `Expect: 100-continue` makes the
// server say when it has the request in hand, so the signal cannot come before.
TEST_F(SettingsTest, ShutdownGraceCutsOffARequestThatOutlastsIt) {
  start({{"SHUTDOWN_GRACE_SECONDS", "2"}, {"REQUEST_TIMEOUT_SECONDS", "120"}});
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(server_->port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0);
  const timeval read_timeout{30, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &read_timeout, sizeof read_timeout);
  const std::string head =
      "POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: 100\r\nExpect: 100-continue\r\n\r\n";
  ASSERT_EQ(send(fd, head.data(), head.size(), MSG_NOSIGNAL), static_cast<ssize_t>(head.size()));
  char buf[256];
  const ssize_t n = recv(fd, buf, sizeof buf, 0);
  ASSERT_GT(n, 0);
  ASSERT_NE(std::string(buf, static_cast<std::size_t>(n)).find("100 Continue"), std::string::npos);

  const auto begin = std::chrono::steady_clock::now();
  const auto code = server_->stop(SIGTERM, std::chrono::seconds(60));
  const auto waited = std::chrono::steady_clock::now() - begin;
  close(fd);
  ASSERT_TRUE(code.has_value()) << "the server outlived its shutdown grace";
  EXPECT_EQ(*code, 1) << "a shutdown that abandoned a request must not look clean";
  EXPECT_GE(waited, std::chrono::milliseconds(1900)) << "the request in flight got no grace";
  EXPECT_LT(waited, std::chrono::seconds(30)) << "the grace did not end the wait";
  EXPECT_NE(server_->log().find("shutdown grace of 2s over: abandoning POST /api/auth/login from "
                                "127.0.0.1"),
            std::string::npos)
      << server_->log();
}

// A request stuck on a pool (here a login verifying a stored bcrypt hash of cost 16, seconds of
// work) does not keep the process alive past the grace: the server exits without waiting for
// the hashing thread, and the client's connection ends unanswered.
TEST_F(SettingsTest, ShutdownDoesNotWaitForAHashingThread) {
  start({{"SHUTDOWN_GRACE_SECONDS", "0"}, {"LOG_LEVEL", "debug"}});
  ASSERT_EQ(register_user("stuck@example.com").status, 201);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_.path() / "gatehouse.db").c_str(), &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 10000);
  // Any well-formed cost-16 hash: the password is wrong either way, the cost is the point.
  const std::string sql =
      "UPDATE api_user SET password = '$2b$16$abcdefghijklmnopqrstuu"
      "abcdefghijklmnopqrstuvwxyz01234' WHERE email = 'stuck@example.com'";
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);

  HttpClient c(server_->port(), std::chrono::seconds(120));
  int status = 0;
  std::thread t([&] {
    try {
      status = c.post_json("/api/auth/login",
                           json::object{{"email", "stuck@example.com"}, {"password", kPassword}})
                   .status;
    } catch (const std::exception&) {
      status = -1;  // the connection ended without an answer
    }
  });
  ASSERT_TRUE(wait_until([&] {
    return server_->log().find("POST /api/auth/login: handed to the hashing pool") !=
           std::string::npos;
  }));
  const auto begin = std::chrono::steady_clock::now();
  const auto code = server_->stop(SIGTERM, std::chrono::seconds(60));
  const auto waited = std::chrono::steady_clock::now() - begin;
  t.join();
  ASSERT_TRUE(code.has_value()) << server_->log();
  EXPECT_EQ(*code, 1) << server_->log();
  EXPECT_EQ(status, -1) << "the login was answered: the hash ended before the shutdown";
  EXPECT_LT(waited, std::chrono::seconds(1)) << "the shutdown waited for the hashing thread";
  EXPECT_NE(server_->log().find("abandoning POST /api/auth/login"), std::string::npos)
      << server_->log();
}

// CLOCK_LEEWAY_SECONDS: a token signed by a node whose clock runs 30 s ahead (nbf in this
// server's future) is taken within a 60 s leeway and refused without one.
TEST_F(SettingsTest, ClockLeewayTakesATokenFromANodeWhoseClockIsAhead) {
  for (const char* leeway : {"60", "0"}) {
    start({{"CLOCK_LEEWAY_SECONDS", leeway}});
    const std::string email = std::string("skew") + leeway + "@example.com";
    ASSERT_EQ(register_user(email).status, 201);
    const std::string token = access_token(login(email));
    const auto dot = token.find('.');
    const auto dot2 = token.find('.', dot + 1);
    auto payload =
        json::parse(*auth::base64url_decode(token.substr(dot + 1, dot2 - dot - 1))).as_object();
    for (const char* claim : {"iat", "nbf", "exp"}) payload[claim] = payload[claim].as_int64() + 30;
    auto keys = auth::load_key_pair(auth::JwsAlgorithm::kRS256,
                                    *auth::base64_decode(env_.at("JWT_PRIVATE_KEY")),
                                    *auth::base64_decode(env_.at("JWT_PUBLIC_KEY")));
    ASSERT_TRUE(keys);
    const std::string ahead = auth::JwsSigner(auth::JwsAlgorithm::kRS256, keys->private_key)
                                  .sign(R"({"typ":"JWT","alg":"RS256"})", json::serialize(payload));
    EXPECT_EQ(me(ahead), std::string(leeway) == "60" ? 200 : 401) << "leeway " << leeway;
    server_->stop(SIGTERM);
  }
}

// ?scope=session ends the caller's session only.
TEST_F(SettingsTest, LogoutScopeSessionEndsOnlyThisSession) {
  start({});
  ASSERT_EQ(register_user("scope@example.com").status, 201);
  const std::string first = access_token(login("scope@example.com"));
  const std::string second = access_token(login("scope@example.com"));
  auto out = client().get("/api/auth/logout?scope=session", {{"Authorization", "Bearer " + first}});
  EXPECT_EQ(out.status, 200) << out.body;
  EXPECT_EQ(me(first), 401);
  EXPECT_EQ(me(second), 200);
}

// DATABASE_PREFIX on a running server: the tables carry the prefix, nothing else is created.
TEST_F(SettingsTest, DatabasePrefixNamesTheTablesOfARunningServer) {
  start({{"DATABASE_PREFIX", "gh_"}});
  ASSERT_EQ(register_user("prefix@example.com").status, 201);
  ASSERT_EQ(login("prefix@example.com").status, 200);
  server_->stop(SIGTERM);
  sqlite3* db = nullptr;
  ASSERT_EQ(
      sqlite3_open_v2((dir_.path() / "gatehouse.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
      SQLITE_OK);
  auto count = [&](const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sql;
    std::int64_t n = -1;
    if (st != nullptr && sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
  };
  EXPECT_EQ(count("SELECT count(*) FROM gh_user WHERE email = 'prefix@example.com'"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM gh_session"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name LIKE 'api%'"),
            0);
  sqlite3_close(db);
}

// --env-file PATH is read instead of ./.env (given before the subcommand).
TEST_F(SettingsTest, EnvFileOptionIsReadInsteadOfDotEnv) {
  auto env = test_env(free_port());
  env.erase("JWT_PRIVATE_KEY");
  env.erase("JWT_PUBLIC_KEY");
  const auto file = dir_.path() / "settings" / "prod.env";
  std::filesystem::create_directories(file.parent_path());
  {
    std::ofstream out(file);
    out << "DATABASE_URL=sqlite:///from-env-file.db\n";
  }
  {
    std::ofstream dot(dir_.path() / ".env");
    dot << "DATABASE_URL=sqlite:///from-dot-env.db\n";
  }
  auto r = run_gatehouse({"--env-file", file.string(), "migrate", "up"}, dir_.path(), env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "from-env-file.db"));
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "from-dot-env.db"));
  auto missing = run_gatehouse({"--env-file", (dir_.path() / "nope.env").string(), "migrate", "up"},
                               dir_.path(), env);
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("nope.env"), std::string::npos) << missing.err;
}

using std::chrono::minutes;

// REFRESH_TOKEN_EXPIRES_IN is an idle limit: each refresh hands out a token good for that long
// again, and a token left unused past it is refused.
TEST_F(SettingsTest, RefreshTokenExpiresWhenLeftUnused) {
  start_on_fake_clock({{"REFRESH_TOKEN_EXPIRES_IN", "5"}});
  ASSERT_EQ(register_user("idle@example.com").status, 201);
  const auto first = login("idle@example.com");
  ASSERT_EQ(first.status, 200);

  clock_->advance(minutes(4));
  const auto second = refresh(refresh_token(first));
  ASSERT_EQ(second.status, 200) << second.body;
  clock_->advance(minutes(4));  // 8 minutes after login, 4 after the last refresh
  const auto third = refresh(refresh_token(second));
  ASSERT_EQ(third.status, 200) << "each refresh starts a new 5-minute window: " << third.body;

  clock_->advance(minutes(5) + std::chrono::seconds(2));
  const auto late = refresh(refresh_token(third));
  EXPECT_NE(late.status, 200) << late.body;
  EXPECT_FALSE(late.detail().empty()) << late.body;
}

// SESSION_LIFETIME_MINUTES caps a session however often it is refreshed.
TEST_F(SettingsTest, SessionLifetimeCapsASessionThatKeepsRefreshing) {
  start_on_fake_clock({{"SESSION_LIFETIME_MINUTES", "10"}, {"REFRESH_TOKEN_EXPIRES_IN", "6"}});
  ASSERT_EQ(register_user("capped@example.com").status, 201);
  auto current = login("capped@example.com");
  ASSERT_EQ(current.status, 200);
  for (int step = 1; step <= 2; ++step) {  // refreshed at 4 and 8 minutes: within the cap
    clock_->advance(minutes(4));
    current = refresh(refresh_token(current));
    ASSERT_EQ(current.status, 200) << "step " << step << ": " << current.body;
  }
  clock_->advance(minutes(3));  // 11 minutes: 3 since the last refresh, past the 10-minute cap
  const auto capped = refresh(refresh_token(current));
  EXPECT_NE(capped.status, 200) << capped.body;
  EXPECT_FALSE(capped.detail().empty()) << capped.body;
}

// SESSION_SWEEP_INTERVAL_SECONDS: the sweeper deletes expired sessions on a running server at the
// configured interval (the default, 10 minutes, would not within this test).
TEST_F(SettingsTest, SweeperDeletesExpiredSessionsAtTheInterval) {
  start_on_fake_clock({{"SESSION_SWEEP_INTERVAL_SECONDS", "10"}});
  ASSERT_EQ(register_user("swept@example.com").status, 201);
  ASSERT_EQ(login("swept@example.com").status, 200);
  ASSERT_EQ(sqlite_count("SELECT count(*) FROM api_session"), 1);

  clock_->advance(std::chrono::hours(24 * 8));  // past the 7-day lifetime and any retention
  EXPECT_TRUE(wait_until([&] { return sqlite_count("SELECT count(*) FROM api_session") == 0; },
                         std::chrono::seconds(25)))
      << server_->log();
  // The server logs the sweep after its DELETE has committed: wait for the line too.
  EXPECT_TRUE(
      wait_until([&] { return server_->log().find("session sweep: ") != std::string::npos; },
                 std::chrono::seconds(10)))
      << server_->log();
}

// AUDIT_RETENTION_DAYS: the sweeper deletes audit events older than the retention on a running
// server, and keeps the recent ones.
TEST_F(SettingsTest, SweeperDeletesAuditEventsPastTheRetention) {
  start_on_fake_clock({{"SESSION_SWEEP_INTERVAL_SECONDS", "10"}, {"AUDIT_RETENTION_DAYS", "2"}});
  ASSERT_EQ(register_user("kept@example.com").status, 201);
  const auto count = [&](const std::string& event) {
    return sqlite_count("SELECT count(*) FROM api_audit_event WHERE event = '" + event + "'");
  };
  ASSERT_EQ(count("register"), 1);

  clock_->advance(std::chrono::hours(24 * 2) - std::chrono::minutes(5));  // not yet two days
  ASSERT_EQ(login("kept@example.com").status, 200);
  clock_->advance(std::chrono::minutes(10));  // the registration is over two days old now
  EXPECT_TRUE(wait_until([&] { return count("register") == 0; }, std::chrono::seconds(25)))
      << server_->log();
  EXPECT_EQ(count("login"), 1) << "a day and a half old: kept";
}

// IO_THREADS and WORKER_THREADS (and HASH_THREADS) size the server's named threads. The main
// thread is the first I/O thread and keeps the program's name.
TEST_F(SettingsTest, ThreadSettingsSizeThePools) {
  start({{"IO_THREADS", "3"}, {"WORKER_THREADS", "5"}, {"HASH_THREADS", "2"}});
  const std::map<std::string, int> expected{
      {"gh-io", 2}, {"gh-worker", 5}, {"gh-hashing", 2}, {"gh-sweeper", 1}};
  auto counts = [&] {
    const auto names = thread_names();
    std::map<std::string, int> out;
    for (const auto& [name, n] : expected) out[name] = names.count(name) ? names.at(name) : 0;
    return out;
  };
  // Each thread names itself when it starts, which on a busy machine can come after the server
  // already answers: wait for the names (a deadline, not a sleep), then compare.
  wait_until([&] { return counts() == expected; });
  EXPECT_EQ(counts(), expected);
}

// DATABASE_POOL_SIZE: the number of database connections (on SQLite, open descriptors of the
// database file; the writer and the checkpointer have theirs beside the pool).
TEST_F(SettingsTest, DatabasePoolSizeSetsTheConnections) {
  start({{"DATABASE_POOL_SIZE", "2"}});
  const int small = database_file_descriptors();
  server_->stop(SIGTERM);
  start({{"DATABASE_POOL_SIZE", "7"}});
  const int large = database_file_descriptors();
  EXPECT_GE(small, 2);
  EXPECT_EQ(large - small, 5);
}

// VERIFIED_TOKEN_CACHE_SIZE: a repeated access token has its signature verified once while the
// cache is on, on every request when it is 0 (the debug log tells each full verification).
TEST_F(SettingsTest, VerifiedTokenCacheSizeZeroVerifiesEveryRequest) {
  const std::string verified = "access token signature verified";
  for (const std::string size : {"0", "64"}) {
    start({{"VERIFIED_TOKEN_CACHE_SIZE", size}, {"LOG_LEVEL", "debug"}});
    ASSERT_EQ(register_user("cache" + size + "@example.com").status, 201);
    const auto access = access_token(login("cache" + size + "@example.com"));
    for (int i = 0; i < 5; ++i) ASSERT_EQ(me(access), 200);
    EXPECT_EQ(occurrences(server_->log(), verified), size == "0" ? 5 : 1) << "size " << size;
    server_->stop(SIGTERM);
  }
}

// ---- signing keys: kid, JWKS, previous keys, iss and aud ---------------------------------------

json::object token_part(const std::string& token, int part) {
  std::size_t start = 0;
  for (int i = 0; i < part; ++i) start = token.find('.', start) + 1;
  auto decoded = auth::base64url_decode(token.substr(start, token.find('.', start) - start));
  if (!decoded) throw std::runtime_error("token part is not base64url");
  return json::parse(*decoded).as_object();
}

std::string kid_of(const std::string& token) {
  return std::string(token_part(token, 0).at("kid").as_string());
}

// The VARIABLE=value lines a `gatehouse keys ...` command prints (comments skipped).
std::map<std::string, std::string> printed_variables(
    const std::vector<std::string>& args, const std::filesystem::path& dir,
    const std::map<std::string, std::string>& env) {
  auto keys = run_gatehouse(args, dir, env);
  EXPECT_EQ(keys.exit_code, 0) << keys.err;
  std::map<std::string, std::string> out;
  std::istringstream lines(keys.out);
  for (std::string line; std::getline(lines, line);) {
    const auto eq = line.find('=');
    if (!line.starts_with("#") && eq != std::string::npos) {
      out[line.substr(0, eq)] = line.substr(eq + 1);
    }
  }
  return out;
}

// Tokens checked by a resource server that knows only the JWKS URL (PyJWT's PyJWKClient): one
// answer per token, "ok <sub> <kid>" or "refused <reason>".
std::vector<std::string> resource_server_answers(unsigned short port,
                                                 const std::vector<std::string>& tokens,
                                                 const std::filesystem::path& dir,
                                                 const std::string& extra_args = "") {
  const std::filesystem::path input = dir / "tokens.txt";
  {
    std::ofstream out(input);
    for (const auto& t : tokens) out << t << "\n";
  }
  const std::string cmd =
      "/usr/bin/python3 " + std::string(GATEHOUSE_SOURCE_DIR) +
      "/tests/e2e/jwks_resource_server.py http://127.0.0.1:" + std::to_string(port) +
      "/.well-known/jwks.json " + extra_args + " < " + input.string() + " 2>&1";
  std::vector<std::string> answers;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) return answers;
  char line[4096];
  while (std::fgets(line, sizeof line, pipe) != nullptr) {
    std::string text(line);
    if (!text.empty() && text.back() == '\n') text.pop_back();
    answers.push_back(text);
  }
  ::pclose(pipe);
  return answers;
}

// JWKS_MAX_AGE_SECONDS and JWT_PREVIOUS_PUBLIC_KEYS: the JWKS names the key of every token, a
// hand rotation (new pair, old public key kept as previous) logs no one out and a JWKS-only
// resource server accepts the tokens of both keys; dropping the previous key ends its tokens.
TEST_F(SettingsTest, HandRotationWithPreviousKeysLogsNoOneOut) {
  start({{"JWKS_MAX_AGE_SECONDS", "120"}});
  auto jwks = client().get("/.well-known/jwks.json");
  ASSERT_EQ(jwks.status, 200) << jwks.body;
  EXPECT_EQ(jwks.header("cache-control").value_or(""), "public, max-age=120");
  EXPECT_EQ(jwks.header("content-type").value_or(""), "application/json");
  ASSERT_EQ(register_user("rotate@example.com").status, 201);
  const auto before = login("rotate@example.com");
  const std::string old_access = access_token(before);
  const std::string old_refresh = refresh_token(before);
  const std::string old_kid = kid_of(old_access);
  const auto old_keys = jwks.json().at("keys").as_array();
  ASSERT_EQ(old_keys.size(), 1u);
  EXPECT_EQ(old_keys[0].at("kid").as_string(), old_kid);
  for (const char* secret : {"d", "p", "q", "dp", "dq", "qi"}) {
    EXPECT_FALSE(old_keys[0].as_object().contains(secret)) << secret;
  }
  const std::string old_public = env_.at("JWT_PUBLIC_KEY");
  server_->stop(SIGTERM);

  // `keys rotate` with static keys prints the steps and the lines for .env: the new pair, and the
  // current public key as previous.
  auto next = printed_variables({"keys", "rotate"}, dir_.path(), env_);
  ASSERT_EQ(next.size(), 3u);
  EXPECT_EQ(next["JWT_PREVIOUS_PUBLIC_KEYS"], old_public);
  EXPECT_NE(next["JWT_PRIVATE_KEY"], env_.at("JWT_PRIVATE_KEY"));
  start(next);
  EXPECT_EQ(me(old_access), 200);
  auto rotated = refresh(old_refresh);
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  const std::string new_access = access_token(rotated);
  const std::string new_kid = kid_of(new_access);
  EXPECT_NE(new_kid, old_kid);
  EXPECT_EQ(me(new_access), 200);
  const auto keys = client().get("/.well-known/jwks.json").json().at("keys").as_array();
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].at("kid").as_string(), new_kid);
  EXPECT_EQ(keys[1].at("kid").as_string(), old_kid);
  EXPECT_EQ(client().get("/.well-known/jwks.json").header("cache-control").value_or(""),
            "public, max-age=300");

  const auto answers = resource_server_answers(
      server_->port(), {old_access, new_access, "not.a.token"}, dir_.path());
  ASSERT_EQ(answers.size(), 3u);
  const std::string sub = std::string(token_part(old_access, 1).at("sub").as_string());
  EXPECT_EQ(answers[0], "ok " + sub + " " + old_kid);
  EXPECT_EQ(answers[1], "ok " + sub + " " + new_kid);
  EXPECT_EQ(answers[2].rfind("refused", 0), 0u) << answers[2];
  server_->stop(SIGTERM);

  start({{"JWT_PRIVATE_KEY", next["JWT_PRIVATE_KEY"]}, {"JWT_PUBLIC_KEY", next["JWT_PUBLIC_KEY"]}});
  EXPECT_EQ(me(old_access), 401);
  EXPECT_EQ(me(new_access), 200);
}

TEST_F(SettingsTest, BadPreviousKeysAndKeyModesAreRefusedWithOneLine) {
  struct Bad {
    std::map<std::string, std::string> settings;
    std::string says;
  };
  const std::string private_b64 = test_env(1).at("JWT_PRIVATE_KEY");
  for (const Bad& bad :
       {Bad{{{"JWT_PREVIOUS_PUBLIC_KEYS", "bm90IGEga2V5"}}, "JWT_PREVIOUS_PUBLIC_KEYS item 1"},
        Bad{{{"JWT_PREVIOUS_PUBLIC_KEYS", test_env(1).at("JWT_PUBLIC_KEY") + ",%%%"}},
            "JWT_PREVIOUS_PUBLIC_KEYS item 2 is not valid base64"},
        Bad{{{"JWT_PREVIOUS_PUBLIC_KEYS", private_b64}},
            "JWT_PREVIOUS_PUBLIC_KEYS item 1 holds a private key"},
        Bad{{{"JWT_KEYS", "rotating"}}, "JWT_KEYS: 'rotating' is not static or managed"},
        Bad{{{"JWKS_MAX_AGE_SECONDS", "-1"}}, "JWKS_MAX_AGE_SECONDS"},
        Bad{{{"JWT_AUDIENCE", "a\"b"}}, "JWT_AUDIENCE: at most 256 characters"}}) {
    auto env = test_env(free_port());
    for (const auto& [k, v] : bad.settings) env[k] = v;
    auto refused = run_gatehouse({"serve"}, dir_.path(), env);
    EXPECT_EQ(refused.exit_code, 1) << bad.says;
    EXPECT_NE(refused.err.find(bad.says), std::string::npos) << refused.err;
  }
}

// JWT_ISSUER and JWT_AUDIENCE: written into access tokens, checked by this server and by a
// resource server that asks for them; a server expecting another audience refuses the tokens.
TEST_F(SettingsTest, IssuerAndAudienceGoIntoAccessTokensAndAreChecked) {
  start({{"JWT_ISSUER", "https://auth.example.com"}, {"JWT_AUDIENCE", "orders-api"}});
  ASSERT_EQ(register_user("aud@example.com").status, 201);
  const std::string access = access_token(login("aud@example.com"));
  const json::object claims = token_part(access, 1);
  EXPECT_EQ(claims.at("iss").as_string(), "https://auth.example.com");
  EXPECT_EQ(claims.at("aud").as_string(), "orders-api");
  EXPECT_EQ(me(access), 200);
  const auto answers =
      resource_server_answers(server_->port(), {access}, dir_.path(),
                              "--audience orders-api --issuer https://auth.example.com");
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].rfind("ok ", 0), 0u) << answers[0];
  const auto wrong_audience =
      resource_server_answers(server_->port(), {access}, dir_.path(), "--audience billing");
  ASSERT_EQ(wrong_audience.size(), 1u);
  EXPECT_NE(wrong_audience[0].find("refused InvalidAudienceError"), std::string::npos)
      << wrong_audience[0];
  server_->stop(SIGTERM);
  start({{"JWT_ISSUER", "https://auth.example.com"}, {"JWT_AUDIENCE", "billing"}});
  EXPECT_EQ(me(access), 401);
}

// JWT_KEYS=managed (with KEYS_ENCRYPTION_SECRET, JWT_KEYS_POLL_SECONDS, JWT_KEY_BITS): two server
// processes on one database under steady refreshes while `gatehouse keys rotate` runs beside them.
// The .env pair becomes the first managed key (no one is logged out by the move); every token is
// signed by a key that both processes' JWKS already published at least one cache lifetime earlier;
// a resource server that knows only the JWKS URL and caches it (PyJWKClient) accepts every token;
// both processes switch to the new key without a restart.
TEST_F(SettingsTest, ManagedKeysRotateAcrossTwoProcessesUnderTraffic) {
  start({});
  ASSERT_EQ(register_user("managed@example.com").status, 201);
  const std::string static_kid = kid_of(access_token(login("managed@example.com")));
  server_->stop(SIGTERM);

  const std::map<std::string, std::string> managed{
      {"JWT_KEYS", "managed"},
      {"KEYS_ENCRYPTION_SECRET", "e2e-secret-0123456789-0123456789-abcdef"},
      {"JWKS_MAX_AGE_SECONDS", "1"},
      {"JWT_KEYS_POLL_SECONDS", "1"},
      {"CLOCK_LEEWAY_SECONDS", "0"},
      {"JWT_KEY_BITS", "2048"}};
  start(managed);
  auto other_env = env_;
  other_env["PORT"] = std::to_string(free_port());
  ServerProcess other(dir_.path(), other_env);
  ASSERT_TRUE(other.ready()) << other.log();
  const std::array<unsigned short, 2> ports{server_->port(), other.port()};

  // One session per process; each refresh there hands out a new access token.
  std::array<std::string, 2> refresh_tokens;
  for (int node = 0; node < 2; ++node) {
    auto l = HttpClient(ports[node])
                 .post_json("/api/auth/login", json::object{{"email", "managed@example.com"},
                                                            {"password", kPassword}});
    ASSERT_EQ(l.status, 200) << l.body;
    refresh_tokens[node] = refresh_token(l);
    EXPECT_EQ(kid_of(access_token(l)), static_kid) << "the .env pair is the first managed key";
  }

  const std::filesystem::path follow = dir_.path() / "follow.txt";
  std::ofstream feed(follow);
  const std::string checker =
      "/usr/bin/python3 " + std::string(GATEHOUSE_SOURCE_DIR) +
      "/tests/e2e/jwks_resource_server.py http://127.0.0.1:" + std::to_string(ports[1]) +
      "/.well-known/jwks.json --lifespan 1 --follow " + follow.string();
  FILE* answers_pipe = ::popen(checker.c_str(), "r");
  ASSERT_NE(answers_pipe, nullptr);

  using Clock = std::chrono::steady_clock;
  struct Issued {
    Clock::time_point at;
    std::string kid;
  };
  struct Published {
    Clock::time_point at;
    std::set<std::string> kids;
  };
  std::vector<Issued> issued;
  std::vector<Published> published;
  std::string rotated_kid;
  std::array<bool, 2> switched{false, false};
  const auto began = Clock::now();
  for (int i = 0; Clock::now() - began < std::chrono::seconds(25); ++i) {
    const int node = i % 2;
    auto r = HttpClient(ports[node])
                 .request("POST", "/api/auth/refresh", "",
                          {{"Authorization", "Bearer " + refresh_tokens[node]}});
    ASSERT_EQ(r.status, 200) << r.body;
    refresh_tokens[node] = refresh_token(r);
    const std::string access = access_token(r);
    issued.push_back({Clock::now(), kid_of(access)});
    feed << access << "\n" << std::flush;
    // The other process accepts it at once, and publishes its key.
    EXPECT_EQ(HttpClient(ports[1 - node])
                  .get("/api/users/me", {{"Authorization", "Bearer " + access}})
                  .status,
              200);
    for (const unsigned short port : ports) {
      auto jwks = HttpClient(port).get("/.well-known/jwks.json");
      ASSERT_EQ(jwks.status, 200);
      Published snapshot{Clock::now(), {}};
      const json::value body = jwks.json();
      for (const auto& key : body.at("keys").as_array()) {
        snapshot.kids.insert(std::string(key.at("kid").as_string()));
      }
      published.push_back(std::move(snapshot));
    }
    if (i == 10) {
      auto rotate = run_gatehouse({"keys", "rotate"}, dir_.path(), env_);
      ASSERT_EQ(rotate.exit_code, 0) << rotate.err;
      const auto at = rotate.out.find("added key ");
      ASSERT_NE(at, std::string::npos) << rotate.out;
      rotated_kid = rotate.out.substr(at + 10, rotate.out.find(' ', at + 10) - at - 10);
    }
    if (!rotated_kid.empty() && issued.back().kid == rotated_kid) switched[node] = true;
    if (switched[0] && switched[1] && i % 2 == 1) break;
  }
  feed << "END\n" << std::flush;
  EXPECT_TRUE(switched[0] && switched[1]) << "both processes sign with " << rotated_kid;

  // No token was signed by a key that a JWKS answered within one cache lifetime before lacked.
  for (const Issued& token : issued) {
    for (const Published& snapshot : published) {
      if (snapshot.at > token.at || token.at - snapshot.at > std::chrono::seconds(1)) continue;
      EXPECT_TRUE(snapshot.kids.contains(token.kid)) << token.kid << " was not yet published";
    }
  }
  std::vector<std::string> answers;
  char line[4096];
  while (std::fgets(line, sizeof line, answers_pipe) != nullptr) answers.emplace_back(line);
  ::pclose(answers_pipe);
  ASSERT_EQ(answers.size(), issued.size());
  for (std::size_t i = 0; i < answers.size(); ++i) {
    EXPECT_EQ(answers[i].rfind("ok ", 0), 0u) << "token " << i << ": " << answers[i];
  }
  auto listed = run_gatehouse({"keys", "list"}, dir_.path(), env_);
  EXPECT_NE(listed.out.find(static_kid + "  RS256  previous"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find(rotated_kid + "  RS256  active"), std::string::npos) << listed.out;
  EXPECT_EQ(listed.out.find("PRIVATE"), std::string::npos);
}

TEST_F(SettingsTest, ManagedKeysNeedALongEnoughEncryptionSecret) {
  for (const std::string secret : {"", "too-short"}) {
    auto env = test_env(free_port());
    env["JWT_KEYS"] = "managed";
    env["KEYS_ENCRYPTION_SECRET"] = secret;
    auto refused = run_gatehouse({"serve"}, dir_.path(), env);
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_NE(refused.err.find("KEYS_ENCRYPTION_SECRET: JWT_KEYS=managed keeps private keys"),
              std::string::npos)
        << refused.err;
  }
}

}  // namespace
}  // namespace gatehouse::e2e
