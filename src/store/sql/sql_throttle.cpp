// SqlStore: the rate-limit counters (`{prefix}throttle`).

#include <utility>

#include "store/sql/sql_rows.hpp"
#include "store/sql/sql_store.hpp"

namespace gatehouse::store::sql {

constexpr Query kGetThrottle{.name = "get_throttle", .sql = R"sql(
SELECT window_start, window_count, consecutive, blocked_until
FROM {{prefix}}throttle WHERE throttle_key = ?
)sql"};

// Creates the counter if missing and takes its row lock either way. Unlike SELECT ... FOR UPDATE
// on a missing key (a gap lock on MySQL, nothing at all on PostgreSQL, so two callers could both
// go on and then collide inserting), the second caller for the same new key waits here for the
// first one's row. An upsert that updates (not DO NOTHING) is what locks an existing row.
constexpr Query kLockThrottle{
    .name = "lock_throttle",
    .sql = R"sql(
INSERT INTO {{prefix}}throttle
  (throttle_key, window_start, window_count, consecutive, blocked_until, updated_at)
VALUES (?, 0, 0, 0, 0, ?)
ON CONFLICT (throttle_key) DO UPDATE SET throttle_key = excluded.throttle_key
)sql",
    .mysql = R"sql(
INSERT INTO {{prefix}}throttle
  (throttle_key, window_start, window_count, consecutive, blocked_until, updated_at)
VALUES (?, 0, 0, 0, 0, ?)
ON DUPLICATE KEY UPDATE throttle_key = throttle_key
)sql",
};

constexpr Query kUpdateThrottle{.name = "update_throttle", .sql = R"sql(
UPDATE {{prefix}}throttle
SET window_start = ?, window_count = ?, consecutive = ?, blocked_until = ?, updated_at = ?
WHERE throttle_key = ?
)sql"};

namespace {

Result<std::optional<ThrottleRecord>> read_throttle(Connection& conn, std::string_view key) {
  return first_row(conn, kGetThrottle, {key}, [](const Cursor& row) {
    ThrottleRecord record;
    record.window_start = row.int64(0);
    record.window_count = row.int64(1);
    record.consecutive = row.int64(2);
    record.blocked_until = row.int64(3);
    return record;
  });
}

}  // namespace

Result<std::optional<ThrottleRecord>> SqlStore::get_throttle(std::string_view key) {
  return db_->read([&](Connection& conn) { return read_throttle(conn, key); });
}

Result<ThrottleRecord> SqlStore::update_throttle(std::string_view key,
                                                 const std::function<void(ThrottleRecord&)>& mutate,
                                                 SysTime now) {
  const std::int64_t now_s = unix_seconds(now);
  return db_->transaction([&](Connection& conn) -> Result<ThrottleRecord> {
    auto locked = conn.run(kLockThrottle, {key, now_s});
    if (!locked) return std::move(locked).error();
    // Locked by the statement above, so this read is the latest and stays so until COMMIT.
    auto current = read_throttle(conn, key);
    if (!current) return std::move(current).error();
    ThrottleRecord record = current->value_or(ThrottleRecord{});
    mutate(record);
    auto updated =
        conn.run(kUpdateThrottle, {record.window_start, record.window_count, record.consecutive,
                                   record.blocked_until, now_s, key});
    if (!updated) return std::move(updated).error();
    return record;
  });
}

}  // namespace gatehouse::store::sql
