#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "auth/access_claims.hpp"
#include "auth/jws.hpp"
#include "auth/verified_token_cache.hpp"
#include "core/clock.hpp"
#include "core/random.hpp"
#include "core/result.hpp"
#include "keys/key_set.hpp"

namespace gatehouse::auth {

// JWT_ISSUER and JWT_AUDIENCE: written into access tokens and required of them when set.
struct TokenAudience {
  std::string issuer;    // "iss"; empty: none written, none required
  std::string audience;  // "aud"; empty: none written, none required
};

// Issues and checks access JWTs with the claims fastapi-jwt-auth writes, so resource servers built
// on the tutorial keep accepting them:
//   header  {"typ":"JWT","alg":"RS256","kid":"<RFC 7638 thumbprint of the signing key>"}
//   payload {"sub":"7","iat":..,"nbf":..,"jti":"<uuid4>","exp":..,"type":"access",
//            "fresh":false,"sid":"..","role":"user","iss":..,"aud":..}   (iss and aud when set)
// Signs with the KeyRing's current signing key and verifies with whichever published key the
// token's kid names. Thread-safe.
class TokenService {
 public:
  // Verified tokens kept: ~1 KiB each, so a few MiB at most.
  static constexpr std::size_t kVerifiedCacheCapacity = 4096;

  // `verified_cache_capacity` 0 turns the verified-token cache off (VERIFIED_TOKEN_CACHE_SIZE=0:
  // every request pays a full check).
  TokenService(const keys::KeyRing& keys, const Clock& clock, Random& random,
               std::chrono::seconds access_ttl,
               std::size_t verified_cache_capacity = kVerifiedCacheCapacity,
               std::chrono::seconds leeway = kDefaultLeeway, TokenAudience audience = {});

  // Signs (RSA: ~250 us; call off the I/O threads). `role` empty: no role claim.
  std::string issue_access(std::int64_t user_id, std::string_view sid,
                           std::string_view role = {}) const;

  // kTokenInvalid (reason in `internal`) unless: the signature verifies with the pinned algorithm
  // of the key the kid names (no kid: the signing key), `iss` and `aud` are the configured ones
  // when configured, `type` is "access", `exp` is in the future and `nbf` is not, `sub` is a
  // positive decimal user id. A few seconds of leeway (CLOCK_LEEWAY_SECONDS) absorb clock skew
  // between nodes: a token signed on a node whose clock is ahead is not refused as "not yet valid"
  // elsewhere. A token that passed before is answered from a VerifiedTokenCache (exp and nbf
  // checked again).
  Result<AccessClaims> verify_access(std::string_view token) const;

  static constexpr std::chrono::seconds kDefaultLeeway{5};

  // The verified-token cache's hits and misses (every miss paid a full signature check).
  VerifiedTokenCache::Stats cache_stats() const { return verified_->stats(); }

 private:
  const keys::KeyRing& keys_;
  const Clock& clock_;
  Random& random_;
  std::chrono::seconds access_ttl_;
  std::chrono::seconds leeway_;
  TokenAudience audience_;
  // Behind a pointer: the cache holds mutexes, and TokenService moves into the app's wiring.
  std::unique_ptr<VerifiedTokenCache> verified_;
};

// A random UUID version 4 in its canonical text form, as Python's str(uuid.uuid4()).
std::string uuid4(Random& random);

}  // namespace gatehouse::auth
