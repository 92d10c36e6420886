// End-to-end: the audit trail on SQLite, MariaDB and PostgreSQL. A scripted account life through
// the API (mail through a real SMTP server) causes every event type; each one is read back from
// GET /api/users/me/events and from `gatehouse audit` with its fields: time, user, session,
// client address and user agent, detail.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "http_client.hpp"
#include "server_process.hpp"
#include "smtp_sink.hpp"
#include "test_databases.hpp"

namespace gatehouse::e2e {
namespace {

namespace json = boost::json;
using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr const char* kAgent = "audit-test/1.0 (e2e)";

class AuditTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    sink_ = std::make_unique<SmtpSink>(dir_.path() / "smtp");
    ASSERT_TRUE(sink_->start()) << sink_->log();
    env_ = test_env(free_port());
    env_["SMTP_URL"] = sink_->url();
    env_["MAIL_FROM"] = "no-reply@example.com";
    env_["REQUIRE_EMAIL_VERIFICATION"] = "true";
    // Two failures in a row start a minute's delay.
    env_["LOGIN_FREE_FAILURES"] = "2";
    env_["LOGIN_DELAY_BASE_SECONDS"] = "60";
    // The new address gets a confirmation and then a reset within seconds.
    env_["MAIL_ADDRESS_INTERVAL_SECONDS"] = "0";
    std::string skip;
    database_ = prepare_backend(GetParam(), dir_.path(), env_, skip);
    if (!skip.empty()) GTEST_SKIP() << skip;
    server_ = std::make_unique<ServerProcess>(dir_.path(), env_);
    ASSERT_TRUE(server_->ready()) << server_->log();
  }

  HttpResult call(const std::string& method, const std::string& target, const json::object& body,
                  const std::string& bearer = "") {
    Headers headers{{"User-Agent", kAgent}};
    if (!bearer.empty()) headers.emplace_back("Authorization", "Bearer " + bearer);
    HttpClient client(server_->port());
    if (method == "GET") return client.get(target, headers);
    headers.emplace_back("Content-Type", "application/json");
    return client.request(method, target, json::serialize(body), headers);
  }
  void register_user(const std::string& email) {
    auto r = call("POST", "/api/auth/register",
                  {{"name", "M"},
                   {"email", email},
                   {"photo", "p"},
                   {"password", kPassword},
                   {"passwordConfirm", kPassword}});
    ASSERT_EQ(r.status, 201) << r.body;
  }
  HttpResult login(const std::string& email, const std::string& password = kPassword) {
    return call("POST", "/api/auth/login", {{"email", email}, {"password", password}});
  }
  static std::string field(const HttpResult& r, const char* name) {
    return std::string(r.json().at(name).as_string());
  }
  // The session id of an access token: the current one in its session list.
  std::string session_of(const std::string& access) {
    auto r = call("GET", "/api/users/me/sessions", {}, access);
    EXPECT_EQ(r.status, 200) << r.body;
    const json::value body = r.json();
    for (const auto& s : body.at("sessions").as_array()) {
      if (s.at("current").as_bool()) return std::string(s.at("id").as_string());
    }
    ADD_FAILURE() << "no current session in " << r.body;
    return "";
  }
  // Spends the link of the newest mail to `to` at `route` (with `extra` body fields).
  HttpResult spend_mail(std::size_t count, const std::string& to, const std::string& route,
                        json::object extra = {}) {
    const auto mails = sink_->wait_for(count);
    EXPECT_GE(mails.size(), count) << server_->log();
    for (auto it = mails.rbegin(); it != mails.rend(); ++it) {
      if (it->to != to || mail_token(*it).empty()) continue;
      extra["token"] = mail_token(*it);
      return call("POST", route, extra);
    }
    ADD_FAILURE() << "no mail with a link to " << to;
    return {};
  }
  // Every event of the user behind `access`, newest first, read page by page (`limit` a page).
  std::vector<json::object> my_events(const std::string& access, int limit = 4) {
    std::vector<json::object> out;
    std::string before;
    for (int page = 0; page < 50; ++page) {
      std::string target = "/api/users/me/events?limit=" + std::to_string(limit);
      if (!before.empty()) target += "&before=" + before;
      auto r = call("GET", target, {}, access);
      EXPECT_EQ(r.status, 200) << r.body;
      if (r.status != 200) break;
      EXPECT_EQ(r.header("cache-control"), "no-store");
      const json::value body = r.json();
      const auto& events = body.at("events").as_array();
      EXPECT_LE(events.size(), static_cast<std::size_t>(limit));
      for (const auto& e : events) out.push_back(e.as_object());
      const auto& next = body.at("next_before");
      if (next.is_null()) break;
      EXPECT_EQ(next.as_int64(), out.back().at("id").as_int64());
      before = std::to_string(next.as_int64());
    }
    return out;
  }
  CommandResult audit(std::vector<std::string> args) {
    args.insert(args.begin(), "audit");
    return run_gatehouse(args, dir_.path(), env_);
  }

  TempDir dir_;
  std::unique_ptr<SmtpSink> sink_;
  std::unique_ptr<TestDatabase> database_;  // null on SQLite
  std::map<std::string, std::string> env_;
  std::unique_ptr<ServerProcess> server_;
};

INSTANTIATE_TEST_SUITE_P(Backends, AuditTest, ::testing::Values("sqlite", "mysql", "postgresql"),
                         [](const auto& param_info) { return param_info.param; });

std::string text(const json::object& e, const char* name) {
  const auto& v = e.at(name);
  return v.is_null() ? std::string("null") : std::string(v.as_string());
}

TEST_P(AuditTest, EveryEventIsRecordedWithItsFieldsAndReadBackByUserAndOperator) {
  // register, login_failed (unverified), email_verified
  register_user("alice@example.com");
  EXPECT_EQ(login("alice@example.com").status, 401);
  ASSERT_EQ(spend_mail(1, "alice@example.com", "/api/auth/verify-email").status, 200);

  // login; refresh twice and the first token again: refresh_reuse_detected ends that session
  const HttpResult first = login("alice@example.com");
  ASSERT_EQ(first.status, 200) << first.body;
  const std::string first_sid = session_of(field(first, "access_token"));
  const auto refresh = [&](const std::string& token) {
    return call("POST", "/api/auth/refresh", {}, token);
  };
  const HttpResult rotated = refresh(field(first, "refresh_token"));
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  ASSERT_EQ(refresh(field(rotated, "refresh_token")).status, 200);
  EXPECT_EQ(refresh(field(first, "refresh_token")).status, 400);

  // Two more logins; the second ends the third from the session list: session_revoked
  const HttpResult second = login("alice@example.com");
  const HttpResult third = login("alice@example.com");
  ASSERT_EQ(second.status, 200);
  ASSERT_EQ(third.status, 200);
  const std::string access = field(second, "access_token");
  const std::string sid = session_of(access);
  const std::string third_sid = session_of(field(third, "access_token"));
  EXPECT_EQ(call("DELETE", "/api/users/me/sessions/" + third_sid, {}, access).status, 200);

  // password_check_failed, then password_changed
  EXPECT_EQ(call("POST", "/api/users/me/password",
                 {{"current_password", "not my password"},
                  {"password", "N3w password!"},
                  {"passwordConfirm", "N3w password!"}},
                 access)
                .status,
            400);
  ASSERT_EQ(call("POST", "/api/users/me/password",
                 {{"current_password", kPassword},
                  {"password", "N3w password!"},
                  {"passwordConfirm", "N3w password!"}},
                 access)
                .status,
            200);

  // email_changed: the confirmation mailed to the new address, spent
  ASSERT_EQ(call("POST", "/api/users/me/email",
                 {{"email", "alice2@example.com"}, {"password", "N3w password!"}}, access)
                .status,
            202);
  ASSERT_EQ(spend_mail(4, "alice2@example.com", "/api/auth/verify-email").status, 200)
      << "mails: verification, password notice, confirmation, notice to the old address";

  // logout of the others (none left), then password_reset ends every session
  EXPECT_EQ(call("POST", "/api/auth/logout?scope=others", {}, access).status, 200);
  ASSERT_EQ(call("POST", "/api/auth/password/forgot", {{"email", "alice2@example.com"}}).status,
            202);
  ASSERT_EQ(spend_mail(5, "alice2@example.com", "/api/auth/password/reset",
                       {{"password", "R3set password!"}, {"passwordConfirm", "R3set password!"}})
                .status,
            200);
  // login and logout (scope session)
  const HttpResult last = login("alice2@example.com", "R3set password!");
  ASSERT_EQ(last.status, 200) << last.body;
  const std::string last_access = field(last, "access_token");
  const std::string last_sid = session_of(last_access);
  const HttpResult reader = login("alice2@example.com", "R3set password!");
  ASSERT_EQ(reader.status, 200);
  EXPECT_EQ(call("POST", "/api/auth/logout", {}, last_access).status, 200);

  // Another account: failures, the lockout they start, and an address without an account.
  register_user("bob@example.com");
  for (int i = 0; i < 2; ++i) EXPECT_EQ(login("bob@example.com", "wrong password").status, 400);
  EXPECT_EQ(login("bob@example.com", "wrong password").status, 429) << "refused: no row written";
  EXPECT_EQ(login("nobody@example.com").status, 400);

  // Alice reads her own trail, newest first, page by page.
  const auto events = my_events(field(reader, "access_token"));
  std::vector<std::string> names;
  for (const auto& e : events) names.push_back(text(e, "event"));
  const std::vector<std::string> expected{"logout",
                                          "login",
                                          "login",
                                          "password_reset",
                                          "logout",
                                          "email_changed",
                                          "password_changed",
                                          "password_check_failed",
                                          "session_revoked",
                                          "login",
                                          "login",
                                          "refresh_reuse_detected",
                                          "login",
                                          "email_verified",
                                          "login_failed",
                                          "register"};
  ASSERT_EQ(names, expected) << server_->log();
  std::int64_t previous_id = std::numeric_limits<std::int64_t>::max();
  std::int64_t user_id = 0;
  for (const auto& e : events) {
    EXPECT_LT(e.at("id").as_int64(), previous_id) << "newest first";
    previous_id = e.at("id").as_int64();
    if (user_id == 0) user_id = e.at("user_id").as_int64();
    EXPECT_EQ(e.at("user_id").as_int64(), user_id) << text(e, "event");
    EXPECT_EQ(text(e, "ip"), "127.0.0.1") << text(e, "event");
    EXPECT_EQ(text(e, "user_agent"), kAgent) << text(e, "event");
    EXPECT_TRUE(e.at("actor_id").is_null());
    EXPECT_EQ(text(e, "at").size(), 25u) << text(e, "at");
  }
  const auto at = [&](std::size_t i) { return events[i]; };
  EXPECT_EQ(text(at(0), "session_id"), last_sid);
  EXPECT_EQ(text(at(0), "detail"), "session");
  EXPECT_EQ(text(at(1), "email"), "alice2@example.com");
  EXPECT_EQ(text(at(4), "detail"), "others");
  EXPECT_EQ(text(at(4), "session_id"), sid);
  EXPECT_EQ(text(at(5), "email"), "alice@example.com") << "the address it changed from";
  EXPECT_EQ(text(at(5), "detail"), "to alice2@example.com");
  EXPECT_EQ(text(at(6), "session_id"), sid) << "the session that changed it";
  EXPECT_EQ(text(at(7), "session_id"), sid);
  EXPECT_EQ(text(at(8), "session_id"), third_sid);
  EXPECT_EQ(text(at(8), "detail"), "ended_by_user");
  EXPECT_EQ(text(at(11), "session_id"), first_sid);
  EXPECT_EQ(text(at(12), "session_id"), first_sid);
  EXPECT_EQ(text(at(13), "email"), "alice@example.com");
  EXPECT_EQ(text(at(14), "detail"), "unverified");
  EXPECT_EQ(text(at(15), "email"), "alice@example.com");

  // A filter, and bad paging answered 422 in the API's error shape.
  auto logins =
      call("GET", "/api/users/me/events?event=login&limit=100", {}, field(reader, "access_token"));
  ASSERT_EQ(logins.status, 200);
  EXPECT_EQ(logins.json().at("events").as_array().size(), 5u);
  for (const char* bad :
       {"limit=0", "limit=101", "limit=ten", "before=-1", "before=1x", "event=no_such_event"}) {
    auto r =
        call("GET", std::string("/api/users/me/events?") + bad, {}, field(reader, "access_token"));
    EXPECT_EQ(r.status, 422) << bad;
    EXPECT_TRUE(r.json().at("detail").is_array()) << bad << ": " << r.body;
  }
  EXPECT_EQ(call("GET", "/api/users/me/events", {}).status, 401);

  // The operator's view: Bob's failures and the lockout the second one started.
  auto bob = audit({"--user", "bob@example.com"});
  ASSERT_EQ(bob.exit_code, 0) << bob.err;
  std::vector<std::string> lines;
  std::istringstream in(bob.out);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 4u) << bob.out;
  EXPECT_NE(lines[0].find("  lockout  "), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("detail=\"account for 60 s\""), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find("  login_failed  "), std::string::npos) << lines[1];
  EXPECT_NE(lines[1].find("detail=\"wrong_password\""), std::string::npos) << lines[1];
  EXPECT_NE(lines[3].find("  register  "), std::string::npos) << lines[3];
  for (const auto& line : lines) {
    EXPECT_NE(line.find("email=bob@example.com"), std::string::npos) << line;
    EXPECT_NE(line.find("ip=127.0.0.1"), std::string::npos) << line;
    EXPECT_NE(line.find(std::string("agent=\"") + kAgent + "\""), std::string::npos) << line;
  }
  // An address without an account: the attempts on it.
  auto nobody = audit({"--user", "NOBODY@example.com", "--json"});
  ASSERT_EQ(nobody.exit_code, 0) << nobody.err;
  const auto tried = json::parse(nobody.out).as_object();
  EXPECT_EQ(text(tried, "event"), "login_failed");
  EXPECT_EQ(text(tried, "detail"), "unknown_account");
  EXPECT_TRUE(tried.at("user_id").is_null());
  // By type over every account, and by time.
  auto failed = audit({"--event", "login_failed", "--json"});
  ASSERT_EQ(failed.exit_code, 0) << failed.err;
  EXPECT_EQ(std::count(failed.out.begin(), failed.out.end(), '\n'), 4) << failed.out;
  auto recent = audit({"--since", "1h", "--limit", "3"});
  ASSERT_EQ(recent.exit_code, 0) << recent.err;
  EXPECT_EQ(std::count(recent.out.begin(), recent.out.end(), '\n'), 3) << recent.out;
  EXPECT_NE(recent.err.find("--limit reached"), std::string::npos) << recent.err;
  auto future = audit({"--since", "2200-01-01"});
  ASSERT_EQ(future.exit_code, 0) << future.err;
  EXPECT_EQ(future.out, "");
  auto bad_event = audit({"--event", "logins"});
  EXPECT_NE(bad_event.exit_code, 0);
  EXPECT_NE(bad_event.err.find("is not one of register, login,"), std::string::npos)
      << bad_event.err;
  for (const char* bad : {"yesterday", "2999-01-01", "2026-02-30"}) {
    auto bad_time = audit({"--since", bad});
    EXPECT_NE(bad_time.exit_code, 0) << bad;
    EXPECT_NE(bad_time.err.find(std::string("--since: '") + bad + "' is not"), std::string::npos)
        << bad_time.err;
  }
  EXPECT_EQ(server_->stop(SIGTERM), 0);
}

}  // namespace
}  // namespace gatehouse::e2e
