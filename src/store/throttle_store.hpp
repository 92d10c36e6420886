#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"

namespace gatehouse::store {

// One rate-limit counter (`{prefix}throttle`), keyed by a hash of what it limits (an account, a
// client address). Times are unix seconds. The policy that reads and moves it is
// auth::LoginThrottle.
struct ThrottleRecord {
  std::int64_t window_start = 0;   // start of the current one-hour window
  std::int64_t window_count = 0;   // failures (or attempts) in that window
  std::int64_t consecutive = 0;    // failures since the last success
  std::int64_t blocked_until = 0;  // no attempt is allowed before this
};

// The rate-limit counters. Thread-safe and blocking, like every store.
class ThrottleStore {
 public:
  virtual ~ThrottleStore() = default;

  virtual Result<std::optional<ThrottleRecord>> get_throttle(std::string_view key) = 0;
  // Read-modify-write of one counter under the write lock (a zeroed record when absent), so
  // concurrent failures from several threads all count. `mutate` may run more than once (a
  // backend retries after a lock conflict): it must only compute from the record it is given.
  virtual Result<ThrottleRecord> update_throttle(std::string_view key,
                                                 const std::function<void(ThrottleRecord&)>& mutate,
                                                 SysTime now) = 0;
};

}  // namespace gatehouse::store
