#include "auth/argon2id.hpp"

#include <sodium.h>

#include <array>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace gatehouse::auth::argon2id {
namespace {

class Argon2idTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_GE(sodium_init(), 0); }
};

// libsodium's crypto_pwhash is the oracle: same algorithm, independent implementation.
std::vector<unsigned char> libsodium_tag(std::size_t tag_len, const std::string& password,
                                         const std::vector<unsigned char>& salt, Params params) {
  std::vector<unsigned char> tag(tag_len);
  EXPECT_EQ(salt.size(), crypto_pwhash_SALTBYTES);
  const int rc = crypto_pwhash(tag.data(), tag.size(), password.data(), password.size(),
                               salt.data(), params.passes, std::size_t{params.memory_kib} * 1024,
                               crypto_pwhash_ALG_ARGON2ID13);
  EXPECT_EQ(rc, 0);
  return tag;
}

std::vector<unsigned char> random_bytes(std::size_t n) {
  std::vector<unsigned char> out(n);
  randombytes_buf(out.data(), out.size());
  return out;
}

// Every block function this CPU can run (the portable one at least), so the vector ones are
// checked wherever the tests run on hardware that has them.
std::vector<Implementation> available_implementations() {
  std::vector<Implementation> out;
  std::vector<unsigned char> tag(32);
  const std::vector<unsigned char> salt(16, 7);
  for (Implementation impl :
       {Implementation::kAvx512, Implementation::kAvx2, Implementation::kPortable}) {
    if (hash_raw_using(impl, tag, "probe", salt, Params{.memory_kib = 8, .passes = 1})) {
      out.push_back(impl);
    }
  }
  return out;
}

std::string random_password() {
  const std::size_t len = randombytes_uniform(80);
  std::string out(len, '\0');
  randombytes_buf(out.data(), out.size());  // any bytes, NUL included
  return out;
}

TEST_F(Argon2idTest, MatchesLibsodiumOnRandomInputs) {
  // Memory sizes not a multiple of 4 and tiny ones exercise the geometry; 8..64 KiB keeps the
  // segments shorter and longer than one address block (128 references).
  const std::array<std::uint32_t, 6> memories = {8, 9, 31, 64, 517, 2048};
  const std::array<std::size_t, 5> tag_lengths = {16, 32, 64, 65, 200};
  for (std::uint32_t memory : memories) {
    for (std::uint32_t passes = 1; passes <= 3; ++passes) {
      for (std::size_t tag_len : tag_lengths) {
        const Params params{.memory_kib = memory, .passes = passes};
        const std::string password = random_password();
        const std::vector<unsigned char> salt = random_bytes(crypto_pwhash_SALTBYTES);
        const std::vector<unsigned char> expected = libsodium_tag(tag_len, password, salt, params);
        std::vector<unsigned char> ours(tag_len);
        ASSERT_TRUE(hash_raw(ours, password, salt, params));
        EXPECT_EQ(ours, expected) << "m=" << memory << " t=" << passes << " tag=" << tag_len;
        for (Implementation impl : available_implementations()) {
          std::vector<unsigned char> tag(tag_len);
          ASSERT_TRUE(hash_raw_using(impl, tag, password, salt, params));
          EXPECT_EQ(tag, expected) << implementation_name(impl) << " m=" << memory
                                   << " t=" << passes << " tag=" << tag_len;
        }
      }
    }
  }
}

TEST_F(Argon2idTest, MatchesLibsodiumAtTheDefaultSettings) {
  const Params params{.memory_kib = 19456, .passes = 2};
  const std::vector<unsigned char> salt = random_bytes(crypto_pwhash_SALTBYTES);
  std::vector<unsigned char> ours(32);
  ASSERT_TRUE(hash_raw(ours, "correct horse battery staple", salt, params));
  EXPECT_EQ(ours, libsodium_tag(32, "correct horse battery staple", salt, params));
}

// A fixed answer, so a change that breaks both this code and the oracle's use is still caught:
// libsodium 1.0.18, crypto_pwhash(32 bytes, "password", salt = "somesaltsomesalt", t=2,
// m=64 KiB, ARGON2ID13).
constexpr const char* kKnownAnswerHex =
    "1a98fba8e6394425c9bdc333a9c750aaf811df070f5fb4a5788e1cf4db5793a1";

TEST_F(Argon2idTest, KnownAnswer) {
  const std::string salt_text = "somesaltsomesalt";
  const std::vector<unsigned char> salt(salt_text.begin(), salt_text.end());
  std::vector<unsigned char> ours(32);
  ASSERT_TRUE(hash_raw(ours, "password", salt, Params{.memory_kib = 64, .passes = 2}));
  std::array<char, 65> hex{};
  sodium_bin2hex(hex.data(), hex.size(), ours.data(), ours.size());
  EXPECT_STREQ(hex.data(), kKnownAnswerHex);
}

TEST_F(Argon2idTest, RefusesParametersOutOfRange) {
  const std::vector<unsigned char> salt = random_bytes(16);
  std::vector<unsigned char> tag(32, 0xAA);
  EXPECT_FALSE(hash_raw(tag, "pw", salt, Params{.memory_kib = 7, .passes = 1}));
  EXPECT_EQ(tag, std::vector<unsigned char>(32, 0));
  EXPECT_FALSE(hash_raw(tag, "pw", salt, Params{.memory_kib = 64, .passes = 0}));
  EXPECT_FALSE(hash_raw(tag, "pw", random_bytes(7), Params{.memory_kib = 64, .passes = 1}));
  std::vector<unsigned char> short_tag(3);
  EXPECT_FALSE(hash_raw(short_tag, "pw", salt, Params{.memory_kib = 64, .passes = 1}));
}

// Each thread has its own block memory; concurrent hashes must not disturb each other, and a
// thread that grows its memory for a larger hash, or gives it back, still answers right after.
TEST_F(Argon2idTest, ThreadsKeepTheirOwnMemory) {
  const std::vector<unsigned char> salt = random_bytes(crypto_pwhash_SALTBYTES);
  const std::array<Params, 3> sizes = {Params{.memory_kib = 256, .passes = 1},
                                       Params{.memory_kib = 1024, .passes = 2},
                                       Params{.memory_kib = 64, .passes = 3}};
  std::vector<std::vector<unsigned char>> expected;
  for (const Params& p : sizes) expected.push_back(libsodium_tag(32, "pw", salt, p));

  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (std::size_t t = 0; t < failures.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 5; ++round) {
        if (round == 2) release_thread_memory();  // and mapped again by the next hash
        for (std::size_t i = 0; i < sizes.size(); ++i) {
          std::vector<unsigned char> tag(32);
          if (!hash_raw(tag, "pw", salt, sizes[(i + t) % sizes.size()]) ||
              tag != expected[(i + t) % sizes.size()]) {
            ++failures[t];
          }
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(failures, std::vector<int>(4, 0));
}

}  // namespace
}  // namespace gatehouse::auth::argon2id
