#pragma once

#include <cstddef>
#include <span>
#include <string>

namespace gatehouse {

// Randomness, injected so tests can make it predictable. Implementations are thread-safe.
class Random {
 public:
  virtual ~Random() = default;
  virtual void fill(std::span<unsigned char> out) = 0;
};

// libsodium's randombytes_buf (the OS CSPRNG). sodium_init() must have run (the app does it).
class SodiumRandom final : public Random {
 public:
  void fill(std::span<unsigned char> out) override;
};

// `n` random bytes as unpadded base64url text (n=32 gives 43 characters, 256 bits).
std::string random_token(Random& random, std::size_t n);

}  // namespace gatehouse
