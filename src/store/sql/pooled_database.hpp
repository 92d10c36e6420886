#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "store/sql/database.hpp"

namespace gatehouse::store::sql {

// A database server reached through a fixed set of connections (MySQL/MariaDB, PostgreSQL), lent
// out one caller at a time for reads and writes alike, and connected lazily: a connection is
// opened by the first acquire() that gets it, and opened again by the next acquire() after it broke
// or the server closed it. Nothing connects at construction, so a server that is down only fails
// the calls made while it is down.
class PooledDatabase final : public Database {
 public:
  // `connections` (at least one) are not connected yet; callers wait up to `wait` for a free one.
  PooledDatabase(Dialect dialect, std::vector<std::unique_ptr<Connection>> connections,
                 std::chrono::milliseconds wait, RetryRules rules);

  Dialect dialect() const override { return dialect_; }
  PoolUsage usage() override;
  // A free connection, connected. kUnavailable "database pool exhausted" when none frees up
  // within `wait` (more concurrent callers than connections for that long), or the connect error.
  Result<Lease> acquire(Access access) override;

 private:
  // A connection in an unknown state (broken, or left inside a transaction) is closed before it
  // is lent again; the next acquire() connects it.
  void release(Connection& connection, Access access) noexcept override;

  const Dialect dialect_;
  const std::vector<std::unique_ptr<Connection>> connections_;
  const std::chrono::milliseconds wait_;
  std::mutex mutex_;
  std::condition_variable freed_;
  std::vector<Connection*> free_;  // guarded by mutex_
};

}  // namespace gatehouse::store::sql
