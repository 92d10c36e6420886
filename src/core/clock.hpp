#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace gatehouse {

using SysTime = std::chrono::system_clock::time_point;

// Wall-clock time, injected so that expiry and rotation tests set the time instead of sleeping.
// Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual SysTime now() const = 0;
};

class SystemClock final : public Clock {
 public:
  SysTime now() const override { return std::chrono::system_clock::now(); }
};

// A clock that moves only when told to; for tests.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(SysTime start) : ns_(start.time_since_epoch().count()) {}
  SysTime now() const override { return SysTime(SysTime::duration(ns_.load())); }
  void advance(std::chrono::nanoseconds d) {
    ns_ += std::chrono::duration_cast<SysTime::duration>(d).count();
  }
  void set(SysTime t) { ns_ = t.time_since_epoch().count(); }

 private:
  std::atomic<SysTime::duration::rep> ns_;
};

inline std::int64_t unix_seconds(SysTime t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}
// Whole seconds, rounded up: a wait that starts at `t` and is stored in whole seconds must not end
// before `t` plus the wait (10.999 s truncated to 10 would cut a 1 s delay to 1 ms).
inline std::int64_t unix_seconds_ceil(SysTime t) {
  return std::chrono::ceil<std::chrono::seconds>(t.time_since_epoch()).count();
}
inline SysTime from_unix_seconds(std::int64_t s) {
  return SysTime(std::chrono::seconds(s));
}

}  // namespace gatehouse
