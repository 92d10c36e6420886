#include "auth/token_sealer.hpp"

#include <gtest/gtest.h>

namespace gatehouse::auth {
namespace {

TEST(TokenSealer, RoundTripsAndRefusesOtherKeysAndTampering) {
  ASSERT_GE(sodium_init(), 0);
  TokenSealer sealer("-----BEGIN RSA PRIVATE KEY----- one");
  const std::string token = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ";
  const std::string sealed = sealer.seal(token);
  EXPECT_EQ(sealed.find(token), std::string::npos);
  EXPECT_NE(sealer.seal(token), sealed) << "fresh nonce each time";
  EXPECT_EQ(sealer.open(sealed), token);
  EXPECT_LE(sealed.size(), 255u) << "fits the VARCHAR(255) column";

  TokenSealer other("-----BEGIN RSA PRIVATE KEY----- two");
  EXPECT_FALSE(other.open(sealed));
  std::string tampered = sealed;
  tampered[30] = tampered[30] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(sealer.open(tampered));
  EXPECT_FALSE(sealer.open("short"));
  EXPECT_FALSE(sealer.open(""));
}

}  // namespace
}  // namespace gatehouse::auth
