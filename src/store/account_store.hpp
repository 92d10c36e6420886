#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "store/outbox_store.hpp"
#include "store/user_store.hpp"

namespace gatehouse::store {

// A one-time proof sent by mail (`{prefix}account_token`): the link's token and its 6-digit code,
// both only as keyed hashes. `purpose` is what it proves ("verify_email", "reset_password",
// "change_email"); `email` is the address the mail went to (the new address for "change_email").
// The policy over these rows is auth::AccountService's.
struct AccountToken {
  std::string token_hash;
  std::int64_t user_id = 0;
  std::string purpose;
  std::string code_hash;
  std::string email;
  SysTime created_at;
  SysTime expires_at;
  std::int64_t failed_codes = 0;  // wrong codes tried so far
};

// Writes to one account, all in one transaction; what is unset is left alone.
struct AccountUpdate {
  std::optional<std::string> password_hash;
  std::optional<std::string> email;  // lower-case; kAccountExists when another account has it
  std::optional<bool> verified;
  // Revokes every live session of the user but `keep_sid` (empty: every one) with `revoke_reason`.
  bool end_sessions = false;
  std::string keep_sid;
  std::string revoke_reason;
  // Deletes the user's outstanding tokens of these purposes.
  std::vector<std::string> end_token_purposes;
  // Queued in the same transaction (notices to the account's addresses).
  std::vector<NewMail> mails;
  // Written in the same transaction (password_changed, email_verified...).
  std::vector<AuditEvent> events;
};

// An account after an AccountUpdate, and how many sessions the update ended.
struct UpdatedAccount {
  User user;
  std::size_t sessions_ended = 0;
};

// The account-lifecycle tokens and the writes they lead to. Thread-safe and blocking, like every
// store; failures to reach the database are ErrorCode::kUnavailable.
class AccountStore {
 public:
  virtual ~AccountStore() = default;

  // In one transaction: deletes the user's other tokens of `token.purpose`, inserts `token`, and
  // sets the sealed `secret` of outbox row `mail_id` while `claimer` holds it. When the claim was
  // lost meanwhile (another sender took the row over), nothing is written and the result is false.
  virtual Result<bool> issue_account_token(const AccountToken& token, std::int64_t mail_id,
                                           std::string_view claimer, std::string_view secret) = 0;
  virtual Result<std::optional<AccountToken>> find_account_token(std::string_view token_hash) = 0;
  // Every token that went to `email_lower`, of any purpose and user, newest first.
  virtual Result<std::vector<AccountToken>> find_account_tokens_by_email(
      std::string_view email_lower) = 0;
  // One more wrong code against the token; its new count (0 when the token is gone).
  virtual Result<std::int64_t> count_failed_code(std::string_view token_hash) = 0;
  // In one transaction: deletes the token if it still exists and has not expired at `now`, then
  // applies `update` to its user. nullopt when the token was gone or expired (a concurrent use
  // got there first): nothing is written. The user as it is afterwards otherwise.
  virtual Result<std::optional<UpdatedAccount>> use_account_token(std::string_view token_hash,
                                                                  SysTime now,
                                                                  const AccountUpdate& update) = 0;
  // Applies `update` to user `user_id` in one transaction; kUserGone when there is no such user.
  virtual Result<UpdatedAccount> update_account(std::int64_t user_id, const AccountUpdate& update,
                                                SysTime now) = 0;
};

}  // namespace gatehouse::store
