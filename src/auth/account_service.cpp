#include "auth/account_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "mail/templates.hpp"

namespace gatehouse::auth {

namespace {

using Wait = std::optional<std::chrono::seconds>;

constexpr std::string_view kVerifyPurpose = "verify_email";
constexpr std::string_view kResetPurpose = "reset_password";
constexpr std::string_view kChangePurpose = "change_email";

bool is_code(std::string_view code) {
  return code.size() == AccountTokens::kCodeDigits &&
         std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string kind_name(mail::MailKind kind) {
  return std::string(mail::to_string(kind));
}

}  // namespace

AccountService::AccountService(store::Store& store, const AccountTokens& tokens,
                               const PasswordHasher& passwords, LoginThrottle& throttle,
                               AuditTrail& audit, const Clock& clock,
                               AccountServiceSettings settings, std::function<void()> mail_queued,
                               AuthMetrics metrics)
    : store_(store),
      tokens_(tokens),
      passwords_(passwords),
      throttle_(throttle),
      audit_(audit),
      clock_(clock),
      settings_(settings),
      mail_queued_(std::move(mail_queued)),
      metrics_(std::move(metrics)) {}

void AccountService::queued(std::size_t count) const {
  metrics_.mails_queued(count);
  if (count > 0) mail_queued_();
}

Result<std::variant<store::User, std::chrono::seconds>> AccountService::register_user(
    const NewAccount& account, const ClientInfo& client) {
  using Registered = std::variant<store::User, std::chrono::seconds>;
  auto limited = throttle_.registration_attempt(client.ip);
  if (!limited) return std::move(limited).error();
  if (*limited) {
    metrics_.registration(RegistrationOutcome::kThrottled);
    return Registered{**limited};
  }
  // The tutorial's order: a taken e-mail is reported before a password mismatch.
  auto existing = store_.find_user_by_email(account.email_lower);
  if (!existing) return std::move(existing).error();
  if (existing->has_value()) {
    metrics_.registration(RegistrationOutcome::kEmailTaken);
    return Error{ErrorCode::kAccountExists, "register: e-mail taken"};
  }
  if (account.password != account.password_confirm) {
    return Error{ErrorCode::kPasswordsDoNotMatch, "register: confirmation differs"};
  }
  auto hash = passwords_.hash(account.password);
  if (!hash) return std::move(hash).error();

  store::NewUser user;
  user.name = account.name;
  user.email = account.email_lower;
  user.password_hash = std::move(*hash);
  user.photo = account.photo;
  // The tutorial marks new users verified; with REQUIRE_EMAIL_VERIFICATION the account starts
  // unverified and its verification mail is queued with it.
  user.verified = !settings_.require_verification;
  user.now = clock_.now();
  if (settings_.require_verification) {
    user.mails.push_back(store::NewMail{.kind = kind_name(mail::MailKind::kVerifyEmail),
                                        .recipient = account.email_lower,
                                        .now = user.now});
  }
  store::AuditEvent registered = audit_.event(AuditEventType::kRegister, client);
  registered.email = account.email_lower;
  user.events.push_back(std::move(registered));
  auto created = store_.create_user(user);
  if (!created) {
    // A concurrent registration of the same address won the race (kAccountExists).
    if (created.error().code == ErrorCode::kAccountExists) {
      metrics_.registration(RegistrationOutcome::kEmailTaken);
    }
    return std::move(created).error();
  }
  metrics_.registration(RegistrationOutcome::kCreated);
  queued(user.mails.size());
  return Registered{std::move(*created)};
}

Result<Wait> AccountService::request_mail(std::string_view kind, std::string_view email_lower,
                                          std::string_view client_ip) {
  auto wait = throttle_.mail_request(email_lower, client_ip);
  if (!wait || wait->has_value()) return wait;
  auto enqueued = store_.enqueue_mail(store::NewMail{
      .kind = std::string(kind), .recipient = std::string(email_lower), .now = clock_.now()});
  if (!enqueued) return std::move(enqueued).error();
  queued(1);
  return Wait{};
}

Result<Wait> AccountService::request_verification(std::string_view email_lower,
                                                  std::string_view client_ip) {
  return request_mail(kind_name(mail::MailKind::kVerifyEmail), email_lower, client_ip);
}

Result<Wait> AccountService::request_password_reset(std::string_view email_lower,
                                                    std::string_view client_ip) {
  return request_mail(kind_name(mail::MailKind::kResetPassword), email_lower, client_ip);
}

Result<std::optional<store::AccountToken>> AccountService::find_proof(
    const MailProof& proof, const std::vector<std::string>& purposes) {
  const SysTime now = clock_.now();
  const auto usable = [&](const store::AccountToken& t) {
    return t.expires_at > now &&
           std::find(purposes.begin(), purposes.end(), t.purpose) != purposes.end();
  };
  using Found = std::optional<store::AccountToken>;
  if (proof.token) {
    auto found = store_.find_account_token(tokens_.token_hash(*proof.token));
    if (!found) return std::move(found).error();
    if (!found->has_value() || !usable(**found)) return Found{};
    return found;
  }
  auto candidates = store_.find_account_tokens_by_email(proof.email_lower);
  if (!candidates) return std::move(candidates).error();
  std::vector<store::AccountToken> live;
  for (store::AccountToken& t : *candidates) {
    if (usable(t) && t.failed_codes < kMaxFailedCodes) live.push_back(std::move(t));
  }
  if (is_code(proof.code)) {
    for (store::AccountToken& t : live) {
      if (tokens_.code_matches(t, proof.code)) return Found{std::move(t)};
    }
  }
  for (const store::AccountToken& t : live) {
    auto counted = store_.count_failed_code(t.token_hash);
    if (!counted) return std::move(counted).error();
  }
  return Found{};
}

Status AccountService::verify_email(const MailProof& proof, const ClientInfo& client) {
  auto found = find_proof(proof, {std::string(kVerifyPurpose), std::string(kChangePurpose)});
  if (!found) return std::move(found).error();
  if (!found->has_value()) return Error{ErrorCode::kInvalidCode, "verify-email: no live proof"};
  const store::AccountToken& token = **found;
  store::AccountUpdate update;
  update.verified = true;
  store::AuditEvent event = audit_.event(AuditEventType::kEmailVerified, client, token.user_id);
  event.email = token.email;
  if (token.purpose == kChangePurpose) {
    // The new address is proven: it becomes the account's, and what was sent to the old one
    // (a reset, a verification) no longer applies.
    update.email = token.email;
    update.end_token_purposes = {std::string(kResetPurpose), std::string(kVerifyPurpose),
                                 std::string(kChangePurpose)};
    // The trail keeps the address it changed from: what an owner whose account was taken over
    // needs to show it was theirs.
    auto before = store_.find_user_by_id(token.user_id);
    if (!before) return std::move(before).error();
    if (!before->has_value()) return Error{ErrorCode::kInvalidCode, "verify-email: user gone"};
    event.event = std::string(name(AuditEventType::kEmailChanged));
    event.email = (*before)->email;
    event.detail = "to " + token.email;
  }
  update.events.push_back(std::move(event));
  auto used = store_.use_account_token(token.token_hash, clock_.now(), update);
  if (!used) return std::move(used).error();
  if (!used->has_value()) return Error{ErrorCode::kInvalidCode, "verify-email: used meanwhile"};
  spdlog::info("user {}: {}", token.user_id,
               token.purpose == kChangePurpose ? "e-mail address changed" : "e-mail verified");
  return ok_status();
}

Status AccountService::reset_password(const MailProof& proof, std::string_view new_password,
                                      const ClientInfo& client) {
  auto found = find_proof(proof, {std::string(kResetPurpose)});
  if (!found) return std::move(found).error();
  if (!found->has_value()) return Error{ErrorCode::kInvalidCode, "reset: no live proof"};
  const store::AccountToken& token = **found;
  auto hash = passwords_.hash(new_password);
  if (!hash) return std::move(hash).error();
  store::AccountUpdate update;
  update.password_hash = std::move(*hash);
  update.verified = true;  // the reset proved the mailbox
  update.end_sessions = true;
  update.revoke_reason = name(RevokeReason::kPasswordReset);
  update.end_token_purposes = {std::string(kResetPurpose), std::string(kChangePurpose)};
  update.mails.push_back(store::NewMail{.kind = kind_name(mail::MailKind::kPasswordChanged),
                                        .recipient = token.email,
                                        .user_id = token.user_id,
                                        .now = clock_.now()});
  store::AuditEvent reset = audit_.event(AuditEventType::kPasswordReset, client, token.user_id);
  reset.email = token.email;
  update.events.push_back(std::move(reset));
  auto used = store_.use_account_token(token.token_hash, clock_.now(), update);
  if (!used) return std::move(used).error();
  if (!used->has_value()) return Error{ErrorCode::kInvalidCode, "reset: used meanwhile"};
  spdlog::info("user {}: password reset, every session ended", token.user_id);
  metrics_.sessions_revoked(RevokeReason::kPasswordReset, (*used)->sessions_ended);
  queued(update.mails.size());
  return ok_status();
}

store::AuditEvent AccountService::user_event(AuditEventType type, const Principal& principal,
                                             const ClientInfo& client) const {
  store::AuditEvent e = audit_.event(type, client, principal.user.id);
  e.session_id = principal.claims.sid;
  e.email = principal.user.email;
  return e;
}

Result<Wait> AccountService::check_password(const Principal& principal, std::string_view password,
                                            const ClientInfo& client) {
  auto gate = throttle_.begin_login(principal.user.email, client.ip, std::nullopt);
  if (!gate) return std::move(gate).error();
  if (const auto* wait = std::get_if<std::chrono::seconds>(&*gate)) return Wait{*wait};
  if (passwords_.verify(password, principal.user.password_hash) == PasswordVerdict::kMismatch) {
    audit_.record_failure(user_event(AuditEventType::kPasswordCheckFailed, principal, client),
                          std::get<LoginAttempt>(*gate));
    return Error{ErrorCode::kWrongPassword, "current password mismatch"};
  }
  if (auto st = throttle_.login_succeeded(std::get<LoginAttempt>(*gate)); !st) {
    spdlog::warn("password check: could not take back the attempt's count: {}",
                 st.error().internal);
  }
  return Wait{};
}

Result<Wait> AccountService::change_password(const Principal& principal,
                                             std::string_view current_password,
                                             std::string_view new_password,
                                             const ClientInfo& client) {
  auto checked = check_password(principal, current_password, client);
  if (!checked || checked->has_value()) return checked;
  auto hash = passwords_.hash(new_password);
  if (!hash) return std::move(hash).error();
  store::AccountUpdate update;
  update.password_hash = std::move(*hash);
  update.end_sessions = true;
  update.keep_sid = principal.claims.sid;
  update.revoke_reason = name(RevokeReason::kPasswordChanged);
  update.end_token_purposes = {std::string(kResetPurpose)};
  update.mails.push_back(store::NewMail{.kind = kind_name(mail::MailKind::kPasswordChanged),
                                        .recipient = principal.user.email,
                                        .user_id = principal.user.id,
                                        .now = clock_.now()});
  update.events.push_back(user_event(AuditEventType::kPasswordChanged, principal, client));
  auto updated = store_.update_account(principal.user.id, update, clock_.now());
  if (!updated) return std::move(updated).error();
  spdlog::info("user {}: password changed, other sessions ended", principal.user.id);
  metrics_.sessions_revoked(RevokeReason::kPasswordChanged, updated->sessions_ended);
  queued(update.mails.size());
  return Wait{};
}

Result<Wait> AccountService::request_email_change(const Principal& principal,
                                                  std::string_view new_email_lower,
                                                  std::string_view password,
                                                  const ClientInfo& client) {
  if (new_email_lower == principal.user.email) {
    return Error{ErrorCode::kEmailUnchanged, "e-mail change to the same address"};
  }
  auto checked = check_password(principal, password, client);
  if (!checked || checked->has_value()) return checked;
  auto limited = throttle_.mail_request(new_email_lower, client.ip);
  if (!limited || limited->has_value()) return limited;
  const SysTime now = clock_.now();
  // Whether the new address is free is decided when the mail is composed (an address in use
  // gets a notice instead of a link), so this answer does not tell the caller who has an account.
  // The notice names the new address to the old one; the name travels sealed, as secrets do.
  store::AccountUpdate update;
  update.mails.push_back(store::NewMail{.kind = kind_name(mail::MailKind::kChangeEmail),
                                        .recipient = std::string(new_email_lower),
                                        .user_id = principal.user.id,
                                        .now = now});
  update.mails.push_back(
      store::NewMail{.kind = kind_name(mail::MailKind::kEmailChangeNotice),
                     .recipient = principal.user.email,
                     .user_id = principal.user.id,
                     .secret = tokens_.seal(MailSecret{.new_email = std::string(new_email_lower)}),
                     .now = now});
  auto updated = store_.update_account(principal.user.id, update, now);
  if (!updated) return std::move(updated).error();
  queued(update.mails.size());
  return Wait{};
}

}  // namespace gatehouse::auth
