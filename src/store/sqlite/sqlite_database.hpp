#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "store/sqlite/sqlite_connection.hpp"

namespace gatehouse::store {

// A fixed set of connections to one database file, lent out one thread at a time, and one more
// connection that every write of this process goes through.
//
// SQLite lets one writer at a time in; a writer that finds the lock taken can only poll for it
// (the busy handler). Here this process's writers queue on a mutex instead and wake the moment the
// writer before them is done; the lock is then always free unless another process holds it
// (busy_timeout still covers that). And since only the writer connection ever writes, its page
// cache stays valid from one write to the next, where a connection that finds that another one
// has written must drop its whole cache and read every page again.
//
// Threading: acquire(), acquire_writer() and the leases' destruction are thread-safe; a leased
// connection belongs to the leasing thread until the lease is destroyed. The pool must outlive
// every lease.
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

  // The writer connection, held: no other write of this process runs until it is destroyed.
  class WriterLease {
   public:
    WriterLease(std::unique_lock<std::timed_mutex> lock, SqliteConnection& connection)
        : lock_(std::move(lock)), connection_(&connection) {}

    SqliteConnection& operator*() const { return *connection_; }
    SqliteConnection* operator->() const { return connection_; }

   private:
    std::unique_lock<std::timed_mutex> lock_;
    SqliteConnection* connection_;
  };

  // Runs once on each new connection before the pool lends it out (e.g. to install hooks).
  using Configure = std::function<Status(SqliteConnection&)>;

  // Opens `size` (> 0) connections to `path` and the writer connection; see
  // SqliteConnection::open. `configure` (optional) runs on each; its first error fails the open.
  static Result<std::unique_ptr<SqliteConnectionPool>> open(const std::string& path,
                                                            std::size_t size,
                                                            std::chrono::milliseconds busy_timeout,
                                                            std::size_t statement_slots,
                                                            const Configure& configure = {});

  // A free connection, waiting up to the busy timeout for one; kUnavailable when none frees up
  // (more concurrent callers than connections for that long).
  Result<Lease> acquire();
  // The writer connection, waiting up to the busy timeout for the writer before; kUnavailable
  // when it does not finish in that time. Do not hold a Lease of this pool's meanwhile unless
  // you need it: the pool has no more connections than threads that use it.
  Result<WriterLease> acquire_writer();

 private:
  SqliteConnectionPool(std::vector<std::unique_ptr<SqliteConnection>> connections,
                       std::unique_ptr<SqliteConnection> writer, std::chrono::milliseconds wait);
  void release(SqliteConnection& connection);

  const std::vector<std::unique_ptr<SqliteConnection>> connections_;
  const std::chrono::milliseconds wait_;
  std::mutex mutex_;
  std::condition_variable freed_;
  std::vector<SqliteConnection*> free_;  // guarded by mutex_
  const std::unique_ptr<SqliteConnection> writer_;
  std::timed_mutex writer_mutex_;  // held by whoever holds writer_
};

}  // namespace gatehouse::store
