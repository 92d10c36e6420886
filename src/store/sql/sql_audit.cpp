// SqlStore: the audit trail (`{prefix}audit_event`).

#include <limits>
#include <utility>

#include "store/sql/sql_rows.hpp"
#include "store/sql/sql_store.hpp"

namespace gatehouse::store::sql {

constexpr Query kInsertEvent{.name = "insert_audit_event", .sql = R"sql(
INSERT INTO {{prefix}}audit_event
  (at, event, user_id, session_id, email, ip, user_agent, detail, actor_id)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
)sql"};

Status SqlStore::insert_events(Connection& conn, const std::vector<AuditEvent>& events) {
  for (const AuditEvent& e : events) {
    std::optional<std::string> session;
    if (!e.session_id.empty()) session = e.session_id;
    std::optional<std::string> email;
    if (!e.email.empty()) email = e.email;
    auto inserted = conn.run(
        kInsertEvent, {unix_seconds(e.at), e.event, e.user_id, session, email, clip_utf8(e.ip, 64),
                       clip_utf8(e.user_agent, 512), clip_utf8(e.detail, 255), e.actor_id});
    if (!inserted) return std::move(inserted).error();
  }
  return ok_status();
}

Status SqlStore::insert_events(Connection& conn, std::vector<AuditEvent> events,
                               std::int64_t user_id, std::string_view session_id) {
  for (AuditEvent& e : events) {
    e.user_id = user_id;
    if (!session_id.empty()) e.session_id = std::string(session_id);
  }
  return insert_events(conn, events);
}

Status SqlStore::record_event(const AuditEvent& event) {
  // In a transaction: a lost connection before COMMIT leaves no row, so repeating is safe.
  return db_->transaction([&](Connection& conn) { return insert_events(conn, {event}); });
}

// A user's own events: the (user_id, id) index answers it in order.
constexpr Query kUserEvents{.name = "user_audit_events", .sql = R"sql(
SELECT id, at, event, user_id, session_id, email, ip, user_agent, detail, actor_id
FROM {{prefix}}audit_event
WHERE user_id = ? AND id < ? AND at >= ? AND (? = '' OR event = ?)
ORDER BY id DESC LIMIT ? OFFSET ?
)sql"};

// Everything else (an operator's search): the filters that are unset match every row.
constexpr Query kFindEvents{.name = "find_audit_events", .sql = R"sql(
SELECT id, at, event, user_id, session_id, email, ip, user_agent, detail, actor_id
FROM {{prefix}}audit_event
WHERE id < ? AND at >= ? AND (? = '' OR event = ?) AND (? = '' OR email = ?)
ORDER BY id DESC LIMIT ? OFFSET ?
)sql"};

namespace {

AuditEvent read_event(const Cursor& row) {
  AuditEvent e;
  e.id = row.int64(0);
  e.at = from_unix_seconds(row.int64(1));
  e.event = row.text(2);
  e.user_id = row.optional_int64(3);
  e.session_id = row.optional_text(4).value_or("");
  e.email = row.optional_text(5).value_or("");
  e.ip = row.text(6);
  e.user_agent = row.text(7);
  e.detail = row.text(8);
  e.actor_id = row.optional_int64(9);
  return e;
}

}  // namespace

Result<std::vector<AuditEvent>> SqlStore::find_events(const AuditQuery& q) {
  const std::int64_t before = q.before_id.value_or(std::numeric_limits<std::int64_t>::max());
  const std::int64_t since = q.since ? unix_seconds(*q.since) : 0;
  const auto limit = static_cast<std::int64_t>(q.limit);
  const auto offset = static_cast<std::int64_t>(q.offset);
  return db_->read([&](Connection& conn) {
    if (q.user_id) {
      return all_rows(conn, kUserEvents,
                      {*q.user_id, before, since, q.event, q.event, limit, offset}, read_event);
    }
    return all_rows(conn, kFindEvents,
                    {before, since, q.event, q.event, q.email, q.email, limit, offset}, read_event);
  });
}

constexpr Query kDeleteEvents{.name = "delete_audit_events", .sql = R"sql(
DELETE FROM {{prefix}}audit_event WHERE at < ?
)sql"};

Result<std::size_t> SqlStore::delete_events_before(SysTime cutoff) {
  // Idempotent: repeating it after a lost connection deletes what is left.
  return db_->write([&](Connection& conn) -> Result<std::size_t> {
    auto deleted = conn.run(kDeleteEvents, {unix_seconds(cutoff)});
    if (!deleted) return std::move(deleted).error();
    return static_cast<std::size_t>(deleted->rows_affected());
  });
}

}  // namespace gatehouse::store::sql
