#include "auth/session_service.hpp"

#include "auth/rotation_policy.hpp"
#include "observability/log_context.hpp"

#include <sodium.h>
#include <spdlog/spdlog.h>

namespace gatehouse::auth {

namespace {
constexpr std::size_t kRefreshTokenBytes = 32;  // 256 bits
constexpr std::size_t kRefreshTokenChars = 43;  // base64url without padding
constexpr std::size_t kSessionIdBytes = 16;     // 128 bits

RefreshOutcome refresh_outcome(store::RotateOutcome outcome) {
  switch (outcome) {
    case store::RotateOutcome::kRotated:
      return RefreshOutcome::kRotated;
    case store::RotateOutcome::kUnknown:
      return RefreshOutcome::kUnknown;
    case store::RotateOutcome::kExpired:
      return RefreshOutcome::kExpired;
    case store::RotateOutcome::kRevoked:
      return RefreshOutcome::kRevoked;
    case store::RotateOutcome::kReused:
      return RefreshOutcome::kReuseDetected;
    case store::RotateOutcome::kGraceReplay:
      return RefreshOutcome::kGraceReplay;
  }
  return RefreshOutcome::kUnknown;
}
}  // namespace

std::string hash_refresh_token(std::string_view token) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(token.data()), token.size());
  std::string hex(2 * sizeof digest + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), digest, sizeof digest);
  hex.pop_back();
  return hex;
}

bool looks_like_refresh_token(std::string_view token) {
  if (token.size() != kRefreshTokenChars) return false;
  for (unsigned char c : token) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

SessionService::SessionService(store::Store& store, const TokenService& tokens,
                               const TokenSealer& sealer, const AuditTrail& audit,
                               const Clock& clock, Random& random, SessionSettings settings,
                               AuthMetrics metrics)
    : store_(store),
      tokens_(tokens),
      sealer_(sealer),
      audit_(audit),
      clock_(clock),
      random_(random),
      settings_(settings),
      metrics_(std::move(metrics)) {}

Result<IssuedTokens> SessionService::start(const store::User& user, const ClientInfo& client) {
  const SysTime now = clock_.now();
  IssuedTokens out;
  out.refresh_token = random_token(random_, kRefreshTokenBytes);

  store::NewSession row;
  row.id = random_token(random_, kSessionIdBytes);
  row.user_id = user.id;
  row.refresh_hash = hash_refresh_token(out.refresh_token);
  row.now = now;
  row.expires_at = now + settings_.session_lifetime;
  row.refresh_expires_at = std::min(now + settings_.refresh_ttl, row.expires_at);
  row.user_agent = std::string(client.user_agent.substr(0, 512));
  row.ip = std::string(client.ip.substr(0, 64));
  row.refresh_sealed = sealer_.seal(out.refresh_token);
  store::AuditEvent login = audit_.event(AuditEventType::kLogin, client, user.id);
  login.session_id = row.id;
  login.email = user.email;
  row.events.push_back(std::move(login));
  if (auto st = store_.create_session(row); !st) return std::move(st).error();

  out.access_token = tokens_.issue_access(user.id, row.id, user.role);
  out.session = store::Session{row.id,       user.id,        now,   now, row.expires_at,
                               std::nullopt, row.user_agent, row.ip};
  out.user = user;
  return out;
}

Result<IssuedTokens> SessionService::refresh(std::string_view refresh_token,
                                             const ClientInfo& client) {
  if (!looks_like_refresh_token(refresh_token)) {
    metrics_.refresh(RefreshOutcome::kUnknown);
    return Error{ErrorCode::kRefreshInvalid, "refresh token has the wrong shape"};
  }
  const SysTime now = clock_.now();
  IssuedTokens out;
  out.refresh_token = random_token(random_, kRefreshTokenBytes);

  store::RotateRequest request;
  request.presented_hash = hash_refresh_token(refresh_token);
  request.new_hash = hash_refresh_token(out.refresh_token);
  request.new_expires_at = now + settings_.refresh_ttl;
  request.now = now;
  request.new_sealed = sealer_.seal(out.refresh_token);
  request.grace = settings_.reuse_grace;
  request.reuse_events.push_back(audit_.event(AuditEventType::kRefreshReuseDetected, client));
  auto rotated = store_.rotate_refresh_token(request, decide_rotation);
  if (!rotated) return std::move(rotated).error();
  const RefreshOutcome outcome = refresh_outcome(rotated->outcome);
  metrics_.refresh(outcome);
  if (outcome == RefreshOutcome::kReuseDetected) {
    metrics_.sessions_revoked(RevokeReason::kReuseDetected);
  }
  if (rotated->outcome == store::RotateOutcome::kGraceReplay) {
    auto current = sealer_.open(rotated->current_sealed);
    if (!current) {
      // Sealed under another key (the JWT keys changed): refuse, but do not end the session.
      return Error{ErrorCode::kRefreshInvalid, "grace replay: current token cannot be unsealed"};
    }
    spdlog::debug(
        "refresh: a just-retired token within the grace interval; answered with the "
        "session's current tokens");
    out.refresh_token = std::move(*current);
    out.session = std::move(*rotated->session);
    out.user = std::move(*rotated->user);
    out.access_token = tokens_.issue_access(out.user.id, out.session.id, out.user.role);
    return out;
  }
  if (rotated->outcome != store::RotateOutcome::kRotated) {
    if (rotated->outcome == store::RotateOutcome::kReused && rotated->session) {
      // What an operator needs to follow it up: which login was hit, whose, and from where the
      // replay came compared with where the session began.
      const store::Session& s = *rotated->session;
      spdlog::warn(
          "refresh token reuse detected: session {} of user {} revoked (replayed from {}; the "
          "session began from {})",
          s.id, s.user_id, client.ip, s.ip);
    }
    return Error{ErrorCode::kRefreshInvalid, "refresh token " + std::string(name(outcome))};
  }
  out.session = std::move(*rotated->session);
  out.user = std::move(*rotated->user);
  // Disabling ends every session; this catches a login that raced with it.
  if (out.user.disabled()) return Error{ErrorCode::kAccountDisabled, "refresh: account disabled"};
  out.access_token = tokens_.issue_access(out.user.id, out.session.id, out.user.role);
  observability::log_principal(out.user.id, out.session.id);
  return out;
}

Result<std::size_t> SessionService::logout(std::int64_t user_id, std::string_view sid,
                                           LogoutScope scope, const ClientInfo& client) {
  store::AuditEvent event = audit_.event(AuditEventType::kLogout, client, user_id);
  event.session_id = std::string(sid);
  event.detail = std::string(name(scope));
  store::Revocation revocation{.now = event.at, .reason = {}, .events = {std::move(event)}};
  Result<std::size_t> ended = std::size_t{0};
  RevokeReason reason = RevokeReason::kLogout;
  switch (scope) {
    case LogoutScope::kSession:
      // The caller's session, live when its access token was just accepted.
      revocation.reason = name(reason);
      if (auto st = store_.revoke_session(sid, revocation); !st) {
        ended = std::move(st).error();
      } else {
        ended = std::size_t{1};
      }
      break;
    case LogoutScope::kOthers:
      reason = RevokeReason::kLogoutOthers;
      revocation.reason = name(reason);
      ended = store_.revoke_user_sessions(user_id, sid, revocation);
      break;
    case LogoutScope::kGlobal:
      reason = RevokeReason::kLogoutGlobal;
      revocation.reason = name(reason);
      ended = store_.revoke_user_sessions(user_id, {}, revocation);
      break;
  }
  if (ended) {
    metrics_.logout(scope);
    metrics_.sessions_revoked(reason, *ended);
  }
  return ended;
}

Result<bool> SessionService::end_user_session(std::int64_t user_id, std::string_view sid,
                                              const ClientInfo& client) {
  store::AuditEvent event = audit_.event(AuditEventType::kSessionRevoked, client, user_id);
  event.session_id = std::string(sid);
  event.detail = "ended_by_user";
  const store::Revocation revocation{
      .now = event.at, .reason = name(RevokeReason::kEndedByUser), .events = {std::move(event)}};
  auto ended = store_.revoke_user_session(user_id, sid, revocation);
  if (ended && *ended) metrics_.sessions_revoked(RevokeReason::kEndedByUser);
  return ended;
}

Result<std::optional<store::Session>> SessionService::session_of(std::string_view refresh_token) {
  if (!looks_like_refresh_token(refresh_token)) return std::optional<store::Session>{};
  return store_.find_session_by_refresh_hash(hash_refresh_token(refresh_token));
}

}  // namespace gatehouse::auth
