#include "core/random.hpp"

#include <sodium.h>

#include <vector>

namespace gatehouse {

void SodiumRandom::fill(std::span<unsigned char> out) {
  randombytes_buf(out.data(), out.size());
}

std::string random_token(Random& random, std::size_t n) {
  std::vector<unsigned char> bytes(n);
  random.fill(bytes);
  std::string out(sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes.data(), n,
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(out.find('\0'));
  sodium_memzero(bytes.data(), bytes.size());
  return out;
}

}  // namespace gatehouse
