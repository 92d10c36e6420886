#pragma once

#include <cstdint>
#include <string>

namespace gatehouse::auth {

// The claims of an access token that Gatehouse relies on.
struct AccessClaims {
  std::int64_t user_id = 0;  // from `sub`, a decimal string as the tutorial writes it
  std::string sid;           // the server-side session; empty in tokens minted elsewhere
  std::string jti;
  std::int64_t iat = 0;
  std::int64_t exp = 0;
  std::int64_t nbf = 0;  // 0 when the token has none
};

}  // namespace gatehouse::auth
