#pragma once

#include <string>

#include <boost/json/object.hpp>

#include "auth/jws.hpp"
#include "core/result.hpp"

namespace gatehouse::keys {

// RFC 7638 thumbprint of a JWK: base64url(SHA-256) of the key's required members (RSA: e, kty,
// n; EC: crv, kty, x, y; OKP: crv, kty, x) as JSON with sorted names and no whitespace. Members
// other than those are ignored, so a published JWK (with kid, alg, use) has the same thumbprint.
// kInternal when `jwk` lacks a required member or has a kty other than RSA, EC or OKP.
Result<std::string> jwk_thumbprint(const boost::json::object& jwk);

// The public JWK (RFC 7517) of `key` for `alg`: kty, use "sig", alg, kid (its thumbprint) and
// RSA n/e, EC P-256 crv/x/y or Ed25519 (RFC 8037 OKP) crv/x, base64url without padding; never a
// private member, whatever `key` holds. kInternal when the key does not fit `alg`.
Result<boost::json::object> public_jwk(auth::JwsAlgorithm alg, const EVP_PKEY* key);

}  // namespace gatehouse::keys
