// SqlStore: what spans the tables (readiness, the sweep).

#include <utility>

#include "store/sql/sql_store.hpp"

namespace gatehouse::store::sql {

Status SqlStore::ping() {
  return db_->read([](Connection& conn) { return conn.ping(); });
}

// Revoked sessions are kept for `retention` so a replayed token still reads as revoked. Their
// tokens go with them (ON DELETE CASCADE).
constexpr Query kSweepSessions{.name = "sweep_sessions", .sql = R"sql(
DELETE FROM {{prefix}}session
WHERE expires_at < ? OR (revoked_at IS NOT NULL AND revoked_at < ?)
)sql"};

constexpr Query kSweepTokens{.name = "sweep_tokens", .sql = R"sql(
DELETE FROM {{prefix}}refresh_token WHERE retired_at IS NOT NULL AND expires_at < ?
)sql"};

constexpr Query kSweepThrottle{.name = "sweep_throttle", .sql = R"sql(
DELETE FROM {{prefix}}throttle WHERE updated_at < ? AND blocked_until < ?
)sql"};

constexpr Query kSweepAccountTokens{.name = "sweep_account_tokens", .sql = R"sql(
DELETE FROM {{prefix}}account_token WHERE expires_at < ?
)sql"};

constexpr Query kSweepOutbox{.name = "sweep_outbox", .sql = R"sql(
DELETE FROM {{prefix}}outbox WHERE done_at IS NOT NULL AND done_at < ?
)sql"};

Result<std::size_t> SqlStore::sweep(SysTime now, std::chrono::seconds retention) {
  const std::int64_t cutoff = unix_seconds(now - retention);
  const std::int64_t now_s = unix_seconds(now);
  // Each DELETE commits on its own; repeating one after a lost connection deletes what is left.
  return db_->write([&](Connection& conn) -> Result<std::size_t> {
    std::size_t deleted = 0;
    const auto run = [&](const Query& query, std::initializer_list<Param> params) -> Status {
      auto done = conn.run(query, params);
      if (!done) return std::move(done).error();
      deleted += static_cast<std::size_t>(done->rows_affected());
      return ok_status();
    };
    if (auto st = run(kSweepSessions, {cutoff, cutoff}); !st) return std::move(st).error();
    if (auto st = run(kSweepTokens, {cutoff}); !st) return std::move(st).error();
    if (auto st = run(kSweepThrottle, {cutoff, now_s}); !st) return std::move(st).error();
    if (auto st = run(kSweepAccountTokens, {now_s}); !st) return std::move(st).error();
    if (auto st = run(kSweepOutbox, {cutoff}); !st) return std::move(st).error();
    return deleted;
  });
}

}  // namespace gatehouse::store::sql
