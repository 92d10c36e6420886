#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/audit_trail.hpp"
#include "auth/auth_metrics.hpp"
#include "auth/token_sealer.hpp"
#include "auth/token_service.hpp"
#include "core/clock.hpp"
#include "core/random.hpp"
#include "core/result.hpp"
#include "store/store.hpp"

namespace gatehouse::auth {

struct SessionSettings {
  std::chrono::seconds refresh_ttl{60 * 60};             // REFRESH_TOKEN_EXPIRES_IN
  std::chrono::seconds session_lifetime{7 * 24 * 3600};  // SESSION_LIFETIME_MINUTES
  std::chrono::seconds reuse_grace{5};                   // REFRESH_REUSE_GRACE_SECONDS
};

// The tokens handed to a client at login or refresh.
struct IssuedTokens {
  std::string access_token;   // JWT with `sid`
  std::string refresh_token;  // opaque, 256 random bits; only its hash is stored
  store::Session session;
  store::User user;
};

// Server-side sessions: login starts one, refresh rotates its refresh token, logout ends it.
// A retired refresh token presented again ends the whole session (it was stolen or replayed),
// except within `reuse_grace` of its retirement while its replacement is still current: then it is
// a concurrent refresh (two tabs, a lost response) and gets the session's current tokens, so the
// session neither forks nor ends. Refreshes are counted by outcome, logouts by scope and ended
// sessions by reason (AuthMetrics); each is recorded in the audit trail in the transaction that
// makes it (AuditTrail). Blocking (database, RSA signing): call from a worker thread.
// Thread-safe.
class SessionService {
 public:
  SessionService(store::Store& store, const TokenService& tokens, const TokenSealer& sealer,
                 const AuditTrail& audit, const Clock& clock, Random& random,
                 SessionSettings settings, AuthMetrics metrics = {});

  // A new session for `user` (a login: recorded in the audit trail with it).
  Result<IssuedTokens> start(const store::User& user, const ClientInfo& client);
  // kRefreshInvalid for every refused token (unknown, expired, revoked, reused; the log says
  // which). A detected reuse is recorded with `client`, where the replay came from.
  Result<IssuedTokens> refresh(std::string_view refresh_token, const ClientInfo& client);
  // Logout of user `user_id` from session `sid`: ends that session (kSession), every other one
  // (kOthers) or all of them (kGlobal); how many were live and ended.
  Result<std::size_t> logout(std::int64_t user_id, std::string_view sid, LogoutScope scope,
                             const ClientInfo& client);
  // The user's live sessions, newest first.
  Result<std::vector<store::Session>> list(std::int64_t user_id) {
    return store_.list_sessions(user_id, clock_.now());
  }
  // Ends one live session of the user (a device signed out from another); false when `sid` is not
  // a live session of that user.
  Result<bool> end_user_session(std::int64_t user_id, std::string_view sid,
                                const ClientInfo& client);
  // The session a refresh token belongs to, if any (logout by refresh cookie).
  Result<std::optional<store::Session>> session_of(std::string_view refresh_token);

 private:
  store::Store& store_;
  const TokenService& tokens_;
  const TokenSealer& sealer_;
  const AuditTrail& audit_;
  const Clock& clock_;
  Random& random_;
  SessionSettings settings_;
  AuthMetrics metrics_;
};

// SHA-256 of a refresh token, lower-case hex: what the database stores instead of the token.
std::string hash_refresh_token(std::string_view token);

// True when `token` has the shape of a Gatehouse refresh token (43 base64url characters); lets the
// server refuse junk without a database round trip.
bool looks_like_refresh_token(std::string_view token);

}  // namespace gatehouse::auth
