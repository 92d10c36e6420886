#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"

namespace gatehouse::store {

// One security event of the audit trail (`{prefix}audit_event`). Which events there are and when
// they are written is the services' business; the store keeps rows.
struct AuditEvent {
  std::int64_t id = 0;  // set by the store; orders events (newest: highest)
  SysTime at;
  std::string event;  // "login_failed", "logout", ...
  std::optional<std::int64_t> user_id;
  std::string session_id;  // empty: none
  std::string email;       // the account's address then (a failed login: the address tried)
  std::string ip;
  std::string user_agent;                // clipped to 512 bytes
  std::string detail;                    // the reason, the scope...; clipped to 255 bytes
  std::optional<std::int64_t> actor_id;  // the admin who acted on someone else's account
};

// Which events to read, newest first. Unset filters match everything.
struct AuditQuery {
  std::optional<std::int64_t> user_id;
  std::string email;  // exact, lower-case
  std::string event;
  std::optional<SysTime> since;           // at or after
  std::optional<std::int64_t> before_id;  // paging: only events older than this one
  std::size_t offset = 0;                 // paging by page number: skip this many
  std::size_t limit = 50;
};

// The audit trail. Thread-safe and blocking, like every store; failures to reach the database are
// ErrorCode::kUnavailable. Events that go with a change are written in that change's transaction
// by the method that makes it (a field of its input); these are for events that change nothing
// else and for reading.
class AuditStore {
 public:
  virtual ~AuditStore() = default;

  // Appends `event` (its id is ignored) in a transaction of its own.
  virtual Status record_event(const AuditEvent& event) = 0;
  // At most `query.limit` events matching `query`, newest first.
  virtual Result<std::vector<AuditEvent>> find_events(const AuditQuery& query) = 0;
  // Deletes the events from before `cutoff` (AUDIT_RETENTION_DAYS); how many.
  virtual Result<std::size_t> delete_events_before(SysTime cutoff) = 0;
};

}  // namespace gatehouse::store
