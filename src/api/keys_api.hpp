#pragma once

#include <chrono>

#include "http/router.hpp"
#include "keys/key_set.hpp"

namespace gatehouse::api {

// GET /.well-known/jwks.json: the public keys a resource server needs to check access tokens
// (the signing key, keys whose tokens may still be live, the next key), as an RFC 7517 JWK Set,
// cacheable for JWKS_MAX_AGE_SECONDS. Answered on the I/O thread: it copies a string.
class KeysApi final {
 public:
  KeysApi(const keys::KeyRing& keys, std::chrono::seconds max_age);
  void add_routes(http::Router& router) const;

 private:
  const keys::KeyRing& keys_;
  std::string cache_control_;
};

}  // namespace gatehouse::api
