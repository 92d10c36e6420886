#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include "observability/metrics.hpp"

namespace gatehouse::auth {

// How a login ended (the label of gatehouse_logins_total).
enum class LoginOutcome {
  kSuccess,
  kWrongPassword,
  kUnknownAccount,
  kThrottled,   // refused by the limits before any password work
  kUnverified,  // right password, e-mail not verified (REQUIRE_EMAIL_VERIFICATION)
  kDisabled,    // right password, the account is disabled by an admin
};
inline constexpr std::size_t kLoginOutcomes = 6;

// How a refresh ended (gatehouse_refreshes_total). kUnknown also covers tokens of the wrong shape.
enum class RefreshOutcome { kRotated, kGraceReplay, kReuseDetected, kExpired, kRevoked, kUnknown };
inline constexpr std::size_t kRefreshOutcomes = 6;

enum class RegistrationOutcome { kCreated, kEmailTaken, kThrottled };
inline constexpr std::size_t kRegistrationOutcomes = 3;

// Which sessions a logout ends (`?scope=`): this one, every other one, or all of the user's.
enum class LogoutScope { kSession, kOthers, kGlobal };
inline constexpr std::size_t kLogoutScopes = 3;

// Why a session was revoked: the label of gatehouse_sessions_revoked_total and the `revoke_reason`
// stored with the session.
enum class RevokeReason {
  kLogout,
  kLogoutOthers,
  kLogoutGlobal,
  kReuseDetected,  // a retired refresh token was presented again
  kEndedByUser,    // DELETE /api/users/me/sessions/{id}
  kPasswordChanged,
  kPasswordReset,
  kAdminLogout,      // an admin ended every session of the account
  kAccountDisabled,  // an admin disabled the account
  kRoleChanged,      // the account's role changed (no token may carry the old one)
};
inline constexpr std::size_t kRevokeReasons = 10;

std::string_view name(LoginOutcome outcome);
std::string_view name(RefreshOutcome outcome);
std::string_view name(RegistrationOutcome outcome);
std::string_view name(LogoutScope scope);
std::string_view name(RevokeReason reason);

// The account and session events an operator watches, counted per thread (MetricRegistry):
//   gatehouse_logins_total{outcome}          success, wrong_password, unknown_account, throttled,
//                                            unverified, disabled
//   gatehouse_refreshes_total{outcome}       rotated, grace_replay, reuse_detected, expired,
//                                            revoked, unknown
//   gatehouse_registrations_total{outcome}   created, email_taken, throttled
//   gatehouse_logouts_total{scope}           session, others, global
//   gatehouse_sessions_revoked_total{reason} sessions ended, by RevokeReason
//   gatehouse_mails_queued_total             mails put in the outbox (sent by mail::OutboxSender)
// Every series is registered up front, so a rate is defined from the first scrape. A
// default-constructed AuthMetrics counts nothing (services built in unit tests).
class AuthMetrics {
 public:
  AuthMetrics() = default;
  explicit AuthMetrics(observability::MetricRegistry& registry);

  void login(LoginOutcome outcome) const { logins_[index(outcome)].inc(); }
  void refresh(RefreshOutcome outcome) const { refreshes_[index(outcome)].inc(); }
  void registration(RegistrationOutcome outcome) const { registrations_[index(outcome)].inc(); }
  void logout(LogoutScope scope) const { logouts_[index(scope)].inc(); }
  void sessions_revoked(RevokeReason reason, std::size_t count = 1) const {
    if (count > 0) revoked_[index(reason)].inc(count);
  }
  void mails_queued(std::size_t count) const {
    if (count > 0) mails_queued_.inc(count);
  }

 private:
  template <class E>
  static constexpr std::size_t index(E value) {
    return static_cast<std::size_t>(value);
  }

  std::array<observability::Counter, kLoginOutcomes> logins_;
  std::array<observability::Counter, kRefreshOutcomes> refreshes_;
  std::array<observability::Counter, kRegistrationOutcomes> registrations_;
  std::array<observability::Counter, kLogoutScopes> logouts_;
  std::array<observability::Counter, kRevokeReasons> revoked_;
  observability::Counter mails_queued_;
};

}  // namespace gatehouse::auth
