#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "core/clock.hpp"
#include "core/periodic_thread.hpp"
#include "core/random.hpp"
#include "core/result.hpp"
#include "mail/mail_message.hpp"
#include "mail/transport.hpp"
#include "observability/metrics.hpp"
#include "store/outbox_store.hpp"

namespace gatehouse::mail {

// A queued mail made ready to send.
struct ComposedMail {
  MailMessage message;
};
// A queued mail that is not to be sent (the account is gone, its token expired...): why.
struct DroppedMail {
  std::string reason;
};

// Turns a claimed outbox row into a message (auth::AccountMailer: it may issue the row's token
// first, under the claim). kUnavailable when the database failed: the row is tried again later.
class MailComposer {
 public:
  virtual ~MailComposer() = default;
  virtual Result<std::variant<ComposedMail, DroppedMail>> compose(const store::OutboxMail& mail,
                                                                  std::string_view claimer) = 0;
};

// When a failed mail is tried again: `base` doubled per earlier failure, at most `cap`.
std::chrono::seconds retry_delay(std::int64_t failures, std::chrono::seconds base,
                                 std::chrono::seconds cap);

struct OutboxSenderSettings {
  std::chrono::milliseconds poll_interval{1000};  // how often the outbox is read when not woken
  std::chrono::seconds lease{120};                // a claim lasts (longer than one send may take)
  std::size_t batch = 20;                         // mails claimed per pass
  std::chrono::seconds retry_base{15};
  std::chrono::seconds retry_cap{3600};
};

// What the sender counts:
//   gatehouse_mails_sent_total           mails the transport accepted
//   gatehouse_mail_send_failures_total   attempts that failed and will be tried again
//   gatehouse_mails_dropped_total        mails given up: refused for good, or nothing to send
// (gatehouse_mails_queued_total is counted where mails are queued, auth::AuthMetrics.)
// Default-constructed: counts nothing.
struct OutboxMetrics {
  OutboxMetrics() = default;
  explicit OutboxMetrics(observability::MetricRegistry& registry);
  observability::Counter sent;
  observability::Counter failed;
  observability::Counter dropped;
};

// Delivers the outbox: a thread of its own claims due mails (so several server processes never
// send one twice), composes, sends and settles each. A failed send is tried again later with
// backoff (retry_delay) and never lost; a refusal that cannot change (a 5xx reply) drops the mail
// with the reason in its row and the log.
class OutboxSender {
 public:
  OutboxSender(store::OutboxStore& outbox, MailComposer& composer, MailTransport& transport,
               const Clock& clock, Random& random, OutboxSenderSettings settings,
               OutboxMetrics metrics = {});

  void start() { thread_.start(); }
  void stop() { thread_.stop(); }
  // A mail was queued: send it now rather than at the next poll (this process only; others find
  // it at their next poll).
  void wake() { thread_.wake(); }
  // One pass: claims, sends and settles due mails; how many were settled or put off. Used by the
  // thread and by tests.
  Result<std::size_t> run_once();

  const std::string& claimer() const { return claimer_; }

 private:
  void tick();
  // Sends one claimed mail and settles it; an error only for a failing database.
  Status deliver(const store::OutboxMail& mail);

  store::OutboxStore& outbox_;
  MailComposer& composer_;
  MailTransport& transport_;
  const Clock& clock_;
  Random& random_;
  OutboxSenderSettings settings_;
  OutboxMetrics metrics_;
  std::string claimer_;    // this process's name in claims: host, pid and a random part
  PeriodicThread thread_;  // last: stopped before the members its ticks use go
};

}  // namespace gatehouse::mail
