#pragma once

#include <chrono>

#include "store/sql/connection.hpp"

namespace gatehouse::store::sql {

// How a backend wants failed operations tried again.
struct RetryRules {
  // Attempts after a lock conflict (deadlock, serialization failure; on a Galera cluster also a
  // certification failure), which end at once. SQLite: 0, its busy handler has already waited.
  int lock_conflict_retries = 0;
  // Attempts after a lock wait timed out: each waits the lock timeout again, so few.
  int lock_timeout_retries = 0;
  // A lost connection is retried once on a fresh one when it failed within this time of the
  // attempt's start (a stale pooled connection), never when the server stopped answering.
  std::chrono::milliseconds stale_connection_window{0};
};

// What one attempt that failed tells about the next.
struct FailedAttempt {
  FailureKind failure = FailureKind::kOther;
  bool commit_in_doubt = false;  // a COMMIT was sent and its answer lost
  std::chrono::steady_clock::duration took{};
  int lock_conflicts_before = 0;  // conflicts of earlier attempts of this operation
  bool reconnected_before = false;
};

enum class RetryDecision { kGiveUp, kRetry, kReconnectAndRetry };

// The retry rules of every backend, in one pure function. An operation is run again only when
// nothing of it can have been committed: a lock conflict undid it, or its connection was lost
// before a COMMIT was sent (the server then rolls back). A COMMIT in doubt is never repeated, so a
// write is never applied twice.
RetryDecision decide_retry(const RetryRules& rules, const FailedAttempt& attempt);

}  // namespace gatehouse::store::sql
