#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/clock.hpp"

namespace gatehouse::keys {

// When managed keys change state (JWT_KEYS=managed). A pure policy: the same rows and time give
// the same answer in every process, so processes agree without talking to each other.
struct KeySchedule {
  // A new key is published this long before it signs: every process re-reads the set within
  // two poll intervals, then every JWKS cache (max-age) expires; the leeway covers clock skew.
  std::chrono::seconds publish_ahead{0};
  // A key that stopped signing still verifies this long: the access-token lifetime, plus two
  // poll intervals (a process may sign with it until its next read) and the leeway.
  std::chrono::seconds keep_after{0};
  std::chrono::seconds rotation_interval{0};  // JWT_KEY_ROTATION_DAYS
};

KeySchedule make_schedule(std::chrono::seconds jwks_max_age, std::chrono::seconds poll_interval,
                          std::chrono::seconds leeway, std::chrono::seconds access_ttl,
                          std::chrono::seconds rotation_interval);

struct ScheduledKey {
  std::int64_t generation = 0;
  SysTime signs_from;
};

enum class KeyState {
  kNext,      // published, not yet signing
  kActive,    // signing
  kPrevious,  // verifying tokens it signed until they have expired
  kExpired,   // no live token can need it: to delete
};
std::string_view key_state_name(KeyState state);

struct KeyPlan {
  std::vector<KeyState> states;  // one per key, in the order given
  std::optional<std::size_t> active;
  // No next key and the active one has signed for the rotation interval: add one.
  bool rotation_due = false;
  // When a key will stop verifying (kPrevious), for `keys list`; one per key, nullopt otherwise.
  std::vector<std::optional<SysTime>> verifies_until;
};

// `keys` in ascending generation. The active key is the newest whose signs_from has come (if
// none has, the oldest: a set is never without a signer); newer keys are next; an older key is
// previous until its successor's signs_from + keep_after, then expired.
KeyPlan plan_keys(const std::vector<ScheduledKey>& keys, SysTime now, const KeySchedule& schedule);

}  // namespace gatehouse::keys
