#pragma once
// Test parts for the mail module: a transport that fails on command and keeps every message it
// was handed, and readers of rendered messages (tests/support/mail_text.hpp).

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mail/transport.hpp"
#include "mail_text.hpp"

namespace gatehouse::mail::testing {

// Fails while `down` (as an unreachable server) or `refuse` (as a 5xx reply) is set. The sender's
// retry and settle rules are what a test of it checks; the real SMTP exchange is end to end.
class ScriptedTransport final : public MailTransport {
 public:
  Status send(const Envelope& envelope, std::string_view message) override {
    attempted.emplace_back(envelope, std::string(message));
    if (refuse) return Error{ErrorCode::kInternal, "550 no such mailbox"};
    if (down) return Error{ErrorCode::kUnavailable, "connection refused"};
    delivered.emplace_back(envelope, std::string(message));
    return ok_status();
  }
  std::string describe() const override { return "scripted"; }

  bool down = false;
  bool refuse = false;
  std::vector<std::pair<Envelope, std::string>> attempted;
  std::vector<std::pair<Envelope, std::string>> delivered;
};

using gatehouse::testing::decode_quoted_printable;

// The link token ("#token=...") and the 6-digit code of a rendered account mail; empty if none.
inline std::string token_in(std::string_view message) {
  return gatehouse::testing::token_in_text(decode_quoted_printable(message));
}
inline std::string code_in(std::string_view message) {
  return gatehouse::testing::code_in_text(decode_quoted_printable(message));
}

}  // namespace gatehouse::mail::testing
