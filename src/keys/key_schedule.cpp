#include "keys/key_schedule.hpp"

namespace gatehouse::keys {

KeySchedule make_schedule(std::chrono::seconds jwks_max_age, std::chrono::seconds poll_interval,
                          std::chrono::seconds leeway, std::chrono::seconds access_ttl,
                          std::chrono::seconds rotation_interval) {
  // Two poll intervals: a poll runs an interval after the previous one ended, so a slow database
  // read delays it; one more interval bounds that.
  return KeySchedule{.publish_ahead = jwks_max_age + 2 * poll_interval + leeway,
                     .keep_after = access_ttl + 2 * poll_interval + leeway,
                     .rotation_interval = rotation_interval};
}

std::string_view key_state_name(KeyState state) {
  switch (state) {
    case KeyState::kNext:
      return "next";
    case KeyState::kActive:
      return "active";
    case KeyState::kPrevious:
      return "previous";
    case KeyState::kExpired:
      return "expired";
  }
  return "?";
}

KeyPlan plan_keys(const std::vector<ScheduledKey>& keys, SysTime now, const KeySchedule& schedule) {
  KeyPlan plan;
  plan.states.assign(keys.size(), KeyState::kNext);
  plan.verifies_until.assign(keys.size(), std::nullopt);
  if (keys.empty()) return plan;
  std::size_t active = 0;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (keys[i].signs_from <= now) active = i;
  }
  plan.active = active;
  plan.states[active] = KeyState::kActive;
  for (std::size_t i = 0; i < active; ++i) {
    // The moment key i stopped signing: when the key after it started.
    const SysTime until = keys[i + 1].signs_from + schedule.keep_after;
    plan.states[i] = now < until ? KeyState::kPrevious : KeyState::kExpired;
    plan.verifies_until[i] = until;
  }
  plan.rotation_due =
      active + 1 == keys.size() && now >= keys[active].signs_from + schedule.rotation_interval;
  return plan;
}

}  // namespace gatehouse::keys
