#include "auth/device_cookie.hpp"

#include <sodium.h>

#include <array>

#include "auth/jws.hpp"

namespace gatehouse::auth {

namespace {
constexpr std::string_view kContext = "gatehouse device cookie v1";
constexpr std::size_t kIdBytes = 16;
constexpr std::size_t kIdChars = 22;   // base64url of 16 bytes
constexpr std::size_t kMacChars = 43;  // base64url of 32 bytes
}  // namespace

DeviceCookies::DeviceCookies(std::string_view material, Random& random)
    : key_(derive_key(material, kContext)), random_(random) {}

std::string DeviceCookies::mac(std::string_view device_id, std::string_view email_lower) const {
  crypto_generichash_state state;
  crypto_generichash_init(&state, key_.data(), key_.size(), 32);
  // Length-prefixed, so no two (id, account) pairs give the same input.
  const std::array<unsigned char, 1> id_length{static_cast<unsigned char>(device_id.size())};
  crypto_generichash_update(&state, id_length.data(), id_length.size());
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(device_id.data()),
                            device_id.size());
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(email_lower.data()),
                            email_lower.size());
  std::array<unsigned char, 32> out{};
  crypto_generichash_final(&state, out.data(), out.size());
  return base64url_encode(std::string_view(reinterpret_cast<const char*>(out.data()), out.size()));
}

std::string DeviceCookies::issue(std::string_view email_lower) const {
  const std::string id = random_token(random_, kIdBytes);
  return id + "." + mac(id, email_lower);
}

std::optional<std::string> DeviceCookies::verify(std::string_view value,
                                                 std::string_view email_lower) const {
  if (value.size() != kIdChars + 1 + kMacChars || value[kIdChars] != '.') return std::nullopt;
  const std::string_view id = value.substr(0, kIdChars);
  if (!base64url_decode(id)) return std::nullopt;
  const std::string expected = mac(id, email_lower);
  const std::string_view presented = value.substr(kIdChars + 1);
  if (sodium_memcmp(expected.data(), presented.data(), kMacChars) != 0) return std::nullopt;
  return std::string(id);
}

}  // namespace gatehouse::auth
