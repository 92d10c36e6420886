#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "admin/admin_policy.hpp"
#include "auth/audit_trail.hpp"
#include "auth/auth_metrics.hpp"
#include "auth/authenticator.hpp"
#include "auth/password_hasher.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "store/store.hpp"

namespace gatehouse::admin {

// Who acts: an admin through the API (id set), or an operator at the command line (id unset,
// who stands outside the accounts and is trusted as the database's owner).
struct Actor {
  std::optional<std::int64_t> id;
  auth::ClientInfo client;
};

// An account an operator creates (`gatehouse users create`): verified at once, as the tutorial's
// registration makes it.
struct NewAccount {
  std::string email;  // lower-case
  std::string name;
  std::string password;
  std::string role{kUserRole};
};

// The administration of accounts, for the admin API and the operator's command line alike: what
// an admin ends ends at once (a disabling or a role change revokes every session in the same
// transaction), every action is an audit event naming the acting admin, and the guard rails of
// admin_policy.hpp hold under concurrent admins (judged inside the transaction, on locked rows).
// Errors: kUserNotFound for an unknown id or e-mail, kLastAdmin, kOwnAccount, kAccountExists,
// kValidation (an unknown role), kUnavailable. Blocking (database, hashing): call from a worker.
// Thread-safe.
class AdminService {
 public:
  AdminService(store::Store& store, const auth::PasswordHasher& passwords,
               const auth::AuditTrail& audit, const Clock& clock, std::chrono::minutes fresh,
               auth::AuthMetrics metrics = {});

  // Whether `caller` may use the admin API now (check_admin_access with ADMIN_FRESH_MINUTES).
  Status check_access(const auth::Principal& caller) const;

  Result<store::UserPage> search(const store::UserSearch& search);
  Result<store::User> user(std::int64_t id);
  Result<store::User> user_by_email(std::string_view email_lower);
  Result<store::UpdatedAccount> change(const Actor& actor, std::int64_t id,
                                       const store::UserChange& change);
  // The account as it was.
  Result<store::User> remove(const Actor& actor, std::int64_t id);
  // The account's live sessions, newest first.
  Result<std::vector<store::Session>> sessions(std::int64_t id);
  // Ends every session of the account; how many were live.
  Result<std::size_t> logout(const Actor& actor, std::int64_t id);
  Result<std::vector<store::AuditEvent>> events(const store::AuditQuery& query);
  Result<store::User> create(const Actor& actor, const NewAccount& account);

 private:
  store::AuditEvent base_event(const Actor& actor, auth::AuditEventType type) const;

  store::Store& store_;
  const auth::PasswordHasher& passwords_;
  const auth::AuditTrail& audit_;
  const Clock& clock_;
  std::chrono::minutes fresh_;
  auth::AuthMetrics metrics_;
};

}  // namespace gatehouse::admin
