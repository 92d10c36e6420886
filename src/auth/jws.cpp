#include "auth/jws.hpp"

#include <array>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/decoder.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <boost/json.hpp>

namespace gatehouse::auth {
namespace {

constexpr std::string_view kGenerateHint =
    "Generate a proper pair with `gatehouse keys generate` and put its two lines in .env";
constexpr int kMinRsaBits = 2048;
constexpr std::size_t kEs256RawBytes = 64;  // r || s, 32 bytes each (RFC 7518 section 3.4)
constexpr std::size_t kEd25519Bytes = 64;

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
struct DecoderCtxFree {
  void operator()(OSSL_DECODER_CTX* ctx) const { OSSL_DECODER_CTX_free(ctx); }
};
struct EcdsaSigFree {
  void operator()(ECDSA_SIG* sig) const { ECDSA_SIG_free(sig); }
};
struct BnFree {
  void operator()(BIGNUM* bn) const { BN_free(bn); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;

Error invalid(std::string reason) {
  return Error{ErrorCode::kTokenInvalid, std::move(reason)};
}
Error config_error(std::string message) {
  return Error{ErrorCode::kInternal, std::move(message)};
}

// Drains this thread's OpenSSL error queue into one short line. Every failure path calls it (or
// ERR_clear_error), so a stale error never surfaces in an unrelated later call on this thread.
std::string take_openssl_errors() {
  std::string out;
  while (const unsigned long code = ERR_get_error()) {
    const char* reason = ERR_reason_error_string(code);
    const std::string item = reason != nullptr ? reason : "error " + std::to_string(code);
    if (out.find(item) != std::string::npos) continue;
    if (!out.empty()) out += ", ";
    out += item;
  }
  ERR_clear_error();
  return out.empty() ? "no detail from OpenSSL" : out;
}

bool is_rsa(JwsAlgorithm alg) {
  return alg == JwsAlgorithm::kRS256 || alg == JwsAlgorithm::kRS384 || alg == JwsAlgorithm::kRS512;
}

// The digest EVP_DigestSign/Verify apply; Ed25519 hashes internally and takes none.
const char* digest_name(JwsAlgorithm alg) {
  switch (alg) {
    case JwsAlgorithm::kRS256:
    case JwsAlgorithm::kES256:
      return "SHA256";
    case JwsAlgorithm::kRS384:
      return "SHA384";
    case JwsAlgorithm::kRS512:
      return "SHA512";
    case JwsAlgorithm::kEdDSA:
      return nullptr;
  }
  return nullptr;
}

std::string group_name(const EVP_PKEY* key) {
  std::array<char, 80> name{};
  std::size_t len = 0;
  if (EVP_PKEY_get_group_name(key, name.data(), name.size(), &len) != 1) {
    ERR_clear_error();
    return {};
  }
  return std::string(name.data(), len);
}

bool key_fits(JwsAlgorithm alg, const EVP_PKEY* key) {
  switch (alg) {
    case JwsAlgorithm::kRS256:
    case JwsAlgorithm::kRS384:
    case JwsAlgorithm::kRS512:
      return EVP_PKEY_is_a(key, "RSA") == 1;  // not RSA-PSS: its keys refuse PKCS#1 v1.5
    case JwsAlgorithm::kES256: {
      if (EVP_PKEY_is_a(key, "EC") != 1) return false;
      const std::string group = group_name(key);
      return OBJ_txt2nid(group.c_str()) == NID_X9_62_prime256v1 ||
             EC_curve_nist2nid(group.c_str()) == NID_X9_62_prime256v1;
    }
    case JwsAlgorithm::kEdDSA:
      return EVP_PKEY_is_a(key, "ED25519") == 1;
  }
  return false;
}

std::string describe_key(const EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "RSA") == 1) return "an RSA key";
  if (EVP_PKEY_is_a(key, "EC") == 1) {
    const std::string group = group_name(key);
    return group.empty() ? "an EC key" : "an EC key on curve " + group;
  }
  const char* type = EVP_PKEY_get0_type_name(key);
  return std::string("a ") + (type != nullptr ? type : "unknown") + " key";
}

std::string_view needed_key(JwsAlgorithm alg) {
  switch (alg) {
    case JwsAlgorithm::kRS256:
    case JwsAlgorithm::kRS384:
    case JwsAlgorithm::kRS512:
      return "an RSA key";
    case JwsAlgorithm::kES256:
      return "an EC key on curve P-256 (prime256v1)";
    case JwsAlgorithm::kEdDSA:
      return "an Ed25519 key";
  }
  return "another key";
}

void require_fitting_key(JwsAlgorithm alg, const PkeyPtr& key) {
  if (!key) throw std::invalid_argument("JWS: null key");
  if (!key_fits(alg, key.get())) {
    throw std::invalid_argument("JWS: " + describe_key(key.get()) + " cannot be used for " +
                                std::string(algorithm_name(alg)));
  }
}

// An EVP_MD_CTX initialised once for signing or verifying with `key`. Per call we copy it rather
// than run EVP_DigestSignInit again: that skips fetching the algorithm and digest (which takes
// locks shared by all threads) and is 1-18 % faster (STACK.md (c).3). The prototype itself is
// only ever read, which is what makes sharing it between threads safe.
std::shared_ptr<const EVP_MD_CTX> make_prototype(JwsAlgorithm alg, EVP_PKEY* key,
                                                 bool for_signing) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) throw std::runtime_error("EVP_MD_CTX_new failed");
  EVP_PKEY_CTX* pkey_ctx = nullptr;
  const int rc = for_signing ? EVP_DigestSignInit_ex(ctx.get(), &pkey_ctx, digest_name(alg),
                                                     nullptr, nullptr, key, nullptr)
                             : EVP_DigestVerifyInit_ex(ctx.get(), &pkey_ctx, digest_name(alg),
                                                       nullptr, nullptr, key, nullptr);
  if (rc != 1) throw std::runtime_error("EVP_Digest*Init_ex failed: " + take_openssl_errors());
  // PKCS#1 v1.5 is OpenSSL's default for RSA; set it anyway, RS256 means exactly this padding.
  if (is_rsa(alg) && EVP_PKEY_CTX_set_rsa_padding(pkey_ctx, RSA_PKCS1_PADDING) != 1) {
    throw std::runtime_error("EVP_PKEY_CTX_set_rsa_padding failed: " + take_openssl_errors());
  }
  return {ctx.release(), [](const EVP_MD_CTX* c) { EVP_MD_CTX_free(const_cast<EVP_MD_CTX*>(c)); }};
}

// A private working copy of `prototype`, good for one signature or verification.
MdCtxPtr copy_context(const EVP_MD_CTX* prototype) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_MD_CTX_copy_ex(ctx.get(), prototype) != 1) {
    throw std::runtime_error("EVP_MD_CTX_copy_ex failed: " + take_openssl_errors());
  }
  // Without FINALISE, EVP_DigestSignFinal/VerifyFinal duplicate the context once more so that it
  // could be finalised again; this copy is used once.
  EVP_MD_CTX_set_flags(ctx.get(), EVP_MD_CTX_FLAG_FINALISE);
  return ctx;
}

// ECDSA signatures: OpenSSL speaks DER (SEQUENCE of two INTEGERs), JWS the fixed 64-byte r || s.
bool es256_der_to_raw(const unsigned char* der, std::size_t der_len, unsigned char* raw) {
  const unsigned char* p = der;
  std::unique_ptr<ECDSA_SIG, EcdsaSigFree> sig(
      d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der_len)));
  if (!sig) return false;
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  return BN_bn2binpad(r, raw, 32) == 32 && BN_bn2binpad(s, raw + 32, 32) == 32;
}

// Returns the DER length written to `der` (at most 72 bytes), or 0 on failure.
std::size_t es256_raw_to_der(const unsigned char* raw, std::array<unsigned char, 80>& der) {
  BnPtr r(BN_bin2bn(raw, 32, nullptr));
  BnPtr s(BN_bin2bn(raw + 32, 32, nullptr));
  std::unique_ptr<ECDSA_SIG, EcdsaSigFree> sig(ECDSA_SIG_new());
  if (!r || !s || !sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return 0;
  r.release();  // owned by `sig` now
  s.release();
  if (i2d_ECDSA_SIG(sig.get(), nullptr) > static_cast<int>(der.size())) return 0;
  unsigned char* out = der.data();
  const int len = i2d_ECDSA_SIG(sig.get(), &out);
  return len > 0 ? static_cast<std::size_t>(len) : 0;
}

// The label of the first PEM block ("RSA PRIVATE KEY", "PUBLIC KEY" ...), empty if none.
std::string_view pem_label(std::string_view pem) {
  constexpr std::string_view kBegin = "-----BEGIN ";
  const auto at = pem.find(kBegin);
  if (at == std::string_view::npos) return {};
  const auto start = at + kBegin.size();
  const auto end = pem.find("-----", start);
  if (end == std::string_view::npos) return {};
  return pem.substr(start, end - start);
}

// Never prompts: an encrypted key is a configuration error, not a reason to read the terminal.
int refuse_passphrase(char* /*pass*/, std::size_t /*size*/, std::size_t* /*len*/,
                      const OSSL_PARAM* /*params*/, void* /*arg*/) {
  return 0;
}

// Decodes the first PEM block of `pem` into a key that has at least `selection`'s parts.
// On failure returns null and puts OpenSSL's reason in `error`.
PkeyPtr decode_pem_key(std::string_view pem, int selection, std::string& error) {
  EVP_PKEY* raw = nullptr;
  std::unique_ptr<OSSL_DECODER_CTX, DecoderCtxFree> ctx(
      OSSL_DECODER_CTX_new_for_pkey(&raw, "PEM", nullptr, nullptr, selection, nullptr, nullptr));
  if (!ctx || OSSL_DECODER_CTX_set_passphrase_cb(ctx.get(), refuse_passphrase, nullptr) != 1) {
    error = take_openssl_errors();
    return nullptr;
  }
  const auto* data = reinterpret_cast<const unsigned char*>(pem.data());
  std::size_t len = pem.size();
  if (OSSL_DECODER_from_data(ctx.get(), &data, &len) != 1 || raw == nullptr) {
    error = take_openssl_errors();
    EVP_PKEY_free(raw);
    return nullptr;
  }
  ERR_clear_error();  // decoders that were tried and did not fit may have left entries
  return PkeyPtr(raw, EvpPkeyDeleter{});
}

Result<PkeyPtr> load_private_key(std::string_view pem, const std::string& name) {
  const std::string_view label = pem_label(pem);
  if (label.empty()) {
    return config_error(name +
                        " is not a PEM private key (no \"-----BEGIN ...-----\" line; the .env "
                        "value must be the base64 of a PEM file). " +
                        std::string(kGenerateHint));
  }
  if (label == "ENCRYPTED PRIVATE KEY" || pem.find("Proc-Type: 4,ENCRYPTED") != pem.npos) {
    return config_error(name +
                        " is encrypted with a passphrase, which Gatehouse cannot use. Export it "
                        "without one (openssl pkey -in key.pem -out plain.pem) or " +
                        std::string(kGenerateHint));
  }
  if (!label.ends_with("PRIVATE KEY")) {
    return config_error(name + " is not a PEM private key (it holds a \"" + std::string(label) +
                        "\" block; are JWT_PRIVATE_KEY and JWT_PUBLIC_KEY swapped?). " +
                        std::string(kGenerateHint));
  }
  std::string error;
  PkeyPtr key = decode_pem_key(pem, EVP_PKEY_KEYPAIR, error);
  if (!key) {
    return config_error(name + " is not a PEM private key (" + error + "). " +
                        std::string(kGenerateHint));
  }
  return key;
}

Result<PkeyPtr> load_public_key(std::string_view pem, const std::string& name) {
  const std::string_view label = pem_label(pem);
  if (label.empty()) {
    return config_error(name +
                        " is not a PEM public key (no \"-----BEGIN ...-----\" line; the .env value "
                        "must be the base64 of a PEM file). " +
                        std::string(kGenerateHint));
  }
  if (label.find("PRIVATE KEY") != std::string_view::npos) {
    return config_error(name + " holds a private key (\"" + std::string(label) +
                        "\"); put only the public half (\"BEGIN PUBLIC KEY\") there. " +
                        std::string(kGenerateHint));
  }
  if (label != "PUBLIC KEY" && label != "RSA PUBLIC KEY") {
    return config_error(name + " is not a PEM public key (it holds a \"" + std::string(label) +
                        "\" block; expected \"BEGIN PUBLIC KEY\" or \"BEGIN RSA PUBLIC KEY\"). " +
                        std::string(kGenerateHint));
  }
  std::string error;
  PkeyPtr key = decode_pem_key(pem, EVP_PKEY_PUBLIC_KEY, error);
  if (!key) {
    return config_error(name + " is not a PEM public key (" + error + "). " +
                        std::string(kGenerateHint));
  }
  return key;
}

Result<std::string> bio_contents(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  if (len <= 0 || data == nullptr) return config_error("empty PEM output");
  return std::string(data, static_cast<std::size_t>(len));
}

}  // namespace

void EvpPkeyDeleter::operator()(EVP_PKEY* key) const {
  EVP_PKEY_free(key);
}

Result<JwsAlgorithm> parse_algorithm(std::string_view name) {
  for (const JwsAlgorithm alg : {JwsAlgorithm::kRS256, JwsAlgorithm::kRS384, JwsAlgorithm::kRS512,
                                 JwsAlgorithm::kES256, JwsAlgorithm::kEdDSA}) {
    if (name == algorithm_name(alg)) return alg;
  }
  return config_error("JWT_ALGORITHM: '" + std::string(name.substr(0, 32)) +
                      "' is not supported; use one of RS256, RS384, RS512, ES256, EdDSA");
}

std::string_view algorithm_name(JwsAlgorithm alg) {
  switch (alg) {
    case JwsAlgorithm::kRS256:
      return "RS256";
    case JwsAlgorithm::kRS384:
      return "RS384";
    case JwsAlgorithm::kRS512:
      return "RS512";
    case JwsAlgorithm::kES256:
      return "ES256";
    case JwsAlgorithm::kEdDSA:
      return "EdDSA";
  }
  return "?";
}

Result<KeyPair> load_key_pair(JwsAlgorithm alg, std::string_view private_pem,
                              std::string_view public_pem) {
  auto private_key = load_private_key(private_pem, "JWT_PRIVATE_KEY");
  if (!private_key) return std::move(private_key).error();
  auto public_key = load_public_key(public_pem, "JWT_PUBLIC_KEY");
  if (!public_key) return std::move(public_key).error();

  const std::string alg_text = "JWT_ALGORITHM=" + std::string(algorithm_name(alg));
  for (const auto& [name, key] : {std::pair{"JWT_PRIVATE_KEY", private_key->get()},
                                  std::pair{"JWT_PUBLIC_KEY", public_key->get()}}) {
    if (!key_fits(alg, key)) {
      return config_error(std::string(name) + " is " + describe_key(key) + ", but " + alg_text +
                          " needs " + std::string(needed_key(alg)) + ". " +
                          std::string(kGenerateHint));
    }
  }
  int bits = 0;
  if (is_rsa(alg)) {
    for (const auto& [name, key] : {std::pair{"JWT_PRIVATE_KEY", private_key->get()},
                                    std::pair{"JWT_PUBLIC_KEY", public_key->get()}}) {
      const int key_bits = EVP_PKEY_get_bits(key);
      if (key_bits < kMinRsaBits) {
        return config_error(std::string(name) + ": the RSA key is " + std::to_string(key_bits) +
                            " bits; at least " + std::to_string(kMinRsaBits) + " are required. " +
                            std::string(kGenerateHint));
      }
    }
    bits = EVP_PKEY_get_bits(private_key->get());
  }
  if (EVP_PKEY_eq(private_key->get(), public_key->get()) != 1) {
    ERR_clear_error();
    return config_error(
        "JWT_PUBLIC_KEY does not match JWT_PRIVATE_KEY: they are not the two halves of one key "
        "pair. " +
        std::string(kGenerateHint));
  }

  // End to end, as requests will use them: catches a private key whose secret parts are corrupt
  // although its public parts match. Costs one signature at start-up.
  try {
    const JwsSigner signer(alg, *private_key);
    const JwsVerifier verifier(alg, *public_key);
    const std::string header = "{\"alg\":\"" + std::string(algorithm_name(alg)) + "\"}";
    const auto checked = verifier.verify(signer.sign(header, "{}"));
    if (!checked) throw std::runtime_error(checked.error().internal);
  } catch (const std::exception& e) {
    return config_error("JWT_PRIVATE_KEY cannot make a signature that JWT_PUBLIC_KEY accepts (" +
                        std::string(e.what()) + "). " + std::string(kGenerateHint));
  }
  return KeyPair{alg, std::move(*private_key), std::move(*public_key), bits};
}

Result<PublicKey> load_public_key(JwsAlgorithm preferred, std::string_view pem,
                                  const std::string& name) {
  auto key = load_public_key(pem, name);
  if (!key) return std::move(key).error();
  JwsAlgorithm alg = preferred;
  if (!key_fits(alg, key->get())) {
    if (EVP_PKEY_is_a(key->get(), "RSA") == 1) {
      alg = JwsAlgorithm::kRS256;
    } else if (key_fits(JwsAlgorithm::kES256, key->get())) {
      alg = JwsAlgorithm::kES256;
    } else if (key_fits(JwsAlgorithm::kEdDSA, key->get())) {
      alg = JwsAlgorithm::kEdDSA;
    } else {
      return config_error(name + " is " + describe_key(key->get()) +
                          ", which signs with none of RS256, ES256 or EdDSA");
    }
  }
  if (is_rsa(alg) && EVP_PKEY_get_bits(key->get()) < kMinRsaBits) {
    return config_error(name + ": the RSA key is " + std::to_string(EVP_PKEY_get_bits(key->get())) +
                        " bits; at least " + std::to_string(kMinRsaBits) + " are required");
  }
  return PublicKey{alg, std::move(*key)};
}

Result<PemPair> generate_key_pair(JwsAlgorithm alg, int rsa_bits) {
  EVP_PKEY* raw = nullptr;
  if (is_rsa(alg)) {
    if (rsa_bits != 2048 && rsa_bits != 3072 && rsa_bits != 4096) {
      return config_error("RSA key size must be 2048, 3072 or 4096 bits, not " +
                          std::to_string(rsa_bits));
    }
    raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(rsa_bits));
  } else if (alg == JwsAlgorithm::kES256) {
    raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  } else {
    raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  }
  if (raw == nullptr) return config_error("key generation failed: " + take_openssl_errors());
  const PkeyPtr key(raw, EvpPkeyDeleter{});
  return pem_pair_of(KeyPair{alg, key, key, 0});
}

Result<PemPair> pem_pair_of(const KeyPair& keys) {
  // Secure-memory BIO: the private PEM is wiped when the BIO is freed.
  const BioPtr private_bio(BIO_new(BIO_s_secmem()));
  const BioPtr public_bio(BIO_new(BIO_s_mem()));
  if (!private_bio || !public_bio) return config_error("BIO_new failed: " + take_openssl_errors());
  // RSA in PKCS#1 ("BEGIN RSA PRIVATE KEY") like the tutorial's keys; EC and Ed25519 in PKCS#8.
  const int written =
      is_rsa(keys.algorithm)
          ? PEM_write_bio_PrivateKey_traditional(private_bio.get(), keys.private_key.get(), nullptr,
                                                 nullptr, 0, nullptr, nullptr)
          : PEM_write_bio_PrivateKey(private_bio.get(), keys.private_key.get(), nullptr, nullptr, 0,
                                     nullptr, nullptr);
  if (written != 1 || PEM_write_bio_PUBKEY(public_bio.get(), keys.public_key.get()) != 1) {
    return config_error("writing PEM failed: " + take_openssl_errors());
  }
  auto private_pem = bio_contents(private_bio.get());
  if (!private_pem) return std::move(private_pem).error();
  auto public_pem = bio_contents(public_bio.get());
  if (!public_pem) return std::move(public_pem).error();
  return PemPair{std::move(*private_pem), std::move(*public_pem)};
}

JwsSigner::JwsSigner(JwsAlgorithm alg, PkeyPtr private_key)
    : alg_(alg), key_(std::move(private_key)) {
  require_fitting_key(alg_, key_);
  prototype_ = make_prototype(alg_, key_.get(), /*for_signing=*/true);
  max_signature_bytes_ = static_cast<std::size_t>(EVP_PKEY_get_size(key_.get()));
}

std::string JwsSigner::sign(std::string_view header_json, std::string_view payload_json) const {
  std::string out = base64url_encode(header_json);
  out.push_back('.');
  out += base64url_encode(payload_json);

  const MdCtxPtr ctx = copy_context(prototype_.get());
  std::string signature(max_signature_bytes_, '\0');
  std::size_t len = signature.size();
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &len,
                     reinterpret_cast<const unsigned char*>(out.data()), out.size()) != 1) {
    throw std::runtime_error("JWS signing failed: " + take_openssl_errors());
  }
  signature.resize(len);
  if (alg_ == JwsAlgorithm::kES256) {
    std::array<unsigned char, kEs256RawBytes> raw{};
    if (!es256_der_to_raw(reinterpret_cast<const unsigned char*>(signature.data()), len,
                          raw.data())) {
      throw std::runtime_error("ES256: cannot convert the DER signature: " + take_openssl_errors());
    }
    signature.assign(reinterpret_cast<const char*>(raw.data()), raw.size());
  }
  out.push_back('.');
  out += base64url_encode(signature);
  return out;
}

JwsVerifier::JwsVerifier(JwsAlgorithm alg, PkeyPtr public_key)
    : alg_(alg), key_(std::move(public_key)) {
  require_fitting_key(alg_, key_);
  prototype_ = make_prototype(alg_, key_.get(), /*for_signing=*/false);
}

Result<DecodedJws> decode_jws(std::string_view compact) {
  if (compact.size() > JwsVerifier::kMaxTokenBytes) {
    return invalid("token is " + std::to_string(compact.size()) + " bytes, over the limit of " +
                   std::to_string(JwsVerifier::kMaxTokenBytes));
  }
  const auto dot1 = compact.find('.');
  const auto dot2 = dot1 == compact.npos ? compact.npos : compact.find('.', dot1 + 1);
  if (dot2 == compact.npos || compact.find('.', dot2 + 1) != compact.npos) {
    return invalid("not three dot-separated parts");
  }
  const std::string_view header_b64 = compact.substr(0, dot1);
  const std::string_view payload_b64 = compact.substr(dot1 + 1, dot2 - dot1 - 1);
  const std::string_view signature_b64 = compact.substr(dot2 + 1);
  if (signature_b64.empty()) return invalid("empty signature");

  DecodedJws out;
  out.signing_input = compact.substr(0, dot2);
  auto header = base64url_decode(header_b64);
  if (!header) return invalid("header: " + header.error().internal);
  auto payload = base64url_decode(payload_b64);
  if (!payload) return invalid("payload: " + payload.error().internal);
  auto signature = base64url_decode(signature_b64);
  if (!signature) return invalid("signature: " + signature.error().internal);
  out.payload = std::move(*payload);
  out.signature = std::move(*signature);

  // Small JSON documents: parse into a stack buffer, no heap.
  std::array<unsigned char, 1024> json_buffer;
  boost::json::monotonic_resource resource(json_buffer.data(), json_buffer.size());
  boost::json::error_code ec;
  const boost::json::value parsed = boost::json::parse(*header, ec, &resource);
  if (ec || !parsed.is_object()) return invalid("header is not a JSON object");
  const boost::json::object& object = parsed.get_object();
  const boost::json::value* alg = object.if_contains("alg");
  if (alg == nullptr || !alg->is_string()) return invalid("header has no string \"alg\"");
  out.alg = alg->get_string();
  if (const boost::json::value* kid = object.if_contains("kid")) {
    if (!kid->is_string()) return invalid("header \"kid\" is not a string");
    out.kid = std::string(kid->get_string());
  }
  // RFC 7515 section 4.1.11: extensions listed in "crit" must be understood; we know none.
  if (object.contains("crit")) return invalid("header has \"crit\" extensions");
  return out;
}

Result<std::string> JwsVerifier::verify(std::string_view compact) const {
  auto decoded = decode_jws(compact);
  if (!decoded) return std::move(decoded).error();
  return verify(std::move(*decoded));
}

Result<std::string> JwsVerifier::verify(DecodedJws decoded) const {
  // The pinned algorithm, compared before any cryptography: "none", "HS256" with the public key
  // as the MAC secret, or any other algorithm a token names are refused here.
  if (decoded.alg != algorithm_name(alg_)) {
    return invalid("alg " + boost::json::serialize(boost::json::string(decoded.alg)).substr(0, 40) +
                   " is not the pinned \"" + std::string(algorithm_name(alg_)) + "\"");
  }
  const std::string& signature = decoded.signature;
  std::array<unsigned char, 80> der{};
  const auto* signature_data = reinterpret_cast<const unsigned char*>(signature.data());
  std::size_t signature_len = signature.size();
  if (alg_ == JwsAlgorithm::kES256) {
    if (signature_len != kEs256RawBytes) {
      return invalid("ES256 signature is " + std::to_string(signature_len) + " bytes, not 64");
    }
    signature_len = es256_raw_to_der(signature_data, der);
    if (signature_len == 0) {
      ERR_clear_error();
      return invalid("ES256 signature cannot be encoded");
    }
    signature_data = der.data();
  } else if (alg_ == JwsAlgorithm::kEdDSA && signature_len != kEd25519Bytes) {
    return invalid("EdDSA signature is " + std::to_string(signature_len) + " bytes, not 64");
  } else if (is_rsa(alg_) &&
             signature_len != static_cast<std::size_t>(EVP_PKEY_get_size(key_.get()))) {
    return invalid("RSA signature is " + std::to_string(signature_len) + " bytes, not the key's " +
                   std::to_string(EVP_PKEY_get_size(key_.get())));
  }

  const MdCtxPtr ctx = copy_context(prototype_.get());
  if (EVP_DigestVerify(ctx.get(), signature_data, signature_len,
                       reinterpret_cast<const unsigned char*>(decoded.signing_input.data()),
                       decoded.signing_input.size()) != 1) {
    ERR_clear_error();
    return invalid("signature does not verify");
  }

  std::array<unsigned char, 1024> json_buffer;
  boost::json::monotonic_resource resource(json_buffer.data(), json_buffer.size());
  boost::json::error_code ec;
  const boost::json::value parsed = boost::json::parse(decoded.payload, ec, &resource);
  if (ec || !parsed.is_object()) return invalid("payload is not a JSON object");
  return std::move(decoded.payload);
}

}  // namespace gatehouse::auth
