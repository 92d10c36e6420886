// Unit tests for auth/token_service.hpp: the access tokens fastapi-jwt-auth writes, their claim
// checks, and uuid4. Time comes from a ManualClock and jti bytes from a scripted Random.
#include "auth/token_service.hpp"
#include "key_fixtures.hpp"

#include <sodium.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace gatehouse::auth {
namespace {

using gatehouse::testing::kEnv2048PrivateB64;
using gatehouse::testing::kEnv2048PublicB64;

using ::testing::HasSubstr;

// Made with that key by the peer's fastapi-jwt-auth code path (PyJWT 2.6 algorithms, header
// {"typ":"JWT","alg":"RS256"}) at iat 1700000000 with a 900 s lifetime, sub "7" and
// jti 3b241101-e2bb-4255-8caf-4136c566a962; the second adds "sid":"s-1", the third is the
// refresh token (type "refresh", no "fresh").
constexpr std::string_view kPyJwtAccessToken =
    "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJzdWIiOiI3IiwiaWF0IjoxNzAwMDAwMDAwLCJuYmYiOjE3MDA"
    "wMDAwMDAsImp0aSI6IjNiMjQxMTAxLWUyYmItNDI1NS04Y2FmLTQxMzZjNTY2YTk2MiIsImV4cCI6MTcwMDAwMDk"
    "wMCwidHlwZSI6ImFjY2VzcyIsImZyZXNoIjpmYWxzZX0.jIKuYcx8C2MB0-AO0l7ThUlbMqZcovGBZrTmJCIFuce"
    "HW65W7yCVh3vI613f11Szu9_PTYlUMDu_9Zk0j7416gQTpYxHELZ3YC6YRcDYzzy1649S8IW1MoIHKMPDvcu6wU3"
    "xBGwwLLpkjVrDVmcAfYUPU3jXN6xVB1TslBxUhaOgZ_HOYkEf4lEBtAGabpWoN_qwZSmO5JaeJzWfAKxD5sR1yTY"
    "V7auWUk9Cm9_vL_Je-q1brS3A2tSynBv41BycS7Rnqcm8ded9cvEVEbqr37_6GpdY2_5YZ-WP1UhzW4ksQgcofXV"
    "GYTiisUm9fHUr3TqF7-5ohckQGuTbVlRaSw";
constexpr std::string_view kPyJwtAccessTokenWithSid =
    "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJzdWIiOiI3IiwiaWF0IjoxNzAwMDAwMDAwLCJuYmYiOjE3MDA"
    "wMDAwMDAsImp0aSI6IjNiMjQxMTAxLWUyYmItNDI1NS04Y2FmLTQxMzZjNTY2YTk2MiIsImV4cCI6MTcwMDAwMDk"
    "wMCwidHlwZSI6ImFjY2VzcyIsImZyZXNoIjpmYWxzZSwic2lkIjoicy0xIn0.Yls78C4XlOBbpQitizQMFTvnAPU"
    "lD61_O6QEEb4h1hIS9-B9qVfFDdqJ2EncVjWuKYs2D2tnrdrK_79tCF0RnMb_MT2U71nQZVHywNMS-Pyf85bJ354"
    "6vhVG0VFu_Swzx47FbTg59WFGuHTcoi09TWkMnc5HSoIW0yC5KcIfKVXbI0nmAT5SBAhd1bl3Y-FofwRvt8v73jK"
    "AIKpyfEJuKwy5lBOdij68ExxVVmnuQZVp1hkSDKenC5nD1rTgjAA8Kgu7hKYCWjyekhJeKHG7qAbvhL6Fxx8n1Ky"
    "n0Oc7un7XNNTvvi26fELQ_iAKep-PwygwO2xxl5Ztm5JGiTswAQ";
constexpr std::string_view kPyJwtRefreshToken =
    "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJzdWIiOiI3IiwiaWF0IjoxNzAwMDAwMDAwLCJuYmYiOjE3MDA"
    "wMDAwMDAsImp0aSI6IjNiMjQxMTAxLWUyYmItNDI1NS04Y2FmLTQxMzZjNTY2YTk2MiIsImV4cCI6MTcwMDAwMDk"
    "wMCwidHlwZSI6InJlZnJlc2gifQ.YLbuNAGPnznxHDCjfuykhJHWi-jdi6A9MwwuRLUtm_d29OCNYpTD-CWISv2c"
    "_h4VsxTdOJp3XVBk3AYYWyy8Fom-0u8ojsQ7xRZF1C_QakhSuJHhNg9hEao7u33PsnDRZvTHgyHieD1qusb1AXQE"
    "CEZOt6HNNuImoYiljP1IUFrTVgfYBpU3RNdgB8IxS--NHdMDGTcNMzveO2NuFpOAyc-jtl03h8sDuFq0o9JraWxV"
    "VfVyYfvn6h2OL6O5kYXD-ywak-Sid_j0uhGJoOXVqZy7oOzSSeDs6QmhSbjh1jSDEBkx3FB7SolUMFSWaDF-peKa"
    "S0zd8lmTjOoBQk8LyQ";
constexpr std::int64_t kPyJwtIat = 1700000000;
constexpr std::string_view kPyJwtJti = "3b241101-e2bb-4255-8caf-4136c566a962";
constexpr std::chrono::seconds kTtl{900};

// Hands out the given bytes in order, wrapping around. Not thread-safe (tests only).
class ScriptedRandom final : public Random {
 public:
  explicit ScriptedRandom(std::vector<unsigned char> bytes) : bytes_(std::move(bytes)) {}
  void fill(std::span<unsigned char> out) override {
    for (auto& b : out) b = bytes_[next_++ % bytes_.size()];
  }

 private:
  std::vector<unsigned char> bytes_;
  std::size_t next_ = 0;
};

// The 16 bytes behind a canonical uuid text.
std::vector<unsigned char> uuid_bytes(std::string_view text) {
  std::vector<unsigned char> out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '-') continue;
    out.push_back(
        static_cast<unsigned char>(std::stoi(std::string(text.substr(i, 2)), nullptr, 16)));
    ++i;
  }
  return out;
}

std::string decode_or_throw(std::string_view b64) {
  auto decoded = base64_decode(b64);
  if (!decoded) throw std::runtime_error(decoded.error().internal);
  return std::move(*decoded);
}

KeyPair load_or_throw(JwsAlgorithm alg, std::string_view private_pem, std::string_view public_pem) {
  auto pair = load_key_pair(alg, private_pem, public_pem);
  if (!pair) throw std::runtime_error(pair.error().internal);
  return std::move(*pair);
}

const KeyPair& env_rsa() {
  static const KeyPair pair =
      load_or_throw(JwsAlgorithm::kRS256, decode_or_throw(kEnv2048PrivateB64),
                    decode_or_throw(kEnv2048PublicB64));
  return pair;
}

KeyPair generated(JwsAlgorithm alg) {
  auto pem = generate_key_pair(alg);
  if (!pem) throw std::runtime_error(pem.error().internal);
  return load_or_throw(alg, pem->private_pem, pem->public_pem);
}

// ES256 for the claim tests: cheap to generate and sign.
const KeyPair& ec_pair() {
  static const KeyPair pair = generated(JwsAlgorithm::kES256);
  return pair;
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

class TokenServiceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_GE(sodium_init(), 0); }

  // No leeway unless asked: the edge tests below are PyJWT's exact edges.
  // A key ring holding only `pair`, kept as long as the test (services refer to their ring).
  const keys::KeyRing& ring(const KeyPair& pair, const std::vector<PublicKey>& others = {}) const {
    auto set = keys::KeySet::create(pair, others);
    EXPECT_TRUE(set.ok()) << set.error().internal;
    return rings_.emplace_back(std::move(*set));
  }
  TokenService make_service(const KeyPair& pair,
                            std::chrono::seconds leeway = std::chrono::seconds(0)) const {
    return TokenService(ring(pair), clock_, random_, kTtl, TokenService::kVerifiedCacheCapacity,
                        leeway);
  }
  // A validly signed ES256 token with any payload, for the claim checks.
  std::string forge(std::string_view payload) const {
    return JwsSigner(JwsAlgorithm::kES256, ec_pair().private_key)
        .sign(R"({"typ":"JWT","alg":"ES256"})", payload);
  }
  void expect_invalid(std::string_view token, std::string_view reason) const {
    const auto claims = make_service(ec_pair()).verify_access(token);
    ASSERT_FALSE(claims.ok()) << "accepted; expected: " << reason << "\n" << token;
    EXPECT_EQ(claims.error().code, ErrorCode::kTokenInvalid);
    EXPECT_THAT(claims.error().internal, HasSubstr(std::string(reason)));
  }

  ManualClock clock_{from_unix_seconds(kPyJwtIat)};
  mutable SodiumRandom random_;
  mutable std::deque<keys::KeyRing> rings_;
};

// The claims are the tutorial's byte for byte; the header adds the kid (RFC 7638 thumbprint of the
// key), which PyJWT ignores when it is handed the public key.
TEST_F(TokenServiceTest, IssuesTheTutorialsClaimsByteForByteWithAKid) {
  ScriptedRandom jti(uuid_bytes(kPyJwtJti));
  const keys::KeyRing& keys = ring(env_rsa());
  const TokenService service(keys, clock_, jti, kTtl);
  for (const auto& [sid, tutorial] :
       {std::pair{"", kPyJwtAccessToken}, std::pair{"s-1", kPyJwtAccessTokenWithSid}}) {
    const auto ours = split(service.issue_access(7, sid));
    const auto theirs = split(tutorial);
    ASSERT_EQ(ours.size(), 3u);
    EXPECT_EQ(ours[1], theirs[1]);
    EXPECT_EQ(*base64url_decode(ours[0]),
              R"({"typ":"JWT","alg":"RS256","kid":")" + keys.current()->signing_kid() + R"("})");
  }
}

TEST_F(TokenServiceTest, HeaderAndClaimsInFastapiJwtAuthOrder) {
  ScriptedRandom jti(std::vector<unsigned char>(16, 0xff));
  clock_.set(from_unix_seconds(1234567890));
  const keys::KeyRing& keys = ring(ec_pair());
  const TokenService service(keys, clock_, jti, std::chrono::seconds(60));
  const auto parts = split(service.issue_access(42, "sess-9"));
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(*base64url_decode(parts[0]),
            R"({"typ":"JWT","alg":"ES256","kid":")" + keys.current()->signing_kid() + R"("})");
  EXPECT_EQ(*base64url_decode(parts[1]),
            R"({"sub":"42","iat":1234567890,"nbf":1234567890,)"
            R"("jti":"ffffffff-ffff-4fff-bfff-ffffffffffff","exp":1234567950,"type":"access",)"
            R"("fresh":false,"sid":"sess-9"})");
}

TEST_F(TokenServiceTest, RoundTripsClaims) {
  const TokenService service = make_service(ec_pair());
  const std::string token = service.issue_access(9223372036854775807, "abc");
  clock_.advance(kTtl - std::chrono::seconds(1));
  const auto claims = service.verify_access(token);
  ASSERT_TRUE(claims.ok()) << claims.error().internal;
  EXPECT_EQ(claims->user_id, 9223372036854775807);
  EXPECT_EQ(claims->sid, "abc");
  EXPECT_EQ(claims->iat, kPyJwtIat);
  EXPECT_EQ(claims->exp, kPyJwtIat + kTtl.count());
  EXPECT_EQ(claims->jti.size(), 36u);
}

TEST_F(TokenServiceTest, SidIsJsonEscaped) {
  const TokenService service = make_service(ec_pair());
  const std::string sid = "a\"b\\c\n\u00e9";
  const auto claims = service.verify_access(service.issue_access(5, sid));
  ASSERT_TRUE(claims.ok()) << claims.error().internal;
  EXPECT_EQ(claims->sid, sid);
}

TEST_F(TokenServiceTest, JtiComesFromTheInjectedRandom) {
  ScriptedRandom jti(uuid_bytes("00112233-4455-6677-8899-aabbccddeeff"));
  const TokenService service(ring(ec_pair()), clock_, jti, kTtl);
  const auto claims = service.verify_access(service.issue_access(1, ""));
  ASSERT_TRUE(claims.ok());
  EXPECT_EQ(claims->jti, "00112233-4455-4677-8899-aabbccddeeff");  // version nibble forced to 4
}

TEST_F(TokenServiceTest, VerifiesTheTutorialsTokens) {
  const TokenService service = make_service(env_rsa());
  clock_.set(from_unix_seconds(kPyJwtIat + 100));
  auto claims = service.verify_access(kPyJwtAccessToken);
  ASSERT_TRUE(claims.ok()) << claims.error().internal;
  EXPECT_EQ(claims->user_id, 7);
  EXPECT_EQ(claims->jti, kPyJwtJti);
  EXPECT_EQ(claims->iat, kPyJwtIat);
  EXPECT_EQ(claims->exp, kPyJwtIat + 900);
  EXPECT_EQ(claims->sid, "");
  claims = service.verify_access(kPyJwtAccessTokenWithSid);
  ASSERT_TRUE(claims.ok()) << claims.error().internal;
  EXPECT_EQ(claims->sid, "s-1");
}

TEST_F(TokenServiceTest, ExpiredFails) {
  const TokenService service = make_service(ec_pair());
  const std::string token = service.issue_access(7, "s");
  clock_.advance(kTtl - std::chrono::seconds(1));
  EXPECT_TRUE(service.verify_access(token).ok());
  clock_.advance(std::chrono::seconds(1));  // now == exp: expired, as PyJWT
  expect_invalid(token, "expired");
  clock_.advance(std::chrono::hours(24 * 365));
  expect_invalid(token, "expired");
}

// The same service answers a token it verified before from its cache; time still counts.
TEST_F(TokenServiceTest, VerifiedTokenStillExpiresAndHonoursNbf) {
  const TokenService service = make_service(ec_pair());
  const std::string token = service.issue_access(7, "s");
  const auto first = service.verify_access(token);
  ASSERT_TRUE(first.ok());
  const auto again = service.verify_access(token);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->user_id, 7);
  EXPECT_EQ(again->sid, "s");
  EXPECT_EQ(again->jti, first->jti);

  clock_.advance(std::chrono::seconds(-1));  // before nbf (= iat)
  EXPECT_FALSE(service.verify_access(token).ok());
  clock_.advance(std::chrono::seconds(1) + kTtl);  // now == exp
  const auto expired = service.verify_access(token);
  ASSERT_FALSE(expired.ok());
  EXPECT_THAT(expired.error().internal, HasSubstr("expired"));
}

TEST_F(TokenServiceTest, AlteredTokensAreNeverAnsweredFromTheCache) {
  const TokenService service = make_service(ec_pair());
  const std::string token = service.issue_access(7, "s");
  ASSERT_TRUE(service.verify_access(token).ok());
  std::string signature_changed = token;
  signature_changed[token.size() - 5] = signature_changed[token.size() - 5] == 'A' ? 'B' : 'A';
  std::string payload_changed = token;
  const std::size_t dot = token.find('.');
  payload_changed[dot + 3] = payload_changed[dot + 3] == 'A' ? 'B' : 'A';
  for (const std::string& altered :
       {signature_changed, payload_changed, token + "A", token.substr(0, token.size() - 1)}) {
    EXPECT_FALSE(service.verify_access(altered).ok()) << altered;
  }
  EXPECT_TRUE(service.verify_access(token).ok());
}

TEST(VerifiedTokenCacheTest, StaysWithinCapacityAndDropsExpiredFirst) {
  VerifiedTokenCache cache(32);  // two entries per shard
  AccessClaims claims;
  claims.user_id = 1;
  claims.exp = 1000;
  for (int i = 0; i < 500; ++i) cache.insert("token-" + std::to_string(i), claims, 10);
  EXPECT_LE(cache.size(), 32U);
  EXPECT_GT(cache.size(), 0U);

  // Everything stored so far expires at 1000; a token inserted later evicts those first.
  AccessClaims fresh = claims;
  fresh.exp = 5000;
  cache.insert("fresh", fresh, 2000);
  const auto found = cache.find("fresh", 2000, 0);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->exp, 5000);
  EXPECT_FALSE(cache.find("token-499", 2000, 0).has_value());  // expired
  EXPECT_FALSE(cache.find("never-stored", 10, 0).has_value());
}

TEST(VerifiedTokenCacheTest, ZeroCapacityStoresNothing) {
  VerifiedTokenCache cache(0);
  AccessClaims claims;
  claims.exp = 1000;
  cache.insert("t", claims, 10);
  EXPECT_EQ(cache.size(), 0U);
  EXPECT_FALSE(cache.find("t", 10, 0).has_value());
}

TEST_F(TokenServiceTest, TutorialTokenExpires) {
  const TokenService service = make_service(env_rsa());
  clock_.set(from_unix_seconds(kPyJwtIat + 900));
  const auto claims = service.verify_access(kPyJwtAccessToken);
  ASSERT_FALSE(claims.ok());
  EXPECT_THAT(claims.error().internal, HasSubstr("expired"));
}

// CLOCK_LEEWAY_SECONDS: a token from a node whose clock runs a few seconds ahead, or one that
// expired a moment ago on a node whose clock runs behind, is within the leeway; no further.
TEST_F(TokenServiceTest, LeewayWidensExpAndNbfBothWays) {
  const TokenService service = make_service(ec_pair(), std::chrono::seconds(5));
  clock_.set(from_unix_seconds(kPyJwtIat + 60));
  const std::string token = service.issue_access(7, "s");  // nbf = iat + 60, exp = nbf + kTtl
  clock_.set(from_unix_seconds(kPyJwtIat + 55));
  EXPECT_TRUE(service.verify_access(token).ok()) << "5 s before nbf";
  clock_.set(from_unix_seconds(kPyJwtIat + 54));
  EXPECT_FALSE(service.verify_access(token).ok()) << "6 s before nbf";
  const std::int64_t exp = kPyJwtIat + 60 + kTtl.count();
  clock_.set(from_unix_seconds(exp + 4));
  EXPECT_TRUE(service.verify_access(token).ok()) << "4 s after exp";
  clock_.set(from_unix_seconds(exp + 5));
  EXPECT_FALSE(service.verify_access(token).ok()) << "5 s after exp";
}

TEST_F(TokenServiceTest, NotYetValidFails) {
  const TokenService service = make_service(ec_pair());
  clock_.set(from_unix_seconds(kPyJwtIat + 60));
  const std::string token = service.issue_access(7, "");  // nbf = kPyJwtIat + 60
  clock_.set(from_unix_seconds(kPyJwtIat + 59));
  expect_invalid(token, "not yet valid");
  clock_.set(from_unix_seconds(kPyJwtIat + 60));
  EXPECT_TRUE(service.verify_access(token).ok());
}

TEST_F(TokenServiceTest, RefreshTypeRejected) {
  const TokenService service = make_service(env_rsa());
  clock_.set(from_unix_seconds(kPyJwtIat + 100));
  const auto claims = service.verify_access(kPyJwtRefreshToken);
  ASSERT_FALSE(claims.ok());
  EXPECT_EQ(claims.error().code, ErrorCode::kTokenInvalid);
  EXPECT_THAT(claims.error().internal, HasSubstr(R"(not an access token (type "refresh"))"));
}

TEST_F(TokenServiceTest, TypeMustBeTheStringAccess) {
  constexpr std::string_view kRest = R"("sub":"7","iat":1700000000,"exp":1700000900)";
  for (const std::string type :
       {"", R"(,"type":"Access")", R"(,"type":null)", R"(,"type":1)", R"(,"type":["access"])"}) {
    expect_invalid(forge("{" + std::string(kRest) + type + "}"), "not an access token");
  }
  EXPECT_TRUE(make_service(ec_pair())
                  .verify_access(forge("{" + std::string(kRest) + R"(,"type":"access"})"))
                  .ok());
}

TEST_F(TokenServiceTest, SubMustBeAPositiveDecimalUserId) {
  const auto token = [this](std::string_view sub) {
    return forge(R"({"sub":)" + std::string(sub) +
                 R"(,"iat":1700000000,"exp":1700000900,"type":"access"})");
  };
  for (const char* sub :
       {R"("0")", R"("-7")", R"("+7")", R"("007")", R"(" 7")", R"("7 ")", R"("7a")", R"("0x7")",
        R"("")", R"("9223372036854775808")", R"("99999999999999999999")", R"("7.0")", R"("1e3")",
        "7", "null", R"(["7"])"}) {
    expect_invalid(token(sub), "sub");
  }
  expect_invalid(forge(R"({"iat":1700000000,"exp":1700000900,"type":"access"})"), "sub is missing");
  const TokenService service = make_service(ec_pair());
  const auto max = service.verify_access(token(R"("9223372036854775807")"));
  ASSERT_TRUE(max.ok()) << max.error().internal;
  EXPECT_EQ(max->user_id, 9223372036854775807);
  const auto one = service.verify_access(token(R"("1")"));
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->user_id, 1);
}

TEST_F(TokenServiceTest, TimeClaimsMustBeIntegers) {
  const auto with = [this](std::string_view times) {
    return forge(R"({"sub":"7",)" + std::string(times) + R"(,"type":"access"})");
  };
  expect_invalid(with(R"("iat":1700000000)"), "exp is missing");
  expect_invalid(with(R"("iat":1700000000,"exp":"1700000900")"),
                 "exp is missing or not an integer");
  expect_invalid(with(R"("iat":1700000000,"exp":1700000900.0)"),
                 "exp is missing or not an integer");
  expect_invalid(with(R"("iat":1700000000,"exp":1.7000009e9)"), "exp is missing or not an integer");
  expect_invalid(with(R"("iat":1700000000,"exp":18446744073709551615)"), "exp");
  expect_invalid(with(R"("exp":1700000900)"), "iat is missing");
  expect_invalid(with(R"("iat":"1700000000","exp":1700000900)"),
                 "iat is missing or not an integer");
  expect_invalid(with(R"("iat":1700000000,"nbf":"0","exp":1700000900)"), "nbf is not an integer");
  expect_invalid(with(R"("iat":1700000000,"nbf":null,"exp":1700000900)"), "nbf is not an integer");
  // nbf may be absent (tokens minted elsewhere); iat and exp may not.
  EXPECT_TRUE(
      make_service(ec_pair()).verify_access(with(R"("iat":1700000000,"exp":1700000900)")).ok());
}

TEST_F(TokenServiceTest, SidAndJtiMustBeStringsWhenPresent) {
  constexpr std::string_view kBase =
      R"({"sub":"7","iat":1700000000,"exp":1700000900,"type":"access")";
  expect_invalid(forge(std::string(kBase) + R"(,"sid":7})"), "sid is not a string");
  expect_invalid(forge(std::string(kBase) + R"(,"sid":null})"), "sid is not a string");
  expect_invalid(forge(std::string(kBase) + R"(,"jti":1})"), "jti is not a string");
}

TEST_F(TokenServiceTest, ForeignKeyFails) {
  const KeyPair other = generated(JwsAlgorithm::kES256);
  const std::string token = make_service(other).issue_access(7, "");
  expect_invalid(token, "is none of this server's keys");
  // Without a kid it is checked against the signing key, and fails there.
  const std::string payload = *base64url_decode(split(token)[1]);
  expect_invalid(
      JwsSigner(JwsAlgorithm::kES256, other.private_key).sign(R"({"alg":"ES256"})", payload),
      "signature does not verify");
}

TEST_F(TokenServiceTest, AlgorithmIsPinnedByTheService) {
  // A genuine RS256 token of the tutorial is refused by an ES256 service, before cryptography.
  clock_.set(from_unix_seconds(kPyJwtIat + 100));
  expect_invalid(kPyJwtAccessToken, R"(alg "RS256" is not the pinned "ES256")");
}

TEST_F(TokenServiceTest, VerifyTokenNoneFails) {
  const std::string token =
      base64url_encode(R"({"typ":"JWT","alg":"none"})") + "." +
      base64url_encode(R"({"sub":"7","iat":1700000000,"exp":1700000900,"type":"access"})") + ".";
  expect_invalid(token, "empty signature");
}

TEST_F(TokenServiceTest, NonPositiveUserIdIsABug) {
  const TokenService service = make_service(ec_pair());
  EXPECT_THROW((void)service.issue_access(0, ""), std::invalid_argument);
  EXPECT_THROW((void)service.issue_access(-1, ""), std::invalid_argument);
}

// ---- several keys: kid, previous keys, iss and aud -------------------------------------------

TEST_F(TokenServiceTest, AcceptsTokensOfEveryPublishedKeyByKid) {
  const KeyPair old_pair = generated(JwsAlgorithm::kES256);
  const KeyPair new_pair = generated(JwsAlgorithm::kEdDSA);
  const TokenService before(ring(old_pair), clock_, random_, kTtl);
  const std::string old_token = before.issue_access(3, "s");
  // After the rotation: the new pair signs, the old key (and its algorithm) only verifies.
  const TokenService after(ring(new_pair, {PublicKey{old_pair.algorithm, old_pair.public_key}}),
                           clock_, random_, kTtl);
  const auto old_claims = after.verify_access(old_token);
  ASSERT_TRUE(old_claims.ok()) << old_claims.error().internal;
  EXPECT_EQ(old_claims->user_id, 3);
  const auto new_claims = after.verify_access(after.issue_access(4, "t"));
  ASSERT_TRUE(new_claims.ok()) << new_claims.error().internal;
  EXPECT_EQ(new_claims->user_id, 4);
  // The old service knows nothing of the new key.
  const auto refused = before.verify_access(after.issue_access(4, "t"));
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.error().internal, HasSubstr("none of this server's keys"));
}

TEST_F(TokenServiceTest, ATokenWithoutKidVerifiesOnlyWithTheSigningKey) {
  const KeyPair old_pair = generated(JwsAlgorithm::kES256);
  const std::string payload = R"({"sub":"1","iat":1700000000,"exp":1700000900,"type":"access"})";
  const std::string by_old =
      JwsSigner(JwsAlgorithm::kES256, old_pair.private_key).sign(R"({"alg":"ES256"})", payload);
  const std::string by_active =
      JwsSigner(JwsAlgorithm::kES256, ec_pair().private_key).sign(R"({"alg":"ES256"})", payload);
  const TokenService service(ring(ec_pair(), {PublicKey{old_pair.algorithm, old_pair.public_key}}),
                             clock_, random_, kTtl);
  EXPECT_TRUE(service.verify_access(by_active).ok());
  const auto refused = service.verify_access(by_old);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.error().internal, HasSubstr("signature does not verify"));
}

TEST_F(TokenServiceTest, TheKidPinsItsKeysAlgorithm) {
  const KeyPair ed = generated(JwsAlgorithm::kEdDSA);
  const keys::KeyRing& keys = ring(ec_pair(), {PublicKey{ed.algorithm, ed.public_key}});
  const std::string ed_kid = keys.current()->kids().at(1);
  const std::string payload = R"({"sub":"1","iat":1700000000,"exp":1700000900,"type":"access"})";
  // Signed by the ES256 key but naming the Ed25519 key's kid with alg ES256: refused before any
  // signature check, as is a non-string kid.
  const std::string forged = JwsSigner(JwsAlgorithm::kES256, ec_pair().private_key)
                                 .sign(R"({"alg":"ES256","kid":")" + ed_kid + R"("})", payload);
  const TokenService service(keys, clock_, random_, kTtl);
  const auto refused = service.verify_access(forged);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.error().internal, HasSubstr("is not the pinned \"EdDSA\""));
  const std::string numeric_kid = JwsSigner(JwsAlgorithm::kES256, ec_pair().private_key)
                                      .sign(R"({"alg":"ES256","kid":7})", payload);
  EXPECT_THAT(service.verify_access(numeric_kid).error().internal,
              HasSubstr("\"kid\" is not a string"));
}

TEST_F(TokenServiceTest, IssuerAndAudienceAreWrittenAndRequiredWhenSet) {
  const keys::KeyRing& keys = ring(ec_pair());
  const TokenService plain(keys, clock_, random_, kTtl);
  const TokenService strict(keys, clock_, random_, kTtl, TokenService::kVerifiedCacheCapacity,
                            std::chrono::seconds(0),
                            TokenAudience{"https://auth.example.com", "orders-api"});
  const std::string token = strict.issue_access(8, "s");
  const auto parts = split(token);
  EXPECT_THAT(*base64url_decode(parts[1]),
              HasSubstr(R"("sid":"s","iss":"https://auth.example.com","aud":"orders-api"})"));
  EXPECT_TRUE(strict.verify_access(token).ok());
  EXPECT_TRUE(plain.verify_access(token).ok());  // unset: not checked
  EXPECT_THAT(strict.verify_access(plain.issue_access(8, "s")).error().internal,
              HasSubstr("iss is not JWT_ISSUER"));
  auto forged = [&](std::string_view claims) {
    return JwsSigner(JwsAlgorithm::kES256, ec_pair().private_key)
        .sign(R"({"alg":"ES256"})", R"({"sub":"1","iat":1700000000,"exp":1700000900,)"
                                    R"("type":"access","iss":"https://auth.example.com",)" +
                                        std::string(claims) + "}");
  };
  EXPECT_TRUE(strict.verify_access(forged(R"("aud":["billing","orders-api"])")).ok());
  EXPECT_THAT(strict.verify_access(forged(R"("aud":"billing")")).error().internal,
              HasSubstr("aud does not name JWT_AUDIENCE"));
  EXPECT_THAT(strict.verify_access(forged(R"("aud":["billing"])")).error().internal,
              HasSubstr("aud does not name JWT_AUDIENCE"));
}

TEST(Uuid4Test, FixedBytesGiveVersion4AndVariantBits) {
  ScriptedRandom zeros(std::vector<unsigned char>(16, 0x00));
  EXPECT_EQ(uuid4(zeros), "00000000-0000-4000-8000-000000000000");
  ScriptedRandom ones(std::vector<unsigned char>(16, 0xff));
  EXPECT_EQ(uuid4(ones), "ffffffff-ffff-4fff-bfff-ffffffffffff");
  ScriptedRandom python(uuid_bytes(kPyJwtJti));  // already a valid v4: unchanged
  EXPECT_EQ(uuid4(python), kPyJwtJti);
}

TEST(Uuid4Test, RandomUuidsAreCanonicalAndDistinct) {
  ASSERT_GE(sodium_init(), 0);
  SodiumRandom random;
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) {
    const std::string id = uuid4(random);
    ASSERT_EQ(id.size(), 36u);
    for (std::size_t p = 0; p < id.size(); ++p) {
      if (p == 8 || p == 13 || p == 18 || p == 23) {
        ASSERT_EQ(id[p], '-') << id;
      } else {
        ASSERT_TRUE((id[p] >= '0' && id[p] <= '9') || (id[p] >= 'a' && id[p] <= 'f')) << id;
      }
    }
    EXPECT_EQ(id[14], '4') << id;
    EXPECT_NE(std::string_view("89ab").find(id[19]), std::string_view::npos) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 2000u);
}

}  // namespace
}  // namespace gatehouse::auth
