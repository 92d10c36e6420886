#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "store/sqlite/sqlite_connection.hpp"

namespace gatehouse::store {

// A fixed set of connections to one database file, lent out one thread at a time.
// Threading: acquire() and Lease destruction are thread-safe; a leased connection belongs to the
// leasing thread until the Lease is destroyed. The pool must outlive every Lease.
class SqliteConnectionPool {
 public:
  // Gives a connection back to the pool when destroyed.
  class Lease {
   public:
    Lease(SqliteConnectionPool& pool, SqliteConnection& connection)
        : pool_(&pool), connection_(&connection) {}
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();

    SqliteConnection& operator*() const { return *connection_; }
    SqliteConnection* operator->() const { return connection_; }

   private:
    SqliteConnectionPool* pool_;  // null once moved from
    SqliteConnection* connection_;
  };

  // Opens `size` (> 0) connections to `path`; see SqliteConnection::open.
  static Result<std::unique_ptr<SqliteConnectionPool>> open(const std::string& path,
                                                            std::size_t size,
                                                            std::chrono::milliseconds busy_timeout,
                                                            std::size_t statement_slots);

  // A free connection, waiting up to the busy timeout for one; kUnavailable when none frees up
  // (more concurrent callers than connections for that long).
  Result<Lease> acquire();

 private:
  SqliteConnectionPool(std::vector<std::unique_ptr<SqliteConnection>> connections,
                       std::chrono::milliseconds wait);
  void release(SqliteConnection& connection);

  const std::vector<std::unique_ptr<SqliteConnection>> connections_;
  const std::chrono::milliseconds wait_;
  std::mutex mutex_;
  std::condition_variable freed_;
  std::vector<SqliteConnection*> free_;  // guarded by mutex_
};

}  // namespace gatehouse::store
