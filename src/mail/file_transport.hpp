#pragma once

#include <filesystem>

#include "mail/transport.hpp"

namespace gatehouse::mail {

// The development transport, used when SMTP_URL is unset: each message becomes an .eml file
// (owner-only, 0600) in a folder, and the log names the file and the link, so the one-command
// set-up can verify an address and reset a password without a mail server. Not for production:
// the files and the log hold live links.
class FileTransport final : public MailTransport {
 public:
  explicit FileTransport(std::filesystem::path dir) : dir_(std::move(dir)) {}

  Status send(const Envelope& envelope, std::string_view message) override;
  std::string describe() const override;

 private:
  std::filesystem::path dir_;
};

}  // namespace gatehouse::mail
