#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"

namespace gatehouse::store {

// A mail to queue (`{prefix}outbox`). `kind` names what it says (mail::MailKind); `secret` is the
// sealed link token and code when the mail carries one (sealed by the caller: never in clear).
struct NewMail {
  std::string kind;
  std::string recipient;
  std::optional<std::int64_t> user_id;
  std::optional<std::string> secret;
  SysTime now;  // created_at, and due at once
};

// A queued mail, as a sender claimed it.
struct OutboxMail {
  std::int64_t id = 0;
  std::string kind;
  std::string recipient;
  std::optional<std::int64_t> user_id;
  std::optional<std::string> secret;
  SysTime created_at;
  std::int64_t attempts = 0;  // failed sends so far
};

// The outbox: mail written in the transaction of what it announces and delivered later by a
// background sender (mail::OutboxSender), so no request waits for SMTP and a crash or an outage
// loses nothing. Several processes share one outbox: a sender claims rows for a while (a lease)
// before sending, and only the holder of a claim may settle the row. Thread-safe and blocking.
class OutboxStore {
 public:
  virtual ~OutboxStore() = default;

  virtual Result<std::int64_t> enqueue_mail(const NewMail& mail) = 0;
  // Claims up to `limit` unsent mails due at `now` that no live claim holds, oldest first, for
  // `claimer` until `lease_until`. A row claimed by two senders at once goes to one of them.
  virtual Result<std::vector<OutboxMail>> claim_mail(std::string_view claimer, SysTime now,
                                                     SysTime lease_until, std::size_t limit) = 0;
  // Settles a claimed mail: sent (its secret is erased), or dropped with `reason` (nothing to
  // send, e.g. no such account). False when `claimer` no longer holds the claim.
  virtual Result<bool> mail_sent(std::int64_t id, std::string_view claimer, SysTime now) = 0;
  virtual Result<bool> mail_dropped(std::int64_t id, std::string_view claimer, SysTime now,
                                    std::string_view reason) = 0;
  // A failed attempt: counted, the claim released, due again at `next_attempt`.
  virtual Result<bool> mail_failed(std::int64_t id, std::string_view claimer, SysTime next_attempt,
                                   std::string_view error) = 0;
  // Mails not yet settled (for readiness and tests).
  virtual Result<std::size_t> pending_mail_count() = 0;
};

}  // namespace gatehouse::store
