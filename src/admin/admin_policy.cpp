#include "admin/admin_policy.hpp"

#include <string>

#include "auth/audit_trail.hpp"
#include "auth/auth_metrics.hpp"

namespace gatehouse::admin {

bool is_known_role(std::string_view role) {
  return role == kUserRole || role == kAdminRole;
}

bool is_active_admin(const store::User& user) {
  return user.role == kAdminRole && !user.disabled();
}

Status check_admin_access(const store::User& caller, SysTime session_created_at, SysTime now,
                          std::chrono::minutes fresh) {
  if (!is_active_admin(caller)) return Error{ErrorCode::kAdminRequired, "not an admin"};
  if (now - session_created_at > fresh) {
    return Error{ErrorCode::kReauthenticate, "admin session's password older than the limit"};
  }
  return ok_status();
}

Status check_admin_change(const store::User& target, const store::UserChange& change,
                          AdminAction action, std::optional<std::int64_t> actor_id,
                          std::size_t active_admins) {
  const bool disables = change.disabled.value_or(false) && !target.disabled();
  if (actor_id && *actor_id == target.id && (action == AdminAction::kDelete || disables)) {
    return Error{ErrorCode::kOwnAccount, "admin " + std::to_string(target.id) + " on itself"};
  }
  const bool demotes = change.role && *change.role != kAdminRole;
  const bool ends_admin = action == AdminAction::kDelete || disables || demotes;
  if (is_active_admin(target) && ends_admin && active_admins <= 1) {
    return Error{ErrorCode::kLastAdmin, "user " + std::to_string(target.id) + " is the last admin"};
  }
  return ok_status();
}

store::ChangePlan plan_admin_change(const store::User& before, const store::UserChange& change,
                                    const store::AuditEvent& base) {
  using auth::AuditEventType;
  store::ChangePlan plan;
  const auto add = [&](AuditEventType type, std::string detail) {
    store::AuditEvent e = base;
    e.event = std::string(auth::name(type));
    e.email = before.email;
    e.detail = std::move(detail);
    plan.events.push_back(std::move(e));
  };
  std::string fields;
  const auto field = [&](std::string text) {
    if (!fields.empty()) fields += ", ";
    fields += text;
  };
  if (change.name && *change.name != before.name) field("name");
  if (change.verified && *change.verified != before.verified) {
    field(*change.verified ? "verified=true" : "verified=false");
  }
  if (!fields.empty()) add(AuditEventType::kUserUpdated, fields);
  if (change.role && *change.role != before.role) {
    add(AuditEventType::kRoleChanged, before.role + " -> " + *change.role);
    plan.end_sessions = true;
    plan.revoke_reason = std::string(auth::name(auth::RevokeReason::kRoleChanged));
  }
  if (change.disabled && *change.disabled != before.disabled()) {
    if (*change.disabled) {
      add(AuditEventType::kAccountDisabled, {});
      plan.end_sessions = true;
      plan.revoke_reason = std::string(auth::name(auth::RevokeReason::kAccountDisabled));
    } else {
      add(AuditEventType::kAccountEnabled, {});
    }
  }
  return plan;
}

}  // namespace gatehouse::admin
