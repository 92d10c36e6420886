#include "auth/password_hasher.hpp"

#include <spdlog/spdlog.h>

#include <crypt.h>
#include <sodium.h>

#include <array>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gatehouse::auth {
namespace {

constexpr std::string_view kArgon2idPrefix = "$argon2id$";
constexpr std::string_view kArgon2iPrefix = "$argon2i$";
constexpr std::array<std::string_view, 3> kBcryptPrefixes = {"$2b$", "$2a$", "$2y$"};

// An encoded argon2 hash is about 100 bytes; anything much longer did not come from a hasher and
// is refused before libsodium copies and decodes it.
constexpr std::size_t kMaxArgon2HashBytes = 512;

// "$2b$" + two cost digits + "$" + 22 salt characters + 31 hash characters.
constexpr std::size_t kBcryptHashBytes = 60;
constexpr std::size_t kBcryptHeaderBytes = 7;

constexpr std::size_t kDummySecretBytes = 16;

// What libsodium's crypto_pwhash_str writes: hashes stay readable by libsodium and other argon2
// libraries, and hashes stored before the in-house argon2id verify here.
constexpr std::size_t kSaltBytes = crypto_pwhash_SALTBYTES;
constexpr std::size_t kTagBytes = 32;  // crypto_pwhash_str's tag length
// Salt and tag lengths the in-house argon2id takes; others go to libsodium.
constexpr std::size_t kMinSaltBytes = 8;
constexpr std::size_t kMaxSaltBytes = 64;
constexpr std::size_t kMinTagBytes = 16;
constexpr std::size_t kMaxTagBytes = 64;
constexpr int kBase64 = sodium_base64_VARIANT_ORIGINAL_NO_PADDING;

std::string to_base64(const unsigned char* data, std::size_t size) {
  std::string out(sodium_base64_ENCODED_LEN(size, kBase64), '\0');
  sodium_bin2base64(out.data(), out.size(), data, size, kBase64);
  out.resize(std::strlen(out.c_str()));
  return out;
}

// "$argon2id$v=19$m=<m>,t=<t>,p=1$<salt>$<tag>", as libsodium writes it.
std::string encode_argon2id(std::uint32_t memory_kib, std::uint32_t passes,
                            const unsigned char* salt, std::size_t salt_size,
                            const unsigned char* tag, std::size_t tag_size) {
  std::string out(kArgon2idPrefix);
  out += "v=19$m=" + std::to_string(memory_kib) + ",t=" + std::to_string(passes) + ",p=1$";
  out += to_base64(salt, salt_size);
  out += '$';
  out += to_base64(tag, tag_size);
  return out;
}

struct DecodedArgon2id {
  std::uint32_t memory_kib = 0;
  std::uint32_t passes = 0;
  std::uint32_t lanes = 0;
  std::vector<unsigned char> salt;
  std::vector<unsigned char> tag;
};

// Consumes `literal` at the front of `text`.
bool eat(std::string_view& text, std::string_view literal) {
  if (!text.starts_with(literal)) return false;
  text.remove_prefix(literal.size());
  return true;
}

// A decimal without sign or leading zero that fits 32 bits.
bool eat_u32(std::string_view& text, std::uint32_t& value) {
  if (text.empty() || (text[0] == '0' && text.size() > 1 && text[1] >= '0' && text[1] <= '9')) {
    return false;
  }
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end == text.data()) return false;
  text.remove_prefix(static_cast<std::size_t>(end - text.data()));
  return true;
}

bool decode_base64(std::string_view text, std::size_t max_bytes, std::vector<unsigned char>& out) {
  out.resize(max_bytes);
  std::size_t size = 0;
  const char* end = nullptr;
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &size, &end,
                        kBase64) != 0 ||
      end != text.data() + text.size()) {
    return false;
  }
  out.resize(size);
  return true;
}

// Only the well-formed version-1.3 argon2id strings this hasher can compute itself; anything else
// (argon2i, other versions, odd lengths) is left to libsodium.
std::optional<DecodedArgon2id> decode_argon2(std::string_view text, std::string_view prefix) {
  DecodedArgon2id d;
  if (!eat(text, prefix) || !eat(text, "v=19$m=") || !eat_u32(text, d.memory_kib) ||
      !eat(text, ",t=") || !eat_u32(text, d.passes) || !eat(text, ",p=") ||
      !eat_u32(text, d.lanes) || !eat(text, "$")) {
    return std::nullopt;
  }
  const std::size_t dollar = text.find('$');
  if (dollar == std::string_view::npos ||
      !decode_base64(text.substr(0, dollar), kMaxSaltBytes, d.salt) ||
      !decode_base64(text.substr(dollar + 1), kMaxTagBytes, d.tag) ||
      d.salt.size() < kMinSaltBytes || d.tag.size() < kMinTagBytes) {
    return std::nullopt;
  }
  return d;
}

// Never hand libsodium a null pointer, even for an empty password.
const char* password_ptr(std::string_view password) {
  return password.empty() ? "" : password.data();
}

bool is_bcrypt_alphabet(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '/';
}

bool is_bcrypt_prefix(std::string_view stored_hash) {
  for (std::string_view prefix : kBcryptPrefixes) {
    if (stored_hash.starts_with(prefix)) return true;
  }
  return false;
}

// "$2b$12$" followed by 53 characters of bcrypt's base64 alphabet, cost 04..31. Checked before
// crypt_rn so that truncated or padded database values are a plain mismatch.
bool is_well_formed_bcrypt(std::string_view stored_hash, int max_cost) {
  if (stored_hash.size() != kBcryptHashBytes || !is_bcrypt_prefix(stored_hash)) return false;
  const char tens = stored_hash[4];
  const char ones = stored_hash[5];
  if (tens < '0' || tens > '3' || ones < '0' || ones > '9' || stored_hash[6] != '$') return false;
  const int cost = (tens - '0') * 10 + (ones - '0');
  if (cost < 4 || cost > 31) return false;
  if (cost > max_cost) {
    spdlog::error(
        "password hash refused: bcrypt cost {} is over the ceiling of {} (hours of "
        "hashing); set a new password for this account",
        cost, max_cost);
    return false;
  }
  for (char c : stored_hash.substr(kBcryptHeaderBytes)) {
    if (!is_bcrypt_alphabet(c)) return false;
  }
  return true;
}

// Legacy passlib/python-bcrypt hashes. A match is always kMatchNeedsRehash so the user moves to
// argon2id on this login. bcrypt only looks at the first 72 bytes of the password; that is
// tolerated for these old hashes only.
PasswordVerdict verify_bcrypt(std::string_view password, std::string_view stored_hash,
                              int max_cost) {
  if (!is_well_formed_bcrypt(stored_hash, max_cost)) return PasswordVerdict::kMismatch;
  // crypt_rn reads C strings: a NUL inside the password would silently shorten it (passlib
  // refuses such passwords, so no stored hash can match one).
  if (password.find('\0') != std::string_view::npos) return PasswordVerdict::kMismatch;

  // ~32 KiB, so on the heap rather than a pool thread's stack; value-initialised (zeroed) as
  // libxcrypt asks. One per call keeps crypt_rn reentrant without thread_local state, and the
  // allocation is nothing next to a bcrypt run.
  auto data = std::make_unique<crypt_data>();
  std::string phrase(password);
  const std::string setting(stored_hash);

  PasswordVerdict verdict = PasswordVerdict::kMismatch;
  const char* out = crypt_rn(phrase.c_str(), setting.c_str(), data.get(), sizeof(crypt_data));
  if (out != nullptr && out[0] != '*') {
    const std::size_t out_len = std::strlen(out);
    if (out_len == stored_hash.size() &&
        sodium_memcmp(out, stored_hash.data(), stored_hash.size()) == 0) {
      verdict = PasswordVerdict::kMatchNeedsRehash;
    }
  }
  // crypt_data keeps a copy of the passphrase; do not leave it on the heap.
  sodium_memzero(data.get(), sizeof(crypt_data));
  sodium_memzero(phrase.data(), phrase.size());
  return verdict;
}

}  // namespace

// Throws std::invalid_argument for parameters libsodium cannot use and std::runtime_error when
// the dummy hash cannot be made (no memory): both are start-up failures, not request errors.
HashMetrics::HashMetrics(observability::MetricRegistry& registry) {
  // 1 ms to 10 s: argon2id at the defaults takes ~15 ms, bcrypt-12 ~200 ms; beyond 1 s the
  // hashing pool is starved.
  const std::vector<double> buckets{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                    0.25,  0.5,    1,     2.5,  5,     10};
  const std::string name = "gatehouse_password_hash_duration_seconds";
  const std::string help =
      "Password hashing and verification time (CPU-bound, on the hashing pool).";
  hash = registry.histogram(name, help, buckets, {{"operation", "hash"}});
  verify = registry.histogram(name, help, buckets, {{"operation", "verify"}});
}

namespace {

// Records the time from construction to destruction into `histogram`.
class Timed {
 public:
  explicit Timed(const observability::Histogram& histogram)
      : histogram_(histogram), start_(std::chrono::steady_clock::now()) {}
  ~Timed() {
    histogram_.observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
  }
  Timed(const Timed&) = delete;
  Timed& operator=(const Timed&) = delete;

 private:
  const observability::Histogram& histogram_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

PasswordHasher::PasswordHasher(Argon2Params params, HashMetrics metrics)
    : params_(params), metrics_(std::move(metrics)) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium: sodium_init failed");
  if (params_.passes < crypto_pwhash_argon2id_OPSLIMIT_MIN ||
      params_.passes > crypto_pwhash_argon2id_OPSLIMIT_MAX) {
    throw std::invalid_argument("argon2id: passes out of range");
  }
  if (params_.memory_kib > std::numeric_limits<std::size_t>::max() / 1024 ||
      params_.memory_kib * 1024 < crypto_pwhash_argon2id_MEMLIMIT_MIN ||
      params_.memory_kib * 1024 > crypto_pwhash_argon2id_MEMLIMIT_MAX) {
    throw std::invalid_argument("argon2id: memory_kib out of range");
  }

  // The dummy's password is random, so no login can ever match it; only its cost matters.
  std::array<unsigned char, kDummySecretBytes> secret{};
  randombytes_buf(secret.data(), secret.size());
  std::array<char, kDummySecretBytes * 2 + 1> hex{};
  sodium_bin2hex(hex.data(), hex.size(), secret.data(), secret.size());
  Result<std::string> dummy = compute_hash(std::string_view(hex.data(), kDummySecretBytes * 2));
  if (!dummy) {
    throw std::runtime_error("argon2id: cannot make the dummy hash: " + dummy.error().internal);
  }
  dummy_hash_ = std::move(*dummy);
  // The constructing thread (start-up) does not hash again; the hashing pool's threads keep theirs.
  argon2id::release_thread_memory();
}

Result<std::string> PasswordHasher::hash(std::string_view password) const {
  const Timed timed(metrics_.hash);
  return compute_hash(password);
}

Result<std::string> PasswordHasher::compute_hash(std::string_view password) const {
  if (password.size() > crypto_pwhash_PASSWD_MAX) {
    return Error{ErrorCode::kInternal, "argon2id: password too long"};
  }
  std::array<unsigned char, kSaltBytes> salt{};
  randombytes_buf(salt.data(), salt.size());
  std::array<unsigned char, kTagBytes> tag{};
  if (!argon2id::hash_raw(tag, password, salt, argon2_params())) {
    return Error{ErrorCode::kInternal, "argon2id: hashing failed (out of memory?)"};
  }
  std::string encoded = encode_argon2id(argon2_params().memory_kib, argon2_params().passes,
                                        salt.data(), salt.size(), tag.data(), tag.size());
  sodium_memzero(tag.data(), tag.size());
  return encoded;
}

argon2id::Params PasswordHasher::argon2_params() const {
  return {.memory_kib = static_cast<std::uint32_t>(params_.memory_kib), .passes = params_.passes};
}

// The common case (a hash this hasher wrote, or any v1.3 argon2id with one lane and no more
// memory than configured) runs in-house on the thread's kept memory; the rest through libsodium,
// whose memory is mapped per call, so a stored hash can never make a hashing thread keep more
// than the configured memory.
std::optional<PasswordVerdict> PasswordHasher::verify_argon2id_inhouse(
    std::string_view password, std::string_view stored_hash) const {
  const std::optional<DecodedArgon2id> decoded = decode_argon2(stored_hash, kArgon2idPrefix);
  if (!decoded || decoded->lanes != 1 || decoded->memory_kib > params_.memory_kib) {
    return std::nullopt;
  }
  std::array<unsigned char, kMaxTagBytes> computed{};
  const std::span<unsigned char> tag(computed.data(), decoded->tag.size());
  // false for parameters it does not take (e.g. t=0): libsodium decides those.
  if (!argon2id::hash_raw(tag, password, decoded->salt,
                          {.memory_kib = decoded->memory_kib, .passes = decoded->passes})) {
    return std::nullopt;
  }
  const bool match = sodium_memcmp(tag.data(), decoded->tag.data(), tag.size()) == 0;
  sodium_memzero(computed.data(), computed.size());
  if (!match) return PasswordVerdict::kMismatch;
  return decoded->memory_kib != params_.memory_kib || decoded->passes != params_.passes
             ? PasswordVerdict::kMatchNeedsRehash
             : PasswordVerdict::kMatch;
}

PasswordVerdict PasswordHasher::verify(std::string_view password,
                                       std::string_view stored_hash) const {
  const Timed timed(metrics_.verify);
  return compare(password, stored_hash);
}

PasswordVerdict PasswordHasher::compare(std::string_view password,
                                        std::string_view stored_hash) const {
  const bool argon2id = stored_hash.starts_with(kArgon2idPrefix);
  const bool argon2i = stored_hash.starts_with(kArgon2iPrefix);
  if (argon2id || argon2i) {
    if (stored_hash.size() > kMaxArgon2HashBytes ||
        stored_hash.find('\0') != std::string_view::npos) {
      return PasswordVerdict::kMismatch;
    }
    // Bounded before any work: a stored t=4294967295 or m=4 GiB would pin a hashing thread for
    // hours or take the machine's memory. What this server cannot parse it does not run either.
    const auto decoded = decode_argon2(stored_hash, argon2id ? kArgon2idPrefix : kArgon2iPrefix);
    if (!decoded) return PasswordVerdict::kMismatch;
    if (decoded->memory_kib > max_verify_memory_kib() || decoded->passes > max_verify_passes() ||
        decoded->lanes > kMaxVerifyLanes) {
      spdlog::error(
          "password hash refused: m={} KiB, t={}, p={} is over the ceiling of m={} KiB, t={}, "
          "p={}; set a new password for this account",
          decoded->memory_kib, decoded->passes, decoded->lanes, max_verify_memory_kib(),
          max_verify_passes(), kMaxVerifyLanes);
      return PasswordVerdict::kMismatch;
    }
    if (argon2id) {
      if (const auto verdict = verify_argon2id_inhouse(password, stored_hash)) return *verdict;
    }
    const std::string encoded(stored_hash);  // libsodium wants a NUL-terminated string
    if (crypto_pwhash_str_verify(encoded.c_str(), password_ptr(password), password.size()) != 0) {
      return PasswordVerdict::kMismatch;
    }
    // argon2i (older libraries' choice) is read but never written: move it to argon2id.
    // needs_rehash returns 1 for other parameters and -1 for a hash it cannot decode.
    if (argon2i ||
        crypto_pwhash_str_needs_rehash(encoded.c_str(), params_.passes,
                                       static_cast<std::size_t>(params_.memory_kib) * 1024) != 0) {
      return PasswordVerdict::kMatchNeedsRehash;
    }
    return PasswordVerdict::kMatch;
  }
  if (is_bcrypt_prefix(stored_hash)) {
    return verify_bcrypt(password, stored_hash, params_.verify_bcrypt_cost_ceiling);
  }
  return PasswordVerdict::kMismatch;
}

void PasswordHasher::burn(std::string_view password) const {
  static_cast<void>(verify(password, dummy_hash_));
}

}  // namespace gatehouse::auth
