// The mail settings of load_settings: SMTP_URL, MAIL_FROM, APP_URL, token lifetimes and the mail
// limits. Errors are one line naming the variable; SMTP_URL is never echoed (it may hold a
// password).

#include <boost/asio/ip/address.hpp>
#include <boost/url.hpp>

#include "config/env_reader.hpp"
#include "config/settings.hpp"

namespace gatehouse::config {

using namespace env_reader;  // NOLINT: the helpers every step uses

namespace {

constexpr std::string_view kSmtpShape =
    "smtp://user:password@host:587, smtps://user:password@host:465, or "
    "smtp://127.0.0.1:25?tls=off for a local relay";

Error smtp_error(std::string_view what) {
  return config_error("SMTP_URL: " + std::string(what) + " (expected " + std::string(kSmtpShape) +
                      ")");
}

bool is_loopback(const std::string& host) {
  if (to_lower(host) == "localhost") return true;
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(host, ec);
  return !ec && address.is_loopback();
}

// What a header and an SMTP envelope accept: printable ASCII, one '@' with text on both sides,
// nothing that would end the address or the line.
bool is_plain_address(std::string_view s) {
  const std::size_t at = s.find('@');
  if (at == 0 || at == std::string_view::npos || at + 1 == s.size() ||
      s.find('@', at + 1) != std::string_view::npos) {
    return false;
  }
  for (const char c : s) {
    if (c <= 0x20 || c >= 0x7f ||
        std::string_view("<>\",;()[]\\").find(c) != std::string_view::npos) {
      return false;
    }
  }
  return true;
}

}  // namespace

Result<SmtpSettings> parse_smtp_url(std::string_view text) {
  const boost::system::result<boost::urls::url_view> url = boost::urls::parse_uri(trim(text));
  if (!url) return smtp_error("not a valid URL; percent-encode special characters, e.g. @ as %40");
  const std::string scheme = to_lower(url->scheme());
  if (scheme != "smtp" && scheme != "smtps") return smtp_error("the scheme is not smtp or smtps");
  if (!url->has_authority() || url->host_address().empty()) return smtp_error("no host");
  if (!url->encoded_path().empty() && url->encoded_path() != "/") {
    return smtp_error("an SMTP URL has no path");
  }
  SmtpSettings smtp;
  smtp.host = url->host_address();  // decoded; an IPv6 address without its brackets
  smtp.user = url->user();
  smtp.password = url->password();
  if (url->has_port()) {
    const std::optional<std::uint64_t> port = parse_unsigned(url->port(), 1, 65535);
    if (!port) return smtp_error("the port is not a number between 1 and 65535");
    smtp.port = static_cast<std::uint16_t>(*port);
  } else {
    smtp.port = scheme == "smtps" ? 465 : 587;
  }
  bool tls_off = false;
  for (const auto& param : url->params()) {
    if (param.key == "tls" && to_lower(param.value) == "off") {
      tls_off = true;
    } else {
      return smtp_error("unknown option '" + std::string(param.key) + "' (only tls=off)");
    }
  }
  const bool loopback = is_loopback(smtp.host);
  if (scheme == "smtps") {
    if (tls_off) return smtp_error("smtps:// is TLS; tls=off contradicts it");
    smtp.tls = SmtpSettings::Tls::kImplicit;
  } else if (tls_off) {
    // A relay on the local network may speak plain SMTP; a password must never travel so.
    if (!smtp.user.empty() && !loopback) {
      return smtp_error("tls=off would send the password in clear; use STARTTLS or smtps://");
    }
    smtp.tls = SmtpSettings::Tls::kOff;
  } else {
    smtp.tls =
        loopback ? SmtpSettings::Tls::kStartTlsIfOffered : SmtpSettings::Tls::kStartTlsRequired;
  }
  return smtp;
}

namespace env_reader {

Status load_mail(const EnvMap& env, Settings& s) {
  MailSettings& mail = s.mail;
  if (Status st = read_bool(env, "REQUIRE_EMAIL_VERIFICATION", mail.require_verification); !st) {
    return st;
  }
  if (const auto raw = lookup_non_empty(env, "SMTP_URL")) {
    auto smtp = parse_smtp_url(*raw);
    if (!smtp) return std::move(smtp).error();
    mail.smtp = std::move(*smtp);
  }
  if (const auto raw = lookup_non_empty(env, "MAIL_FROM")) {
    const std::string_view from = trim(*raw);
    if (!is_plain_address(from)) {
      return config_error("MAIL_FROM: " + echo(from) +
                          " is not a plain mail address (e.g. no-reply@example.com)");
    }
    mail.from = std::string(from);
  } else if (mail.smtp) {
    return config_error(
        "MAIL_FROM: required with SMTP_URL: the address mail comes from (e.g. "
        "no-reply@example.com), one the mail server may send for");
  }
  if (const auto raw = lookup_non_empty(env, "APP_NAME")) {
    const std::string_view name = trim(*raw);
    if (name.size() > 100 || name.find_first_of("\r\n") != std::string_view::npos) {
      return config_error("APP_NAME: at most 100 characters on one line");
    }
    mail.app_name = std::string(name);
  }
  if (const auto raw = lookup_non_empty(env, "APP_URL")) {
    // scheme://host[:port][/path], without a query or fragment: links append their own path.
    const std::string_view text = trim(*raw);
    const auto url = boost::urls::parse_uri(text);
    const std::string scheme = url ? to_lower(url->scheme()) : "";
    if (!url || (scheme != "http" && scheme != "https") || url->encoded_host().empty() ||
        url->has_query() || url->has_fragment() || url->has_userinfo()) {
      return config_error("APP_URL: " + echo(text) +
                          " is not an http(s) URL without query (e.g. https://app.example.com)");
    }
    std::string out(text);
    while (!out.empty() && out.back() == '/') out.pop_back();
    mail.app_url = std::move(out);
  } else if (lookup_non_empty(env, "CLIENT_ORIGIN") && !s.client_origins.empty()) {
    mail.app_url = s.client_origins.front();
  } else {
    const bool v6 = s.host.find(':') != std::string::npos;
    const std::string host = s.host == "0.0.0.0" ? "127.0.0.1" : s.host == "::" ? "::1" : s.host;
    mail.app_url = "http://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(s.port);
  }
  if (const auto raw = lookup_non_empty(env, "MAIL_TEMPLATES_DIR")) {
    mail.templates_dir = std::string(trim(*raw));
  }
  if (const auto raw = lookup_non_empty(env, "MAIL_OUTBOX_DIR")) {
    mail.outbox_dir = std::string(trim(*raw));
  }
  constexpr std::uint64_t kMaxTokenMinutes = 30 * 24 * 60;
  Status st = read_duration(env, "EMAIL_TOKEN_MINUTES", 5, kMaxTokenMinutes, mail.verify_token_ttl);
  if (st) st = read_duration(env, "RESET_TOKEN_MINUTES", 5, 24 * 60, mail.reset_token_ttl);
  if (st) st = read_duration(env, "MAIL_RETRY_SECONDS", 1, 3600, mail.retry_base);
  RateLimitSettings& limits = s.rate_limits;
  if (st) {
    st = read_unsigned(env, "MAIL_PER_ADDRESS_PER_HOUR", 1, 1000, limits.mail_per_address_per_hour);
  }
  if (st) {
    st = read_duration(env, "MAIL_ADDRESS_INTERVAL_SECONDS", 0, 3600, limits.mail_address_interval);
  }
  if (st) {
    st = read_unsigned(env, "MAIL_PER_CLIENT_PER_HOUR", 1, 1'000'000,
                       limits.mail_per_client_per_hour);
  }
  return st;
}

}  // namespace env_reader
}  // namespace gatehouse::config
