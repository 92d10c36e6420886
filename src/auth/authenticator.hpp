#pragma once

#include "auth/token_service.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "http/request.hpp"
#include "store/store.hpp"

namespace gatehouse::auth {

// Who is calling: the user behind a valid access token of a live session.
struct Principal {
  store::User user;
  AccessClaims claims;
  bool via_cookie = false;     // the token came from the access_token cookie (CSRF rules apply)
  SysTime session_created_at;  // when the session's password was entered (admin freshness)
};

// The `require_user` of the tutorial, made revocation-aware: the access token from the
// Authorization header or the `access_token` cookie, its signature and claims, then one database
// round trip for the user and the liveness of the token's session. Outcomes, in the tutorial's
// words: kNotLoggedIn (no token), kTokenInvalid (bad, expired, revoked or not an access token),
// kUserGone, kAccountNotVerified; then kAccountDisabled (an admin disabled the account), and
// kUnavailable when the database cannot be reached.
// Blocking: call from a worker thread. Thread-safe.
class Authenticator {
 public:
  Authenticator(const TokenService& tokens, store::Store& store, const Clock& clock);

  Result<Principal> authenticate(const http::Request& request) const;

 private:
  const TokenService& tokens_;
  store::Store& store_;
  const Clock& clock_;
};

}  // namespace gatehouse::auth
