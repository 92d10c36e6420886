#pragma once

#include <chrono>
#include <cstddef>

#include "core/result.hpp"
#include "store/account_store.hpp"
#include "store/admin_store.hpp"
#include "store/audit_store.hpp"
#include "store/key_store.hpp"
#include "store/outbox_store.hpp"
#include "store/session_store.hpp"
#include "store/throttle_store.hpp"
#include "store/user_store.hpp"

namespace gatehouse::store {

// The storage interface, one small interface per table group (users, sessions, rate limits, account
// tokens, outbox, signing keys, the audit trail, administration); a feature with tables of its own
// adds its own interface here. One implementation serves every SQL backend (sql::SqlStore);
// handlers never know which database runs. Every method is thread-safe and blocking: call it from a
// worker thread, never from an I/O thread. Failures to reach the database are
// ErrorCode::kUnavailable.
class Store : public UserStore,
              public SessionStore,
              public ThrottleStore,
              public AccountStore,
              public OutboxStore,
              public KeyStore,
              public AuditStore,
              public AdminStore {
 public:
  // A cheap round trip, for readiness checks.
  virtual Status ping() = 0;
  // Deletes what no check needs any more: sessions (with their tokens) expired or revoked more
  // than `retention` ago, retired tokens past their expiry, idle rate-limit counters, expired
  // account tokens, mail sent or dropped more than `retention` ago. Returns the number of rows
  // deleted.
  virtual Result<std::size_t> sweep(SysTime now, std::chrono::seconds retention) = 0;
};

}  // namespace gatehouse::store
