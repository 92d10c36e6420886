#include "auth/audit_trail.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <array>
#include <utility>

#include "core/time_text.hpp"
#include "store/sql_timestamp.hpp"

namespace gatehouse::auth {

namespace {

// One table gives the names both ways; a type missing here fails the unit test that walks them.
constexpr std::array<std::pair<AuditEventType, std::string_view>, 19> kNames{{
    {AuditEventType::kRegister, "register"},
    {AuditEventType::kLogin, "login"},
    {AuditEventType::kLoginFailed, "login_failed"},
    {AuditEventType::kLockout, "lockout"},
    {AuditEventType::kPasswordCheckFailed, "password_check_failed"},
    {AuditEventType::kRefreshReuseDetected, "refresh_reuse_detected"},
    {AuditEventType::kLogout, "logout"},
    {AuditEventType::kSessionRevoked, "session_revoked"},
    {AuditEventType::kPasswordChanged, "password_changed"},
    {AuditEventType::kPasswordReset, "password_reset"},
    {AuditEventType::kEmailVerified, "email_verified"},
    {AuditEventType::kEmailChanged, "email_changed"},
    {AuditEventType::kUserCreated, "user_created"},
    {AuditEventType::kUserUpdated, "user_updated"},
    {AuditEventType::kRoleChanged, "role_changed"},
    {AuditEventType::kAccountDisabled, "account_disabled"},
    {AuditEventType::kAccountEnabled, "account_enabled"},
    {AuditEventType::kUserDeleted, "user_deleted"},
    {AuditEventType::kAdminLogout, "admin_logout"},
}};

constexpr std::array<AuditEventType, kNames.size()> kTypes = [] {
  std::array<AuditEventType, kNames.size()> types{};
  for (std::size_t i = 0; i < kNames.size(); ++i) types[i] = kNames[i].first;
  return types;
}();

}  // namespace

std::string_view name(AuditEventType type) {
  for (const auto& [t, text] : kNames) {
    if (t == type) return text;
  }
  return "?";
}

std::span<const AuditEventType> audit_event_types() {
  return kTypes;
}

std::optional<AuditEventType> parse_audit_event_type(std::string_view text) {
  for (const auto& [t, known] : kNames) {
    if (known == text) return t;
  }
  return std::nullopt;
}

std::optional<SysTime> parse_since(std::string_view text, SysTime now) {
  if (auto age = parse_age(text)) return now - *age;
  std::string full(text);
  if (full.size() == 10) full += " 00:00:00";
  if (auto at = store::parse_sql_timestamp(full)) return *at;
  return std::nullopt;
}

store::AuditEvent AuditTrail::event(AuditEventType type, const ClientInfo& client,
                                    std::optional<std::int64_t> user_id) const {
  store::AuditEvent e;
  e.at = clock_.now();
  e.event = std::string(name(type));
  e.user_id = user_id;
  e.ip = std::string(client.ip);
  e.user_agent = std::string(client.user_agent);
  return e;
}

void AuditTrail::record(const store::AuditEvent& event) {
  if (auto st = store_.record_event(event); !st) {
    spdlog::warn("audit trail: could not record a {} event: {}", event.event, st.error().internal);
  }
}

void AuditTrail::record_failure(const store::AuditEvent& failure, const LoginAttempt& attempt) {
  record(failure);
  const auto lockout = [&](std::string_view counter, std::chrono::seconds block) {
    store::AuditEvent e = failure;
    e.event = std::string(name(AuditEventType::kLockout));
    e.detail = fmt::format("{} for {} s", counter, block.count());
    record(e);
  };
  if (attempt.limited_block) {
    lockout(attempt.known_device ? "device" : "account", *attempt.limited_block);
  }
  if (attempt.ip_block) lockout("address", *attempt.ip_block);
}

}  // namespace gatehouse::auth
