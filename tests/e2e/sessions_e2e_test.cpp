// End-to-end for sessions that can end: reuse grace and concurrent refreshes, logout scopes, the
// sessions API, brute-force limits, CSRF rules and cookie settings. SQLite and MariaDB.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <set>
#include <thread>

#include "http_client.hpp"
#include "server_process.hpp"
#include "test_databases.hpp"

namespace gatehouse::e2e {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using Headers = std::vector<std::pair<std::string, std::string>>;

class SessionsTest : public ::testing::TestWithParam<std::string> {
 protected:
  // Starts a server with the test defaults plus `overrides`.
  void start(std::map<std::string, std::string> overrides = {}) {
    env_ = test_env(free_port());
    for (auto& [k, v] : overrides) env_[k] = v;
    std::string skip;
    database_ = prepare_backend(GetParam(), dir_.path(), env_, skip);
    if (!skip.empty()) GTEST_SKIP() << skip;
    server_ = std::make_unique<ServerProcess>(dir_.path(), env_);
    ASSERT_TRUE(server_->ready()) << server_->log();
  }

  HttpClient client() { return HttpClient(server_->port()); }

  std::string new_user() {
    static int n = 0;
    const std::string email = "sess-" + std::to_string(++n) + "@example.com";
    auto r =
        client().post_json("/api/auth/register", json::object{{"name", "S"},
                                                              {"email", email},
                                                              {"photo", "p"},
                                                              {"password", "Passw0rd!42"},
                                                              {"passwordConfirm", "Passw0rd!42"}});
    EXPECT_EQ(r.status, 201) << r.body;
    return email;
  }

  struct Login {
    std::string access, refresh;
  };
  Login login(const std::string& email, Headers headers = {}) {
    auto r = client().post_json(
        "/api/auth/login", json::object{{"email", email}, {"password", "Passw0rd!42"}}, headers);
    EXPECT_EQ(r.status, 200) << r.body;
    if (r.status != 200) return {};
    return {std::string(r.json().at("access_token").as_string()),
            std::string(r.json().at("refresh_token").as_string())};
  }

  HttpResult refresh(const std::string& token) {
    return client().request("POST", "/api/auth/refresh", "",
                            {{"Authorization", "Bearer " + token}});
  }
  int me(const std::string& access) {
    return client().get("/api/users/me", {{"Authorization", "Bearer " + access}}).status;
  }

  TempDir dir_;
  std::unique_ptr<TestDatabase> database_;  // null on SQLite
  std::map<std::string, std::string> env_;
  std::unique_ptr<ServerProcess> server_;
};

INSTANTIATE_TEST_SUITE_P(Backends, SessionsTest, ::testing::Values("sqlite", "mysql", "postgresql"),
                         [](const auto& param_info) { return param_info.param; });

TEST_P(SessionsTest, ConcurrentRefreshesOfOneTokenBothSucceedWithOneSession) {
  start({{"REFRESH_REUSE_GRACE_SECONDS", "5"}});
  if (IsSkipped()) return;
  const std::string email = new_user();
  const Login first = login(email);
  for (int round = 0; round < 5; ++round) {
    const Login s = round == 0 ? first : login(email);
    HttpResult a, b;
    std::thread ta([&] { a = refresh(s.refresh); });
    std::thread tb([&] { b = refresh(s.refresh); });
    ta.join();
    tb.join();
    ASSERT_EQ(a.status, 200) << a.body;
    ASSERT_EQ(b.status, 200) << b.body;
    const std::string ra(a.json().at("refresh_token").as_string());
    const std::string rb(b.json().at("refresh_token").as_string());
    EXPECT_EQ(ra, rb) << "both tabs end up with the session's one current token";
    EXPECT_EQ(me(std::string(a.json().at("access_token").as_string())), 200);
    EXPECT_EQ(me(std::string(b.json().at("access_token").as_string())), 200);
    auto next = refresh(ra);
    EXPECT_EQ(next.status, 200) << "the shared token keeps working: " << next.body;
  }
  auto sessions =
      client().get("/api/users/me/sessions", {{"Authorization", "Bearer " + first.access}});
  ASSERT_EQ(sessions.status, 200) << sessions.body;
  EXPECT_EQ(sessions.json().at("sessions").as_array().size(), 5u)
      << "one session per login, no forks";
}

TEST_P(SessionsTest, ReuseAfterTheGraceIntervalEndsTheSession) {
  start({{"REFRESH_REUSE_GRACE_SECONDS", "1"}});
  if (IsSkipped()) return;
  const Login s = login(new_user());
  auto rotated = refresh(s.refresh);
  ASSERT_EQ(rotated.status, 200);
  const std::string newest(rotated.json().at("refresh_token").as_string());
  const std::string access(rotated.json().at("access_token").as_string());
  std::this_thread::sleep_for(1100ms);  // whole seconds: past a 1 s grace for certain
  auto replay = refresh(s.refresh);
  EXPECT_EQ(replay.status, 400);
  EXPECT_EQ(refresh(newest).status, 400) << "the newest token of the session is refused too";
  EXPECT_EQ(me(access), 401) << "and every access token of it";
  // The warning names the session, its user and both addresses.
  const std::string log = server_->log();
  const auto at = log.find("refresh token reuse detected: session ");
  ASSERT_NE(at, std::string::npos) << log;
  const std::string line = log.substr(at, log.find('\n', at) - at);
  EXPECT_NE(line.find(" of user "), std::string::npos) << line;
  EXPECT_NE(line.find("replayed from 127.0.0.1; the session began from 127.0.0.1"),
            std::string::npos)
      << line;
}

TEST_P(SessionsTest, LogoutScopesAndTheSessionsApi) {
  start();
  if (IsSkipped()) return;
  const std::string email = new_user();
  const Login a = login(email, {{"User-Agent", "browser-a"}});
  const Login b = login(email, {{"User-Agent", "browser-b"}});
  const Login c = login(email, {{"User-Agent", "browser-c"}});

  auto list = client().get("/api/users/me/sessions", {{"Authorization", "Bearer " + a.access}});
  ASSERT_EQ(list.status, 200) << list.body;
  auto sessions = list.json().at("sessions").as_array();
  ASSERT_EQ(sessions.size(), 3u);
  std::string id_b;
  int current = 0;
  for (auto& s : sessions) {
    current += s.at("current").as_bool();
    if (s.at("current").as_bool()) {
      EXPECT_EQ(s.at("user_agent"), "browser-a");
    }
    if (s.at("user_agent") == "browser-b") id_b = std::string(s.at("id").as_string());
    EXPECT_EQ(s.at("ip"), "127.0.0.1");
  }
  EXPECT_EQ(current, 1);

  // Ending one session by id: its tokens stop at once; ids of other users' sessions are 404.
  auto del = client().request("DELETE", "/api/users/me/sessions/" + id_b, "",
                              {{"Authorization", "Bearer " + a.access}});
  EXPECT_EQ(del.status, 200) << del.body;
  EXPECT_EQ(me(b.access), 401);
  EXPECT_EQ(refresh(b.refresh).status, 400);
  const Login other = login(new_user());
  auto foreign = client().request("DELETE", "/api/users/me/sessions/" + id_b, "",
                                  {{"Authorization", "Bearer " + other.access}});
  EXPECT_EQ(foreign.status, 404);
  EXPECT_EQ(foreign.detail(), "Session not found");

  // scope=others keeps the caller's session; global ends all.
  auto others =
      client().get("/api/auth/logout?scope=others", {{"Authorization", "Bearer " + a.access}});
  EXPECT_EQ(others.status, 200) << others.body;
  EXPECT_EQ(me(a.access), 200);
  EXPECT_EQ(me(c.access), 401);
  const Login d = login(email);
  auto global = client().request("POST", "/api/auth/logout?scope=global", "",
                                 {{"Authorization", "Bearer " + d.access}});
  EXPECT_EQ(global.status, 200);
  EXPECT_EQ(me(a.access), 401);
  EXPECT_EQ(me(d.access), 401);
  EXPECT_EQ(me(other.access), 200) << "another user's sessions are untouched";
  auto bad = client().get("/api/auth/logout?scope=everything",
                          {{"Authorization", "Bearer " + other.access}});
  EXPECT_EQ(bad.status, 422);
}

TEST_P(SessionsTest, FailedLoginsAreLimitedPerAccountAndASuccessResets) {
  start({{"LOGIN_FREE_FAILURES", "3"}, {"LOGIN_DELAY_BASE_SECONDS", "2"}});
  if (IsSkipped()) return;
  const std::string email = new_user();
  auto attempt = [&](const std::string& password) {
    return client().post_json("/api/auth/login",
                              json::object{{"email", email}, {"password", password}});
  };
  for (int i = 0; i < 3; ++i) EXPECT_EQ(attempt("Wrong-pass-" + std::to_string(i)).status, 400);
  auto limited = attempt("Passw0rd!42");  // even the right password waits out the delay
  EXPECT_EQ(limited.status, 429);
  ASSERT_TRUE(limited.header("retry-after"));
  // The configured 2 s, rounded up to whole seconds (3 when the failure fell late in a second).
  const int retry_after = std::stoi(*limited.header("retry-after"));
  EXPECT_GE(retry_after, 2);
  EXPECT_LE(retry_after, 3);
  std::this_thread::sleep_for(std::chrono::seconds(retry_after));
  EXPECT_EQ(attempt("Passw0rd!42").status, 200) << "no permanent lockout";
  EXPECT_EQ(attempt("Wrong-pass-x").status, 400) << "the success reset the count";
  // Unknown e-mails are limited the same way, and other accounts are not affected.
  for (int i = 0; i < 3; ++i) {
    client().post_json("/api/auth/login",
                       json::object{{"email", "ghost@example.com"}, {"password", "Wrong-pass"}});
  }
  EXPECT_EQ(client()
                .post_json("/api/auth/login",
                           json::object{{"email", "ghost@example.com"}, {"password", "Wrong-pass"}})
                .status,
            429);
  EXPECT_EQ(login(new_user()).access.empty(), false);
}

// Finding 3 of issue 11 (OWASP device cookies): an attacker who keeps an account delayed does not
// keep its owner out. The owner's browser logged in before and holds a device cookie, limited on
// its own counter; the account-wide delay applies to unknown devices.
TEST_P(SessionsTest, AKnownDeviceLogsInWhileAnAttackerIsDelayed) {
  start({{"LOGIN_FREE_FAILURES", "2"}, {"LOGIN_DELAY_BASE_SECONDS", "600"}});
  if (IsSkipped()) return;
  const std::string email = new_user();
  auto attempt = [&](const std::string& password, Headers headers = {}) {
    return client().post_json("/api/auth/login",
                              json::object{{"email", email}, {"password", password}}, headers);
  };
  const auto first = attempt("Passw0rd!42");
  ASSERT_EQ(first.status, 200);
  const auto device = first.cookie_value("gatehouse_device");
  ASSERT_TRUE(device && !device->empty());
  const std::string line = first.set_cookies().at("gatehouse_device");
  EXPECT_NE(line.find("HttpOnly"), std::string::npos) << line;
  EXPECT_NE(line.find("Path=/api/auth/login"), std::string::npos) << line;

  for (int i = 0; i < 2; ++i) EXPECT_EQ(attempt("Wrong-pass-" + std::to_string(i)).status, 400);
  EXPECT_EQ(attempt("Wrong-pass-x").status, 429) << "the attacker is delayed";
  EXPECT_EQ(attempt("Passw0rd!42").status, 429) << "so is every unknown device";
  const Headers known{{"Cookie", "gatehouse_device=" + *device}};
  const auto owner = attempt("Passw0rd!42", known);
  EXPECT_EQ(owner.status, 200) << owner.body;
  EXPECT_EQ(owner.cookie_value("gatehouse_device"), device) << "the device keeps its id";

  // Only a cookie this server signed for this account counts.
  std::string forged = *device;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(attempt("Passw0rd!42", {{"Cookie", "gatehouse_device=" + forged}}).status, 429);
  const std::string other = new_user();
  const auto other_login = client().post_json(
      "/api/auth/login", json::object{{"email", other}, {"password", "Passw0rd!42"}});
  const auto other_device = other_login.cookie_value("gatehouse_device");
  ASSERT_TRUE(other_device);
  EXPECT_EQ(attempt("Passw0rd!42", {{"Cookie", "gatehouse_device=" + *other_device}}).status, 429)
      << "another account's device is unknown here";
}

TEST_P(SessionsTest, RegistrationsPerAddressAreLimited) {
  start({{"IP_REGISTRATIONS_PER_HOUR", "3"}});
  if (IsSkipped()) return;
  for (int i = 0; i < 3; ++i) new_user();
  auto r =
      client().post_json("/api/auth/register", json::object{{"name", "S"},
                                                            {"email", "over@example.com"},
                                                            {"photo", "p"},
                                                            {"password", "Passw0rd!42"},
                                                            {"passwordConfirm", "Passw0rd!42"}});
  EXPECT_EQ(r.status, 429);
  EXPECT_TRUE(r.header("retry-after"));
}

TEST_P(SessionsTest, RateLimitsOffMeansNoLimit) {
  // Limits that would refuse at once if they were on.
  start({{"RATE_LIMITS", "off"},
         {"LOGIN_FREE_FAILURES", "1"},
         {"IP_REGISTRATIONS_PER_HOUR", "1"},
         {"IP_FAILED_LOGINS_PER_HOUR", "2"}});
  if (IsSkipped()) return;
  for (int i = 0; i < 3; ++i) new_user();  // new_user asserts the 201
  const std::string email = new_user();
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(client()
                  .post_json("/api/auth/login",
                             json::object{{"email", email}, {"password", "Wrong-pass"}})
                  .status,
              400);
  }
}

TEST_P(SessionsTest, CrossSiteCookieRequestsAreRefusedBearerIsNot) {
  start();
  if (IsSkipped()) return;
  const std::string email = new_user();
  const Login s = login(email);
  const Headers cookie = {{"Cookie", "access_token=" + s.access + "; refresh_token=" + s.refresh}};
  auto with = [](Headers h, std::pair<std::string, std::string> extra) {
    h.push_back(std::move(extra));
    return h;
  };
  auto foreign = client().request("POST", "/api/auth/logout", "",
                                  with(cookie, {"Origin", "https://evil.example"}));
  EXPECT_EQ(foreign.status, 403);
  EXPECT_EQ(me(s.access), 200) << "the refused logout changed nothing";
  auto cross = client().request("POST", "/api/auth/refresh", "",
                                with(cookie, {"Sec-Fetch-Site", "cross-site"}));
  EXPECT_EQ(cross.status, 403);
  auto allowed = client().request("POST", "/api/auth/refresh", "",
                                  with(cookie, {"Origin", "http://localhost:3000"}));
  EXPECT_EQ(allowed.status, 200) << allowed.body;
  const Login t = login(email);
  auto bearer = client().request(
      "POST", "/api/auth/logout", "",
      {{"Authorization", "Bearer " + t.access}, {"Origin", "https://evil.example"}});
  EXPECT_EQ(bearer.status, 200);
}

TEST_P(SessionsTest, CookieSettingsApply) {
  start(
      {{"COOKIE_SECURE", "true"}, {"COOKIE_DOMAIN", "example.com"}, {"COOKIE_SAMESITE", "strict"}});
  if (IsSkipped()) return;
  const std::string email = new_user();
  auto r = client().post_json("/api/auth/login",
                              json::object{{"email", email}, {"password", "Passw0rd!42"}});
  ASSERT_EQ(r.status, 200);
  const auto cookies = r.set_cookies();
  ASSERT_EQ(cookies.size(), 4u);
  for (const char* name : {"access_token", "refresh_token", "logged_in", "gatehouse_device"}) {
    EXPECT_TRUE(cookies.count(name)) << name;
  }
  for (auto& [name, line] : cookies) {
    EXPECT_NE(line.find("; Secure"), std::string::npos) << line;
    EXPECT_NE(line.find("; Domain=example.com"), std::string::npos) << line;
    EXPECT_NE(line.find("; SameSite=strict"), std::string::npos) << line;
  }
}

}  // namespace
}  // namespace gatehouse::e2e

namespace gatehouse::e2e {
namespace {

TEST_P(SessionsTest, ClientAddressComesFromXForwardedForOnlyBehindATrustedProxy) {
  start({{"TRUSTED_PROXIES", "127.0.0.1"}, {"LOGIN_FREE_FAILURES", "2"}});
  if (IsSkipped()) return;
  const std::string email = new_user();
  const Login s = login(email, {{"X-Forwarded-For", "198.51.100.9, 203.0.113.7"}});
  auto list = client().get("/api/users/me/sessions", {{"Authorization", "Bearer " + s.access}});
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.json().at("sessions").as_array().at(0).at("ip"), "203.0.113.7")
      << "the right-most address the trusted proxy saw";
}

// HAProxy appends its own X-Forwarded-For line: the client's forged first line must not win.
TEST_P(SessionsTest, EveryXForwardedForLineIsReadAndTheProxysLastLineWins) {
  start({{"TRUSTED_PROXIES", "127.0.0.1"}});
  if (IsSkipped()) return;
  const Login s = login(new_user(), {{"X-Forwarded-For", "198.51.100.66"},
                                     {"X-Forwarded-For", "[2001:db8::7]:51000"}});
  auto list = client().get("/api/users/me/sessions", {{"Authorization", "Bearer " + s.access}});
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.json().at("sessions").as_array().at(0).at("ip"), "2001:db8::7");
}

// Login CSRF: a cross-site form posts text/plain without a preflight; JSON routes refuse it.
TEST_P(SessionsTest, LoginAndRegisterRefuseBodiesThatAreNotJson) {
  start();
  if (IsSkipped()) return;
  const std::string email = new_user();
  const std::string body = R"({"email":")" + email + R"(","password":"Passw0rd!42"})";
  for (const char* target : {"/api/auth/login", "/api/auth/register"}) {
    auto r = client().request("POST", target, body, {{"Content-Type", "text/plain"}});
    EXPECT_EQ(r.status, 415) << target << ": " << r.body;
    EXPECT_EQ(r.detail(), "The request body must be JSON (Content-Type: application/json)");
    EXPECT_TRUE(r.set_cookies().empty());
  }
  EXPECT_EQ(client()
                .request("POST", "/api/auth/login", body,
                         {{"Content-Type", "application/json; charset=utf-8"}})
                .status,
            200);
}

TEST_P(SessionsTest, ForgedXForwardedForFromAnUntrustedPeerIsIgnored) {
  start();
  if (IsSkipped()) return;
  const Login s = login(new_user(), {{"X-Forwarded-For", "203.0.113.7"}});
  auto list = client().get("/api/users/me/sessions", {{"Authorization", "Bearer " + s.access}});
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.json().at("sessions").as_array().at(0).at("ip"), "127.0.0.1");
}

}  // namespace
}  // namespace gatehouse::e2e
