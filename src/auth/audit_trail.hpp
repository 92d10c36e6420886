#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "auth/login_throttle.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "store/audit_store.hpp"

namespace gatehouse::auth {

// The security events of the audit trail (`{prefix}audit_event`). What each one records:
//   register                the account was created (email: its address)
//   login                   a password login started a session (session_id: the new one)
//   login_failed            detail: wrong_password, unknown_account, unverified or disabled (email:
//   the
//                           address tried; user_id when it has an account)
//   lockout                 a counted failure started a block; detail: which counter (account,
//                           device, address) and for how long ("account for 4 s")
//   password_check_failed   a signed-in user's current password was wrong (password or e-mail
//                           change): a stolen access token guessing it
//   refresh_reuse_detected  a retired refresh token came back: its session ended (session_id;
//                           ip and user_agent: the replay's)
//   logout                  detail: the scope (session, others, global); session_id: the caller's
//   session_revoked         one session ended from another (detail: ended_by_user)
//   password_changed        by the signed-in user; every other session ended
//   password_reset          through a mailed proof; every session ended
//   email_verified          the address was proven
//   email_changed           the new address was proven (email: the old one; detail: "to <new>")
// Administration (actor_id: the acting admin; none when an operator used the command line):
//   user_created            an account made by an admin or operator (detail: its role)
//   user_updated            name or verified changed (detail: the fields, "name, verified=true")
//   role_changed            detail: "user -> admin"; every session of the account ended
//   account_disabled        every session of the account ended; login refused until enabled
//   account_enabled         the account may log in again
//   user_deleted            the account is gone (email: its address); its events stay
//   admin_logout            every session of the account ended (detail: how many)
// Refused (throttled) attempts are counted in gatehouse_logins_total only: an attacker hammering
// a blocked account writes no rows.
enum class AuditEventType {
  kRegister,
  kLogin,
  kLoginFailed,
  kLockout,
  kPasswordCheckFailed,
  kRefreshReuseDetected,
  kLogout,
  kSessionRevoked,
  kPasswordChanged,
  kPasswordReset,
  kEmailVerified,
  kEmailChanged,
  kUserCreated,
  kUserUpdated,
  kRoleChanged,
  kAccountDisabled,
  kAccountEnabled,
  kUserDeleted,
  kAdminLogout,
};

std::string_view name(AuditEventType type);
// Every type, in declaration order (documentation, validation of a filter).
std::span<const AuditEventType> audit_event_types();
// The type named `text` (a filter from a query string or the command line); nullopt when unknown.
std::optional<AuditEventType> parse_audit_event_type(std::string_view text);

// A lower bound on event times as people give it: an age back from `now` (parse_age: "90m",
// "7d"), a date (its midnight, UTC: "2026-12-01") or a date and time ("2026-12-01T10:00:00Z",
// "2026-12-01 10:00:00"); nullopt for anything else.
std::optional<SysTime> parse_since(std::string_view text, SysTime now);

// Where a request came from, as an event records it.
struct ClientInfo {
  std::string_view ip;
  std::string_view user_agent;
};

// Makes events and writes the ones that go with no other change. Events that record a change are
// handed to the store method that makes it (a field of its input) and commit with it; the ones
// here (failed logins and password checks, lockouts) change nothing else, so a failure to write
// one is logged and does not fail the request it records: the request's own answer stands.
// Blocking (database): call from a worker. Thread-safe.
class AuditTrail {
 public:
  AuditTrail(store::AuditStore& store, const Clock& clock) : store_(store), clock_(clock) {}

  // An event of `type` now, from `client`, about `user_id` (if any).
  store::AuditEvent event(AuditEventType type, const ClientInfo& client,
                          std::optional<std::int64_t> user_id = std::nullopt) const;
  // Writes `event` alone (its own transaction).
  void record(const store::AuditEvent& event);
  // Writes a failed password attempt (`failure`: login_failed or password_check_failed) and a
  // lockout event for each block its count started (`attempt`), with the failure's fields.
  void record_failure(const store::AuditEvent& failure, const LoginAttempt& attempt);
  // Events matching `query`, newest first (a user's own, an operator's search).
  Result<std::vector<store::AuditEvent>> find(const store::AuditQuery& query) const {
    return store_.find_events(query);
  }

 private:
  store::AuditStore& store_;
  const Clock& clock_;
};

}  // namespace gatehouse::auth
