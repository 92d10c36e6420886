#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/result.hpp"
#include "store/sql/database.hpp"
#include "store/store.hpp"

namespace gatehouse::store::sql {

// The Store of every SQL backend, written once over sql::Database: each method is a named query
// or a few, run as a read, a write or a transaction (where the retry rules live). The SQL sits in
// Query constants next to the method that runs it (sql_users.cpp, sql_sessions.cpp,
// sql_throttle.cpp), in the dialect all backends share, with a dialect's own text only where they
// really differ. Backends differ only in their driver (sqlite/, mysql/, postgres/).
//
// Adding a method: declare it in its table group's interface (store/*_store.hpp), write its Query
// and body in the matching sql_*.cpp, and test it once in tests/unit/store_contract_test.cpp,
// which runs on every backend.
class SqlStore final : public Store {
 public:
  explicit SqlStore(std::unique_ptr<Database> db) : db_(std::move(db)) {}

  // ---- users (sql_users.cpp) ----
  Result<User> create_user(const NewUser& user) override;
  Result<std::optional<User>> find_user_by_email(std::string_view email_lower) override;
  Result<std::optional<User>> find_user_by_id(std::int64_t id) override;
  Status update_password_hash(std::int64_t user_id, std::string_view hash, SysTime now) override;

  // ---- sessions (sql_sessions.cpp) ----
  Status create_session(const NewSession& session) override;
  Result<std::optional<UserWithSession>> find_user_with_session(std::int64_t user_id,
                                                                std::string_view sid,
                                                                SysTime now) override;
  Result<RotateResult> rotate_refresh_token(const RotateRequest& request,
                                            RotationPolicy decide) override;
  Result<std::optional<Session>> find_session_by_refresh_hash(std::string_view hash) override;
  Status revoke_session(std::string_view sid, const Revocation& revocation) override;
  Result<std::vector<Session>> list_sessions(std::int64_t user_id, SysTime now) override;
  Result<std::size_t> revoke_user_sessions(std::int64_t user_id, std::string_view keep_sid,
                                           const Revocation& revocation) override;
  Result<bool> revoke_user_session(std::int64_t user_id, std::string_view sid,
                                   const Revocation& revocation) override;

  // ---- rate limits (sql_throttle.cpp) ----
  Result<std::optional<ThrottleRecord>> get_throttle(std::string_view key) override;
  Result<ThrottleRecord> update_throttle(std::string_view key,
                                         const std::function<void(ThrottleRecord&)>& mutate,
                                         SysTime now) override;

  // ---- account-lifecycle tokens (sql_account.cpp) ----
  Result<bool> issue_account_token(const AccountToken& token, std::int64_t mail_id,
                                   std::string_view claimer, std::string_view secret) override;
  Result<std::optional<AccountToken>> find_account_token(std::string_view token_hash) override;
  Result<std::vector<AccountToken>> find_account_tokens_by_email(
      std::string_view email_lower) override;
  Result<std::int64_t> count_failed_code(std::string_view token_hash) override;
  Result<std::optional<UpdatedAccount>> use_account_token(std::string_view token_hash, SysTime now,
                                                          const AccountUpdate& update) override;
  Result<UpdatedAccount> update_account(std::int64_t user_id, const AccountUpdate& update,
                                        SysTime now) override;

  // ---- the mail outbox (sql_outbox.cpp) ----
  Result<std::int64_t> enqueue_mail(const NewMail& mail) override;
  Result<std::vector<OutboxMail>> claim_mail(std::string_view claimer, SysTime now,
                                             SysTime lease_until, std::size_t limit) override;
  Result<bool> mail_sent(std::int64_t id, std::string_view claimer, SysTime now) override;
  Result<bool> mail_dropped(std::int64_t id, std::string_view claimer, SysTime now,
                            std::string_view reason) override;
  Result<bool> mail_failed(std::int64_t id, std::string_view claimer, SysTime next_attempt,
                           std::string_view error) override;
  Result<std::size_t> pending_mail_count() override;

  // ---- managed signing keys (sql_keys.cpp) ----
  Result<std::vector<SigningKeyRow>> list_signing_keys() override;
  Result<bool> insert_signing_key(const SigningKeyRow& row) override;
  Status delete_signing_key(std::int64_t generation) override;

  // ---- the audit trail (sql_audit.cpp) ----
  Status record_event(const AuditEvent& event) override;
  Result<std::vector<AuditEvent>> find_events(const AuditQuery& query) override;
  Result<std::size_t> delete_events_before(SysTime cutoff) override;

  // ---- administration (sql_admin.cpp) ----
  Result<UserPage> search_users(const UserSearch& search) override;
  Result<UpdatedAccount> change_user(std::int64_t user_id, const UserChange& change,
                                     const ChangeDecision& decide) override;
  Result<User> delete_user(std::int64_t user_id, const ChangeDecision& decide) override;

  // ---- the whole store (sql_store.cpp) ----
  Status ping() override;
  Result<std::size_t> sweep(SysTime now, std::chrono::seconds retention) override;

  // Reads one user by `query` (which selects the user columns, see sql_rows.hpp) on `conn`.
  static Result<std::optional<User>> find_user(Connection& conn, const Query& query, Param key);

 private:
  // The query find_user_by_id runs, for the rotation (sql_sessions.cpp).
  static const Query& find_user_by_id_query();
  // The session's revocation inside a caller's transaction; whether it was live (revoked now).
  static Result<bool> revoke_session(Connection& conn, std::string_view sid, SysTime now,
                                     std::string_view reason);
  // Revokes the user's live sessions but `keep_sid`, inside a caller's transaction or alone.
  static Result<std::size_t> revoke_user_sessions(Connection& conn, std::int64_t user_id,
                                                  std::string_view keep_sid, SysTime now,
                                                  std::string_view reason);
  // Locks user `user_id` and the active admins inside a caller's transaction and lets `decide`
  // judge the change; the account as it was and the plan.
  static Result<std::pair<User, ChangePlan>> decide_change(Connection& conn, std::int64_t user_id,
                                                           const ChangeDecision& decide);
  // Appends audit events inside a caller's transaction.
  static Status insert_events(Connection& conn, const std::vector<AuditEvent>& events);
  // The same, each with user_id (and session_id when not empty) filled in.
  static Status insert_events(Connection& conn, std::vector<AuditEvent> events,
                              std::int64_t user_id, std::string_view session_id = {});
  // Queues a mail inside a caller's transaction; its id.
  static Result<std::int64_t> insert_mail(Connection& conn, const NewMail& mail);
  // The writes of an AccountUpdate, inside a caller's transaction; the user afterwards.
  static Result<UpdatedAccount> apply_account_update(Connection& conn, std::int64_t user_id,
                                                     const AccountUpdate& update, SysTime now);
  // Marks a claimed mail done with `outcome` ("sent", "dropped").
  Result<bool> settle_mail(std::int64_t id, std::string_view claimer, SysTime now,
                           std::string_view outcome, std::optional<std::string> note);
  static Status insert_refresh_token(Connection& conn, std::string_view hash,
                                     std::string_view session_id, SysTime now, SysTime expires_at,
                                     std::string_view parent_hash, std::string_view sealed);

  const std::unique_ptr<Database> db_;
};

}  // namespace gatehouse::store::sql
