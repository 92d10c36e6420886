// End-to-end for the account lifecycle over real mail: a real `gatehouse serve` sending through a
// real SMTP server (aiosmtpd, started here), on SQLite, MariaDB and PostgreSQL. Every flow follows
// the link or the code from the delivered mail: verification, forgotten password and reset,
// password change, e-mail change; an SMTP outage that delays mail but loses none and sends each
// once; answers and times that do not tell which addresses have an account.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

#include "http_client.hpp"
#include "server_process.hpp"
#include "smtp_sink.hpp"
#include "test_databases.hpp"

namespace gatehouse::e2e {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using Headers = std::vector<std::pair<std::string, std::string>>;

class MailTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    sink_ = std::make_unique<SmtpSink>(dir_.path() / "smtp");
    ASSERT_TRUE(sink_->start()) << sink_->log();
  }

  // Starts a server that mails through the sink, with the test defaults plus `overrides`.
  void start(std::map<std::string, std::string> overrides = {}) {
    env_ = test_env(free_port());
    env_["SMTP_URL"] = sink_->url();
    env_["MAIL_FROM"] = "no-reply@example.com";
    env_["APP_NAME"] = "Acme";
    for (auto& [k, v] : overrides) env_[k] = v;
    std::string skip;
    database_ = prepare_backend(GetParam(), dir_.path(), env_, skip);
    if (!skip.empty()) GTEST_SKIP() << skip;
    restart();
  }
  void restart() {
    server_ = std::make_unique<ServerProcess>(dir_.path(), env_);
    ASSERT_TRUE(server_->ready()) << server_->log();
  }

  HttpClient client() { return HttpClient(server_->port()); }

  void register_user(const std::string& email, const std::string& password = kPassword) {
    auto r = client().post_json("/api/auth/register", json::object{{"name", "M"},
                                                                   {"email", email},
                                                                   {"photo", "p"},
                                                                   {"password", password},
                                                                   {"passwordConfirm", password}});
    ASSERT_EQ(r.status, 201) << r.body;
  }
  HttpResult login(const std::string& email, const std::string& password = kPassword) {
    return client().post_json("/api/auth/login",
                              json::object{{"email", email}, {"password", password}});
  }
  std::string access_of(const HttpResult& login) {
    return std::string(login.json().at("access_token").as_string());
  }
  std::string refresh_of(const HttpResult& login) {
    return std::string(login.json().at("refresh_token").as_string());
  }
  HttpResult post(const std::string& target, const json::object& body,
                  const std::string& access = "") {
    Headers headers;
    if (!access.empty()) headers.emplace_back("Authorization", "Bearer " + access);
    return client().post_json(target, body, headers);
  }

  TempDir dir_;
  std::unique_ptr<SmtpSink> sink_;
  std::unique_ptr<TestDatabase> database_;  // null on SQLite
  std::map<std::string, std::string> env_;
  std::unique_ptr<ServerProcess> server_;
};

INSTANTIATE_TEST_SUITE_P(Backends, MailTest, ::testing::Values("sqlite", "mysql", "postgresql"),
                         [](const auto& param_info) { return param_info.param; });

TEST_P(MailTest, VerificationLinkFromTheMailVerifiesOnlyWhenConfirmed) {
  start({{"REQUIRE_EMAIL_VERIFICATION", "true"}});
  if (IsSkipped()) return;
  register_user("new@example.com");
  auto before = login("new@example.com");
  EXPECT_EQ(before.status, 401);
  EXPECT_EQ(before.detail(), "Please verify your email address");

  const auto mails = sink_->wait_for(1);
  ASSERT_EQ(mails.size(), 1u) << server_->log();
  EXPECT_EQ(mails[0].to, "new@example.com");
  EXPECT_EQ(mails[0].subject, "Confirm your e-mail address for Acme");
  EXPECT_NE(mails[0].raw.find("From: \"Acme\" <no-reply@example.com>"), std::string::npos);
  const std::string token = mail_token(mails[0]);
  ASSERT_FALSE(token.empty()) << mails[0].text;
  ASSERT_FALSE(mail_code(mails[0]).empty());
  const std::string link_path = "/auth/verify-email#token=" + token;
  EXPECT_NE(mails[0].text.find("http://127.0.0.1:" + std::to_string(server_->port()) + link_path),
            std::string::npos)
      << "APP_URL defaults to Gatehouse itself";

  // What a mail scanner or a link preview does: GET the link (a browser leaves out the fragment).
  for (int i = 0; i < 3; ++i) {
    auto page = client().get("/auth/verify-email");
    ASSERT_EQ(page.status, 200);
    EXPECT_NE(page.header("content-type").value_or("").find("text/html"), std::string::npos);
    EXPECT_NE(page.header("content-security-policy").value_or("").find("script-src 'self'"),
              std::string::npos);
    EXPECT_EQ(client().get("/auth/account.js").status, 200);
  }
  EXPECT_EQ(login("new@example.com").status, 401) << "opening the page verified nothing";

  auto verified = post("/api/auth/verify-email", {{"token", token}});
  EXPECT_EQ(verified.status, 200) << verified.body;
  EXPECT_EQ(login("new@example.com").status, 200);
  auto again = post("/api/auth/verify-email", {{"token", token}});
  EXPECT_EQ(again.status, 400);
  EXPECT_EQ(again.detail(), "Invalid or expired code");
}

TEST_P(MailTest, ForgottenPasswordResetByCodeEndsEverySession) {
  start();
  if (IsSkipped()) return;
  register_user("alice@example.com");
  auto session = login("alice@example.com");
  ASSERT_EQ(session.status, 200);

  for (const char* email : {"alice@example.com", "nobody@example.com"}) {
    auto r = post("/api/auth/password/forgot", {{"email", email}});
    EXPECT_EQ(r.status, 202) << email;
    EXPECT_EQ(r.body, R"({"status":"success"})");
  }
  const auto mails = sink_->wait_for(1);
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0].to, "alice@example.com");
  EXPECT_EQ(mails[0].subject, "Reset your Acme password");

  auto mismatch = post("/api/auth/password/reset", {{"email", "alice@example.com"},
                                                    {"code", mail_code(mails[0])},
                                                    {"password", "a new password"},
                                                    {"passwordConfirm", "another one"}});
  EXPECT_EQ(mismatch.status, 400);
  EXPECT_EQ(mismatch.detail(), "Passwords do not match");
  auto reset = post("/api/auth/password/reset", {{"email", "Alice@Example.com"},
                                                 {"code", mail_code(mails[0])},
                                                 {"password", "a new password"},
                                                 {"passwordConfirm", "a new password"}});
  ASSERT_EQ(reset.status, 200) << reset.body;

  EXPECT_EQ(
      client().get("/api/users/me", {{"Authorization", "Bearer " + access_of(session)}}).status,
      401)
      << "the old session's access token ends at once";
  EXPECT_EQ(client()
                .request("POST", "/api/auth/refresh", "",
                         {{"Authorization", "Bearer " + refresh_of(session)}})
                .status,
            400);
  EXPECT_EQ(login("alice@example.com").status, 400) << "the old password is gone";
  EXPECT_EQ(login("alice@example.com", "a new password").status, 200);
  const auto notice = sink_->wait_for(2);
  ASSERT_EQ(notice.size(), 2u);
  EXPECT_EQ(notice[1].subject, "Your Acme password was changed");
  EXPECT_EQ(post("/api/auth/password/reset", {{"token", mail_token(mails[0])},
                                              {"password", "third password"},
                                              {"passwordConfirm", "third password"}})
                .status,
            400)
      << "the link went with the code";
}

TEST_P(MailTest, PasswordAndEmailChangesOfASignedInUser) {
  start();
  if (IsSkipped()) return;
  register_user("old@example.com");
  const auto mine = login("old@example.com");
  const auto other = login("old@example.com");
  ASSERT_EQ(mine.status, 200);
  ASSERT_EQ(other.status, 200);

  auto wrong = post("/api/users/me/password",
                    {{"current_password", "not it at all"},
                     {"password", "a new password"},
                     {"passwordConfirm", "a new password"}},
                    access_of(mine));
  EXPECT_EQ(wrong.status, 400);
  EXPECT_EQ(wrong.detail(), "Incorrect password");
  auto changed = post("/api/users/me/password",
                      {{"current_password", kPassword},
                       {"password", "a new password"},
                       {"passwordConfirm", "a new password"}},
                      access_of(mine));
  ASSERT_EQ(changed.status, 200) << changed.body;
  EXPECT_EQ(client().get("/api/users/me", {{"Authorization", "Bearer " + access_of(mine)}}).status,
            200)
      << "this session stays";
  EXPECT_EQ(client().get("/api/users/me", {{"Authorization", "Bearer " + access_of(other)}}).status,
            401)
      << "every other one ends";

  auto asked =
      post("/api/users/me/email", {{"email", "new@example.com"}, {"password", "a new password"}},
           access_of(mine));
  ASSERT_EQ(asked.status, 202) << asked.body;
  // The password notice, then the confirmation to the new address and the notice to the old.
  const auto mails = sink_->wait_for(3);
  ASSERT_EQ(mails.size(), 3u);
  const auto to_new = std::find_if(mails.begin(), mails.end(),
                                   [](const auto& m) { return m.to == "new@example.com"; });
  ASSERT_NE(to_new, mails.end());
  EXPECT_EQ(std::count_if(mails.begin(), mails.end(),
                          [](const auto& m) { return m.to == "old@example.com"; }),
            2);
  EXPECT_EQ(login("new@example.com", "a new password").status, 400) << "not before it confirms";

  auto confirmed =
      post("/api/auth/verify-email", {{"email", "new@example.com"}, {"code", mail_code(*to_new)}});
  ASSERT_EQ(confirmed.status, 200) << confirmed.body;
  EXPECT_EQ(login("new@example.com", "a new password").status, 200);
  EXPECT_EQ(login("old@example.com", "a new password").status, 400);
}

TEST_P(MailTest, AnSmtpOutageOrACrashDelaysMailButLosesNoneAndSendsEachOnce) {
  start({{"MAIL_RETRY_SECONDS", "1"}});
  if (IsSkipped()) return;
  register_user("a@example.com");
  register_user("b@example.com");
  sink_->stop();
  EXPECT_EQ(post("/api/auth/password/forgot", {{"email", "a@example.com"}}).status, 202);
  // The server tried and failed; then it is killed (no clean shutdown) and started again.
  ASSERT_TRUE(wait_until(
      [&] { return server_->log().find("not sent, next try") != std::string::npos; }, 20s))
      << server_->log();
  server_->stop(SIGKILL);
  restart();
  EXPECT_EQ(post("/api/auth/password/forgot", {{"email", "b@example.com"}}).status, 202);
  std::this_thread::sleep_for(1500ms);
  ASSERT_TRUE(sink_->start());
  const auto mails = sink_->wait_for(2, 30s);
  ASSERT_EQ(mails.size(), 2u) << server_->log();
  std::this_thread::sleep_for(3s);  // more retries would have come by now
  EXPECT_EQ(sink_->mails().size(), 2u) << "each mail exactly once";
}

TEST_P(MailTest, LimitsAndAnswersDoNotRevealWhichAddressesHaveAnAccount) {
  start({{"MAIL_ADDRESS_INTERVAL_SECONDS", "2"},
         {"MAIL_PER_ADDRESS_PER_HOUR", "2"},
         {"MAIL_PER_CLIENT_PER_HOUR", "5"}});
  if (IsSkipped()) return;
  register_user("known@example.com");
  for (const char* email : {"known@example.com", "unknown@example.com"}) {
    EXPECT_EQ(post("/api/auth/password/forgot", {{"email", email}}).status, 202);
    auto again = post("/api/auth/password/forgot", {{"email", email}});
    EXPECT_EQ(again.status, 429) << email << ": within MAIL_ADDRESS_INTERVAL_SECONDS";
    EXPECT_EQ(again.detail(), "Too many requests");
    const int wait = std::stoi(again.header("retry-after").value_or("0"));
    EXPECT_GE(wait, 1);
    EXPECT_LE(wait, 3) << "2 s, counted from the next whole second";
    auto send = post("/api/auth/verify-email/send", {{"email", email}});
    EXPECT_EQ(send.status, 429) << email << ": one counter per address for every kind of mail";
  }
  std::this_thread::sleep_for(3100ms);
  for (const char* email : {"known@example.com", "unknown@example.com"}) {
    EXPECT_EQ(post("/api/auth/password/forgot", {{"email", email}}).status, 202) << email;
  }
  std::this_thread::sleep_for(3100ms);
  for (const char* email : {"known@example.com", "unknown@example.com"}) {
    auto third = post("/api/auth/password/forgot", {{"email", email}});
    EXPECT_EQ(third.status, 429) << email << ": MAIL_PER_ADDRESS_PER_HOUR is 2";
    EXPECT_GT(std::stoi(third.header("retry-after").value_or("0")), 3000) << "until the hour ends";
  }
  // This client has asked for 4 mails that were sent; one more, then MAIL_PER_CLIENT_PER_HOUR.
  EXPECT_EQ(post("/api/auth/password/forgot", {{"email", "other@example.com"}}).status, 202);
  EXPECT_EQ(post("/api/auth/password/forgot", {{"email", "another@example.com"}}).status, 429);
}

TEST_P(MailTest, AppUrlTemplatesAndLifetimesShapeTheMail) {
  if (!FakeWallClock::available()) GTEST_FAIL() << "libfaketime is missing";
  FakeWallClock clock(dir_.path());
  const auto templates = dir_.path() / "templates";
  std::filesystem::create_directories(templates);
  std::ofstream(templates / "reset_password.subject.txt") << "{{app_name}}: a new password\n";
  std::map<std::string, std::string> overrides{{"APP_URL", "https://id.example.com/"},
                                               {"MAIL_TEMPLATES_DIR", templates.string()},
                                               {"EMAIL_TOKEN_MINUTES", "90"},
                                               {"RESET_TOKEN_MINUTES", "45"},
                                               {"REQUIRE_EMAIL_VERIFICATION", "true"}};
  clock.add_to(overrides);
  start(overrides);
  if (IsSkipped()) return;
  register_user("alice@example.com");
  auto verify = sink_->wait_for(1);
  ASSERT_EQ(verify.size(), 1u);
  EXPECT_NE(verify[0].text.find("https://id.example.com/auth/verify-email#token="),
            std::string::npos)
      << verify[0].text;
  EXPECT_NE(verify[0].text.find("expire in 90 minutes"), std::string::npos);
  ASSERT_EQ(post("/api/auth/verify-email", {{"token", mail_token(verify[0])}}).status, 200);

  ASSERT_EQ(post("/api/auth/password/forgot", {{"email", "alice@example.com"}}).status, 202);
  auto reset = sink_->wait_for(2);
  ASSERT_EQ(reset.size(), 2u);
  EXPECT_EQ(reset[1].subject, "Acme: a new password") << "the override's subject";
  EXPECT_NE(reset[1].text.find("https://id.example.com/auth/reset-password#token="),
            std::string::npos);
  EXPECT_NE(reset[1].text.find("expire in 45 minutes"), std::string::npos);
  clock.advance(std::chrono::minutes(46));
  auto late = post("/api/auth/password/reset", {{"token", mail_token(reset[1])},
                                                {"password", "a new password"},
                                                {"passwordConfirm", "a new password"}});
  EXPECT_EQ(late.status, 400);
  EXPECT_EQ(late.detail(), "Invalid or expired code");
}

TEST_P(MailTest, WithoutSmtpMailIsWrittenToTheOutboxFolderAndItsFileLogged) {
  start({{"SMTP_URL", ""}, {"MAIL_OUTBOX_DIR", "dev-mail"}});
  if (IsSkipped()) return;
  register_user("dev@example.com");
  ASSERT_EQ(post("/api/auth/password/forgot", {{"email", "dev@example.com"}}).status, 202);
  const auto folder = dir_.path() / "dev-mail";
  // The file is written beside its final name and renamed: wait for the .eml itself.
  std::filesystem::path file;
  ASSERT_TRUE(wait_until([&] {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(folder, ec)) {
      if (entry.path().extension() == ".eml") file = entry.path();
    }
    return !file.empty();
  })) << server_->log();
  EXPECT_EQ(file.extension(), ".eml");
  EXPECT_EQ(std::filesystem::status(file).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  std::ifstream in(file);
  const std::string eml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(eml.find("To: dev@example.com"), std::string::npos);
  // The log names the file, never the link (a secret).
  ASSERT_TRUE(wait_until([&] {
    return server_->log().find(file.filename().string()) != std::string::npos;
  })) << server_->log();
  EXPECT_EQ(server_->log().find("#token="), std::string::npos) << server_->log();
  EXPECT_TRUE(sink_->mails().empty());
}

TEST_P(MailTest, ForgotTakesTheSameTimeForKnownAndUnknownAddresses) {
  start({{"RATE_LIMITS", "off"}});
  if (IsSkipped()) return;
  register_user("known@example.com");
  constexpr int kSamples = 40;
  std::vector<double> known;
  std::vector<double> unknown;
  HttpClient c = client();
  const auto timed = [&](const std::string& email) {
    const auto t0 = std::chrono::steady_clock::now();
    auto r = c.post_json("/api/auth/password/forgot", json::object{{"email", email}});
    EXPECT_EQ(r.status, 202);
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  };
  for (int i = 0; i < kSamples; ++i) {
    // Interleaved, so a burst of load falls on both sides.
    known.push_back(timed("known@example.com"));
    unknown.push_back(timed("unknown-" + std::to_string(i) + "@example.com"));
  }
  const auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  const double k = median(known);
  const double u = median(unknown);
  // The request does the same work for both (count, queue); a lookup or a token write on one
  // side only would show as a steady gap. Generous: a loaded 2-core machine scatters medians.
  EXPECT_LT(std::max(k, u), 3 * std::min(k, u) + 2.0)
      << "known " << k << " ms, unknown " << u << " ms";
}

TEST_P(MailTest, MalformedRequestsGetTheApiErrors) {
  start();
  if (IsSkipped()) return;
  EXPECT_EQ(post("/api/auth/password/forgot", {{"email", "not an address"}}).status, 422);
  EXPECT_EQ(post("/api/auth/verify-email", json::object{}).status, 422);
  EXPECT_EQ(post("/api/auth/verify-email", {{"email", "a@example.com"}}).status, 422)
      << "an address needs its code";
  EXPECT_EQ(post("/api/auth/verify-email", {{"email", "a@example.com"}, {"code", "12"}}).status,
            400);
  EXPECT_EQ(client()
                .request("POST", "/api/auth/password/forgot", "email=a@example.com",
                         {{"Content-Type", "application/x-www-form-urlencoded"}})
                .status,
            415);
  EXPECT_EQ(post("/api/users/me/password", {{"current_password", "x"}}).status, 401);
  EXPECT_EQ(client().get("/api/auth/verify-email").status, 405);
}

}  // namespace
}  // namespace gatehouse::e2e
