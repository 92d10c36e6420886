#include "auth/authenticator.hpp"

#include "observability/log_context.hpp"

namespace gatehouse::auth {

Authenticator::Authenticator(const TokenService& tokens, store::Store& store, const Clock& clock)
    : tokens_(tokens), store_(store), clock_(clock) {}

Result<Principal> Authenticator::authenticate(const http::Request& request) const {
  using Kind = http::ExtractedToken::Kind;
  const http::ExtractedToken token = http::extract_token(request, "access_token");
  if (token.kind == Kind::kMissing) return Error{ErrorCode::kNotLoggedIn, {}};
  if (token.kind == Kind::kMalformedHeader) {
    return Error{ErrorCode::kTokenInvalid, "malformed Authorization header"};
  }
  if (token.kind == Kind::kAmbiguousCookie) {
    return Error{ErrorCode::kTokenInvalid, "access_token cookie sent more than once"};
  }

  auto claims = tokens_.verify_access(token.token);
  if (!claims) return std::move(claims).error();
  if (claims->sid.empty()) {
    // Tokens minted before the move to Gatehouse carry no session and could not be revoked.
    return Error{ErrorCode::kTokenInvalid, "access token without a session id"};
  }

  auto found = store_.find_user_with_session(claims->user_id, claims->sid, clock_.now());
  if (!found) return std::move(found).error();
  if (!found->has_value()) return Error{ErrorCode::kUserGone, {}};
  if (!(*found)->session_live) return Error{ErrorCode::kTokenInvalid, "session ended"};
  if (!(*found)->user.verified) return Error{ErrorCode::kAccountNotVerified, {}};
  // Disabling ends every session; this catches a login that raced with it.
  if ((*found)->user.disabled()) return Error{ErrorCode::kAccountDisabled, "account disabled"};
  observability::log_principal((*found)->user.id, claims->sid);
  return Principal{std::move((*found)->user), std::move(*claims),
                   token.kind == http::ExtractedToken::Kind::kFromCookie,
                   (*found)->session_created_at.value_or(SysTime{})};
}

}  // namespace gatehouse::auth
