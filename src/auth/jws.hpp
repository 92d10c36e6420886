#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

// OpenSSL's key and digest-context types, kept out of this header's users.
typedef struct evp_pkey_st EVP_PKEY;
typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace gatehouse::auth {

// Algorithms Gatehouse signs and verifies with. The one in use is pinned by configuration
// (JWT_ALGORITHM); the `alg` a token claims is compared against it and never chosen from.
enum class JwsAlgorithm { kRS256, kRS384, kRS512, kES256, kEdDSA };

// "RS256" -> kRS256 ...; kInternal with a message listing the supported names otherwise.
// Exact, case-sensitive names: "none" and "HS256" are refused.
Result<JwsAlgorithm> parse_algorithm(std::string_view name);
std::string_view algorithm_name(JwsAlgorithm alg);

struct EvpPkeyDeleter {
  void operator()(EVP_PKEY* key) const;
};
using PkeyPtr = std::shared_ptr<EVP_PKEY>;  // shared: signer and verifier may hold the same key

// A validated private/public key pair for one algorithm, parsed once at start-up.
struct KeyPair {
  JwsAlgorithm algorithm = JwsAlgorithm::kRS256;
  PkeyPtr private_key;
  PkeyPtr public_key;
  int bits = 0;  // RSA modulus size (0 for EC/Ed25519)
};

// Parses PEM text (PKCS#1 "BEGIN RSA PRIVATE KEY" as in the tutorial, or PKCS#8 "BEGIN PRIVATE
// KEY"; public: "BEGIN PUBLIC KEY" or "BEGIN RSA PUBLIC KEY") and checks, in this order, that each
// parses, that the key type fits the algorithm, that an RSA key has at least 2048 bits, and that
// the two keys match. Each error is one line naming JWT_PRIVATE_KEY or JWT_PUBLIC_KEY and the fix
// (for a short key: "generate a proper pair with `gatehouse keys generate`").
Result<KeyPair> load_key_pair(JwsAlgorithm alg, std::string_view private_pem,
                              std::string_view public_pem);

// A public key that verifies only, and the algorithm it verifies: `preferred` when the key fits
// it, else the one its type signs with (RSA: RS256, EC P-256: ES256, Ed25519: EdDSA), so a key
// of the algorithm used before a change of JWT_ALGORITHM still verifies. Errors name `name` (e.g.
// "JWT_PREVIOUS_PUBLIC_KEYS item 2") and are one line; RSA keys under 2048 bits are refused.
struct PublicKey {
  JwsAlgorithm algorithm = JwsAlgorithm::kRS256;
  PkeyPtr key;
};
Result<PublicKey> load_public_key(JwsAlgorithm preferred, std::string_view pem,
                                  const std::string& name);

// A fresh key pair for `alg` as PEM text: RSA private key in PKCS#1 (the tutorial's format) and the
// public key in SubjectPublicKeyInfo ("BEGIN PUBLIC KEY"). `rsa_bits` must be 2048, 3072 or 4096.
struct PemPair {
  std::string private_pem;
  std::string public_pem;
};
Result<PemPair> generate_key_pair(JwsAlgorithm alg, int rsa_bits = 2048);
// A loaded pair as PEM text, in the formats generate_key_pair writes.
Result<PemPair> pem_pair_of(const KeyPair& keys);

// Signs compact JWS. Thread-safe; RSA signing costs ~250 us, so call it off the I/O threads.
// Copies share one read-only prepared context.
class JwsSigner {
 public:
  // Throws std::invalid_argument if `private_key` is null or does not fit `alg` (load_key_pair
  // has checked both, so this is a bug, not a configuration error).
  JwsSigner(JwsAlgorithm alg, PkeyPtr private_key);
  JwsAlgorithm algorithm() const { return alg_; }
  // `header_json` and `payload_json` are serialized JSON; returns header.payload.signature.
  // Throws std::runtime_error only if OpenSSL fails (out of memory).
  std::string sign(std::string_view header_json, std::string_view payload_json) const;

 private:
  JwsAlgorithm alg_;
  PkeyPtr key_;
  // Initialised once with EVP_DigestSignInit; each call signs on a copy (EVP_MD_CTX_copy_ex),
  // which skips the per-call algorithm fetch and never writes to this one.
  std::shared_ptr<const EVP_MD_CTX> prototype_;
  std::size_t max_signature_bytes_ = 0;
};

// A compact JWS taken apart and decoded, its signature not yet checked: the size limit, three
// parts, canonical base64url, a header that is a JSON object with a string `alg`, a string `kid`
// if any, and no `crit`. `signing_input` points into the token it was decoded from.
struct DecodedJws {
  std::string_view signing_input;  // header.payload, as signed
  std::string alg;
  std::optional<std::string> kid;
  std::string payload;
  std::string signature;
};
// kTokenInvalid (reason in `internal`) when any of the above does not hold.
Result<DecodedJws> decode_jws(std::string_view compact);

// Verifies compact JWS with one pinned algorithm and key. Thread-safe; copies share one
// read-only prepared context.
class JwsVerifier {
 public:
  // Throws std::invalid_argument if `public_key` is null or does not fit `alg`.
  JwsVerifier(JwsAlgorithm alg, PkeyPtr public_key);
  // Returns the decoded payload JSON text. kTokenInvalid (with the reason in `internal`) for: a
  // token over kMaxTokenBytes, not three parts, an empty signature, bad base64url (padding or
  // non-canonical bits included), a header that is not a JSON object, whose `alg` is not exactly
  // the pinned name or that carries `crit`, a bad signature, a payload that is not a JSON object.
  // The `alg` check runs before any cryptography.
  Result<std::string> verify(std::string_view compact) const;
  // The same for a token decode_jws has taken apart (a key set picks the verifier by its kid).
  Result<std::string> verify(DecodedJws decoded) const;
  JwsAlgorithm algorithm() const { return alg_; }
  const PkeyPtr& key() const { return key_; }

  static constexpr std::size_t kMaxTokenBytes = 8192;

 private:
  JwsAlgorithm alg_;
  PkeyPtr key_;
  std::shared_ptr<const EVP_MD_CTX> prototype_;  // as in JwsSigner, from EVP_DigestVerifyInit
};

// base64url without padding (RFC 7515 section 2); decoding refuses padding, other alphabets and
// non-canonical trailing bits.
std::string base64url_encode(std::string_view bytes);
Result<std::string> base64url_decode(std::string_view text);
// Standard base64 with padding, as the tutorial's .env carries PEM keys. Whitespace is ignored.
Result<std::string> base64_decode(std::string_view text);
std::string base64_encode(std::string_view bytes);

}  // namespace gatehouse::auth
