#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "store/admin_store.hpp"
#include "store/user_store.hpp"

namespace gatehouse::admin {

// The role that may use the admin API; every other account has "user" (the tutorial's default).
inline constexpr std::string_view kAdminRole = "admin";
inline constexpr std::string_view kUserRole = "user";

// The roles an account may be given.
bool is_known_role(std::string_view role);

// Whether an account holds the admin role and may use it (not disabled).
bool is_active_admin(const store::User& user);

// Who may call the admin API: an active admin whose session's password was entered at most
// `fresh` ago (ADMIN_FRESH_MINUTES), so a stolen long-lived session cannot administer.
// kAdminRequired, kReauthenticate.
Status check_admin_access(const store::User& caller, SysTime session_created_at, SysTime now,
                          std::chrono::minutes fresh);

// What one administrative action does to an account.
enum class AdminAction { kChange, kDelete };

// The guard rails, judged on the account as it is: an admin cannot disable or delete their own
// account (kOwnAccount); the last active admin cannot be demoted, disabled or deleted (kLastAdmin).
// `actor_id` nullopt: an operator at the command line (no own account to protect).
Status check_admin_change(const store::User& target, const store::UserChange& change,
                          AdminAction action, std::optional<std::int64_t> actor_id,
                          std::size_t active_admins);

// The audit events and session revocation a change of `before` calls for; `base` carries the
// time, client and actor every event shares. A role change or a disabling ends every session, so
// no token carries the old role and a disabled account's tokens stop at once. A change that
// changes nothing plans nothing.
store::ChangePlan plan_admin_change(const store::User& before, const store::UserChange& change,
                                    const store::AuditEvent& base);

}  // namespace gatehouse::admin
