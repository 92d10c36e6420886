#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "auth/argon2id.hpp"
#include "core/result.hpp"
#include "observability/metrics.hpp"

namespace gatehouse::auth {

struct Argon2Params {
  std::uint64_t memory_kib = 19456;  // OWASP: at least 19 MiB
  std::uint32_t passes = 2;
  // Ceilings for stored hashes on verify (beyond them: a mismatch and an error log), raised to the
  // configured cost when that is higher. Generous for any real configuration; a fuzzer lowers them.
  std::uint32_t verify_memory_ceiling_kib = 256 * 1024;
  std::uint32_t verify_passes_ceiling = 16;
  int verify_bcrypt_cost_ceiling = 16;  // passlib's default is 12; 16 is ~3 s here
};

enum class PasswordVerdict {
  kMismatch,
  kMatch,
  kMatchNeedsRehash,  // right password, but stored as legacy bcrypt or weaker argon2 parameters
};

// How long hashing takes (observability::MetricRegistry):
//   gatehouse_password_hash_duration_seconds{operation}   hash (registration, reset, change,
//                                                         rehash) or verify (login, burn included)
// Default-constructed: records nothing.
struct HashMetrics {
  HashMetrics() = default;
  explicit HashMetrics(observability::MetricRegistry& registry);
  observability::Histogram hash;
  observability::Histogram verify;
};

// argon2id (v1.3, one lane, libsodium's string format) for new hashes, computed by
// auth/argon2id.hpp on per-thread memory; verification also takes any argon2id/argon2i string
// libsodium reads, and the tutorial's passlib bcrypt hashes ($2b$, $2a$, $2y$) through libxcrypt's
// crypt_rn, so a migrated user logs in with the old password and is rehashed. Thread-safe. Every
// call costs ~13 ms of CPU at the defaults, and each calling thread keeps `memory_kib` of memory
// for its life (bcrypt-12: ~200 ms): run it on the hashing pool only.
class PasswordHasher {
 public:
  static constexpr std::uint32_t kMaxVerifyLanes = 16;

  explicit PasswordHasher(Argon2Params params, HashMetrics metrics = {});

  // "$argon2id$v=19$m=...,t=...,p=1$salt$hash". kInternal if memory cannot be had.
  Result<std::string> hash(std::string_view password) const;

  // Unknown or malformed stored hashes are a mismatch, never an error.
  PasswordVerdict verify(std::string_view password, std::string_view stored_hash) const;

  // Does the work of a verify against a fixed dummy hash and throws the answer away, so a login
  // for an unknown e-mail costs what a wrong password costs (no account enumeration by timing).
  void burn(std::string_view password) const;
  // The hash burn() verifies against: made by hash() at construction, so it has the current
  // parameters and costs what a stored hash of today costs.
  std::string_view dummy_hash() const { return dummy_hash_; }

 private:
  argon2id::Params argon2_params() const;
  std::uint32_t max_verify_memory_kib() const {
    return std::max<std::uint32_t>(params_.verify_memory_ceiling_kib,
                                   static_cast<std::uint32_t>(params_.memory_kib));
  }
  std::uint32_t max_verify_passes() const {
    return std::max<std::uint32_t>(params_.verify_passes_ceiling, params_.passes);
  }
  Result<std::string> compute_hash(std::string_view password) const;
  PasswordVerdict compare(std::string_view password, std::string_view stored_hash) const;
  // nullopt when the stored hash is not one the in-house argon2id takes (libsodium decides then).
  std::optional<PasswordVerdict> verify_argon2id_inhouse(std::string_view password,
                                                         std::string_view stored_hash) const;

  Argon2Params params_;
  HashMetrics metrics_;
  std::string dummy_hash_;
};

}  // namespace gatehouse::auth
