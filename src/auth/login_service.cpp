#include "auth/login_service.hpp"

#include <spdlog/spdlog.h>

#include "observability/log_context.hpp"

namespace gatehouse::auth {

LoginService::LoginService(store::Store& store, const PasswordHasher& passwords,
                           SessionService& sessions, LoginThrottle& throttle,
                           const DeviceCookies& devices, AuditTrail& audit, const Clock& clock,
                           AuthMetrics metrics)
    : store_(store),
      passwords_(passwords),
      sessions_(sessions),
      throttle_(throttle),
      devices_(devices),
      audit_(audit),
      clock_(clock),
      metrics_(std::move(metrics)) {}

LoginResult LoginService::ended(LoginOutcome outcome) const {
  metrics_.login(outcome);
  LoginResult result;
  result.outcome = outcome;
  return result;
}

LoginResult LoginService::failed(LoginOutcome outcome, const LoginRequest& request,
                                 std::optional<std::int64_t> user_id, const LoginAttempt& attempt) {
  store::AuditEvent failure =
      audit_.event(AuditEventType::kLoginFailed, {request.client_ip, request.user_agent}, user_id);
  failure.email = std::string(request.email_lower);
  failure.detail = std::string(name(outcome));
  audit_.record_failure(failure, attempt);
  return ended(outcome);
}

Result<LoginResult> LoginService::login(const LoginRequest& request) {
  // A device cookie issued to this browser for this account: limited on its own counter.
  std::optional<std::string> device;
  if (request.device_cookie) device = devices_.verify(*request.device_cookie, request.email_lower);
  // Counted as a failure before any password work (blocked attempts are refused and count
  // nowhere); a right password takes the count back below.
  auto gate = throttle_.begin_login(request.email_lower, request.client_ip, device);
  if (!gate) return std::move(gate).error();
  if (const auto* wait = std::get_if<std::chrono::seconds>(&*gate)) {
    LoginResult throttled = ended(LoginOutcome::kThrottled);
    throttled.retry_after = *wait;
    return throttled;
  }
  const LoginAttempt& attempt = std::get<LoginAttempt>(*gate);

  auto found = store_.find_user_by_email(request.email_lower);
  if (!found) return std::move(found).error();
  if (!found->has_value()) {
    passwords_.burn(request.password);
    return failed(LoginOutcome::kUnknownAccount, request, std::nullopt, attempt);
  }
  const store::User& user = **found;
  const PasswordVerdict verdict = passwords_.verify(request.password, user.password_hash);
  if (verdict == PasswordVerdict::kMismatch) {
    return failed(LoginOutcome::kWrongPassword, request, user.id, attempt);
  }
  if (auto st = throttle_.login_succeeded(attempt); !st) {
    spdlog::warn("login: could not take back the attempt's count: {}", st.error().internal);
  }
  // Checked after the password (the tutorial checks before), so the answer reveals nothing about
  // an account to someone who does not know its password.
  if (!user.verified) return failed(LoginOutcome::kUnverified, request, user.id, LoginAttempt{});
  if (user.disabled()) return failed(LoginOutcome::kDisabled, request, user.id, LoginAttempt{});

  if (verdict == PasswordVerdict::kMatchNeedsRehash) {
    // A legacy bcrypt hash (or old argon2 parameters): upgrade it now that we know the password.
    if (auto rehash = passwords_.hash(request.password); rehash) {
      if (auto st = store_.update_password_hash(user.id, *rehash, clock_.now()); !st) {
        spdlog::warn("login: could not store the rehashed password of user {}: {}", user.id,
                     st.error().internal);
      }
    }
  }

  auto tokens = sessions_.start(user, {request.client_ip, request.user_agent});
  if (!tokens) return std::move(tokens).error();
  observability::log_principal(user.id, tokens->session.id);
  LoginResult result = ended(LoginOutcome::kSuccess);
  result.tokens = std::move(*tokens);
  // A known device keeps its id (its counter stays its own) for another full lifetime.
  result.device_cookie =
      device ? std::string(*request.device_cookie) : devices_.issue(request.email_lower);
  return result;
}

}  // namespace gatehouse::auth
