#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "auth/account_tokens.hpp"
#include "auth/audit_trail.hpp"
#include "auth/auth_metrics.hpp"
#include "auth/authenticator.hpp"
#include "auth/login_throttle.hpp"
#include "auth/password_hasher.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "store/store.hpp"

namespace gatehouse::auth {

// How a caller shows it holds a mail: the link's token, or the address the mail went to and the
// 6-digit code in it.
struct MailProof {
  std::optional<std::string> token;
  std::string email_lower;
  std::string code;
};

struct AccountServiceSettings {
  bool require_verification = false;  // REQUIRE_EMAIL_VERIFICATION (token lifetimes: the mailer's)
};

// A registration, as the tutorial's CreateUserSchema gives it (validated for shape and length).
struct NewAccount {
  std::string name;
  std::string email_lower;
  std::string password;
  std::string password_confirm;
  std::string photo;
};

// A code dies after this many wrong tries (its link still works: guessing codes must not let an
// attacker spend the owner's link).
inline constexpr std::int64_t kMaxFailedCodes = 5;

// The account lifecycle: e-mail verification, password reset, password and e-mail change.
//
// Requests for mail never look the address up: each one only counts against the limits and queues
// a row (store::OutboxStore) with the address, the same work for an address with or without an
// account, so neither the answer nor its time says which. The background sender resolves the row
// (AccountMailer) and drops what has no account. A token is single use, one per purpose and user,
// and stored only hashed (AccountTokens). A reset ends every session; a password change ends every
// other one. Registrations, queued mails and the sessions a password change or reset ends are
// counted (AuthMetrics); each change is recorded in the audit trail by the transaction that makes
// it.
// Blocking (database, hashing): the routes run on the hashing pool. Thread-safe.
class AccountService {
 public:
  // `mail_queued` is called after a mail was queued (it wakes the sender).
  AccountService(store::Store& store, const AccountTokens& tokens, const PasswordHasher& passwords,
                 LoginThrottle& throttle, AuditTrail& audit, const Clock& clock,
                 AccountServiceSettings settings, std::function<void()> mail_queued,
                 AuthMetrics metrics = {});

  // Registration, in the tutorial's order: the per-address limit (the wait when it refuses), a
  // taken e-mail (kAccountExists), then the confirmation (kPasswordsDoNotMatch). The account
  // starts verified unless REQUIRE_EMAIL_VERIFICATION is on; then its verification mail is queued
  // in the same transaction. Logs nobody in.
  Result<std::variant<store::User, std::chrono::seconds>> register_user(const NewAccount& account,
                                                                        const ClientInfo& client);

  // Queues a verification or reset mail for `email_lower` (MailKind::kVerifyEmail or
  // kResetPassword), whether or not it has an account. The wait when a limit refuses it.
  Result<std::optional<std::chrono::seconds>> request_verification(std::string_view email_lower,
                                                                   std::string_view client_ip);
  Result<std::optional<std::chrono::seconds>> request_password_reset(std::string_view email_lower,
                                                                     std::string_view client_ip);

  // Spends a verification or e-mail-change proof: the account is verified, or takes the new
  // address. kInvalidCode for a proof that is unknown, used, expired or whose code died;
  // kAccountExists when the new address was taken meanwhile.
  Status verify_email(const MailProof& proof, const ClientInfo& client);
  // Spends a reset proof: the new password (already checked for length and confirmation), every
  // session ended, outstanding resets and e-mail changes ended, a notice mailed. kInvalidCode as
  // above.
  Status reset_password(const MailProof& proof, std::string_view new_password,
                        const ClientInfo& client);

  // The signed-in user's password change: every other session ends, this one stays. The current
  // password is checked under the login limits (a stolen access token must not be a way to guess
  // it): the wait when they refuse, kWrongPassword when it is wrong.
  Result<std::optional<std::chrono::seconds>> change_password(const Principal& principal,
                                                              std::string_view current_password,
                                                              std::string_view new_password,
                                                              const ClientInfo& client);
  // Asks for the signed-in user's address to become `new_email_lower`: a confirmation is mailed
  // there and a notice to the current address; the change happens when the confirmation is
  // spent (verify_email). The password is checked as in change_password; the mail limits apply
  // to the new address. kEmailUnchanged for the current address.
  Result<std::optional<std::chrono::seconds>> request_email_change(const Principal& principal,
                                                                   std::string_view new_email_lower,
                                                                   std::string_view password,
                                                                   const ClientInfo& client);

 private:
  // `count` mails were queued: counted, and the sender woken.
  void queued(std::size_t count) const;
  Result<std::optional<std::chrono::seconds>> request_mail(std::string_view kind,
                                                           std::string_view email_lower,
                                                           std::string_view client_ip);
  // The live token `proof` names among `purposes`; a wrong code is counted against every live
  // token of the address it could have been for.
  Result<std::optional<store::AccountToken>> find_proof(const MailProof& proof,
                                                        const std::vector<std::string>& purposes);
  // The current password under the login limits: nullopt when right, the wait when refused,
  // kWrongPassword when wrong (recorded, with the lockouts it started).
  Result<std::optional<std::chrono::seconds>> check_password(const Principal& principal,
                                                             std::string_view password,
                                                             const ClientInfo& client);
  // An event of `type` about the signed-in user, from their session.
  store::AuditEvent user_event(AuditEventType type, const Principal& principal,
                               const ClientInfo& client) const;

  store::Store& store_;
  const AccountTokens& tokens_;
  const PasswordHasher& passwords_;
  LoginThrottle& throttle_;
  AuditTrail& audit_;
  const Clock& clock_;
  AccountServiceSettings settings_;
  std::function<void()> mail_queued_;
  AuthMetrics metrics_;
};

}  // namespace gatehouse::auth
