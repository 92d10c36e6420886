#include "mail/outbox_sender.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <array>

namespace gatehouse::mail {

namespace {

std::string make_claimer(Random& random) {
  std::array<char, 64> host{};
  if (::gethostname(host.data(), host.size() - 1) != 0) host[0] = '\0';
  std::string name(host.data());
  if (name.size() > 32) name.resize(32);
  return name + "-" + std::to_string(::getpid()) + "-" + random_token(random, 6);
}

}  // namespace

std::chrono::seconds retry_delay(std::int64_t failures, std::chrono::seconds base,
                                 std::chrono::seconds cap) {
  const std::int64_t doublings = std::clamp<std::int64_t>(failures - 1, 0, 30);
  const std::int64_t delay = std::min<std::int64_t>(base.count() << doublings, cap.count());
  return std::chrono::seconds(delay);
}

OutboxMetrics::OutboxMetrics(observability::MetricRegistry& registry)
    : sent(registry.counter("gatehouse_mails_sent_total", "Mails the mail transport accepted.")),
      failed(registry.counter("gatehouse_mail_send_failures_total",
                              "Mail sends that failed and will be tried again.")),
      dropped(registry.counter("gatehouse_mails_dropped_total",
                               "Mails given up: refused for good, or nothing left to send.")) {}

OutboxSender::OutboxSender(store::OutboxStore& outbox, MailComposer& composer,
                           MailTransport& transport, const Clock& clock, Random& random,
                           OutboxSenderSettings settings, OutboxMetrics metrics)
    : outbox_(outbox),
      composer_(composer),
      transport_(transport),
      clock_(clock),
      random_(random),
      settings_(settings),
      metrics_(std::move(metrics)),
      claimer_(make_claimer(random)),
      thread_("gh-mail", settings.poll_interval, [this] { tick(); }) {}

Result<std::size_t> OutboxSender::run_once() {
  const SysTime now = clock_.now();
  auto claimed = outbox_.claim_mail(claimer_, now, now + settings_.lease, settings_.batch);
  if (!claimed) return std::move(claimed).error();
  std::size_t handled = 0;
  for (const store::OutboxMail& mail : *claimed) {
    // A failing database stops the pass; the claims run out and the rows are taken up again.
    if (auto st = deliver(mail); !st) return std::move(st).error();
    ++handled;
  }
  return handled;
}

Status OutboxSender::deliver(const store::OutboxMail& mail) {
  auto composed = composer_.compose(mail, claimer_);
  if (!composed) return std::move(composed).error();
  if (const auto* dropped = std::get_if<DroppedMail>(&*composed)) {
    auto settled = outbox_.mail_dropped(mail.id, claimer_, clock_.now(), dropped->reason);
    if (!settled) return std::move(settled).error();
    if (*settled) metrics_.dropped.inc();
    spdlog::info("mail {} ({}) dropped: {}", mail.id, mail.kind, dropped->reason);
    return ok_status();
  }
  const ComposedMail& ready = std::get<ComposedMail>(*composed);
  const std::string message_id = std::to_string(mail.id) + "." + random_token(random_, 12);
  auto rendered = render_message(ready.message, clock_.now(), message_id);
  Status sent = rendered ? transport_.send(Envelope{.from = ready.message.from,
                                                    .to = ready.message.to,
                                                    .message_id = message_id},
                                           *rendered)
                         : Status(rendered.error());
  // Each outcome is logged once the row says it, so the log never runs ahead of the outbox.
  Result<bool> settled = false;
  if (sent) {
    settled = outbox_.mail_sent(mail.id, claimer_, clock_.now());
    if (settled && *settled) {
      metrics_.sent.inc();
      spdlog::info("mail {} ({}) sent to {}", mail.id, mail.kind, mail.recipient);
    }
  } else if (sent.error().code == ErrorCode::kUnavailable) {
    const auto wait = retry_delay(mail.attempts + 1, settings_.retry_base, settings_.retry_cap);
    settled = outbox_.mail_failed(mail.id, claimer_, clock_.now() + wait, sent.error().internal);
    if (settled && *settled) {
      metrics_.failed.inc();
      spdlog::warn("mail {} ({}) to {} not sent, next try in {}s: {}", mail.id, mail.kind,
                   mail.recipient, wait.count(), sent.error().internal);
    }
  } else {
    settled = outbox_.mail_dropped(mail.id, claimer_, clock_.now(), sent.error().internal);
    if (settled && *settled) {
      metrics_.dropped.inc();
      spdlog::error("mail {} ({}) to {} refused, dropped: {}", mail.id, mail.kind, mail.recipient,
                    sent.error().internal);
    }
  }
  if (!settled) return std::move(settled).error();
  if (!*settled) {
    // The claim ran out during the send and another sender took the row over: it may send the
    // mail again. The lease is sized so that a send never takes that long.
    spdlog::warn("mail {} ({}): the claim ran out before the mail was settled", mail.id, mail.kind);
  }
  return ok_status();
}

void OutboxSender::tick() {
  // Passes until the outbox has nothing due, so a burst drains without waiting for the poll.
  while (!thread_.stopping()) {
    auto handled = run_once();
    if (!handled) {
      spdlog::warn("mail outbox: {}", handled.error().internal);
      return;
    }
    if (*handled < settings_.batch) return;
  }
}

}  // namespace gatehouse::mail
