#include "auth/server_secret.hpp"

#include <openssl/x509.h>

#include <stdexcept>

namespace gatehouse::auth {

std::string private_key_material(const KeyPair& keys) {
  unsigned char* der = nullptr;
  const int size = i2d_PrivateKey(keys.private_key.get(), &der);
  if (size <= 0 || der == nullptr) {
    // load_key_pair has parsed this key already: a failure here is a bug, not bad input.
    throw std::runtime_error("cannot encode the JWT private key as DER");
  }
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(size));
  OPENSSL_clear_free(der, static_cast<std::size_t>(size));
  return out;
}

DerivedKey derive_key(std::string_view material, std::string_view context) {
  static_assert(sizeof(DerivedKey) >= crypto_generichash_BYTES_MIN);
  if (context.size() < crypto_generichash_KEYBYTES_MIN ||
      context.size() > crypto_generichash_KEYBYTES_MAX) {
    throw std::logic_error("derive_key: a context is 16 to 64 bytes");
  }
  DerivedKey key{};
  crypto_generichash(key.data(), key.size(),
                     reinterpret_cast<const unsigned char*>(material.data()), material.size(),
                     reinterpret_cast<const unsigned char*>(context.data()), context.size());
  return key;
}

}  // namespace gatehouse::auth
