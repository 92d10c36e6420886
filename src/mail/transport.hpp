#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace gatehouse::mail {

// Who a message goes from and to on the wire (SMTP's MAIL FROM and RCPT TO).
struct Envelope {
  std::string from;
  std::string to;
  std::string message_id;  // the outbox id and a random part, for file names and logs
};

// Delivers one rendered RFC 5322 message. Blocking; called from the outbox sender's thread only.
// A failure is kUnavailable when trying again later may work (server down, timeout, a 4xx reply)
// and kInternal when it will not (a 5xx reply: the address is refused).
class MailTransport {
 public:
  virtual ~MailTransport() = default;
  virtual Status send(const Envelope& envelope, std::string_view message) = 0;
  // For the log at start-up: "smtp://mail.example.com:587 (STARTTLS required)".
  virtual std::string describe() const = 0;
};

}  // namespace gatehouse::mail
