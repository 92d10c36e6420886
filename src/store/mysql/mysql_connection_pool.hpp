#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "store/mysql/mysql_connection.hpp"

namespace gatehouse::store {

// A fixed set of `size` connections to one server, lent out one thread at a time and connected
// lazily: a connection is opened by the first acquire() that gets it, and opened again by the next
// acquire() after it broke or the server closed it. Nothing is connected at construction, so a
// server that is down only fails the calls made while it is down, each within connect_timeout.
// Threading: acquire() and Lease destruction are thread-safe; a leased connection belongs to the
// leasing thread until the Lease is destroyed. The pool must outlive every Lease.
class MysqlConnectionPool {
 public:
  // Gives a connection back to the pool when destroyed; a broken connection, or one left inside a
  // transaction, is closed first.
  class Lease {
   public:
    Lease(MysqlConnectionPool& pool, MysqlConnection& connection)
        : pool_(&pool), connection_(&connection) {}
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();

    MysqlConnection& operator*() const { return *connection_; }
    MysqlConnection* operator->() const { return connection_; }

   private:
    MysqlConnectionPool* pool_;  // null once moved from
    MysqlConnection* connection_;
  };

  // `size` (> 0) connections to `endpoint`, each running `session_sql` after it connects; see
  // MysqlConnection. Callers wait up to `wait` for a free connection.
  static Result<std::unique_ptr<MysqlConnectionPool>> create(const MysqlEndpoint& endpoint,
                                                             const std::string& session_sql,
                                                             std::size_t size,
                                                             std::chrono::milliseconds wait,
                                                             std::size_t statement_slots);

  // A free connection, connected. kUnavailable "database pool exhausted" when none frees up within
  // `wait` (more concurrent callers than connections for that long), or the connect error.
  Result<Lease> acquire();

 private:
  MysqlConnectionPool(std::vector<std::unique_ptr<MysqlConnection>> connections,
                      std::chrono::milliseconds wait);
  void release(MysqlConnection& connection);

  const std::vector<std::unique_ptr<MysqlConnection>> connections_;
  const std::chrono::milliseconds wait_;
  std::mutex mutex_;
  std::condition_variable freed_;
  std::vector<MysqlConnection*> free_;  // guarded by mutex_
};

}  // namespace gatehouse::store
