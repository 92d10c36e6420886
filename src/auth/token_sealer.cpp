#include "auth/token_sealer.hpp"

#include <vector>

#include "auth/jws.hpp"
#include "auth/server_secret.hpp"

namespace gatehouse::auth {

TokenSealer::TokenSealer(std::string_view secret, std::string_view context)
    : key_(derive_key(secret, context)) {}

TokenSealer::~TokenSealer() {
  sodium_memzero(key_.data(), key_.size());
}

std::string TokenSealer::seal(std::string_view token) const {
  std::vector<unsigned char> out(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES +
                                 token.size());
  randombytes_buf(out.data(), crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(out.data() + crypto_secretbox_NONCEBYTES,
                        reinterpret_cast<const unsigned char*>(token.data()), token.size(),
                        out.data(), key_.data());
  return base64url_encode(std::string_view(reinterpret_cast<const char*>(out.data()), out.size()));
}

std::optional<std::string> TokenSealer::open(std::string_view sealed) const {
  auto raw = base64url_decode(sealed);
  if (!raw || raw->size() < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
    return std::nullopt;
  }
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw->data());
  std::string token(raw->size() - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES, '\0');
  if (crypto_secretbox_open_easy(
          reinterpret_cast<unsigned char*>(token.data()), bytes + crypto_secretbox_NONCEBYTES,
          raw->size() - crypto_secretbox_NONCEBYTES, bytes, key_.data()) != 0) {
    return std::nullopt;
  }
  return token;
}

}  // namespace gatehouse::auth
