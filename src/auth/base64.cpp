// base64url (JWS) and standard base64 (the tutorial's .env), declared in auth/jws.hpp.
#include "auth/jws.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace gatehouse::auth {
namespace {

constexpr char kUrlAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr char kStdAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Maps a character to its 6-bit value, or -1 for anything outside `alphabet` ('=' included).
constexpr std::array<std::int8_t, 256> make_decode_table(const char* alphabet) {
  std::array<std::int8_t, 256> table{};
  for (auto& v : table) v = -1;
  for (int i = 0; i < 64; ++i) {
    table[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
  }
  return table;
}

constexpr auto kUrlTable = make_decode_table(kUrlAlphabet);
constexpr auto kStdTable = make_decode_table(kStdAlphabet);

std::string encode(std::string_view bytes, const char* alphabet, bool pad) {
  const auto* in = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::size_t n = bytes.size();
  const std::size_t full = n / 3;
  const std::size_t rest = n % 3;
  std::string out((full * 4) + (rest == 0 ? 0 : (pad ? 4 : rest + 1)), '\0');
  char* o = out.data();
  for (std::size_t i = 0; i < full * 3; i += 3) {
    const std::uint32_t v =
        (std::uint32_t{in[i]} << 16) | (std::uint32_t{in[i + 1]} << 8) | in[i + 2];
    *o++ = alphabet[(v >> 18) & 63];
    *o++ = alphabet[(v >> 12) & 63];
    *o++ = alphabet[(v >> 6) & 63];
    *o++ = alphabet[v & 63];
  }
  if (rest != 0) {
    const std::size_t i = full * 3;
    std::uint32_t v = std::uint32_t{in[i]} << 16;
    if (rest == 2) v |= std::uint32_t{in[i + 1]} << 8;
    *o++ = alphabet[(v >> 18) & 63];
    *o++ = alphabet[(v >> 12) & 63];
    if (rest == 2) {
      *o++ = alphabet[(v >> 6) & 63];
    } else if (pad) {
      *o++ = '=';
    }
    if (pad) *o++ = '=';
  }
  return out;
}

// Why `text` cannot be decoded; only called once decoding has failed.
std::string_view failure_reason(std::string_view text, const std::array<std::int8_t, 256>& table) {
  for (const char c : text) {
    if (table[static_cast<unsigned char>(c)] < 0) {
      return c == '=' ? "padding is not allowed here" : "character outside the alphabet";
    }
  }
  if (text.size() % 4 == 1) return "length leaves a single trailing character";
  return "non-canonical trailing bits";
}

// Decodes unpadded text in `table`'s alphabet into `out`. With `strict`, the bits a final partial
// group leaves over must be zero, so every byte string has exactly one accepted encoding.
// Returns a reason on failure, an empty view on success. Four characters per step into a
// presized buffer: this runs three times for every token checked.
std::string_view decode(std::string_view text, const std::array<std::int8_t, 256>& table,
                        bool strict, std::string& out) {
  const std::size_t n = text.size();
  const std::size_t rest = n % 4;
  if (rest == 1) return failure_reason(text, table);
  out.resize(n / 4 * 3 + (rest == 0 ? 0 : rest - 1));
  const auto* in = reinterpret_cast<const unsigned char*>(text.data());
  char* o = out.data();
  int bad = 0;  // negative once any character was outside the alphabet (table value -1)
  const auto value = [&](std::size_t i) {
    const int v = table[in[i]];
    bad |= v;
    return static_cast<std::uint32_t>(v) & 63u;
  };
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const std::uint32_t v =
        (value(i) << 18) | (value(i + 1) << 12) | (value(i + 2) << 6) | value(i + 3);
    *o++ = static_cast<char>(v >> 16);
    *o++ = static_cast<char>((v >> 8) & 0xff);
    *o++ = static_cast<char>(v & 0xff);
  }
  std::uint32_t leftover = 0;
  if (rest == 2) {
    const std::uint32_t last = value(i + 1);
    *o++ = static_cast<char>((value(i) << 2) | (last >> 4));
    leftover = last & 0x0f;
  } else if (rest == 3) {
    const std::uint32_t v = (value(i) << 12) | (value(i + 1) << 6) | value(i + 2);
    *o++ = static_cast<char>(v >> 10);
    *o++ = static_cast<char>((v >> 2) & 0xff);
    leftover = v & 0x03;
  }
  if (bad < 0 || (strict && leftover != 0)) return failure_reason(text, table);
  return {};
}

}  // namespace

std::string base64url_encode(std::string_view bytes) {
  return encode(bytes, kUrlAlphabet, false);
}

Result<std::string> base64url_decode(std::string_view text) {
  std::string out;
  if (const auto reason = decode(text, kUrlTable, /*strict=*/true, out); !reason.empty()) {
    return Error{ErrorCode::kTokenInvalid, "bad base64url: " + std::string(reason)};
  }
  return out;
}

std::string base64_encode(std::string_view bytes) {
  return encode(bytes, kStdAlphabet, true);
}

// Lenient where Python's base64.b64decode (what the tutorial runs) is lenient: whitespace and
// line breaks anywhere, missing padding and non-zero trailing bits are accepted.
Result<std::string> base64_decode(std::string_view text) {
  std::string compact;
  compact.reserve(text.size());
  for (const char c : text) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') compact.push_back(c);
  }
  std::size_t padding = 0;
  while (!compact.empty() && compact.back() == '=' && padding < 2) {
    compact.pop_back();
    ++padding;
  }
  if (padding != 0 && (compact.size() + padding) % 4 != 0) {
    return Error{ErrorCode::kInternal, "bad base64: wrong amount of '=' padding"};
  }
  std::string out;
  if (const auto reason = decode(compact, kStdTable, /*strict=*/false, out); !reason.empty()) {
    return Error{ErrorCode::kInternal, "bad base64: " + std::string(reason)};
  }
  return out;
}

}  // namespace gatehouse::auth
