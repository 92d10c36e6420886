#include "admin/admin_service.hpp"

#include <spdlog/spdlog.h>

#include <utility>

namespace gatehouse::admin {

namespace {

// The store says kUserGone for a user id it does not have; to an admin that is an unknown id.
template <class T>
Result<T> or_not_found(Result<T> result) {
  if (!result && result.error().code == ErrorCode::kUserGone) {
    return Error{ErrorCode::kUserNotFound, std::move(result).error().internal};
  }
  return result;
}

}  // namespace

AdminService::AdminService(store::Store& store, const auth::PasswordHasher& passwords,
                           const auth::AuditTrail& audit, const Clock& clock,
                           std::chrono::minutes fresh, auth::AuthMetrics metrics)
    : store_(store),
      passwords_(passwords),
      audit_(audit),
      clock_(clock),
      fresh_(fresh),
      metrics_(std::move(metrics)) {}

Status AdminService::check_access(const auth::Principal& caller) const {
  return check_admin_access(caller.user, caller.session_created_at, clock_.now(), fresh_);
}

store::AuditEvent AdminService::base_event(const Actor& actor, auth::AuditEventType type) const {
  store::AuditEvent e = audit_.event(type, actor.client);
  e.actor_id = actor.id;
  return e;
}

Result<store::UserPage> AdminService::search(const store::UserSearch& search) {
  return store_.search_users(search);
}

Result<store::User> AdminService::user(std::int64_t id) {
  auto found = store_.find_user_by_id(id);
  if (!found) return std::move(found).error();
  if (!*found) return Error{ErrorCode::kUserNotFound, "no user " + std::to_string(id)};
  return std::move(**found);
}

Result<store::User> AdminService::user_by_email(std::string_view email_lower) {
  auto found = store_.find_user_by_email(email_lower);
  if (!found) return std::move(found).error();
  if (!*found) return Error{ErrorCode::kUserNotFound, "no user " + std::string(email_lower)};
  return std::move(**found);
}

Result<store::UpdatedAccount> AdminService::change(const Actor& actor, std::int64_t id,
                                                   const store::UserChange& change) {
  if (change.role && !is_known_role(*change.role)) {
    return Error{ErrorCode::kValidation, "unknown role '" + *change.role + "'"};
  }
  const store::AuditEvent base = base_event(actor, auth::AuditEventType::kUserUpdated);
  store::UserChange timed = change;
  timed.now = base.at;
  timed.actor_id = actor.id;
  bool disabling = false;
  auto changed = or_not_found(store_.change_user(
      id, timed, [&](const store::User& before, std::size_t admins) -> Result<store::ChangePlan> {
        if (auto st = check_admin_change(before, timed, AdminAction::kChange, actor.id, admins);
            !st) {
          return std::move(st).error();
        }
        disabling = timed.disabled.value_or(false) && !before.disabled();
        return plan_admin_change(before, timed, base);
      }));
  if (!changed) return changed;
  metrics_.sessions_revoked(
      disabling ? auth::RevokeReason::kAccountDisabled : auth::RevokeReason::kRoleChanged,
      changed->sessions_ended);
  spdlog::info("admin {}: user {} changed ({} sessions ended)",
               actor.id ? std::to_string(*actor.id) : "(command line)", id,
               changed->sessions_ended);
  return changed;
}

Result<store::User> AdminService::remove(const Actor& actor, std::int64_t id) {
  const store::AuditEvent base = base_event(actor, auth::AuditEventType::kUserDeleted);
  auto removed = or_not_found(store_.delete_user(
      id, [&](const store::User& before, std::size_t admins) -> Result<store::ChangePlan> {
        if (auto st = check_admin_change(before, {}, AdminAction::kDelete, actor.id, admins); !st) {
          return std::move(st).error();
        }
        store::ChangePlan plan;
        plan.events.push_back(base);
        plan.events.back().email = before.email;
        return plan;
      }));
  if (removed) {
    spdlog::info("admin {}: user {} deleted",
                 actor.id ? std::to_string(*actor.id) : "(command line)", id);
  }
  return removed;
}

Result<std::vector<store::Session>> AdminService::sessions(std::int64_t id) {
  if (auto found = user(id); !found) return std::move(found).error();
  return store_.list_sessions(id, clock_.now());
}

Result<std::size_t> AdminService::logout(const Actor& actor, std::int64_t id) {
  auto target = user(id);
  if (!target) return std::move(target).error();
  store::AuditEvent event = base_event(actor, auth::AuditEventType::kAdminLogout);
  event.user_id = id;
  event.email = target->email;
  const SysTime now = event.at;
  // The count is known only once the sessions are ended, in the same transaction; the event says
  // "every session" and the answer gives the number.
  event.detail = "every session";
  const std::string reason(auth::name(auth::RevokeReason::kAdminLogout));
  auto ended = store_.revoke_user_sessions(
      id, {}, store::Revocation{.now = now, .reason = reason, .events = {std::move(event)}});
  if (!ended) return ended;
  metrics_.sessions_revoked(auth::RevokeReason::kAdminLogout, *ended);
  return ended;
}

Result<std::vector<store::AuditEvent>> AdminService::events(const store::AuditQuery& query) {
  return store_.find_events(query);
}

Result<store::User> AdminService::create(const Actor& actor, const NewAccount& account) {
  if (!is_known_role(account.role)) {
    return Error{ErrorCode::kValidation, "unknown role '" + account.role + "'"};
  }
  auto hash = passwords_.hash(account.password);
  if (!hash) return std::move(hash).error();
  store::NewUser user;
  user.name = account.name;
  user.email = account.email;
  user.password_hash = std::move(*hash);
  user.verified = true;
  user.role = account.role;
  store::AuditEvent event = base_event(actor, auth::AuditEventType::kUserCreated);
  event.email = account.email;
  event.detail = account.role;
  user.now = event.at;
  user.events.push_back(std::move(event));
  return store_.create_user(user);
}

}  // namespace gatehouse::admin
