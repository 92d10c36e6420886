#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include <sodium.h>

namespace gatehouse::auth {

// Encrypts the current refresh token of a session for the database, so that within the reuse
// grace interval a second, concurrent refresh with the parent token can be answered with the
// session's current token instead of forking or ending the session. Only the server can open it:
// the key is derived from the JWT private key (see server_secret.hpp), which never enters the
// database. Thread-safe.
class TokenSealer {
 public:
  // What each sealer is for, so no two share a key.
  static constexpr std::string_view kRefreshTokens = "gatehouse refresh-token seal v1";
  static constexpr std::string_view kMailSecrets = "gatehouse mail secret seal v1";
  // Managed signing keys' private halves, under KEYS_ENCRYPTION_SECRET.
  static constexpr std::string_view kSigningKeys = "gatehouse signing-key seal v1";

  // `secret` is key material held only by the server (private_key_material); `context` one of
  // the purposes above.
  explicit TokenSealer(std::string_view secret, std::string_view context = kRefreshTokens);
  ~TokenSealer();

  // base64url(nonce || XSalsa20-Poly1305(token)); ~110 characters for a 43-character token.
  std::string seal(std::string_view token) const;
  // nullopt when `sealed` was not made with this key or was altered.
  std::optional<std::string> open(std::string_view sealed) const;

 private:
  std::array<unsigned char, crypto_secretbox_KEYBYTES> key_{};
};

}  // namespace gatehouse::auth
