#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "store/migrations.hpp"
#include "store/mysql/mysql_connection.hpp"
#include "store/store.hpp"

namespace gatehouse::store {

struct MysqlOptions {
  MysqlEndpoint endpoint;
  std::string prefix;  // DATABASE_PREFIX
  std::size_t pool_size = 2;
  std::chrono::milliseconds pool_wait{5000};  // how long a caller waits for a free connection
  // innodb_lock_wait_timeout of pooled connections: below endpoint.read_timeout, so that a row
  // lock held too long ends as "lock wait timeout" (kUnavailable) and not as a lost connection.
  std::chrono::seconds lock_wait_timeout{3};
};

// The MySQL/MariaDB backend (production), with the same contract and behaviours as SqliteStore.
// A fixed pool of connections, connected lazily, each with its server-side prepared statements
// made once and reused; sessions run in UTC (time_zone '+00:00'), utf8mb4, strict SQL mode.
// Failures: a connection error closes that connection and answers kUnavailable; the next lease
// reconnects. An operation that failed that way on a stale connection (the server restarted,
// killed it, or timed it out) is run once more on a fresh one, unless it may have committed:
// reads, idempotent writes and transactions whose COMMIT was not sent are repeated; a COMMIT that
// lost its connection is not. Rotation and rate-limit counters take row locks (SELECT ... FOR
// UPDATE) and are repeated once after a deadlock or a lock wait timeout.
class MysqlStore final : public Store {
 public:
  // Checks the options and makes the pool; connects nothing yet (the first call does), so it
  // succeeds while the server is down. Does not migrate.
  static Result<std::unique_ptr<MysqlStore>> open(const MysqlOptions& options);
  ~MysqlStore() override;

  Result<User> create_user(const NewUser& user) override;
  Result<std::optional<User>> find_user_by_email(std::string_view email_lower) override;
  Result<std::optional<User>> find_user_by_id(std::int64_t id) override;
  Status update_password_hash(std::int64_t user_id, std::string_view hash, SysTime now) override;
  Status create_session(const NewSession& session) override;
  Result<std::optional<UserWithSession>> find_user_with_session(std::int64_t user_id,
                                                                std::string_view sid,
                                                                SysTime now) override;
  Result<RotateResult> rotate_refresh_token(const RotateRequest& request) override;
  Result<std::optional<Session>> find_session_by_refresh_hash(std::string_view hash) override;
  Status revoke_session(std::string_view sid, SysTime now, std::string_view reason) override;
  Status ping() override;
  Result<std::vector<Session>> list_sessions(std::int64_t user_id, SysTime now) override;
  Result<std::size_t> revoke_user_sessions(std::int64_t user_id, std::string_view keep_sid,
                                           SysTime now, std::string_view reason) override;
  Result<bool> revoke_user_session(std::int64_t user_id, std::string_view sid, SysTime now,
                                   std::string_view reason) override;
  Result<std::size_t> sweep(SysTime now, std::chrono::seconds retention) override;
  Result<std::optional<ThrottleRecord>> get_throttle(std::string_view key) override;
  // Row-locked read-modify-write; repeated once after a deadlock or lock wait timeout, so
  // `mutate` may run twice (on a freshly read record each time).
  Result<ThrottleRecord> update_throttle(std::string_view key,
                                         const std::function<void(ThrottleRecord&)>& mutate,
                                         SysTime now) override;

  // A migration target on its own connection (for `gatehouse migrate` and start-up).
  std::unique_ptr<MigrationTarget> migration_target();

  class Impl;

 private:
  explicit MysqlStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gatehouse::store
