// SqlStore: the account-lifecycle tokens (`{prefix}account_token`) and the account writes they
// lead to.

#include <utility>

#include "store/sql/sql_rows.hpp"
#include "store/sql/sql_store.hpp"
#include "store/sql_timestamp.hpp"

namespace gatehouse::store::sql {

namespace {

constexpr Query kSetMailSecret{.name = "set_mail_secret", .sql = R"sql(
UPDATE {{prefix}}outbox SET secret = ?
WHERE id = ? AND claimed_by = ? AND done_at IS NULL
)sql"};

constexpr Query kEndTokens{.name = "end_account_tokens", .sql = R"sql(
DELETE FROM {{prefix}}account_token WHERE user_id = ? AND purpose = ?
)sql"};

constexpr Query kInsertToken{.name = "insert_account_token", .sql = R"sql(
INSERT INTO {{prefix}}account_token
  (token_hash, user_id, purpose, code_hash, email, created_at, expires_at, failed_codes)
VALUES (?, ?, ?, ?, ?, ?, ?, 0)
)sql"};

// The token columns, in the order every token query selects them (read_account_token).
constexpr Query kFindToken{.name = "find_account_token", .sql = R"sql(
SELECT token_hash, user_id, purpose, code_hash, email, created_at, expires_at, failed_codes
FROM {{prefix}}account_token WHERE token_hash = ?
)sql"};

constexpr Query kFindTokensByEmail{.name = "find_account_tokens_by_email", .sql = R"sql(
SELECT token_hash, user_id, purpose, code_hash, email, created_at, expires_at, failed_codes
FROM {{prefix}}account_token WHERE email = ? ORDER BY created_at DESC, token_hash
)sql"};

constexpr Query kCountFailedCode{.name = "count_failed_code", .sql = R"sql(
UPDATE {{prefix}}account_token SET failed_codes = failed_codes + 1 WHERE token_hash = ?
)sql"};

constexpr Query kFailedCodes{.name = "failed_codes", .sql = R"sql(
SELECT failed_codes FROM {{prefix}}account_token WHERE token_hash = ?
)sql"};

constexpr Query kTokenOwner{.name = "account_token_owner", .sql = R"sql(
SELECT user_id FROM {{prefix}}account_token WHERE token_hash = ? AND expires_at > ?
)sql"};

// The DELETE decides which of two concurrent uses wins: the second one's matches nothing once the
// first has committed.
constexpr Query kUseToken{.name = "use_account_token", .sql = R"sql(
DELETE FROM {{prefix}}account_token WHERE token_hash = ? AND expires_at > ?
)sql"};

// One statement for every combination of changes: a NULL parameter keeps the column. It also
// takes the user's row lock and tells whether the user exists.
constexpr Query kUpdateAccount{.name = "update_account", .sql = R"sql(
UPDATE {{prefix}}user
SET password = COALESCE(?, password), email = COALESCE(?, email),
    verified = COALESCE(?, verified), updated_at = ?
WHERE id = ?
)sql"};

AccountToken read_account_token(const Cursor& row) {
  AccountToken t;
  t.token_hash = row.text(0);
  t.user_id = row.int64(1);
  t.purpose = row.text(2);
  t.code_hash = row.text(3);
  t.email = row.text(4);
  t.created_at = from_unix_seconds(row.int64(5));
  t.expires_at = from_unix_seconds(row.int64(6));
  t.failed_codes = row.int64(7);
  return t;
}

}  // namespace

Result<bool> SqlStore::issue_account_token(const AccountToken& token, std::int64_t mail_id,
                                           std::string_view claimer, std::string_view secret) {
  return db_->transaction([&](Connection& conn) -> Result<bool> {
    auto sealed = conn.run(kSetMailSecret, {secret, mail_id, claimer});
    if (!sealed) return std::move(sealed).error();
    if (sealed->rows_affected() != 1) return false;  // the claim was lost: write nothing
    // A new token of a purpose ends the user's previous one.
    auto ended = conn.run(kEndTokens, {token.user_id, token.purpose});
    if (!ended) return std::move(ended).error();
    auto inserted = conn.run(
        kInsertToken, {token.token_hash, token.user_id, token.purpose, token.code_hash, token.email,
                       unix_seconds(token.created_at), unix_seconds(token.expires_at)});
    if (!inserted) return std::move(inserted).error();
    return true;
  });
}

Result<std::optional<AccountToken>> SqlStore::find_account_token(std::string_view token_hash) {
  return db_->read([&](Connection& conn) {
    return first_row(conn, kFindToken, {token_hash}, read_account_token);
  });
}

Result<std::vector<AccountToken>> SqlStore::find_account_tokens_by_email(
    std::string_view email_lower) {
  return db_->read([&](Connection& conn) {
    return all_rows(conn, kFindTokensByEmail, {email_lower}, read_account_token);
  });
}

Result<std::int64_t> SqlStore::count_failed_code(std::string_view token_hash) {
  // Not idempotent, so in a transaction: repeated only when surely undone. The UPDATE holds the
  // row, so the count read after it is this caller's own.
  return db_->transaction([&](Connection& conn) -> Result<std::int64_t> {
    auto updated = conn.run(kCountFailedCode, {token_hash});
    if (!updated) return std::move(updated).error();
    if (updated->rows_affected() == 0) return std::int64_t{0};
    auto count =
        first_row(conn, kFailedCodes, {token_hash}, [](const Cursor& row) { return row.int64(0); });
    if (!count) return std::move(count).error();
    return count->value_or(0);
  });
}

Result<UpdatedAccount> SqlStore::apply_account_update(Connection& conn, std::int64_t user_id,
                                                      const AccountUpdate& update, SysTime now) {
  std::optional<std::int64_t> verified;
  if (update.verified) verified = *update.verified ? 1 : 0;
  auto updated = conn.run(kUpdateAccount, {update.password_hash, update.email, verified,
                                           format_sql_timestamp(now), user_id});
  if (!updated) {
    // The e-mail is the only UNIQUE column the UPDATE may change.
    if (conn.last_failure() == FailureKind::kUniqueViolation) {
      return Error{ErrorCode::kAccountExists, std::move(updated).error().internal};
    }
    return std::move(updated).error();
  }
  if (updated->rows_affected() == 0) {
    return Error{ErrorCode::kUserGone, "update_account: no user " + std::to_string(user_id)};
  }
  UpdatedAccount out;
  if (update.end_sessions) {
    auto ended = revoke_user_sessions(conn, user_id, update.keep_sid, now, update.revoke_reason);
    if (!ended) return std::move(ended).error();
    out.sessions_ended = *ended;
  }
  for (const std::string& purpose : update.end_token_purposes) {
    auto deleted = conn.run(kEndTokens, {user_id, purpose});
    if (!deleted) return std::move(deleted).error();
  }
  for (const NewMail& mail : update.mails) {
    auto queued = insert_mail(conn, mail);
    if (!queued) return std::move(queued).error();
  }
  if (auto st = insert_events(conn, update.events, user_id); !st) return std::move(st).error();
  auto user = find_user(conn, find_user_by_id_query(), user_id);
  if (!user) return std::move(user).error();
  if (!user->has_value()) {
    return Error{ErrorCode::kUserGone, "update_account: no user " + std::to_string(user_id)};
  }
  out.user = std::move(**user);
  return out;
}

Result<std::optional<UpdatedAccount>> SqlStore::use_account_token(std::string_view token_hash,
                                                                  SysTime now,
                                                                  const AccountUpdate& update) {
  const std::int64_t now_s = unix_seconds(now);
  return db_->transaction([&](Connection& conn) -> Result<std::optional<UpdatedAccount>> {
    auto owner = first_row(conn, kTokenOwner, {token_hash, now_s},
                           [](const Cursor& r) { return r.int64(0); });
    if (!owner) return std::move(owner).error();
    if (!owner->has_value()) return std::optional<UpdatedAccount>{};
    auto used = conn.run(kUseToken, {token_hash, now_s});
    if (!used) return std::move(used).error();
    if (used->rows_affected() != 1) return std::optional<UpdatedAccount>{};  // a concurrent use won
    auto updated = apply_account_update(conn, **owner, update, now);
    if (!updated) return std::move(updated).error();  // rolls the DELETE back too
    return std::optional<UpdatedAccount>(std::move(*updated));
  });
}

Result<UpdatedAccount> SqlStore::update_account(std::int64_t user_id, const AccountUpdate& update,
                                                SysTime now) {
  return db_->transaction(
      [&](Connection& conn) { return apply_account_update(conn, user_id, update, now); });
}

}  // namespace gatehouse::store::sql
