#pragma once

#include <chrono>

#include "config/settings.hpp"
#include "mail/transport.hpp"

namespace gatehouse::mail {

// SMTP through libcurl: one connection per message (the outbox sends few), TLS as SMTP_URL says
// (config::SmtpSettings::Tls), certificates verified against the system's CAs. curl_global_init
// must have run (main does it).
class SmtpTransport final : public MailTransport {
 public:
  SmtpTransport(config::SmtpSettings settings, std::chrono::seconds timeout);

  Status send(const Envelope& envelope, std::string_view message) override;
  std::string describe() const override;

 private:
  config::SmtpSettings settings_;
  std::string url_;  // smtp://host:port or smtps://host:port, without credentials
  std::chrono::seconds timeout_;
};

}  // namespace gatehouse::mail
