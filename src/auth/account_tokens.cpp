#include "auth/account_tokens.hpp"

#include <sodium.h>

#include <cstdint>

namespace gatehouse::auth {

namespace {

constexpr std::size_t kTokenBytes = 32;
// The largest multiple of 10^6 that fits in 32 bits: draws at or above it are drawn again, so
// every code is equally likely.
constexpr std::uint32_t kCodeDrawLimit = 4'294'000'000u;

std::string hex(const unsigned char* bytes, std::size_t n) {
  static constexpr std::string_view kHex = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = kHex[bytes[i] >> 4];
    out[2 * i + 1] = kHex[bytes[i] & 0xF];
  }
  return out;
}

}  // namespace

AccountTokens::AccountTokens(std::string_view material, Random& random)
    : token_key_(derive_key(material, "gatehouse account token v1")),
      code_key_(derive_key(material, "gatehouse account code v1")),
      sealer_(material, TokenSealer::kMailSecrets),
      random_(random) {}

MailSecret AccountTokens::generate() const {
  MailSecret out;
  out.token = random_token(random_, kTokenBytes);
  std::uint32_t draw = kCodeDrawLimit;
  while (draw >= kCodeDrawLimit) {
    std::array<unsigned char, 4> bytes{};
    random_.fill(bytes);
    draw = static_cast<std::uint32_t>(bytes[0]) << 24 | static_cast<std::uint32_t>(bytes[1]) << 16 |
           static_cast<std::uint32_t>(bytes[2]) << 8 | static_cast<std::uint32_t>(bytes[3]);
  }
  out.code = std::to_string(draw % 1'000'000u);
  out.code.insert(0, kCodeDigits - out.code.size(), '0');
  return out;
}

std::string AccountTokens::keyed_hash(const DerivedKey& key, std::string_view a,
                                      std::string_view b) const {
  crypto_generichash_state state;
  crypto_generichash_init(&state, key.data(), key.size(), 32);
  // Length-prefixed, so no two (a, b) pairs give the same input.
  const std::array<unsigned char, 1> a_length{static_cast<unsigned char>(a.size())};
  crypto_generichash_update(&state, a_length.data(), a_length.size());
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(a.data()), a.size());
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(b.data()), b.size());
  std::array<unsigned char, 32> out{};
  crypto_generichash_final(&state, out.data(), out.size());
  return hex(out.data(), out.size());
}

std::string AccountTokens::token_hash(std::string_view token) const {
  return keyed_hash(token_key_, token.substr(0, 255), {});
}

std::string AccountTokens::code_hash(std::string_view token_hash, std::string_view code) const {
  return keyed_hash(code_key_, token_hash.substr(0, 255), code);
}

bool AccountTokens::code_matches(const store::AccountToken& token, std::string_view code) const {
  const std::string expected = code_hash(token.token_hash, code);
  return expected.size() == token.code_hash.size() &&
         sodium_memcmp(expected.data(), token.code_hash.data(), expected.size()) == 0;
}

std::string AccountTokens::seal(const MailSecret& secret) const {
  // Three lines; none of the parts holds a line break (base64url, digits, a mail address).
  return sealer_.seal(secret.token + "\n" + secret.code + "\n" + secret.new_email);
}

std::optional<MailSecret> AccountTokens::open(std::string_view sealed) const {
  auto plain = sealer_.open(sealed);
  if (!plain) return std::nullopt;
  const std::size_t first = plain->find('\n');
  const std::size_t second = first == std::string::npos ? first : plain->find('\n', first + 1);
  if (second == std::string::npos) return std::nullopt;
  return MailSecret{plain->substr(0, first), plain->substr(first + 1, second - first - 1),
                    plain->substr(second + 1)};
}

}  // namespace gatehouse::auth
