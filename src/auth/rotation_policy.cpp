#include "auth/rotation_policy.hpp"

namespace gatehouse::auth {

store::RotateOutcome decide_rotation(const std::optional<store::PresentedRefreshToken>& token,
                                     SysTime now, std::chrono::seconds grace) {
  using store::RotateOutcome;
  if (!token) return RotateOutcome::kUnknown;
  if (token->session.revoked_at) return RotateOutcome::kRevoked;
  const std::int64_t now_s = unix_seconds(now);
  const bool session_live = unix_seconds(token->session.expires_at) > now_s;
  if (token->retired_at) {
    const bool within_grace = now_s - unix_seconds(*token->retired_at) < grace.count();
    if (within_grace && session_live && token->replacement_current) {
      return RotateOutcome::kGraceReplay;
    }
    return RotateOutcome::kReused;
  }
  if (unix_seconds(token->expires_at) <= now_s || !session_live) return RotateOutcome::kExpired;
  return RotateOutcome::kRotated;
}

}  // namespace gatehouse::auth
