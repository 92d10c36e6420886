#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "auth/jws.hpp"
#include "core/clock.hpp"
#include "core/random.hpp"
#include "core/result.hpp"

namespace gatehouse::auth {

// The claims of an access token that Gatehouse relies on.
struct AccessClaims {
  std::int64_t user_id = 0;  // from `sub`, a decimal string as the tutorial writes it
  std::string sid;           // the server-side session; empty in tokens minted elsewhere
  std::string jti;
  std::int64_t iat = 0;
  std::int64_t exp = 0;
};

// Issues and checks access JWTs with the claims fastapi-jwt-auth writes, so resource servers built
// on the tutorial keep accepting them:
//   header  {"typ":"JWT","alg":"RS256"}
//   payload {"sub":"7","iat":..,"nbf":..,"jti":"<uuid4>","exp":..,"type":"access",
//            "fresh":false,"sid":".."}
// Thread-safe.
class TokenService {
 public:
  TokenService(JwsSigner signer, JwsVerifier verifier, const Clock& clock, Random& random,
               std::chrono::seconds access_ttl);

  // Signs (RSA: ~250 us; call off the I/O threads).
  std::string issue_access(std::int64_t user_id, std::string_view sid) const;

  // kTokenInvalid (reason in `internal`) unless: the signature verifies with the pinned algorithm,
  // `type` is "access", `exp` is in the future and `nbf` is not, `sub` is a positive decimal
  // user id. A few seconds of leeway (kLeeway) absorb clock skew between servers.
  Result<AccessClaims> verify_access(std::string_view token) const;

  static constexpr std::chrono::seconds kLeeway{0};

 private:
  JwsSigner signer_;
  JwsVerifier verifier_;
  const Clock& clock_;
  Random& random_;
  std::chrono::seconds access_ttl_;
  std::string header_json_;  // {"typ":"JWT","alg":"<signer's algorithm>"}
};

// A random UUID version 4 in its canonical text form, as Python's str(uuid.uuid4()).
std::string uuid4(Random& random);

}  // namespace gatehouse::auth
