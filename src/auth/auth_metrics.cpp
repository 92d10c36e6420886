#include "auth/auth_metrics.hpp"

#include <string>

namespace gatehouse::auth {

std::string_view name(LoginOutcome outcome) {
  switch (outcome) {
    case LoginOutcome::kSuccess:
      return "success";
    case LoginOutcome::kWrongPassword:
      return "wrong_password";
    case LoginOutcome::kUnknownAccount:
      return "unknown_account";
    case LoginOutcome::kThrottled:
      return "throttled";
    case LoginOutcome::kUnverified:
      return "unverified";
    case LoginOutcome::kDisabled:
      return "disabled";
  }
  return "?";
}

std::string_view name(RefreshOutcome outcome) {
  switch (outcome) {
    case RefreshOutcome::kRotated:
      return "rotated";
    case RefreshOutcome::kGraceReplay:
      return "grace_replay";
    case RefreshOutcome::kReuseDetected:
      return "reuse_detected";
    case RefreshOutcome::kExpired:
      return "expired";
    case RefreshOutcome::kRevoked:
      return "revoked";
    case RefreshOutcome::kUnknown:
      return "unknown";
  }
  return "?";
}

std::string_view name(RegistrationOutcome outcome) {
  switch (outcome) {
    case RegistrationOutcome::kCreated:
      return "created";
    case RegistrationOutcome::kEmailTaken:
      return "email_taken";
    case RegistrationOutcome::kThrottled:
      return "throttled";
  }
  return "?";
}

std::string_view name(LogoutScope scope) {
  switch (scope) {
    case LogoutScope::kSession:
      return "session";
    case LogoutScope::kOthers:
      return "others";
    case LogoutScope::kGlobal:
      return "global";
  }
  return "?";
}

std::string_view name(RevokeReason reason) {
  switch (reason) {
    case RevokeReason::kLogout:
      return "logout";
    case RevokeReason::kLogoutOthers:
      return "logout_others";
    case RevokeReason::kLogoutGlobal:
      return "logout_global";
    case RevokeReason::kReuseDetected:
      return "refresh_reuse";
    case RevokeReason::kEndedByUser:
      return "user";
    case RevokeReason::kPasswordChanged:
      return "password_changed";
    case RevokeReason::kPasswordReset:
      return "password_reset";
    case RevokeReason::kAdminLogout:
      return "admin_logout";
    case RevokeReason::kAccountDisabled:
      return "account_disabled";
    case RevokeReason::kRoleChanged:
      return "role_changed";
  }
  return "?";
}

namespace {

// One series per value of E, labelled `label`=name(value), in enum order.
template <class E, std::size_t N>
std::array<observability::Counter, N> by_value(observability::MetricRegistry& registry,
                                               const std::string& metric, const std::string& help,
                                               const std::string& label) {
  std::array<observability::Counter, N> out;
  for (std::size_t i = 0; i < N; ++i) {
    out[i] = registry.counter(metric, help, {{label, std::string(name(static_cast<E>(i)))}});
  }
  return out;
}

}  // namespace

AuthMetrics::AuthMetrics(observability::MetricRegistry& registry)
    : logins_(by_value<LoginOutcome, kLoginOutcomes>(registry, "gatehouse_logins_total",
                                                     "Logins by outcome.", "outcome")),
      refreshes_(by_value<RefreshOutcome, kRefreshOutcomes>(
          registry, "gatehouse_refreshes_total", "Refresh-token presentations by outcome.",
          "outcome")),
      registrations_(by_value<RegistrationOutcome, kRegistrationOutcomes>(
          registry, "gatehouse_registrations_total", "Registrations by outcome.", "outcome")),
      logouts_(by_value<LogoutScope, kLogoutScopes>(registry, "gatehouse_logouts_total",
                                                    "Logouts by scope.", "scope")),
      revoked_(by_value<RevokeReason, kRevokeReasons>(registry, "gatehouse_sessions_revoked_total",
                                                      "Sessions ended, by reason.", "reason")),
      mails_queued_(registry.counter("gatehouse_mails_queued_total",
                                     "Mails put in the outbox (verification, reset, notices).")) {}

}  // namespace gatehouse::auth
