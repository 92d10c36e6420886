#pragma once

#include <chrono>

#include "core/clock.hpp"
#include "core/periodic_thread.hpp"
#include "store/store.hpp"

namespace gatehouse::auth {

// Deletes expired and long-revoked sessions, retired refresh tokens, idle rate-limit counters
// (store::Store::sweep) and audit events older than `audit_retention` (zero: kept forever) every
// `interval`, on a thread of its own (never an I/O thread). Revoked sessions are kept for
// `retention` first, so a late replay of their tokens still reads as revoked in the logs.
class SessionSweeper {
 public:
  SessionSweeper(store::Store& store, const Clock& clock, std::chrono::seconds interval,
                 std::chrono::seconds audit_retention,
                 std::chrono::seconds retention = std::chrono::hours(24));
  ~SessionSweeper() = default;  // stops and joins (thread_)
  SessionSweeper(const SessionSweeper&) = delete;
  SessionSweeper& operator=(const SessionSweeper&) = delete;

  void start() { thread_.start(); }
  void stop() { thread_.stop(); }
  // One pass now; returns rows deleted (or the error). Used by the thread and by tests.
  Result<std::size_t> sweep_once();

 private:
  void tick();

  store::Store& store_;
  const Clock& clock_;
  std::chrono::seconds audit_retention_;
  std::chrono::seconds retention_;
  PeriodicThread thread_;  // last: stopped before the members its ticks use go
};

}  // namespace gatehouse::auth
