#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "auth/audit_trail.hpp"
#include "auth/auth_metrics.hpp"
#include "auth/device_cookie.hpp"
#include "auth/login_throttle.hpp"
#include "auth/password_hasher.hpp"
#include "auth/session_service.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "store/store.hpp"

namespace gatehouse::auth {

struct LoginRequest {
  std::string_view email_lower;
  std::string_view password;
  // The device cookie the client sent, if any (checked here: another account's counts as none).
  std::optional<std::string_view> device_cookie;
  std::string_view client_ip;
  std::string_view user_agent;
};

struct LoginResult {
  LoginOutcome outcome = LoginOutcome::kWrongPassword;
  std::optional<IssuedTokens> tokens;   // kSuccess: the new session's tokens
  std::string device_cookie;            // kSuccess: the device cookie to set (renewed or new)
  std::chrono::seconds retry_after{0};  // kThrottled: how long to wait
};

// Password login: the limits first (LoginThrottle counts the attempt as a failure before any
// password work and takes it back when the password was right), then the password, then a new
// session. An unknown e-mail costs and counts like a wrong password, and the e-mail verification is
// checked after the password, so neither the answer, its time nor the limits tell who has an
// account. A legacy (bcrypt) or weaker hash is upgraded on success. Every outcome is counted in
// gatehouse_logins_total; failures (and the lockouts they start) go to the audit trail, a success
// with its session. Errors only for a failing database or a failed hash.
// Blocking (hashing, database): run on the hashing pool. Thread-safe.
class LoginService {
 public:
  LoginService(store::Store& store, const PasswordHasher& passwords, SessionService& sessions,
               LoginThrottle& throttle, const DeviceCookies& devices, AuditTrail& audit,
               const Clock& clock, AuthMetrics metrics = {});

  Result<LoginResult> login(const LoginRequest& request);

 private:
  LoginResult ended(LoginOutcome outcome) const;
  // A failed attempt: counted, and written to the audit trail with the lockouts it started.
  LoginResult failed(LoginOutcome outcome, const LoginRequest& request,
                     std::optional<std::int64_t> user_id, const LoginAttempt& attempt);

  store::Store& store_;
  const PasswordHasher& passwords_;
  SessionService& sessions_;
  LoginThrottle& throttle_;
  const DeviceCookies& devices_;
  AuditTrail& audit_;
  const Clock& clock_;
  AuthMetrics metrics_;
};

}  // namespace gatehouse::auth
