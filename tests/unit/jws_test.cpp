// Unit tests for auth/jws.hpp: base64url, key loading and generation, JWS sign/verify. Security
// tests are named after the attack they stop (jwt-cpp style).
#include "auth/jws.hpp"
#include "key_fixtures.hpp"

#include <atomic>
#include <memory>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

namespace gatehouse::auth {
namespace {

using gatehouse::testing::kEnv2048PrivateB64;
using gatehouse::testing::kEnv2048PublicB64;

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// The tutorial's own pair from its .env (seed.env): 512-bit RSA, base64 of PKCS#1/SPKI PEM. The
// private PEM has no newline after its END line.
constexpr std::string_view kSeed512PrivateB64 =
    "LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlCT2dJQkFBSkJBSSs3QnZUS0FWdHVQYzEzbEFkVk94"
    "TlVmcWxzMm1SVmlQWlJyVFpjd3l4RVhVRGpNaFZuCi9KVHRsd3h2a281T0pBQ1k3dVE0T09wODdiM3NOU3ZNd2xN"
    "Q0F3RUFBUUpBYm5LaENOQ0dOSFZGaHJPQ0RCU0IKdmZ2ckRWUzVpZXAwd2h2SGlBUEdjeWV6bjd0U2RweUZ0NEU0"
    "QTNXT3VQOXhqenNjTFZyb1pzRmVMUWlqT1JhUwp3UUloQU84MWl2b21iVGhjRkltTFZPbU16Vk52TGxWTW02WE5i"
    "S3B4bGh4TlpUTmhBaUVBbWRISlpGM3haWFE0Cm15QnNCeEhLQ3JqOTF6bVFxU0E4bHUvT1ZNTDNSak1DSVFEbDJx"
    "OUdtN0lMbS85b0EyaCtXdnZabGxZUlJPR3oKT21lV2lEclR5MUxaUVFJZ2ZGYUlaUWxMU0tkWjJvdXF4MHdwOWVE"
    "ejBEWklLVzVWaSt6czdMZHRDdUVDSUVGYwo3d21VZ3pPblpzbnU1clBsTDJjZldLTGhFbWwrUVFzOCtkMFBGdXln"
    "Ci0tLS0tRU5EIFJTQSBQUklWQVRFIEtFWS0tLS0t";
constexpr std::string_view kSeed512PublicB64 =
    "LS0tLS1CRUdJTiBQVUJMSUMgS0VZLS0tLS0KTUZ3d0RRWUpLb1pJaHZjTkFRRUJCUUFEU3dBd1NBSkJBSSs3QnZU"
    "S0FWdHVQYzEzbEFkVk94TlVmcWxzMm1SVgppUFpSclRaY3d5eEVYVURqTWhWbi9KVHRsd3h2a281T0pBQ1k3dVE0"
    "T09wODdiM3NOU3ZNd2xNQ0F3RUFBUT09Ci0tLS0tRU5EIFBVQkxJQyBLRVktLS0tLQ==";

// The same public key as PKCS#1 ("openssl rsa -RSAPublicKey_out").
constexpr std::string_view kEnv2048RsaPublicPem =
    "-----BEGIN RSA PUBLIC KEY-----\n"
    "MIIBCgKCAQEAmuSPeVWiZ3+LsQY+NSUPYJWs33VQmNu3tv/MaGyBaiWIXvRZQ8Fx\n"
    "GQ6LPuwm4MJC4tnuH50/Bpm6cMvIVL39XLcFlc+huFb6KfV135+EqKLkWkfdrdSN\n"
    "cMRL28dqF2jdR6gI0grDUQlxWeoEnI6LcVUxGd5RfzqP3PhrcBmhThA316C6HVdl\n"
    "fKe2StJucrveJlJxwcqwMvcARMAinVOXT7FjgsC00OxcD4LDwYhAx3s6MN7q+I6X\n"
    "sXg1lcXxyuB/Yfg+f4qI2h75P9MnY5DeQP10whLe80mg8HSdMjqo5Lo1TQ/DwyBd\n"
    "f4jp93TIpbBMaM3kuXQ1BQZ4hwoFN46ejwIDAQAB\n"
    "-----END RSA PUBLIC KEY-----\n";

// Test-only P-256 and Ed25519 pairs (openssl genpkey; PKCS#8 and SPKI).
constexpr std::string_view kEcPrivatePem =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgU9vrg3YuoEFE+dp8\n"
    "9SKNnGU9rYebV5FITUwMZmnTmb+hRANCAAT7J2v8HqLbTfaOpcUupPG3CTCUXVcv\n"
    "YSoCxl9SV5tfXb6rmawxINh9N856Ah5GMnTA115p5fllBP0G9MwRAPbj\n"
    "-----END PRIVATE KEY-----\n";
constexpr std::string_view kEcPublicPem =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE+ydr/B6i2032jqXFLqTxtwkwlF1X\n"
    "L2EqAsZfUlebX12+q5msMSDYfTfOegIeRjJ0wNdeaeX5ZQT9BvTMEQD24w==\n"
    "-----END PUBLIC KEY-----\n";
constexpr std::string_view kEdPrivatePem =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIJvN35UkARnCeaf0ZuNH6BIRTHfIazGF698K3RwY7F2z\n"
    "-----END PRIVATE KEY-----\n";
constexpr std::string_view kEdPublicPem =
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEAMmTmFwB8CmT9JitQbj/UKlFewCOf9r+nyajsPF0vQuM=\n"
    "-----END PUBLIC KEY-----\n";

// Made by PyJWT 2.6 (jwt.algorithms) laid out as fastapi-jwt-auth does (typ before alg), with
// the keys above and the claims of kPyJwtPayload.
constexpr std::string_view kPyJwtPayload =
    R"({"sub":"7","iat":1700000000,"nbf":1700000000,"jti":"3b241101-e2bb-4255-8caf-4136c566a962",)"
    R"("exp":1700000900,"type":"access","fresh":false})";
constexpr std::string_view kPyJwtRs256Token =
    "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJzdWIiOiI3IiwiaWF0IjoxNzAwMDAwMDAwLCJuYmYiOjE3MDA"
    "wMDAwMDAsImp0aSI6IjNiMjQxMTAxLWUyYmItNDI1NS04Y2FmLTQxMzZjNTY2YTk2MiIsImV4cCI6MTcwMDAwMDk"
    "wMCwidHlwZSI6ImFjY2VzcyIsImZyZXNoIjpmYWxzZX0.jIKuYcx8C2MB0-AO0l7ThUlbMqZcovGBZrTmJCIFuce"
    "HW65W7yCVh3vI613f11Szu9_PTYlUMDu_9Zk0j7416gQTpYxHELZ3YC6YRcDYzzy1649S8IW1MoIHKMPDvcu6wU3"
    "xBGwwLLpkjVrDVmcAfYUPU3jXN6xVB1TslBxUhaOgZ_HOYkEf4lEBtAGabpWoN_qwZSmO5JaeJzWfAKxD5sR1yTY"
    "V7auWUk9Cm9_vL_Je-q1brS3A2tSynBv41BycS7Rnqcm8ded9cvEVEbqr37_6GpdY2_5YZ-WP1UhzW4ksQgcofXV"
    "GYTiisUm9fHUr3TqF7-5ohckQGuTbVlRaSw";
constexpr std::string_view kPyJwtEs256Token =
    "eyJ0eXAiOiJKV1QiLCJhbGciOiJFUzI1NiJ9.eyJzdWIiOiI3IiwiaWF0IjoxNzAwMDAwMDAwLCJuYmYiOjE3MDA"
    "wMDAwMDAsImp0aSI6IjNiMjQxMTAxLWUyYmItNDI1NS04Y2FmLTQxMzZjNTY2YTk2MiIsImV4cCI6MTcwMDAwMDk"
    "wMCwidHlwZSI6ImFjY2VzcyIsImZyZXNoIjpmYWxzZX0.qYBcDcCOVfFaqyjDwXYWk3lcOvk19PJysleRPvajAh0"
    "EPvZsoCIi1gkgrdYU1ssZu-L_XiZ3n2FAMJHjzi-Nfg";
constexpr std::string_view kPyJwtEdDsaToken =
    "eyJ0eXAiOiJKV1QiLCJhbGciOiJFZERTQSJ9.eyJzdWIiOiI3IiwiaWF0IjoxNzAwMDAwMDAwLCJuYmYiOjE3MDA"
    "wMDAwMDAsImp0aSI6IjNiMjQxMTAxLWUyYmItNDI1NS04Y2FmLTQxMzZjNTY2YTk2MiIsImV4cCI6MTcwMDAwMDk"
    "wMCwidHlwZSI6ImFjY2VzcyIsImZyZXNoIjpmYWxzZX0.oaXTw9qT0P-k8hZcgNlJ_PDWyIwttgaIAn8zn1tG23G"
    "yChJPbBTieX3AIoEtIQuB4nK0HyAkjkVRH2iyOfT9CA";

constexpr std::string_view kRs256Header = R"({"typ":"JWT","alg":"RS256"})";
constexpr std::string_view kPayload = R"({"sub":"7","type":"access"})";

std::string decode_or_throw(std::string_view b64) {
  auto decoded = base64_decode(b64);
  if (!decoded) throw std::runtime_error("fixture is not base64: " + decoded.error().internal);
  return std::move(*decoded);
}

KeyPair load_or_throw(JwsAlgorithm alg, std::string_view private_pem, std::string_view public_pem) {
  auto pair = load_key_pair(alg, private_pem, public_pem);
  if (!pair) throw std::runtime_error("fixture does not load: " + pair.error().internal);
  return std::move(*pair);
}

const std::string& env_private_pem() {
  static const std::string pem = decode_or_throw(kEnv2048PrivateB64);
  return pem;
}
const std::string& env_public_pem() {
  static const std::string pem = decode_or_throw(kEnv2048PublicB64);
  return pem;
}
const KeyPair& env_rsa() {
  static const KeyPair pair =
      load_or_throw(JwsAlgorithm::kRS256, env_private_pem(), env_public_pem());
  return pair;
}
// Another 2048-bit RSA pair, generated once per run: the "foreign" key.
const KeyPair& other_rsa() {
  static const KeyPair pair = [] {
    auto pem = generate_key_pair(JwsAlgorithm::kRS256, 2048);
    if (!pem) throw std::runtime_error(pem.error().internal);
    return load_or_throw(JwsAlgorithm::kRS256, pem->private_pem, pem->public_pem);
  }();
  return pair;
}
const KeyPair& ec_pair() {
  static const KeyPair pair = load_or_throw(JwsAlgorithm::kES256, kEcPrivatePem, kEcPublicPem);
  return pair;
}
const KeyPair& ed_pair() {
  static const KeyPair pair = load_or_throw(JwsAlgorithm::kEdDSA, kEdPrivatePem, kEdPublicPem);
  return pair;
}

JwsSigner rs256_signer() {
  return JwsSigner(JwsAlgorithm::kRS256, env_rsa().private_key);
}
JwsVerifier rs256_verifier() {
  return JwsVerifier(JwsAlgorithm::kRS256, env_rsa().public_key);
}

std::vector<std::string> split(std::string_view token) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const auto dot = token.find('.', start);
    parts.emplace_back(token.substr(start, dot == token.npos ? token.npos : dot - start));
    if (dot == token.npos) break;
    start = dot + 1;
  }
  return parts;
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i == 0 ? "" : ".") + parts[i];
  return out;
}

// Expects `result` to be a kTokenInvalid whose reason contains `reason`.
template <class T>
void expect_invalid(const Result<T>& result, std::string_view reason) {
  ASSERT_FALSE(result.ok()) << "accepted; expected: " << reason;
  EXPECT_EQ(result.error().code, ErrorCode::kTokenInvalid);
  EXPECT_THAT(result.error().internal, HasSubstr(std::string(reason)));
  EXPECT_EQ(ERR_peek_error(), 0u) << "OpenSSL error queue left dirty";
}

// Expects a configuration error: kInternal, one line, naming the fix.
template <class T>
void expect_config_error(const Result<T>& result, std::string_view text) {
  ASSERT_FALSE(result.ok()) << "accepted; expected: " << text;
  EXPECT_EQ(result.error().code, ErrorCode::kInternal);
  EXPECT_THAT(result.error().internal, HasSubstr(std::string(text)));
  EXPECT_EQ(result.error().internal.find('\n'), std::string::npos) << result.error().internal;
  EXPECT_EQ(ERR_peek_error(), 0u) << "OpenSSL error queue left dirty";
}

using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(len));
}

// PKCS#8 "BEGIN PRIVATE KEY" text of `key`, optionally encrypted with a passphrase.
std::string pkcs8_pem(EVP_PKEY* key, const char* passphrase = nullptr) {
  BioPtr bio(BIO_new(BIO_s_mem()), BIO_free);
  const EVP_CIPHER* cipher = passphrase != nullptr ? EVP_aes_256_cbc() : nullptr;
  const int len = passphrase != nullptr ? static_cast<int>(std::string_view(passphrase).size()) : 0;
  if (PEM_write_bio_PKCS8PrivateKey(bio.get(), key, cipher, const_cast<char*>(passphrase), len,
                                    nullptr, nullptr) != 1) {
    throw std::runtime_error("PEM_write_bio_PKCS8PrivateKey failed");
  }
  return bio_text(bio.get());
}

std::string spki_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()), BIO_free);
  if (PEM_write_bio_PUBKEY(bio.get(), key) != 1) throw std::runtime_error("PEM_write_bio_PUBKEY");
  return bio_text(bio.get());
}

// ---------------------------------------------------------------------------------- base64url

TEST(Base64UrlTest, KnownVectors) {
  // RFC 4648 section 10, unpadded, plus the two characters that differ from standard base64.
  EXPECT_EQ(base64url_encode(""), "");
  EXPECT_EQ(base64url_encode("f"), "Zg");
  EXPECT_EQ(base64url_encode("fo"), "Zm8");
  EXPECT_EQ(base64url_encode("foo"), "Zm9v");
  EXPECT_EQ(base64url_encode("foob"), "Zm9vYg");
  EXPECT_EQ(base64url_encode("fooba"), "Zm9vYmE");
  EXPECT_EQ(base64url_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64url_encode("\xfb\xff\xbf"), "-_-_");
  auto decoded = base64url_decode("-_-_");
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, "\xfb\xff\xbf");
}

TEST(Base64UrlTest, RoundTripsEveryLengthAndByte) {
  for (std::size_t n = 0; n < 70; ++n) {
    std::string bytes;
    for (std::size_t i = 0; i < n; ++i)
      bytes.push_back(static_cast<char>((i * 37 + n * 11) & 0xff));
    const std::string text = base64url_encode(bytes);
    EXPECT_EQ(text.find_first_of("=+/"), std::string::npos) << text;
    auto back = base64url_decode(text);
    ASSERT_TRUE(back.ok()) << n << ": " << back.error().internal;
    EXPECT_EQ(*back, bytes);
  }
}

TEST(Base64UrlTest, PaddedBase64Fails) {
  expect_invalid(base64url_decode("Zg=="), "padding");
  expect_invalid(base64url_decode("Zm8="), "padding");
  expect_invalid(base64url_decode("Zm9v===="), "padding");
}

TEST(Base64UrlTest, StandardAlphabetFails) {
  expect_invalid(base64url_decode("+/+/"), "alphabet");
  expect_invalid(base64url_decode("Zm9v Zm9v"), "alphabet");
  expect_invalid(base64url_decode("Zm9\nv"), "alphabet");
}

TEST(Base64UrlTest, NonCanonicalTrailingBitsFail) {
  // "Zg" is "f"; "Zh".."Zv" carry the same byte with non-zero leftover bits.
  expect_invalid(base64url_decode("Zh"), "non-canonical");
  expect_invalid(base64url_decode("Zm9"), "non-canonical");  // "Zm8" is the canonical "fo"
  EXPECT_TRUE(base64url_decode("Zg").ok());
  EXPECT_TRUE(base64url_decode("Zm8").ok());
}

TEST(Base64UrlTest, SingleTrailingCharacterFails) {
  expect_invalid(base64url_decode("Zm9vY"), "single trailing character");
}

TEST(Base64Test, StandardRoundTripWithPadding) {
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64_encode("\xfb\xff\xbf"), "+/+/");
  for (std::size_t n = 0; n < 40; ++n) {
    const std::string bytes(n, static_cast<char>(0xf0 + n % 16));
    auto back = base64_decode(base64_encode(bytes));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, bytes);
  }
}

TEST(Base64Test, EnvValueWithWhitespaceAndMissingPaddingDecodes) {
  auto wrapped = base64_decode("  Zm9v\nYmFy\r\n");
  ASSERT_TRUE(wrapped.ok());
  EXPECT_EQ(*wrapped, "foobar");
  auto unpadded = base64_decode("Zm9vYg");
  ASSERT_TRUE(unpadded.ok());
  EXPECT_EQ(*unpadded, "foob");
}

TEST(Base64Test, GarbageFails) {
  EXPECT_FALSE(base64_decode("Zm9v!").ok());
  EXPECT_FALSE(base64_decode("Zm9vY").ok());
  EXPECT_FALSE(base64_decode("Zm9vYg=").ok());   // one '=' where two belong
  EXPECT_FALSE(base64_decode("Zg==Zg==").ok());  // padding in the middle
  EXPECT_FALSE(base64_decode("-_-_").ok());      // base64url alphabet
}

// --------------------------------------------------------------------------------- algorithms

TEST(AlgorithmTest, ExactNamesRoundTrip) {
  for (const JwsAlgorithm alg : {JwsAlgorithm::kRS256, JwsAlgorithm::kRS384, JwsAlgorithm::kRS512,
                                 JwsAlgorithm::kES256, JwsAlgorithm::kEdDSA}) {
    auto parsed = parse_algorithm(algorithm_name(alg));
    ASSERT_TRUE(parsed.ok()) << algorithm_name(alg);
    EXPECT_EQ(*parsed, alg);
  }
  EXPECT_EQ(algorithm_name(JwsAlgorithm::kEdDSA), "EdDSA");
}

TEST(AlgorithmTest, NoneHmacAndCaseVariantsRefused) {
  for (const char* name : {"none", "None", "NONE", "HS256", "HS512", "rs256", "RS256 ", " RS256",
                           "ES384", "PS256", "EDDSA", ""}) {
    auto parsed = parse_algorithm(name);
    ASSERT_FALSE(parsed.ok()) << name;
    EXPECT_EQ(parsed.error().code, ErrorCode::kInternal);
    EXPECT_THAT(parsed.error().internal, HasSubstr("RS256, RS384, RS512, ES256, EdDSA"));
  }
}

// ---------------------------------------------------------------------------------- key loading

TEST(KeyLoadTest, Pkcs1AndPkcs8Load) {
  // PKCS#1 private + SPKI public, as the tutorial's .env carries them.
  const std::string& pkcs1 = env_private_pem();
  ASSERT_THAT(pkcs1, StartsWith("-----BEGIN RSA PRIVATE KEY-----"));
  auto pair = load_key_pair(JwsAlgorithm::kRS256, pkcs1, env_public_pem());
  ASSERT_TRUE(pair.ok()) << pair.error().internal;
  EXPECT_EQ(pair->bits, 2048);
  EXPECT_EQ(pair->algorithm, JwsAlgorithm::kRS256);

  // PKCS#8 private + PKCS#1 public of the same key.
  const std::string pkcs8 = pkcs8_pem(pair->private_key.get());
  ASSERT_THAT(pkcs8, StartsWith("-----BEGIN PRIVATE KEY-----"));
  auto converted = load_key_pair(JwsAlgorithm::kRS512, pkcs8, kEnv2048RsaPublicPem);
  ASSERT_TRUE(converted.ok()) << converted.error().internal;
  EXPECT_EQ(converted->bits, 2048);

  // Keys from either form verify each other's signatures.
  const JwsSigner signer(JwsAlgorithm::kRS256, converted->private_key);
  EXPECT_TRUE(rs256_verifier().verify(signer.sign(kRs256Header, kPayload)).ok());
}

TEST(KeyLoadTest, MissingTrailingNewlineLoads) {
  std::string private_pem = env_private_pem();
  std::string public_pem = env_public_pem();
  while (!private_pem.empty() && private_pem.back() == '\n') private_pem.pop_back();
  while (!public_pem.empty() && public_pem.back() == '\n') public_pem.pop_back();
  auto pair = load_key_pair(JwsAlgorithm::kRS256, private_pem, public_pem);
  EXPECT_TRUE(pair.ok()) << pair.error().internal;
}

TEST(KeyLoadTest, ShortRsaKeyRejectedWithGenerateHint) {
  const std::string private_pem = decode_or_throw(kSeed512PrivateB64);
  const std::string public_pem = decode_or_throw(kSeed512PublicB64);
  ASSERT_THAT(private_pem, StartsWith("-----BEGIN RSA PRIVATE KEY-----"));
  auto pair = load_key_pair(JwsAlgorithm::kRS256, private_pem, public_pem);
  expect_config_error(pair,
                      "JWT_PRIVATE_KEY: the RSA key is 512 bits; at least 2048 are required. "
                      "Generate a proper pair with `gatehouse keys generate` and put its two "
                      "lines in .env");
}

TEST(KeyLoadTest, ShortPublicKeyRejected) {
  auto pair =
      load_key_pair(JwsAlgorithm::kRS256, env_private_pem(), decode_or_throw(kSeed512PublicB64));
  expect_config_error(pair, "JWT_PUBLIC_KEY: the RSA key is 512 bits");
}

TEST(KeyLoadTest, MismatchedPairRejected) {
  const std::string foreign_public = spki_pem(other_rsa().public_key.get());
  auto pair = load_key_pair(JwsAlgorithm::kRS256, env_private_pem(), foreign_public);
  expect_config_error(pair, "JWT_PUBLIC_KEY does not match JWT_PRIVATE_KEY");
  expect_config_error(pair, "gatehouse keys generate");
}

TEST(KeyLoadTest, MismatchedEcPairRejected) {
  auto other = generate_key_pair(JwsAlgorithm::kES256);
  ASSERT_TRUE(other.ok());
  expect_config_error(load_key_pair(JwsAlgorithm::kES256, kEcPrivatePem, other->public_pem),
                      "JWT_PUBLIC_KEY does not match JWT_PRIVATE_KEY");
}

TEST(KeyLoadTest, NotPemRejected) {
  expect_config_error(load_key_pair(JwsAlgorithm::kRS256, "hello", env_public_pem()),
                      "JWT_PRIVATE_KEY is not a PEM private key");
  // The .env value itself, not yet base64-decoded.
  expect_config_error(load_key_pair(JwsAlgorithm::kRS256, kEnv2048PrivateB64, env_public_pem()),
                      "JWT_PRIVATE_KEY is not a PEM private key");
  expect_config_error(load_key_pair(JwsAlgorithm::kRS256, env_private_pem(), "hello"),
                      "JWT_PUBLIC_KEY is not a PEM public key");
}

TEST(KeyLoadTest, CorruptPemBodyRejected) {
  std::string corrupt = env_private_pem();
  corrupt[100] = corrupt[100] == 'A' ? 'B' : 'A';  // inside the DER
  corrupt.erase(200, 64);
  expect_config_error(load_key_pair(JwsAlgorithm::kRS256, corrupt, env_public_pem()),
                      "JWT_PRIVATE_KEY is not a PEM private key (");
}

TEST(KeyLoadTest, SwappedKeysRejected) {
  expect_config_error(load_key_pair(JwsAlgorithm::kRS256, env_public_pem(), env_private_pem()),
                      "swapped");
}

TEST(KeyLoadTest, PrivateKeyInPublicSlotRejected) {
  expect_config_error(load_key_pair(JwsAlgorithm::kRS256, env_private_pem(), env_private_pem()),
                      "JWT_PUBLIC_KEY holds a private key");
}

TEST(KeyLoadTest, EncryptedPrivateKeyRejectedWithoutPrompt) {
  const std::string encrypted = pkcs8_pem(env_rsa().private_key.get(), "secret");
  ASSERT_THAT(encrypted, StartsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
  expect_config_error(load_key_pair(JwsAlgorithm::kRS256, encrypted, env_public_pem()),
                      "JWT_PRIVATE_KEY is encrypted");
}

TEST(KeyLoadTest, KeyTypeMustFitAlgorithm) {
  expect_config_error(load_key_pair(JwsAlgorithm::kRS256, kEcPrivatePem, kEcPublicPem),
                      "JWT_PRIVATE_KEY is an EC key on curve prime256v1, but JWT_ALGORITHM=RS256 "
                      "needs an RSA key");
  expect_config_error(load_key_pair(JwsAlgorithm::kES256, env_private_pem(), env_public_pem()),
                      "JWT_PRIVATE_KEY is an RSA key, but JWT_ALGORITHM=ES256 needs an EC key on "
                      "curve P-256");
  expect_config_error(load_key_pair(JwsAlgorithm::kES256, kEdPrivatePem, kEdPublicPem),
                      "JWT_ALGORITHM=ES256");
  expect_config_error(load_key_pair(JwsAlgorithm::kEdDSA, kEcPrivatePem, kEcPublicPem),
                      "needs an Ed25519 key");
  // Private key fits, public key does not.
  expect_config_error(load_key_pair(JwsAlgorithm::kES256, kEcPrivatePem, kEdPublicPem),
                      "JWT_PUBLIC_KEY is a");
}

TEST(KeyLoadTest, WrongCurveRejected) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> p384(
      EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"), EVP_PKEY_free);
  ASSERT_NE(p384, nullptr);
  expect_config_error(
      load_key_pair(JwsAlgorithm::kES256, pkcs8_pem(p384.get()), spki_pem(p384.get())),
      "JWT_PRIVATE_KEY is an EC key on curve secp384r1");
}

// ------------------------------------------------------------------------------ key generation

TEST(KeyGenTest, GeneratedRsaPairIsPkcs1AndLoadsBack) {
  auto pem = generate_key_pair(JwsAlgorithm::kRS256, 2048);
  ASSERT_TRUE(pem.ok()) << pem.error().internal;
  EXPECT_THAT(pem->private_pem, StartsWith("-----BEGIN RSA PRIVATE KEY-----\n"));
  EXPECT_THAT(pem->public_pem, StartsWith("-----BEGIN PUBLIC KEY-----\n"));
  auto pair = load_key_pair(JwsAlgorithm::kRS256, pem->private_pem, pem->public_pem);
  ASSERT_TRUE(pair.ok()) << pair.error().internal;
  EXPECT_EQ(pair->bits, 2048);
  // .env carries it base64-encoded on one line.
  const std::string line = base64_encode(pem->private_pem);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  auto back = base64_decode(line);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, pem->private_pem);
}

TEST(KeyGenTest, GeneratedPairsDiffer) {
  auto a = generate_key_pair(JwsAlgorithm::kES256);
  auto b = generate_key_pair(JwsAlgorithm::kES256);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->private_pem, b->private_pem);
  EXPECT_NE(a->public_pem, b->public_pem);
}

TEST(KeyGenTest, EcAndEd25519PairsArePkcs8AndLoadBack) {
  for (const JwsAlgorithm alg : {JwsAlgorithm::kES256, JwsAlgorithm::kEdDSA}) {
    auto pem = generate_key_pair(alg);
    ASSERT_TRUE(pem.ok()) << pem.error().internal;
    EXPECT_THAT(pem->private_pem, StartsWith("-----BEGIN PRIVATE KEY-----\n"));
    EXPECT_THAT(pem->public_pem, StartsWith("-----BEGIN PUBLIC KEY-----\n"));
    auto pair = load_key_pair(alg, pem->private_pem, pem->public_pem);
    ASSERT_TRUE(pair.ok()) << pair.error().internal;
    EXPECT_EQ(pair->bits, 0);
  }
}

TEST(KeyGenTest, OnlyStandardRsaSizes) {
  for (const int bits : {0, 512, 1024, 2047, 2049, 8192, -2048}) {
    expect_config_error(generate_key_pair(JwsAlgorithm::kRS256, bits), "2048, 3072 or 4096");
  }
}

// ---------------------------------------------------------------------------- sign and verify

struct AlgorithmCase {
  JwsAlgorithm alg;
  const KeyPair& (*pair)();
  std::size_t signature_bytes;
};

void PrintTo(const AlgorithmCase& c, std::ostream* os) {
  *os << algorithm_name(c.alg);
}

class JwsRoundTripTest : public ::testing::TestWithParam<AlgorithmCase> {};

TEST_P(JwsRoundTripTest, SignsAndVerifies) {
  const AlgorithmCase& c = GetParam();
  const JwsSigner signer(c.alg, c.pair().private_key);
  const JwsVerifier verifier(c.alg, c.pair().public_key);
  EXPECT_EQ(signer.algorithm(), c.alg);
  const std::string header =
      R"({"typ":"JWT","alg":")" + std::string(algorithm_name(c.alg)) + R"("})";
  const std::string token = signer.sign(header, kPyJwtPayload);

  const auto parts = split(token);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(*base64url_decode(parts[0]), header);
  EXPECT_EQ(*base64url_decode(parts[1]), kPyJwtPayload);
  EXPECT_EQ(base64url_decode(parts[2])->size(), c.signature_bytes);

  auto payload = verifier.verify(token);
  ASSERT_TRUE(payload.ok()) << payload.error().internal;
  EXPECT_EQ(*payload, kPyJwtPayload);

  // The same token with one signature byte changed must fail.
  std::string signature = *base64url_decode(parts[2]);
  signature[signature.size() / 2] ^= 0x01;
  expect_invalid(verifier.verify(join({parts[0], parts[1], base64url_encode(signature)})),
                 "signature does not verify");
}

const KeyPair& env_rsa_384() {
  static const KeyPair pair =
      load_or_throw(JwsAlgorithm::kRS384, env_private_pem(), env_public_pem());
  return pair;
}
const KeyPair& env_rsa_512() {
  static const KeyPair pair =
      load_or_throw(JwsAlgorithm::kRS512, env_private_pem(), env_public_pem());
  return pair;
}

INSTANTIATE_TEST_SUITE_P(EveryAlgorithm, JwsRoundTripTest,
                         ::testing::Values(AlgorithmCase{JwsAlgorithm::kRS256, &env_rsa, 256},
                                           AlgorithmCase{JwsAlgorithm::kRS384, &env_rsa_384, 256},
                                           AlgorithmCase{JwsAlgorithm::kRS512, &env_rsa_512, 256},
                                           AlgorithmCase{JwsAlgorithm::kES256, &ec_pair, 64},
                                           AlgorithmCase{JwsAlgorithm::kEdDSA, &ed_pair, 64}),
                         [](const auto& param_info) {
                           return std::string(algorithm_name(param_info.param.alg));
                         });

TEST(JwsTest, Rs256MatchesPyJwtByteForByte) {
  // RSASSA-PKCS1-v1_5 is deterministic: same key, header and payload give the same token.
  EXPECT_EQ(rs256_signer().sign(R"({"typ":"JWT","alg":"RS256"})", kPyJwtPayload), kPyJwtRs256Token);
}

TEST(JwsTest, VerifiesPyJwtTokensOfEveryFamily) {
  for (const auto& [alg, pair, token] :
       {std::tuple{JwsAlgorithm::kRS256, &env_rsa, kPyJwtRs256Token},
        std::tuple{JwsAlgorithm::kES256, &ec_pair, kPyJwtEs256Token},
        std::tuple{JwsAlgorithm::kEdDSA, &ed_pair, kPyJwtEdDsaToken}}) {
    auto payload = JwsVerifier(alg, pair().public_key).verify(token);
    ASSERT_TRUE(payload.ok()) << algorithm_name(alg) << ": " << payload.error().internal;
    EXPECT_EQ(*payload, kPyJwtPayload);
  }
}

TEST(JwsTest, VerifyTokenNoneFails) {
  const std::string header = base64url_encode(R"({"typ":"JWT","alg":"none"})");
  const std::string payload = base64url_encode(kPayload);
  expect_invalid(rs256_verifier().verify(header + "." + payload + "."), "empty signature");
  // Even carrying a signature that verifies, "none" is not the pinned algorithm.
  expect_invalid(
      rs256_verifier().verify(rs256_signer().sign(R"({"typ":"JWT","alg":"none"})", kPayload)),
      R"(alg "none" is not the pinned "RS256")");
}

TEST(JwsTest, AlgCaseVariantsFail) {
  // The last two are JSON escapes that decode to "RS256\0" and "RS256" + U+200B.
  for (const char* alg :
       {"None", "NONE", "rs256", "Rs256", "RS256 ", R"(RS256\u0000)", R"(RS256\u200b)"}) {
    const std::string header = R"({"alg":")" + std::string(alg) + R"("})";
    expect_invalid(rs256_verifier().verify(rs256_signer().sign(header, kPayload)),
                   "is not the pinned");
  }
}

TEST(JwsTest, Hs256WithPublicKeyPemFails) {
  // The classic confusion: HMAC the token with the RSA public key's PEM text as the secret.
  const std::string signing_input =
      base64url_encode(R"({"typ":"JWT","alg":"HS256"})") + "." + base64url_encode(kPayload);
  const std::string& secret = env_public_pem();
  unsigned char mac[EVP_MAX_MD_SIZE];
  std::size_t mac_len = 0;
  ASSERT_NE(EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, secret.data(), secret.size(),
                      reinterpret_cast<const unsigned char*>(signing_input.data()),
                      signing_input.size(), mac, sizeof mac, &mac_len),
            nullptr);
  const std::string token =
      signing_input + "." +
      base64url_encode(std::string_view(reinterpret_cast<const char*>(mac), mac_len));
  expect_invalid(rs256_verifier().verify(token), R"(alg "HS256" is not the pinned "RS256")");
}

TEST(JwsTest, WrongAlgorithmFails) {
  // Same RSA key, RS512 token, RS256 verifier: refused on the header.
  const JwsSigner rs512(JwsAlgorithm::kRS512, env_rsa().private_key);
  expect_invalid(rs256_verifier().verify(rs512.sign(R"({"alg":"RS512"})", kPayload)),
                 R"(alg "RS512" is not the pinned "RS256")");
  // Header claims RS256 but the signature is RS512's: refused by the cryptography.
  expect_invalid(rs256_verifier().verify(rs512.sign(R"({"alg":"RS256"})", kPayload)),
                 "signature does not verify");
  // An ES256 token against an EdDSA verifier.
  const JwsSigner es256(JwsAlgorithm::kES256, ec_pair().private_key);
  const JwsVerifier eddsa(JwsAlgorithm::kEdDSA, ed_pair().public_key);
  expect_invalid(eddsa.verify(es256.sign(R"({"alg":"ES256"})", kPayload)), "is not the pinned");
}

TEST(JwsTest, TamperedPayloadFails) {
  auto parts = split(kPyJwtRs256Token);
  std::string payload = *base64url_decode(parts[1]);
  const auto at = payload.find(R"("sub":"7")");
  ASSERT_NE(at, std::string::npos);
  payload.replace(at, 9, R"("sub":"1")");
  parts[1] = base64url_encode(payload);
  expect_invalid(rs256_verifier().verify(join(parts)), "signature does not verify");
}

TEST(JwsTest, TamperedHeaderFails) {
  auto parts = split(kPyJwtRs256Token);
  parts[0] = base64url_encode(R"({"alg":"RS256","typ":"JWT"})");
  expect_invalid(rs256_verifier().verify(join(parts)), "signature does not verify");
}

TEST(JwsTest, ForeignKeyFails) {
  const JwsSigner foreign(JwsAlgorithm::kRS256, other_rsa().private_key);
  expect_invalid(rs256_verifier().verify(foreign.sign(kRs256Header, kPayload)),
                 "signature does not verify");
  auto other_ec = generate_key_pair(JwsAlgorithm::kES256);
  ASSERT_TRUE(other_ec.ok());
  auto other_ec_pair =
      load_key_pair(JwsAlgorithm::kES256, other_ec->private_pem, other_ec->public_pem);
  ASSERT_TRUE(other_ec_pair.ok());
  const JwsSigner foreign_ec(JwsAlgorithm::kES256, other_ec_pair->private_key);
  const JwsVerifier ec_verifier(JwsAlgorithm::kES256, ec_pair().public_key);
  expect_invalid(ec_verifier.verify(foreign_ec.sign(R"({"alg":"ES256"})", kPayload)),
                 "signature does not verify");
}

TEST(JwsTest, NotThreePartsFails) {
  const std::string good(kPyJwtRs256Token);
  for (const std::string& token :
       {std::string(), std::string("."), std::string(".."), std::string("..."), std::string("abc"),
        good.substr(0, good.rfind('.')), good + ".", good + ".e30", "." + good}) {
    const auto result = rs256_verifier().verify(token);
    ASSERT_FALSE(result.ok()) << token;
    EXPECT_EQ(result.error().code, ErrorCode::kTokenInvalid);
  }
  expect_invalid(rs256_verifier().verify(good + ".e30"), "not three dot-separated parts");
  expect_invalid(rs256_verifier().verify("abc"), "not three dot-separated parts");
}

TEST(JwsTest, EmptySignatureFails) {
  const std::string good(kPyJwtRs256Token);
  expect_invalid(rs256_verifier().verify(good.substr(0, good.rfind('.') + 1)), "empty signature");
}

TEST(JwsTest, PaddedBase64Fails) {
  auto parts = split(kPyJwtRs256Token);
  ASSERT_EQ(parts[2].size() % 4, 2u);  // 256 bytes: a padded encoding would end in "=="
  auto padded = parts;
  padded[2] += "==";
  expect_invalid(rs256_verifier().verify(join(padded)), "signature: bad base64url: padding");
  padded = parts;
  padded[1] = base64_encode(*base64url_decode(parts[1]));
  ASSERT_NE(padded[1].find('='), std::string::npos);
  expect_invalid(rs256_verifier().verify(join(padded)), "payload: bad base64url");
}

TEST(JwsTest, NonCanonicalSignatureBitsFail) {
  // The last character of a 256-byte signature carries 4 unused bits. Setting one gives another
  // spelling of the same signature bytes, which lenient decoders accept (a malleable token).
  auto parts = split(kPyJwtRs256Token);
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const auto value = alphabet.find(parts[2].back());
  ASSERT_EQ(value & 0x0f, 0u);
  parts[2].back() = alphabet[value | 0x01];
  expect_invalid(rs256_verifier().verify(join(parts)), "non-canonical");
}

TEST(JwsTest, StandardBase64AlphabetFails) {
  auto parts = split(kPyJwtRs256Token);
  const auto at = parts[2].find_first_of("-_");
  ASSERT_NE(at, std::string::npos) << "fixture signature has no '-' or '_'";
  parts[2][at] = parts[2][at] == '-' ? '+' : '/';
  expect_invalid(rs256_verifier().verify(join(parts)), "outside the alphabet");
}

TEST(JwsTest, HeaderNotJsonObjectFails) {
  for (const char* header : {"[]", R"("RS256")", "{", "", "null", R"({"alg":"RS256"} x)"}) {
    expect_invalid(rs256_verifier().verify(rs256_signer().sign(header, kPayload)),
                   "header is not a JSON object");
  }
}

TEST(JwsTest, MissingOrNonStringAlgFails) {
  for (const char* header : {R"({"typ":"JWT"})", R"({"alg":["RS256"]})", R"({"alg":null})"}) {
    expect_invalid(rs256_verifier().verify(rs256_signer().sign(header, kPayload)),
                   R"(header has no string "alg")");
  }
}

TEST(JwsTest, CritHeaderFails) {
  expect_invalid(rs256_verifier().verify(
                     rs256_signer().sign(R"({"alg":"RS256","crit":["exp"],"exp":1})", kPayload)),
                 "crit");
}

TEST(JwsTest, PayloadNotJsonObjectFails) {
  for (const char* payload : {"[1]", "7", "{", ""}) {
    expect_invalid(rs256_verifier().verify(rs256_signer().sign(kRs256Header, payload)),
                   "payload is not a JSON object");
  }
}

TEST(JwsTest, OversizedTokenFails) {
  const std::string big_payload =
      R"({"pad":")" + std::string(JwsVerifier::kMaxTokenBytes, 'x') + R"("})";
  expect_invalid(rs256_verifier().verify(rs256_signer().sign(kRs256Header, big_payload)),
                 "over the limit");
}

TEST(JwsTest, WrongSignatureLengthsFail) {
  const JwsSigner es256(JwsAlgorithm::kES256, ec_pair().private_key);
  const JwsVerifier es256_verifier(JwsAlgorithm::kES256, ec_pair().public_key);
  auto parts = split(es256.sign(R"({"alg":"ES256"})", kPayload));
  const std::string raw = *base64url_decode(parts[2]);
  ASSERT_EQ(raw.size(), 64u);
  for (const std::string& signature :
       {raw.substr(0, 63), raw + '\0', std::string(1, '\0') + raw, raw + raw.substr(0, 8)}) {
    parts[2] = base64url_encode(signature);
    expect_invalid(es256_verifier.verify(join(parts)), "ES256 signature is");
  }
  // An all-zero r and s is the right length but never valid.
  parts[2] = base64url_encode(std::string(64, '\0'));
  expect_invalid(es256_verifier.verify(join(parts)), "signature does not verify");

  auto rsa_parts = split(kPyJwtRs256Token);
  rsa_parts[2] = base64url_encode(base64url_decode(rsa_parts[2])->substr(1));
  expect_invalid(rs256_verifier().verify(join(rsa_parts)), "RSA signature is 255 bytes");

  const JwsSigner eddsa(JwsAlgorithm::kEdDSA, ed_pair().private_key);
  auto ed_parts = split(eddsa.sign(R"({"alg":"EdDSA"})", kPayload));
  ed_parts[2] = base64url_encode(*base64url_decode(ed_parts[2]) + "x");
  expect_invalid(JwsVerifier(JwsAlgorithm::kEdDSA, ed_pair().public_key).verify(join(ed_parts)),
                 "EdDSA signature is 65 bytes");
}

TEST(JwsTest, ConstructorsRefuseKeysThatDoNotFit) {
  EXPECT_THROW(JwsSigner(JwsAlgorithm::kES256, env_rsa().private_key), std::invalid_argument);
  EXPECT_THROW(JwsVerifier(JwsAlgorithm::kRS256, ec_pair().public_key), std::invalid_argument);
  EXPECT_THROW(JwsVerifier(JwsAlgorithm::kEdDSA, ec_pair().public_key), std::invalid_argument);
  EXPECT_THROW(JwsSigner(JwsAlgorithm::kRS256, nullptr), std::invalid_argument);
  EXPECT_THROW(JwsVerifier(JwsAlgorithm::kRS256, nullptr), std::invalid_argument);
}

TEST(JwsTest, CopiesOutliveTheOriginal) {
  std::unique_ptr<JwsSigner> original =
      std::make_unique<JwsSigner>(JwsAlgorithm::kES256, ec_pair().private_key);
  const JwsSigner copy = *original;
  original.reset();
  const JwsVerifier verifier(JwsAlgorithm::kES256, ec_pair().public_key);
  EXPECT_TRUE(verifier.verify(copy.sign(R"({"alg":"ES256"})", kPayload)).ok());
}

TEST(JwsTest, SharedSignerAndVerifierAcrossThreads) {
  // Signers and verifiers are shared by the worker threads; good and bad tokens interleave, and
  // one thread's failure must not leak into another's OpenSSL error queue.
  const JwsSigner es256(JwsAlgorithm::kES256, ec_pair().private_key);
  const JwsVerifier es256_verifier(JwsAlgorithm::kES256, ec_pair().public_key);
  const JwsVerifier rs256 = rs256_verifier();
  auto tampered = split(kPyJwtRs256Token);
  tampered[1] = base64url_encode(R"({"sub":"1"})");
  const std::string bad_rs256 = join(tampered);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        const std::string payload =
            R"({"t":)" + std::to_string(t) + R"(,"i":)" + std::to_string(i) + "}";
        auto ok = es256_verifier.verify(es256.sign(R"({"alg":"ES256"})", payload));
        if (!ok || *ok != payload) ++wrong;
        if (!rs256.verify(kPyJwtRs256Token)) ++wrong;
        if (rs256.verify(bad_rs256)) ++wrong;
        if (ERR_peek_error() != 0) ++wrong;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace gatehouse::auth
