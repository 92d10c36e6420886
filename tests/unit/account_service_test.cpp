// The account lifecycle as the server runs it, without HTTP: AccountService and AccountMailer over
// a real SQLite store, a clock the test moves, and the outbox sender delivering to a transport that
// keeps the messages. The same flows run end to end against a real SMTP server in
// tests/e2e/mail_e2e_test.cpp.

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "auth/account_mailer.hpp"
#include "auth/account_service.hpp"
#include "auth/account_tokens.hpp"
#include "mail/outbox_sender.hpp"
#include "mail/templates.hpp"
#include "mail_test_support.hpp"
#include "observability/metrics.hpp"
#include "store_test_support.hpp"
#include "test_support.hpp"

namespace gatehouse::auth {
namespace {

using mail::testing::code_in;
using mail::testing::token_in;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr Argon2Params kFastParams{.memory_kib = 8192, .passes = 1};

class AccountServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    store_ = store::testing::migrated_sqlite_store(dir_.path() / "t.db");
    ASSERT_NE(store_, nullptr);
    auto templates = mail::MailTemplates::load(std::nullopt);
    ASSERT_TRUE(templates) << templates.error().internal;
    templates_ = std::make_unique<mail::MailTemplates>(std::move(*templates));
    build(false);
  }

  void build(bool require_verification) {
    limits_.enabled = true;
    throttle_ = std::make_unique<LoginThrottle>(*store_, clock_, limits_);
    audit_ = std::make_unique<AuditTrail>(*store_, clock_);
    mailer_ =
        std::make_unique<AccountMailer>(*store_, tokens_, *templates_, clock_,
                                        AccountMailerSettings{.app_name = "Acme",
                                                              .app_url = "https://app.example.com",
                                                              .from = "no-reply@example.com"});
    sender_ = std::make_unique<mail::OutboxSender>(*store_, *mailer_, transport_, clock_, random_,
                                                   mail::OutboxSenderSettings{}, outbox_metrics_);
    service_ = std::make_unique<AccountService>(
        *store_, tokens_, passwords_, *throttle_, *audit_, clock_,
        AccountServiceSettings{.require_verification = require_verification}, [] {}, auth_metrics_);
  }

  // The value of one series in the scrape ("" when it is not there).
  std::string metric(const std::string& series) {
    const std::string text = metrics_.render();
    const std::size_t at = text.find("\n" + series + " ");
    if (at == std::string::npos) return "";
    const std::size_t start = at + series.size() + 2;
    return text.substr(start, text.find('\n', start) - start);
  }

  store::User add_user(const std::string& email, bool verified = true) {
    store::NewUser user;
    user.name = "Alice";
    user.email = email;
    user.password_hash = *passwords_.hash("old password");
    user.verified = verified;
    user.now = clock_.now();
    auto created = store_->create_user(user);
    EXPECT_TRUE(created) << created.error().internal;
    return *created;
  }

  // Runs the sender once; the messages delivered by that pass.
  std::vector<std::string> deliver() {
    const std::size_t before = transport_.delivered.size();
    auto handled = sender_->run_once();
    EXPECT_TRUE(handled) << handled.error().internal;
    std::vector<std::string> out;
    for (std::size_t i = before; i < transport_.delivered.size(); ++i) {
      out.push_back(transport_.delivered[i].second);
    }
    return out;
  }

  Principal principal_of(const store::User& user, std::string sid) {
    Principal p;
    p.user = *(*store_->find_user_by_id(user.id));
    p.claims.user_id = user.id;
    p.claims.sid = std::move(sid);
    return p;
  }

  void add_session(const store::User& user, const std::string& sid) {
    store::NewSession s;
    s.id = sid;
    s.user_id = user.id;
    s.refresh_hash = "refresh-" + sid;
    s.now = clock_.now();
    s.expires_at = clock_.now() + std::chrono::hours(24);
    s.refresh_expires_at = clock_.now() + std::chrono::hours(1);
    ASSERT_TRUE(store_->create_session(s));
  }

  // Where a test's request comes from.
  static ClientInfo client(std::string_view ip = "192.0.2.1") { return {ip, "test-agent/1.0"}; }

  bool session_live(const std::string& sid) {
    auto s = store_->find_session_by_refresh_hash("refresh-" + sid);
    return s && *s && !(*s)->revoked_at;
  }

  gatehouse::testing::TempDir dir_;
  observability::MetricRegistry metrics_;
  AuthMetrics auth_metrics_{metrics_};
  mail::OutboxMetrics outbox_metrics_{metrics_};
  std::unique_ptr<store::Store> store_;
  ManualClock clock_{from_unix_seconds(1'700'000'000)};
  SodiumRandom random_;
  AccountTokens tokens_{"server key material", random_};
  PasswordHasher passwords_{kFastParams};
  config::RateLimitSettings limits_;
  std::unique_ptr<mail::MailTemplates> templates_;
  mail::testing::ScriptedTransport transport_;
  std::unique_ptr<LoginThrottle> throttle_;
  std::unique_ptr<AuditTrail> audit_;
  std::unique_ptr<AccountMailer> mailer_;
  std::unique_ptr<mail::OutboxSender> sender_;
  std::unique_ptr<AccountService> service_;
};

TEST(AccountTokens, CodesAreSixDigitsAndHashesAreKeyedAndBound) {
  ASSERT_GE(sodium_init(), 0);
  SodiumRandom random;
  AccountTokens tokens("material one", random);
  AccountTokens other("material two", random);
  const MailSecret s = tokens.generate();
  EXPECT_EQ(s.token.size(), 43u);
  ASSERT_EQ(s.code.size(), 6u);
  EXPECT_TRUE(std::all_of(s.code.begin(), s.code.end(), ::isdigit));
  EXPECT_EQ(tokens.token_hash(s.token).size(), 64u);
  EXPECT_EQ(tokens.token_hash(s.token), tokens.token_hash(s.token));
  EXPECT_NE(tokens.token_hash(s.token), other.token_hash(s.token)) << "keyed by the server";
  const store::AccountToken row{.token_hash = tokens.token_hash(s.token),
                                .code_hash = tokens.code_hash(tokens.token_hash(s.token), s.code)};
  EXPECT_TRUE(tokens.code_matches(row, s.code));
  EXPECT_FALSE(tokens.code_matches(row, s.code == "000000" ? "000001" : "000000"));
  EXPECT_NE(tokens.code_hash("a", s.code), tokens.code_hash("b", s.code)) << "bound to the token";

  const std::string sealed = tokens.seal({.token = s.token, .code = s.code, .new_email = "n@x.io"});
  EXPECT_EQ(sealed.find(s.token), std::string::npos);
  const auto opened = tokens.open(sealed);
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->token, s.token);
  EXPECT_EQ(opened->code, s.code);
  EXPECT_EQ(opened->new_email, "n@x.io");
  EXPECT_FALSE(other.open(sealed));

  // Every digit appears in every position over many codes (a biased draw would show).
  std::array<std::array<int, 10>, 6> seen{};
  for (int i = 0; i < 2000; ++i) {
    const std::string code = tokens.generate().code;
    for (int p = 0; p < 6; ++p) ++seen[p][code[p] - '0'];
  }
  for (const auto& position : seen) {
    for (const int count : position) EXPECT_GT(count, 120);  // 200 expected
  }
}

TEST_F(AccountServiceTest, KnownAndUnknownAddressesQueueTheSameAndOnlyTheKnownGetsMail) {
  add_user("known@example.com");
  auto known = service_->request_password_reset("known@example.com", "192.0.2.1");
  auto unknown = service_->request_password_reset("unknown@example.com", "192.0.2.2");
  ASSERT_TRUE(known && unknown);
  EXPECT_FALSE(known->has_value());
  EXPECT_FALSE(unknown->has_value());
  EXPECT_EQ(*store_->pending_mail_count(), 2u) << "one queued row each, nothing looked up";

  const auto sent = deliver();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(transport_.delivered[0].first.to, "known@example.com");
  EXPECT_FALSE(token_in(sent[0]).empty());
  EXPECT_FALSE(code_in(sent[0]).empty());
  EXPECT_EQ(*store_->pending_mail_count(), 0u) << "the unknown one is dropped";
}

TEST_F(AccountServiceTest, MailRequestsAreLimitedPerAddressWhetherOrNotItHasAnAccount) {
  add_user("known@example.com");
  for (const char* email : {"known@example.com", "unknown@example.com"}) {
    ASSERT_FALSE(service_->request_password_reset(email, "192.0.2.1")->has_value());
    auto again = service_->request_password_reset(email, "192.0.2.1");
    ASSERT_TRUE(again);
    ASSERT_TRUE(again->has_value()) << email << ": a second mail within the interval";
    EXPECT_EQ(**again, seconds(60));
  }
  clock_.advance(seconds(61));
  EXPECT_FALSE(service_->request_verification("known@example.com", "192.0.2.1")->has_value())
      << "the interval is over; the address counter is shared by every kind of mail";
}

TEST_F(AccountServiceTest, VerificationByLinkIsSingleUseAndOpeningNothingSpendsIt) {
  build(true);
  const store::User user = add_user("new@example.com", false);
  ASSERT_FALSE(service_->request_verification("new@example.com", "192.0.2.1")->has_value());
  const auto sent = deliver();
  ASSERT_EQ(sent.size(), 1u);
  const std::string token = token_in(sent[0]);
  ASSERT_FALSE(token.empty());
  EXPECT_NE(mail::testing::decode_quoted_printable(sent[0]).find(
                "https://app.example.com/auth/verify-email#token=" + token),
            std::string::npos);

  ASSERT_TRUE(service_->verify_email({.token = token}, client()));
  EXPECT_TRUE((*store_->find_user_by_id(user.id))->verified);
  auto again = service_->verify_email({.token = token}, client());
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kInvalidCode);

  clock_.advance(seconds(61));
  ASSERT_FALSE(service_->request_verification("new@example.com", "192.0.2.1")->has_value());
  EXPECT_TRUE(deliver().empty()) << "a verified account gets no more verification mail";
}

TEST_F(AccountServiceTest, ACodeDiesAfterFiveWrongTriesWhileTheLinkStillWorks) {
  build(true);
  const store::User user = add_user("new@example.com", false);
  ASSERT_FALSE(service_->request_verification("new@example.com", "192.0.2.1")->has_value());
  const auto sent = deliver();
  ASSERT_EQ(sent.size(), 1u);
  const std::string code = code_in(sent[0]);
  const std::string wrong = code == "111111" ? "222222" : "111111";
  for (int i = 0; i < 5; ++i) {
    auto tried =
        service_->verify_email({.email_lower = "new@example.com", .code = wrong}, client());
    ASSERT_FALSE(tried);
    EXPECT_EQ(tried.error().code, ErrorCode::kInvalidCode);
  }
  auto right_too_late =
      service_->verify_email({.email_lower = "new@example.com", .code = code}, client());
  ASSERT_FALSE(right_too_late) << "the code is dead after five wrong tries";
  EXPECT_FALSE((*store_->find_user_by_id(user.id))->verified);
  ASSERT_TRUE(service_->verify_email({.token = token_in(sent[0])}, client())) << "the link is not";
  EXPECT_TRUE((*store_->find_user_by_id(user.id))->verified);
}

TEST_F(AccountServiceTest, ResetByCodeEndsEverySessionAndANewRequestEndsTheOldLink) {
  const store::User user = add_user("alice@example.com");
  add_session(user, "s1");
  add_session(user, "s2");
  ASSERT_FALSE(service_->request_password_reset("alice@example.com", "192.0.2.1")->has_value());
  const auto first = deliver();
  ASSERT_EQ(first.size(), 1u);
  clock_.advance(seconds(61));
  ASSERT_FALSE(service_->request_password_reset("alice@example.com", "192.0.2.1")->has_value());
  const auto second = deliver();
  ASSERT_EQ(second.size(), 1u);
  EXPECT_NE(token_in(first[0]), token_in(second[0]));
  auto old = service_->reset_password({.token = token_in(first[0])}, "a new password", client());
  ASSERT_FALSE(old);
  EXPECT_EQ(old.error().code, ErrorCode::kInvalidCode) << "the newer request ended it";

  ASSERT_TRUE(
      service_->reset_password({.email_lower = "alice@example.com", .code = code_in(second[0])},
                               "a new password", client()));
  const store::User after = *(*store_->find_user_by_id(user.id));
  EXPECT_EQ(passwords_.verify("a new password", after.password_hash), PasswordVerdict::kMatch);
  EXPECT_FALSE(session_live("s1"));
  EXPECT_FALSE(session_live("s2"));
  EXPECT_EQ(metric("gatehouse_sessions_revoked_total{reason=\"password_reset\"}"), "2");
  const auto notice = deliver();
  ASSERT_EQ(notice.size(), 1u);
  EXPECT_EQ(metric("gatehouse_mails_queued_total"), "3") << "two resets, one notice";
  EXPECT_EQ(metric("gatehouse_mails_sent_total"), "3");
  EXPECT_NE(notice[0].find("Subject: Your Acme password was changed"), std::string::npos);
  EXPECT_FALSE(
      service_->reset_password({.token = token_in(second[0])}, "another password", client()))
      << "single use";
}

TEST_F(AccountServiceTest, AResetLinkExpires) {
  add_user("alice@example.com");
  ASSERT_FALSE(service_->request_password_reset("alice@example.com", "192.0.2.1")->has_value());
  const auto sent = deliver();
  ASSERT_EQ(sent.size(), 1u);
  clock_.advance(minutes(31));
  auto late = service_->reset_password({.token = token_in(sent[0])}, "a new password", client());
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, ErrorCode::kInvalidCode);
}

TEST_F(AccountServiceTest, AFailedSendIsRetriedWithTheSameLinkAndCode) {
  add_user("alice@example.com");
  ASSERT_FALSE(service_->request_password_reset("alice@example.com", "192.0.2.1")->has_value());
  transport_.down = true;
  EXPECT_TRUE(deliver().empty());
  EXPECT_EQ(metric("gatehouse_mail_send_failures_total"), "1");
  EXPECT_EQ(metric("gatehouse_mails_sent_total"), "0");
  transport_.down = false;
  clock_.advance(seconds(15));
  const auto sent = deliver();
  ASSERT_EQ(sent.size(), 1u);
  ASSERT_EQ(transport_.attempted.size(), 2u);
  EXPECT_EQ(token_in(transport_.attempted[0].second), token_in(sent[0]));
  EXPECT_EQ(code_in(transport_.attempted[0].second), code_in(sent[0]));
  EXPECT_TRUE(service_->reset_password({.token = token_in(sent[0])}, "a new password", client()));
}

TEST_F(AccountServiceTest, ChangingThePasswordKeepsOnlyThisSession) {
  const store::User user = add_user("alice@example.com");
  add_session(user, "mine");
  add_session(user, "theirs");
  auto wrong = service_->change_password(principal_of(user, "mine"), "not it", "a new password",
                                         client("192.0.2.1"));
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, ErrorCode::kWrongPassword);
  EXPECT_TRUE(session_live("theirs"));

  auto changed = service_->change_password(principal_of(user, "mine"), "old password",
                                           "a new password", client("192.0.2.1"));
  ASSERT_TRUE(changed) << changed.error().internal;
  EXPECT_FALSE(changed->has_value());
  EXPECT_TRUE(session_live("mine"));
  EXPECT_FALSE(session_live("theirs"));
  EXPECT_EQ(passwords_.verify("a new password", (*store_->find_user_by_id(user.id))->password_hash),
            PasswordVerdict::kMatch);
  EXPECT_EQ(metric("gatehouse_sessions_revoked_total{reason=\"password_changed\"}"), "1");
}

TEST_F(AccountServiceTest, RegistrationFollowsTheTutorialsOrderAndCountsEachOutcome) {
  const auto account = [](std::string email, std::string confirm) {
    return NewAccount{.name = "Bob",
                      .email_lower = std::move(email),
                      .password = "a long password",
                      .password_confirm = std::move(confirm),
                      .photo = "default.png"};
  };
  auto created =
      service_->register_user(account("bob@example.com", "a long password"), client("192.0.2.9"));
  ASSERT_TRUE(created) << created.error().internal;
  const auto& user = std::get<store::User>(*created);
  EXPECT_EQ(user.email, "bob@example.com");
  EXPECT_TRUE(user.verified) << "the tutorial's default";
  EXPECT_EQ(passwords_.verify("a long password", user.password_hash), PasswordVerdict::kMatch);

  // A taken address is told before a mismatched confirmation, as the tutorial does.
  auto taken =
      service_->register_user(account("bob@example.com", "different"), client("192.0.2.9"));
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().code, ErrorCode::kAccountExists);
  auto mismatch =
      service_->register_user(account("carol@example.com", "different"), client("192.0.2.9"));
  ASSERT_FALSE(mismatch);
  EXPECT_EQ(mismatch.error().code, ErrorCode::kPasswordsDoNotMatch);
  EXPECT_FALSE(*store_->find_user_by_email("carol@example.com")) << "nothing written";

  EXPECT_EQ(metric("gatehouse_registrations_total{outcome=\"created\"}"), "1");
  EXPECT_EQ(metric("gatehouse_registrations_total{outcome=\"email_taken\"}"), "1");
  EXPECT_EQ(metric("gatehouse_mails_queued_total"), "0");
}

TEST_F(AccountServiceTest, WithVerificationRequiredANewAccountStartsUnverifiedWithItsMailQueued) {
  build(true);
  auto created = service_->register_user({.name = "Dan",
                                          .email_lower = "dan@example.com",
                                          .password = "a long password",
                                          .password_confirm = "a long password"},
                                         client("192.0.2.9"));
  ASSERT_TRUE(created) << created.error().internal;
  EXPECT_FALSE(std::get<store::User>(*created).verified);
  EXPECT_EQ(metric("gatehouse_mails_queued_total"), "1");
  const auto sent = deliver();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_NE(sent[0].find("To: dan@example.com"), std::string::npos) << sent[0];
}

TEST_F(AccountServiceTest, RegistrationsPastTheHourlyLimitOfAnAddressAreRefusedWithTheWait) {
  limits_.ip_registrations_per_hour = 2;
  build(false);
  for (int i = 0; i < 2; ++i) {
    auto created = service_->register_user({.name = "E",
                                            .email_lower = "e" + std::to_string(i) + "@example.com",
                                            .password = "a long password",
                                            .password_confirm = "a long password"},
                                           client("192.0.2.10"));
    ASSERT_TRUE(created) << created.error().internal;
    ASSERT_TRUE(std::holds_alternative<store::User>(*created));
  }
  auto refused = service_->register_user({.name = "E",
                                          .email_lower = "e9@example.com",
                                          .password = "a long password",
                                          .password_confirm = "a long password"},
                                         client("192.0.2.10"));
  ASSERT_TRUE(refused) << refused.error().internal;
  ASSERT_TRUE(std::holds_alternative<std::chrono::seconds>(*refused));
  EXPECT_GT(std::get<std::chrono::seconds>(*refused).count(), 0);
  EXPECT_FALSE(*store_->find_user_by_email("e9@example.com"));
  EXPECT_EQ(metric("gatehouse_registrations_total{outcome=\"throttled\"}"), "1");
}

TEST_F(AccountServiceTest, AnEmailChangeHappensWhenTheNewAddressConfirms) {
  const store::User user = add_user("old@example.com");
  auto asked = service_->request_email_change(principal_of(user, "s"), "new@example.com",
                                              "old password", client("192.0.2.1"));
  ASSERT_TRUE(asked) << asked.error().internal;
  ASSERT_FALSE(asked->has_value());
  EXPECT_EQ((*store_->find_user_by_id(user.id))->email, "old@example.com") << "not yet";
  const auto sent = deliver();
  ASSERT_EQ(sent.size(), 2u);
  const auto& to_new = transport_.delivered[0];
  const auto& to_old = transport_.delivered[1];
  EXPECT_EQ(to_new.first.to, "new@example.com");
  EXPECT_EQ(to_old.first.to, "old@example.com");
  EXPECT_NE(mail::testing::decode_quoted_printable(to_old.second).find("new@example.com"),
            std::string::npos)
      << "the notice names the new address";
  EXPECT_TRUE(token_in(to_old.second).empty()) << "the notice carries no link";

  ASSERT_TRUE(service_->verify_email(
      {.email_lower = "new@example.com", .code = code_in(to_new.second)}, client()));
  EXPECT_EQ((*store_->find_user_by_id(user.id))->email, "new@example.com");
}

TEST_F(AccountServiceTest, AnEmailChangeToATakenAddressSendsANoticeThere) {
  const store::User user = add_user("old@example.com");
  add_user("taken@example.com");
  auto asked = service_->request_email_change(principal_of(user, "s"), "taken@example.com",
                                              "old password", client("192.0.2.1"));
  ASSERT_TRUE(asked && !asked->has_value()) << "the answer does not say the address is taken";
  const auto sent = deliver();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(transport_.delivered[0].first.to, "taken@example.com");
  EXPECT_TRUE(token_in(sent[0]).empty());
  EXPECT_NE(sent[0].find("already has a"), std::string::npos);

  auto same = service_->request_email_change(principal_of(user, "s"), "old@example.com",
                                             "old password", client("192.0.2.1"));
  ASSERT_FALSE(same);
  EXPECT_EQ(same.error().code, ErrorCode::kEmailUnchanged);
}

}  // namespace
}  // namespace gatehouse::auth
