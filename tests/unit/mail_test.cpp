// The mail module without a network: message rendering (RFC 5322, MIME, quoted-printable,
// RFC 2047), templates and their overrides, SMTP_URL and its TLS policy, the retry backoff, and
// the outbox sender over a real SQLite store with a transport that fails on command.

#include <gtest/gtest.h>
#include <sodium.h>

#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "config/settings.hpp"
#include "core/clock.hpp"
#include "core/random.hpp"
#include "mail/file_transport.hpp"
#include "mail/mail_message.hpp"
#include "mail/outbox_sender.hpp"
#include "mail/templates.hpp"
#include "mail_test_support.hpp"
#include "sqlite_test_backend.hpp"
#include "store/sql/sql_store.hpp"
#include "store_test_support.hpp"
#include "test_support.hpp"

namespace gatehouse::mail {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

// ---- quoted-printable and encoded words ----

TEST(QuotedPrintable, KeepsPlainTextAndEncodesWhatMustBe) {
  EXPECT_EQ(quoted_printable("Hello, world"), "Hello, world");
  EXPECT_EQ(quoted_printable("a=b"), "a=3Db");
  EXPECT_EQ(quoted_printable("line one\nline two"), "line one\r\nline two");
  EXPECT_EQ(quoted_printable("crlf\r\nkept"), "crlf\r\nkept");
  EXPECT_EQ(quoted_printable("trailing space \nx"), "trailing space=20\r\nx");
  EXPECT_EQ(quoted_printable("caf\xC3\xA9"), "caf=C3=A9");
}

TEST(QuotedPrintable, LongLinesGetSoftBreaksNeverInsideAnEscape) {
  // 200 characters with escapes at every position modulo 7: no output line over 76, every
  // "=XX" whole, and decoding gives the input back.
  std::string text;
  for (int i = 0; i < 200; ++i) text += (i % 7 == 0) ? '=' : static_cast<char>('a' + i % 26);
  const std::string encoded = quoted_printable(text);
  std::string decoded;
  std::size_t start = 0;
  while (start <= encoded.size()) {
    std::size_t end = encoded.find("\r\n", start);
    if (end == std::string::npos) end = encoded.size();
    const std::string line = encoded.substr(start, end - start);
    EXPECT_LE(line.size(), 76u) << line;
    for (std::size_t i = 0; i < line.size(); ++i) {
      if (line[i] != '=') {
        decoded += line[i];
      } else if (i + 1 == line.size()) {
        // soft break
      } else {
        ASSERT_LE(i + 2, line.size() - 1) << "a split escape in: " << line;
        decoded += static_cast<char>(std::stoi(line.substr(i + 1, 2), nullptr, 16));
        i += 2;
      }
    }
    start = end + 2;
  }
  EXPECT_EQ(decoded, text);
}

TEST(HeaderText, AsciiStaysAndUtf8BecomesEncodedWordsThatNeverSplitACharacter) {
  EXPECT_EQ(header_text("Confirm your address"), "Confirm your address");
  const std::string subject = "Best\xC3\xA4tigen Sie Ihre Adresse f\xC3\xBCr \xE2\x9C\x93 " +
                              std::string(40, 'x') + "\xC3\xA4\xC3\xA4\xC3\xA4";
  const std::string encoded = header_text(subject);
  std::string joined;
  std::size_t start = 0;
  while (start < encoded.size()) {
    std::size_t end = encoded.find("\r\n ", start);
    if (end == std::string::npos) end = encoded.size();
    const std::string word = encoded.substr(start, end - start);
    EXPECT_LE(word.size(), 75u);
    ASSERT_EQ(word.rfind("=?UTF-8?B?", 0), 0u) << word;
    ASSERT_EQ(word.substr(word.size() - 2), "?=");
    start = end + 3;
    joined += word;
  }
  EXPECT_GT(joined.size(), 0u);
}

// ---- the whole message ----

MailMessage sample() {
  return MailMessage{.from = "no-reply@example.com",
                     .from_name = "Acme",
                     .to = "alice@example.org",
                     .subject = "Confirm your e-mail address",
                     .text = "Hello\nthe code is 123456\n",
                     .html = "<p>Hello</p>"};
}

TEST(RenderMessage, HeadersAndTwoAlternativeParts) {
  auto rendered = render_message(sample(), from_unix_seconds(1'700'000'000), "42.abc");
  ASSERT_TRUE(rendered) << rendered.error().internal;
  const std::string& m = *rendered;
  EXPECT_NE(m.find("Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"), std::string::npos) << m;
  EXPECT_NE(m.find("From: \"Acme\" <no-reply@example.com>\r\n"), std::string::npos);
  EXPECT_NE(m.find("To: alice@example.org\r\n"), std::string::npos);
  EXPECT_NE(m.find("Subject: Confirm your e-mail address\r\n"), std::string::npos);
  EXPECT_NE(m.find("Message-ID: <42.abc@example.com>\r\n"), std::string::npos);
  EXPECT_NE(m.find("MIME-Version: 1.0\r\n"), std::string::npos);
  EXPECT_NE(m.find("multipart/alternative; boundary=\"=_gatehouse_42.abc\""), std::string::npos);
  EXPECT_NE(m.find("Content-Type: text/plain; charset=utf-8"), std::string::npos);
  EXPECT_NE(m.find("Content-Type: text/html; charset=utf-8"), std::string::npos);
  EXPECT_NE(m.find("the code is 123456"), std::string::npos);
  EXPECT_NE(m.find("--=_gatehouse_42.abc--\r\n"), std::string::npos);
  EXPECT_EQ(m.find("\n\n"), std::string::npos) << "every line ends in CRLF";
}

TEST(RenderMessage, RefusesHeaderInjectionAndBadAddresses) {
  for (auto mutate : std::vector<void (*)(MailMessage&)>{
           [](MailMessage& m) { m.subject = "Hi\r\nBcc: victim@example.com"; },
           [](MailMessage& m) { m.to = "alice@example.org\nBcc: x@example.com"; },
           [](MailMessage& m) { m.from_name = "Acme\r\nX: y"; },
           [](MailMessage& m) { m.to = "not-an-address"; },
           [](MailMessage& m) { m.to = "Alice <alice@example.org>"; },
       }) {
    MailMessage m = sample();
    mutate(m);
    EXPECT_FALSE(render_message(m, from_unix_seconds(0), "1.a"));
  }
  EXPECT_FALSE(render_message(sample(), from_unix_seconds(0), "1.a\"b"));
}

TEST(RenderMessage, NonAsciiSenderNameIsEncoded) {
  MailMessage m = sample();
  m.from_name = "Caf\xC3\xA9";
  m.html.clear();
  auto rendered = render_message(m, from_unix_seconds(0), "7.x");
  ASSERT_TRUE(rendered);
  EXPECT_NE(rendered->find("From: =?UTF-8?B?"), std::string::npos) << *rendered;
  EXPECT_EQ(rendered->find("multipart"), std::string::npos) << "text only";
}

// ---- templates ----

TEST(MailTemplates, CompiledInTemplatesRenderEveryKind) {
  auto templates = MailTemplates::load(std::nullopt);
  ASSERT_TRUE(templates) << templates.error().internal;
  for (std::size_t i = 0; i < kMailKinds; ++i) {
    const auto kind = static_cast<MailKind>(i);
    EXPECT_EQ(parse_mail_kind(to_string(kind)), kind);
    const RenderedMail m = templates->render(kind, TemplateValues{.app_name = "Acme",
                                                                  .email = "a@example.com",
                                                                  .new_email = "b@example.com",
                                                                  .link = "https://x/#token=T",
                                                                  .code = "012345",
                                                                  .expires = "30 minutes"});
    EXPECT_NE(m.subject.find("Acme"), std::string::npos) << to_string(kind);
    EXPECT_EQ(m.subject.find('\n'), std::string::npos);
    EXPECT_EQ(m.text.find("{{"), std::string::npos) << to_string(kind);
    EXPECT_EQ(m.html.find("{{"), std::string::npos) << to_string(kind);
  }
  const RenderedMail reset = templates->render(MailKind::kResetPassword,
                                               {.app_name = "A", .link = "L-1", .code = "987654"});
  EXPECT_NE(reset.text.find("L-1"), std::string::npos);
  EXPECT_NE(reset.text.find("987654"), std::string::npos);
  EXPECT_FALSE(parse_mail_kind("nope"));
}

TEST(MailTemplates, ValuesAreEscapedInHtmlOnly) {
  auto filled = fill_template("<b>{{app_name}}</b>", {.app_name = "<A&B>"}, true);
  EXPECT_EQ(filled, std::optional<std::string>("<b>&lt;A&amp;B&gt;</b>"));
  EXPECT_EQ(fill_template("{{app_name}}", {.app_name = "<A&B>"}, false),
            std::optional<std::string>("<A&B>"));
  std::string unknown;
  EXPECT_FALSE(fill_template("{{nope}}", {}, false, &unknown));
  EXPECT_EQ(unknown, "nope");
}

TEST(MailTemplates, AFileInTheOverrideFolderReplacesItsTemplate) {
  gatehouse::testing::TempDir dir;
  std::ofstream(dir.path() / "reset_password.subject.txt") << "Reset at {{app_name}}, now\n";
  auto templates = MailTemplates::load(dir.path());
  ASSERT_TRUE(templates) << templates.error().internal;
  EXPECT_EQ(templates->render(MailKind::kResetPassword, {.app_name = "Acme"}).subject,
            "Reset at Acme, now");
  EXPECT_NE(templates->render(MailKind::kVerifyEmail, {.app_name = "Acme"}).subject,
            "Reset at Acme, now");

  std::ofstream(dir.path() / "verify_email.txt") << "Hi {{first_name}}";
  auto bad = MailTemplates::load(dir.path());
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().internal.find("verify_email.txt"), std::string::npos);
  EXPECT_NE(bad.error().internal.find("{{first_name}}"), std::string::npos);
}

TEST(MailTemplates, LifetimesInWords) {
  EXPECT_EQ(describe_minutes(30), "30 minutes");
  EXPECT_EQ(describe_minutes(60), "1 hour");
  EXPECT_EQ(describe_minutes(1440), "24 hours");
  EXPECT_EQ(describe_minutes(90), "90 minutes");
  EXPECT_EQ(describe_minutes(1), "1 minute");
}

// ---- SMTP_URL ----

TEST(SmtpUrl, TlsIsRequiredExceptOnLoopbackOrWhenTurnedOff) {
  using Tls = config::SmtpSettings::Tls;
  auto remote = config::parse_smtp_url("smtp://user:p%40ss@mail.example.com");
  ASSERT_TRUE(remote) << remote.error().internal;
  EXPECT_EQ(remote->tls, Tls::kStartTlsRequired);
  EXPECT_EQ(remote->host, "mail.example.com");
  EXPECT_EQ(remote->port, 587);
  EXPECT_EQ(remote->user, "user");
  EXPECT_EQ(remote->password, "p@ss");

  auto implicit = config::parse_smtp_url("smtps://mail.example.com");
  ASSERT_TRUE(implicit);
  EXPECT_EQ(implicit->tls, Tls::kImplicit);
  EXPECT_EQ(implicit->port, 465);

  for (const char* local : {"smtp://127.0.0.1:2525", "smtp://localhost:25", "smtp://[::1]:25"}) {
    auto url = config::parse_smtp_url(local);
    ASSERT_TRUE(url) << local;
    EXPECT_EQ(url->tls, Tls::kStartTlsIfOffered) << local;
  }
  auto relay = config::parse_smtp_url("smtp://relay.lan:25?tls=off");
  ASSERT_TRUE(relay);
  EXPECT_EQ(relay->tls, Tls::kOff);
}

TEST(SmtpUrl, BadUrlsAreRefusedWithoutEchoingThem) {
  for (const char* bad : {"http://mail.example.com", "smtp://", "smtp://host:0",
                          "smtp://host:99999", "smtps://host?tls=off", "smtp://host?starttls=no",
                          "smtp://host/path", "smtp://user:secret@relay.lan?tls=off"}) {
    auto url = config::parse_smtp_url(bad);
    ASSERT_FALSE(url) << bad;
    EXPECT_EQ(url.error().internal.rfind("SMTP_URL: ", 0), 0u) << url.error().internal;
    EXPECT_EQ(url.error().internal.find("secret"), std::string::npos);
  }
}

TEST(MailSettings, MailFromIsRequiredWithSmtpAndAppUrlFollowsTheClient) {
  config::EnvMap env{{"SMTP_URL", "smtp://127.0.0.1:2525"}};
  auto missing = config::load_settings(env);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().internal.rfind("MAIL_FROM: ", 0), 0u);

  env["MAIL_FROM"] = "no-reply@example.com";
  auto ok = config::load_settings(env);
  ASSERT_TRUE(ok) << ok.error().internal;
  EXPECT_EQ(ok->mail.app_url, "http://127.0.0.1:8000") << "Gatehouse itself when no client is set";

  env["CLIENT_ORIGIN"] = "https://app.example.com,https://admin.example.com";
  EXPECT_EQ(config::load_settings(env)->mail.app_url, "https://app.example.com");
  env["APP_URL"] = "https://id.example.com/";
  EXPECT_EQ(config::load_settings(env)->mail.app_url, "https://id.example.com");
  env["APP_URL"] = "ftp://x";
  EXPECT_FALSE(config::load_settings(env));
  env["APP_URL"] = "https://id.example.com";
  env["MAIL_FROM"] = "Acme <no-reply@example.com>";
  EXPECT_FALSE(config::load_settings(env));
}

// ---- retries ----

TEST(RetryDelay, DoublesFromTheBaseUpToTheCap) {
  EXPECT_EQ(retry_delay(1, seconds(15), seconds(3600)), seconds(15));
  EXPECT_EQ(retry_delay(2, seconds(15), seconds(3600)), seconds(30));
  EXPECT_EQ(retry_delay(5, seconds(15), seconds(3600)), seconds(240));
  EXPECT_EQ(retry_delay(20, seconds(15), seconds(3600)), seconds(3600));
  EXPECT_EQ(retry_delay(1000, seconds(15), seconds(3600)), seconds(3600));
}

// ---- the sender over a real store ----

// Composes a plain notice for every row, or drops rows of kind "drop".
class NoticeComposer final : public MailComposer {
 public:
  Result<std::variant<ComposedMail, DroppedMail>> compose(const store::OutboxMail& mail,
                                                          std::string_view) override {
    if (mail.kind == "drop") return std::variant<ComposedMail, DroppedMail>{DroppedMail{"test"}};
    return std::variant<ComposedMail, DroppedMail>{
        ComposedMail{.message = MailMessage{.from = "no-reply@example.com",
                                            .to = mail.recipient,
                                            .subject = "Notice " + std::to_string(mail.id),
                                            .text = "text"}}};
  }
};

class OutboxSenderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    backend_ = std::make_unique<store::testing::SqliteBackend>();
    ASSERT_FALSE(backend_->create_database());
    ASSERT_TRUE(store::testing::migrate(*backend_, "api_"));
    store_ = store::testing::store_or_fail(backend_->open_store({}));
    ASSERT_NE(store_, nullptr);
  }

  std::int64_t queue(const std::string& kind, const std::string& to) {
    auto id =
        store_->enqueue_mail(store::NewMail{.kind = kind, .recipient = to, .now = clock_.now()});
    EXPECT_TRUE(id) << id.error().internal;
    return id ? *id : 0;
  }

  std::unique_ptr<store::testing::TestBackend> backend_;
  std::unique_ptr<store::sql::SqlStore> store_;
  ManualClock clock_{store::testing::kT0};
  SodiumRandom random_;
  testing::ScriptedTransport transport_;
  NoticeComposer composer_;
};

TEST_F(OutboxSenderTest, AnOutageDelaysMailWithBackoffAndLosesNone) {
  ASSERT_GE(sodium_init(), 0);
  OutboxSender sender(*store_, composer_, transport_, clock_, random_,
                      OutboxSenderSettings{.retry_base = seconds(10), .retry_cap = seconds(60)});
  queue("k", "a@example.com");
  queue("k", "b@example.com");
  transport_.down = true;
  ASSERT_EQ(*sender.run_once(), 2u);
  EXPECT_TRUE(transport_.delivered.empty());
  EXPECT_EQ(*store_->pending_mail_count(), 2u);
  EXPECT_EQ(*sender.run_once(), 0u) << "not due before the backoff";

  clock_.advance(seconds(10));
  ASSERT_EQ(*sender.run_once(), 2u) << "due again; still down";
  clock_.advance(seconds(10));
  EXPECT_EQ(*sender.run_once(), 0u) << "the second delay is twice the first";

  transport_.down = false;
  clock_.advance(seconds(10));
  ASSERT_EQ(*sender.run_once(), 2u);
  ASSERT_EQ(transport_.delivered.size(), 2u);
  EXPECT_EQ(transport_.delivered[0].first.to, "a@example.com");
  EXPECT_EQ(transport_.delivered[1].first.to, "b@example.com");
  EXPECT_NE(transport_.delivered[0].second.find("Subject: Notice"), std::string::npos);
  EXPECT_EQ(*store_->pending_mail_count(), 0u);
  clock_.advance(minutes(10));
  EXPECT_EQ(*sender.run_once(), 0u);
  EXPECT_EQ(transport_.delivered.size(), 2u) << "each mail exactly once";
}

TEST_F(OutboxSenderTest, APermanentRefusalOrADropSettlesTheMail) {
  ASSERT_GE(sodium_init(), 0);
  OutboxSender sender(*store_, composer_, transport_, clock_, random_, OutboxSenderSettings{});
  queue("drop", "a@example.com");
  queue("k", "refused@example.com");
  transport_.refuse = true;
  ASSERT_EQ(*sender.run_once(), 2u);
  EXPECT_EQ(*store_->pending_mail_count(), 0u);
  EXPECT_EQ(backend_->scalar("SELECT COUNT(*) FROM api_outbox WHERE outcome = 'dropped'"), "2");
  EXPECT_NE(backend_->scalar("SELECT last_error FROM api_outbox WHERE kind = 'k'").find("550"),
            std::string::npos);
}

TEST_F(OutboxSenderTest, TwoSendersOnOneOutboxSendEachMailOnce) {
  ASSERT_GE(sodium_init(), 0);
  testing::ScriptedTransport other_transport;
  OutboxSender a(*store_, composer_, transport_, clock_, random_, OutboxSenderSettings{.batch = 3});
  OutboxSender b(*store_, composer_, other_transport, clock_, random_,
                 OutboxSenderSettings{.batch = 3});
  EXPECT_NE(a.claimer(), b.claimer());
  for (int i = 0; i < 20; ++i) queue("k", std::to_string(i) + "@example.com");
  std::jthread ta([&] {
    while (*a.run_once() > 0) {
    }
  });
  std::jthread tb([&] {
    while (*b.run_once() > 0) {
    }
  });
  ta.join();
  tb.join();
  EXPECT_EQ(transport_.delivered.size() + other_transport.delivered.size(), 20u);
  EXPECT_EQ(*store_->pending_mail_count(), 0u);
}

TEST(FileTransport, WritesOwnerOnlyEmlFiles) {
  gatehouse::testing::TempDir dir;
  FileTransport transport(dir.path() / "outbox");
  ASSERT_TRUE(transport.send(
      Envelope{.from = "a@example.com", .to = "b@example.com", .message_id = "5.xyz"},
      "Subject: hi\r\n\r\nbody\r\n"));
  const auto file = dir.path() / "outbox" / "5.xyz.eml";
  ASSERT_TRUE(std::filesystem::exists(file));
  EXPECT_EQ(std::filesystem::status(file).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  EXPECT_EQ(
      std::filesystem::status(dir.path() / "outbox").permissions() & std::filesystem::perms::all,
      std::filesystem::perms::owner_all);
}

}  // namespace
}  // namespace gatehouse::mail
