#pragma once

#include <cstdint>
#include <string>

namespace gatehouse::auth {

// The claims of an access token that Gatehouse relies on.
struct AccessClaims {
  std::int64_t user_id = 0;  // from `sub`, a decimal string as the tutorial writes it
  std::string sid;           // the server-side session; empty in tokens minted elsewhere
  std::string jti;
  std::string role;  // the account's role when the token was issued ("user", "admin"); empty in
                     // tokens without one. Informational for resource servers: Gatehouse itself
                     // authorizes on the role it reads from the database with the session.
  std::int64_t iat = 0;
  std::int64_t exp = 0;
  std::int64_t nbf = 0;  // 0 when the token has none
};

}  // namespace gatehouse::auth
