#include "auth/device_cookie.hpp"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/pem.h>

#include <memory>

#include "auth/server_secret.hpp"
#include "auth/token_sealer.hpp"

namespace gatehouse::auth {
namespace {

class CountingRandom final : public Random {
 public:
  void fill(std::span<unsigned char> out) override {
    for (auto& b : out) b = static_cast<unsigned char>(next_++);
  }

 private:
  unsigned next_ = 1;
};

TEST(DeviceCookies, BoundToTheAccountAndTheServer) {
  ASSERT_GE(sodium_init(), 0);
  CountingRandom random;
  DeviceCookies devices("material of this server", random);
  const std::string cookie = devices.issue("owner@example.com");
  const auto id = devices.verify(cookie, "owner@example.com");
  ASSERT_TRUE(id);
  EXPECT_EQ(cookie.substr(0, id->size()), *id);
  EXPECT_NE(devices.issue("owner@example.com"), cookie) << "each issue is a new device";

  EXPECT_FALSE(devices.verify(cookie, "other@example.com")) << "another account's device";
  DeviceCookies elsewhere("material of another server", random);
  EXPECT_FALSE(elsewhere.verify(cookie, "owner@example.com"));
  std::string tampered = cookie;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(devices.verify(tampered, "owner@example.com"));
  std::string other_id = cookie;
  other_id[0] = other_id[0] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(devices.verify(other_id, "owner@example.com"));
  for (std::string_view bad : {"", ".", "abc", "x.y"}) {
    EXPECT_FALSE(devices.verify(bad, "owner@example.com")) << bad;
  }
}

// Finding 11: what the server derives from its key must not change when the same key is written
// in another PEM form.
TEST(ServerSecret, TheSameKeyInPkcs1AndPkcs8GivesTheSameMaterial) {
  ASSERT_GE(sodium_init(), 0);
  auto pems = generate_key_pair(JwsAlgorithm::kRS256);
  ASSERT_TRUE(pems);
  auto pkcs1 = load_key_pair(JwsAlgorithm::kRS256, pems->private_pem, pems->public_pem);
  ASSERT_TRUE(pkcs1);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  ASSERT_EQ(PEM_write_bio_PKCS8PrivateKey(bio.get(), pkcs1->private_key.get(), nullptr, nullptr, 0,
                                          nullptr, nullptr),
            1);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  const std::string pkcs8_pem(data, static_cast<std::size_t>(size));
  ASSERT_NE(pkcs8_pem.find("BEGIN PRIVATE KEY"), std::string::npos);
  ASSERT_NE(pkcs8_pem, pems->private_pem);
  auto pkcs8 = load_key_pair(JwsAlgorithm::kRS256, pkcs8_pem, pems->public_pem);
  ASSERT_TRUE(pkcs8);

  EXPECT_EQ(private_key_material(*pkcs1), private_key_material(*pkcs8));
  TokenSealer sealer(private_key_material(*pkcs1));
  TokenSealer reencoded(private_key_material(*pkcs8));
  const std::string token = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ";
  EXPECT_EQ(reencoded.open(sealer.seal(token)), token);
  EXPECT_NE(derive_key("m", "gatehouse device cookie v1"),
            derive_key("m", "gatehouse refresh-token seal v1"));
}

}  // namespace
}  // namespace gatehouse::auth
