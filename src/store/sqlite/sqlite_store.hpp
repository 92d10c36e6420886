#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>

#include "core/result.hpp"
#include "store/migrations.hpp"
#include "store/sqlite/sqlite_checkpointer.hpp"
#include "store/store.hpp"

namespace gatehouse::store {

struct SqliteOptions {
  SqliteOptions() = default;
  // The common case in one expression (not an aggregate, so that leaving out the trailing
  // members does not trip -Wmissing-field-initializers).
  SqliteOptions(std::string path_, std::string prefix_, std::size_t pool_size_ = 2,
                std::chrono::milliseconds busy_timeout_ = std::chrono::milliseconds{5000})
      : path(std::move(path_)),
        prefix(std::move(prefix_)),
        pool_size(pool_size_),
        busy_timeout(busy_timeout_) {}

  std::string path;  // file path; ":memory:" is refused (each pooled connection would see its own)
  std::string prefix;  // DATABASE_PREFIX
  std::size_t pool_size = 2;
  std::chrono::milliseconds busy_timeout{5000};
  SqliteCheckpointOptions checkpoints;
};

// The embedded backend. A fixed pool of connections, each with its prepared statements made once
// and reused; WAL journal, synchronous=NORMAL, foreign_keys=ON, busy_timeout on every connection.
// Writers that must read-then-write (rotation) take the write lock up front (BEGIN IMMEDIATE).
// Every write goes through the pool's one writer connection, one at a time. The WAL is
// checkpointed by a thread of the store's own (SqliteCheckpointer), never by a committing request.
class SqliteStore final : public Store {
 public:
  // Opens (creating the file if missing) and configures the pool. Does not migrate.
  static Result<std::unique_ptr<SqliteStore>> open(const SqliteOptions& options);
  ~SqliteStore() override;

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
  Result<ThrottleRecord> update_throttle(std::string_view key,
                                         const std::function<void(ThrottleRecord&)>& mutate,
                                         SysTime now) override;

  // A migration target on its own connection (for `gatehouse migrate` and start-up).
  std::unique_ptr<MigrationTarget> migration_target();

  class Impl;

 private:
  explicit SqliteStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gatehouse::store
