#include "keys/jwk.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <sodium.h>

#include <array>
#include <memory>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

namespace gatehouse::keys {
namespace {

Error jwk_error(std::string message) {
  return Error{ErrorCode::kInternal, std::move(message)};
}

struct BnFree {
  void operator()(BIGNUM* bn) const { BN_free(bn); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;

// A big-endian unsigned integer parameter of `key`, left-padded with zeros to `width` bytes, or
// in its shortest form when `width` is 0 (RFC 7518 section 6.3.1: n and e have no leading zero).
std::optional<std::string> integer_param(const EVP_PKEY* key, const char* name, int width) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &raw) != 1 || raw == nullptr) {
    ERR_clear_error();  // no stale error for a later, unrelated OpenSSL call on this thread
    return std::nullopt;
  }
  const BnPtr bn(raw);
  const int size = width > 0 ? width : BN_num_bytes(bn.get());
  std::string out(static_cast<std::size_t>(size), '\0');
  auto* data = reinterpret_cast<unsigned char*>(out.data());
  if (BN_bn2binpad(bn.get(), data, size) != size) return std::nullopt;
  return out;
}

// The members RFC 7638 section 3.2 requires for each key type, in sorted order.
const std::vector<std::string_view>* required_members(std::string_view kty) {
  static const std::vector<std::string_view> rsa{"e", "kty", "n"};
  static const std::vector<std::string_view> ec{"crv", "kty", "x", "y"};
  static const std::vector<std::string_view> okp{"crv", "kty", "x"};
  if (kty == "RSA") return &rsa;
  if (kty == "EC") return &ec;
  if (kty == "OKP") return &okp;
  return nullptr;
}

}  // namespace

Result<std::string> jwk_thumbprint(const boost::json::object& jwk) {
  const boost::json::value* kty = jwk.if_contains("kty");
  if (kty == nullptr || !kty->is_string()) return jwk_error("JWK has no string \"kty\"");
  const auto* members = required_members(kty->get_string());
  if (members == nullptr) {
    return jwk_error("JWK kty " + boost::json::serialize(*kty) + " is not RSA, EC or OKP");
  }
  // The values are base64url or fixed names: serialize() writes them without escapes, and a
  // hand-built object keeps the order we insert in.
  boost::json::object canonical;
  for (const std::string_view name : *members) {
    const boost::json::value* value = jwk.if_contains(name);
    if (value == nullptr || !value->is_string()) {
      return jwk_error("JWK has no string \"" + std::string(name) + "\"");
    }
    canonical.emplace(name, *value);
  }
  const std::string text = boost::json::serialize(canonical);
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(text.data()),
                     text.size());
  return auth::base64url_encode(
      std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

Result<boost::json::object> public_jwk(auth::JwsAlgorithm alg, const EVP_PKEY* key) {
  if (key == nullptr) return jwk_error("no key");
  boost::json::object jwk;
  switch (alg) {
    case auth::JwsAlgorithm::kRS256:
    case auth::JwsAlgorithm::kRS384:
    case auth::JwsAlgorithm::kRS512: {
      if (EVP_PKEY_is_a(key, "RSA") != 1) return jwk_error("not an RSA key");
      const auto n = integer_param(key, OSSL_PKEY_PARAM_RSA_N, 0);
      const auto e = integer_param(key, OSSL_PKEY_PARAM_RSA_E, 0);
      if (!n || !e) return jwk_error("cannot read the RSA key's modulus and exponent");
      jwk.emplace("kty", "RSA");
      jwk.emplace("n", auth::base64url_encode(*n));
      jwk.emplace("e", auth::base64url_encode(*e));
      break;
    }
    case auth::JwsAlgorithm::kES256: {
      if (EVP_PKEY_is_a(key, "EC") != 1) return jwk_error("not an EC key");
      // P-256 coordinates are 32 bytes each, zero-padded (RFC 7518 section 6.2.1.2).
      const auto x = integer_param(key, OSSL_PKEY_PARAM_EC_PUB_X, 32);
      const auto y = integer_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, 32);
      if (!x || !y) return jwk_error("cannot read the EC key's point");
      jwk.emplace("kty", "EC");
      jwk.emplace("crv", "P-256");
      jwk.emplace("x", auth::base64url_encode(*x));
      jwk.emplace("y", auth::base64url_encode(*y));
      break;
    }
    case auth::JwsAlgorithm::kEdDSA: {
      if (EVP_PKEY_is_a(key, "ED25519") != 1) return jwk_error("not an Ed25519 key");
      std::array<unsigned char, 32> raw{};
      std::size_t len = raw.size();
      if (EVP_PKEY_get_raw_public_key(key, raw.data(), &len) != 1 || len != raw.size()) {
        ERR_clear_error();
        return jwk_error("cannot read the Ed25519 public key");
      }
      jwk.emplace("kty", "OKP");
      jwk.emplace("crv", "Ed25519");
      jwk.emplace("x", auth::base64url_encode(
                           std::string_view(reinterpret_cast<const char*>(raw.data()), len)));
      break;
    }
  }
  auto kid = jwk_thumbprint(jwk);
  if (!kid) return std::move(kid).error();
  jwk.emplace("use", "sig");
  jwk.emplace("alg", auth::algorithm_name(alg));
  jwk.emplace("kid", std::move(*kid));
  return jwk;
}

}  // namespace gatehouse::keys
