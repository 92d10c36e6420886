// SqlStore: the mail outbox (`{prefix}outbox`).

#include <utility>

#include "store/sql/sql_rows.hpp"
#include "store/sql/sql_store.hpp"

namespace gatehouse::store::sql {

constexpr Query kInsertMail{
    .name = "insert_mail",
    .sql = R"sql(
INSERT INTO {{prefix}}outbox (kind, recipient, user_id, secret, created_at, next_attempt_at)
VALUES (?, ?, ?, ?, ?, ?)
)sql",
    .postgres = R"sql(
INSERT INTO {{prefix}}outbox (kind, recipient, user_id, secret, created_at, next_attempt_at)
VALUES (?, ?, ?, ?, ?, ?) RETURNING id
)sql",
};

Result<std::int64_t> SqlStore::insert_mail(Connection& conn, const NewMail& mail) {
  const std::int64_t now_s = unix_seconds(mail.now);
  auto inserted =
      conn.run(kInsertMail, {mail.kind, mail.recipient, mail.user_id, mail.secret, now_s, now_s});
  if (!inserted) return std::move(inserted).error();
  return inserted->new_id();
}

Result<std::int64_t> SqlStore::enqueue_mail(const NewMail& mail) {
  // In a transaction: a lost connection before COMMIT leaves no row, so repeating is safe.
  return db_->transaction([&](Connection& conn) { return insert_mail(conn, mail); });
}

constexpr Query kDueMail{.name = "due_mail", .sql = R"sql(
SELECT id FROM {{prefix}}outbox
WHERE done_at IS NULL AND next_attempt_at <= ? AND (claimed_until IS NULL OR claimed_until < ?)
ORDER BY id LIMIT ?
)sql"};

// Takes the row only if no live claim holds it: of two senders racing for a row, the second one's
// UPDATE matches nothing once the first has committed (one statement, atomic on every backend).
constexpr Query kClaimMail{.name = "claim_mail", .sql = R"sql(
UPDATE {{prefix}}outbox SET claimed_by = ?, claimed_until = ?
WHERE id = ? AND done_at IS NULL AND (claimed_until IS NULL OR claimed_until < ?)
)sql"};

constexpr Query kReadMail{.name = "read_mail", .sql = R"sql(
SELECT id, kind, recipient, user_id, secret, created_at, attempts
FROM {{prefix}}outbox WHERE id = ?
)sql"};

Result<std::vector<OutboxMail>> SqlStore::claim_mail(std::string_view claimer, SysTime now,
                                                     SysTime lease_until, std::size_t limit) {
  const std::int64_t now_s = unix_seconds(now);
  const std::int64_t until_s = unix_seconds(lease_until);
  auto due = db_->read([&](Connection& conn) {
    return all_rows(conn, kDueMail, {now_s, now_s, static_cast<std::int64_t>(limit)},
                    [](const Cursor& row) { return row.int64(0); });
  });
  if (!due) return std::move(due).error();

  std::vector<OutboxMail> claimed;
  for (const std::int64_t id : *due) {
    // Each claim is one UPDATE, safe to repeat: after a lost connection the row is ours or not.
    auto mail = db_->write([&](Connection& conn) -> Result<std::optional<OutboxMail>> {
      auto updated = conn.run(kClaimMail, {claimer, until_s, id, now_s});
      if (!updated) return std::move(updated).error();
      if (updated->rows_affected() != 1) return std::optional<OutboxMail>{};
      return first_row(conn, kReadMail, {id}, [](const Cursor& row) {
        OutboxMail m;
        m.id = row.int64(0);
        m.kind = row.text(1);
        m.recipient = row.text(2);
        m.user_id = row.optional_int64(3);
        m.secret = row.optional_text(4);
        m.created_at = from_unix_seconds(row.int64(5));
        m.attempts = row.int64(6);
        return m;
      });
    });
    if (!mail) return std::move(mail).error();
    if (mail->has_value()) claimed.push_back(std::move(**mail));
  }
  return claimed;
}

// Only the sender that holds the claim settles a row; the secret goes with the send.
constexpr Query kSettleMail{.name = "settle_mail", .sql = R"sql(
UPDATE {{prefix}}outbox
SET done_at = ?, outcome = ?, last_error = ?, secret = NULL, claimed_until = NULL
WHERE id = ? AND claimed_by = ? AND done_at IS NULL
)sql"};

Result<bool> SqlStore::settle_mail(std::int64_t id, std::string_view claimer, SysTime now,
                                   std::string_view outcome, std::optional<std::string> note) {
  const std::int64_t now_s = unix_seconds(now);
  return db_->write([&](Connection& conn) -> Result<bool> {
    auto updated = conn.run(kSettleMail, {now_s, outcome, note, id, claimer});
    if (!updated) return std::move(updated).error();
    return updated->rows_affected() == 1;
  });
}

Result<bool> SqlStore::mail_sent(std::int64_t id, std::string_view claimer, SysTime now) {
  return settle_mail(id, claimer, now, "sent", std::nullopt);
}

Result<bool> SqlStore::mail_dropped(std::int64_t id, std::string_view claimer, SysTime now,
                                    std::string_view reason) {
  return settle_mail(id, claimer, now, "dropped", clip_utf8(reason));
}

constexpr Query kMailFailed{.name = "mail_failed", .sql = R"sql(
UPDATE {{prefix}}outbox
SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?, claimed_by = NULL,
    claimed_until = NULL
WHERE id = ? AND claimed_by = ? AND done_at IS NULL
)sql"};

Result<bool> SqlStore::mail_failed(std::int64_t id, std::string_view claimer, SysTime next_attempt,
                                   std::string_view error) {
  const std::int64_t next_s = unix_seconds(next_attempt);
  const std::string note = clip_utf8(error);
  // Not idempotent (attempts + 1), so alone in a transaction: repeated only when surely undone.
  return db_->transaction([&](Connection& conn) -> Result<bool> {
    auto updated = conn.run(kMailFailed, {next_s, note, id, claimer});
    if (!updated) return std::move(updated).error();
    return updated->rows_affected() == 1;
  });
}

constexpr Query kPendingMail{.name = "pending_mail", .sql = R"sql(
SELECT COUNT(*) FROM {{prefix}}outbox WHERE done_at IS NULL
)sql"};

Result<std::size_t> SqlStore::pending_mail_count() {
  return db_->read([&](Connection& conn) -> Result<std::size_t> {
    auto count = first_row(conn, kPendingMail, {}, [](const Cursor& row) { return row.int64(0); });
    if (!count) return std::move(count).error();
    return static_cast<std::size_t>(count->value_or(0));
  });
}

}  // namespace gatehouse::store::sql
