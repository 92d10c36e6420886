// JWKs and RFC 7638 thumbprints of each key type, and the key set built from settings.
#include "keys/jwk.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <sodium.h>

#include <memory>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "keys/key_set.hpp"
#include "keys/static_keys.hpp"

namespace gatehouse::keys {
namespace {

using auth::JwsAlgorithm;
using auth::KeyPair;
using ::testing::HasSubstr;

KeyPair generated(JwsAlgorithm alg) {
  auto pem = auth::generate_key_pair(alg);
  if (!pem) throw std::runtime_error(pem.error().internal);
  auto pair = auth::load_key_pair(alg, pem->private_pem, pem->public_pem);
  if (!pair) throw std::runtime_error(pair.error().internal);
  return std::move(*pair);
}

std::string decoded(const boost::json::object& jwk, const char* name) {
  auto bytes = auth::base64url_decode(jwk.at(name).as_string());
  if (!bytes) throw std::runtime_error(std::string("not base64url: ") + name);
  return std::move(*bytes);
}

// The key a verifier rebuilds from the JWK alone, the way PyJWT or jose libraries do.
auth::PkeyPtr rebuild(const boost::json::object& jwk) {
  const std::string kty(jwk.at("kty").as_string());
  EVP_PKEY* key = nullptr;
  if (kty == "OKP") {
    const std::string x = decoded(jwk, "x");
    key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                      reinterpret_cast<const unsigned char*>(x.data()), x.size());
    return auth::PkeyPtr(key, auth::EvpPkeyDeleter{});
  }
  std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> bld(OSSL_PARAM_BLD_new(),
                                                                      OSSL_PARAM_BLD_free);
  std::vector<std::unique_ptr<BIGNUM, decltype(&BN_free)>> numbers;
  std::string point;
  if (kty == "RSA") {
    for (const auto& [member, param] :
         {std::pair{"n", OSSL_PKEY_PARAM_RSA_N}, std::pair{"e", OSSL_PKEY_PARAM_RSA_E}}) {
      const std::string bytes = decoded(jwk, member);
      numbers.emplace_back(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                                     static_cast<int>(bytes.size()), nullptr),
                           BN_free);
      OSSL_PARAM_BLD_push_BN(bld.get(), param, numbers.back().get());
    }
  } else {
    point = "\x04" + decoded(jwk, "x") + decoded(jwk, "y");
    OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
    OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                     point.size());
  }
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld.get());
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, kty == "RSA" ? "RSA" : "EC", nullptr);
  if (EVP_PKEY_fromdata_init(ctx) == 1) {
    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params);
  }
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  return auth::PkeyPtr(key, auth::EvpPkeyDeleter{});
}

std::string public_pem_of(EVP_PKEY* key) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PUBKEY(bio.get(), key);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

class JwkTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_GE(sodium_init(), 0); }
};

// RFC 7638 section 3.1: the example RSA key and its thumbprint.
TEST_F(JwkTest, ThumbprintOfTheRfc7638Example) {
  const boost::json::object jwk{
      {"kty", "RSA"},
      {"n",
       "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_"
       "BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_"
       "FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-"
       "bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"},
      {"e", "AQAB"},
      {"alg", "RS256"},
      {"kid", "2011-04-29"}};
  const auto thumbprint = jwk_thumbprint(jwk);
  ASSERT_TRUE(thumbprint.ok()) << thumbprint.error().internal;
  EXPECT_EQ(*thumbprint, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
}

TEST_F(JwkTest, ThumbprintNeedsTheRequiredMembers) {
  EXPECT_THAT(jwk_thumbprint({{"kty", "RSA"}, {"n", "AQAB"}}).error().internal,
              HasSubstr("no string \"e\""));
  EXPECT_THAT(jwk_thumbprint({{"kty", "oct"}, {"k", "AQAB"}}).error().internal,
              HasSubstr("is not RSA, EC or OKP"));
  EXPECT_THAT(jwk_thumbprint({{"n", "AQAB"}}).error().internal, HasSubstr("no string \"kty\""));
}

// Each key type: the JWK's members are the RFC 7518/8037 encoding (a verifier that rebuilds the
// key from them gets the same key), its kid is its thumbprint, and no private member appears.
TEST_F(JwkTest, EveryKeyTypeEncodesAndRebuildsWithoutPrivateParts) {
  struct Case {
    JwsAlgorithm alg;
    const char* kty;
    std::vector<const char*> members;
  };
  for (const Case& c : {Case{JwsAlgorithm::kRS256, "RSA", {"n", "e"}},
                        Case{JwsAlgorithm::kRS512, "RSA", {"n", "e"}},
                        Case{JwsAlgorithm::kES256, "EC", {"crv", "x", "y"}},
                        Case{JwsAlgorithm::kEdDSA, "OKP", {"crv", "x"}}}) {
    SCOPED_TRACE(std::string(auth::algorithm_name(c.alg)));
    const KeyPair pair = generated(c.alg);
    // Built from the private key object: the JWK must still carry only public parts.
    const auto jwk = public_jwk(c.alg, pair.private_key.get());
    ASSERT_TRUE(jwk.ok()) << jwk.error().internal;
    EXPECT_EQ(jwk->at("kty").as_string(), c.kty);
    EXPECT_EQ(jwk->at("use").as_string(), "sig");
    EXPECT_EQ(jwk->at("alg").as_string(), auth::algorithm_name(c.alg));
    EXPECT_EQ(jwk->at("kid").as_string(), *jwk_thumbprint(*jwk));
    EXPECT_EQ(jwk->size(), 4 + c.members.size()) << boost::json::serialize(*jwk);
    for (const char* member : c.members) EXPECT_TRUE(jwk->contains(member)) << member;
    for (const char* secret : {"d", "p", "q", "dp", "dq", "qi", "k"}) {
      EXPECT_FALSE(jwk->contains(secret)) << secret;
    }
    const auth::PkeyPtr rebuilt = rebuild(*jwk);
    ASSERT_TRUE(rebuilt) << "cannot rebuild the key from " << boost::json::serialize(*jwk);
    EXPECT_EQ(EVP_PKEY_eq(rebuilt.get(), pair.public_key.get()), 1);
    if (c.kty == std::string("EC")) {
      EXPECT_EQ(jwk->at("crv").as_string(), "P-256");
      EXPECT_EQ(decoded(*jwk, "x").size(), 32u);  // zero-padded coordinates
      EXPECT_EQ(decoded(*jwk, "y").size(), 32u);
    }
    if (c.kty == std::string("OKP")) {
      EXPECT_EQ(jwk->at("crv").as_string(), "Ed25519");
    }
    // The same key gives the same kid, whichever half it is read from.
    EXPECT_EQ(public_jwk(c.alg, pair.public_key.get())->at("kid"), jwk->at("kid"));
  }
  const KeyPair rsa = generated(JwsAlgorithm::kRS256);
  EXPECT_FALSE(public_jwk(JwsAlgorithm::kES256, rsa.public_key.get()).ok());
}

TEST_F(JwkTest, KeySetPublishesEachKeyOnceWithTheSigningKeyFirst) {
  const KeyPair active = generated(JwsAlgorithm::kES256);
  const KeyPair old = generated(JwsAlgorithm::kRS256);
  auto set = KeySet::create(active, {{old.algorithm, old.public_key},
                                     {old.algorithm, old.public_key},
                                     {active.algorithm, active.public_key}});
  ASSERT_TRUE(set.ok()) << set.error().internal;
  const auto jwks = boost::json::parse((*set)->jwks_json()).as_object();
  const auto& keys = jwks.at("keys").as_array();
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].at("kid").as_string(), (*set)->signing_kid());
  EXPECT_EQ(keys[0].at("alg").as_string(), "ES256");
  EXPECT_EQ(keys[1].at("alg").as_string(), "RS256");
  EXPECT_EQ((*set)->kids().size(), 2u);
}

// JWT_PREVIOUS_PUBLIC_KEYS: each bad item is refused with one line that names it.
TEST_F(JwkTest, PreviousKeysFromSettingsAreCheckedAndNamed) {
  const KeyPair active = generated(JwsAlgorithm::kRS256);
  const KeyPair ed = generated(JwsAlgorithm::kEdDSA);
  const std::string ed_pem = public_pem_of(ed.public_key.get());
  auto ok = static_key_set(active, {ed_pem});
  ASSERT_TRUE(ok.ok()) << ok.error().internal;
  // A key of another type keeps the algorithm it signs with.
  const auto jwks = boost::json::parse((*ok)->jwks_json()).as_object();
  EXPECT_EQ(jwks.at("keys").as_array()[1].at("alg").as_string(), "EdDSA");

  auto pems = auth::generate_key_pair(JwsAlgorithm::kES256);
  ASSERT_TRUE(pems.ok());
  EVP_PKEY* weak_raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(1024));
  ASSERT_NE(weak_raw, nullptr);
  const auth::PkeyPtr weak(weak_raw, auth::EvpPkeyDeleter{});
  struct Bad {
    std::string pem;
    const char* says;
  };
  for (const Bad& bad : {Bad{pems->private_pem, "holds a private key"},
                         Bad{public_pem_of(weak.get()), "1024 bits; at least 2048"},
                         Bad{"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
                             "is not a PEM public key"},
                         Bad{"not a key", "no \"-----BEGIN"}}) {
    auto refused = static_key_set(active, {ed_pem, bad.pem});
    ASSERT_FALSE(refused.ok()) << bad.says;
    EXPECT_THAT(refused.error().internal, HasSubstr("JWT_PREVIOUS_PUBLIC_KEYS item 2"));
    EXPECT_THAT(refused.error().internal, HasSubstr(bad.says));
    EXPECT_EQ(refused.error().internal.find('\n'), std::string::npos) << refused.error().internal;
  }
}

}  // namespace
}  // namespace gatehouse::keys
