#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "store/sql/database.hpp"
#include "store/sqlite/sqlite_checkpointer.hpp"
#include "store/sqlite/sqlite_connection.hpp"

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

// The embedded database: a fixed set of reader connections to one file, lent out one thread at a
// time, and one more connection that every write of this process goes through.
//
// SQLite lets one writer at a time in; a writer that finds the lock taken can only poll for it
// (the busy handler). Here this process's writers queue on a mutex instead and wake the moment the
// writer before them is done; the lock is then always free unless another process holds it
// (busy_timeout still covers that). And since only the writer connection ever writes, its page
// cache stays valid from one write to the next, where a connection that finds that another one
// has written must drop its whole cache and read every page again.
//
// Opened by open(options), it also runs the WAL's checkpoints on a thread of its own
// (SqliteCheckpointer), never in a committing request. Lock conflicts are not retried: the busy
// handler has already waited busy_timeout.
// Threading: acquire() and the leases' destruction are thread-safe; a leased connection belongs to
// the leasing thread until the lease is destroyed. The database must outlive every lease.
class SqliteDatabase final : public sql::Database {
 public:
  // Runs once on each new connection before it is lent out (e.g. to install hooks).
  using Configure = std::function<Status(SqliteConnection&)>;

  // The server's database: `options.pool_size` readers, the writer, and the checkpointer. Refuses
  // ":memory:" and prefixes that are not identifier characters. Does not migrate.
  static Result<std::unique_ptr<SqliteDatabase>> open(const SqliteOptions& options);
  // Without a checkpointer of its own: `size` (> 0) readers and the writer, each opened with
  // `prefix` and passed to `configure` (optional; its first error fails the open).
  static Result<std::unique_ptr<SqliteDatabase>> open(const std::string& path, std::size_t size,
                                                      std::chrono::milliseconds busy_timeout,
                                                      std::string prefix,
                                                      const Configure& configure = {});
  ~SqliteDatabase() override;

  sql::Dialect dialect() const override { return sql::Dialect::kSqlite; }
  // The readers and the writer.
  sql::PoolUsage usage() override;
  // kRead: a free reader, waiting up to the busy timeout for one. kWrite: the writer, waiting up
  // to the busy timeout for the writer before. kUnavailable when none frees up in that time. Do
  // not hold a reader meanwhile unless you need it: there are no more readers than threads.
  Result<Lease> acquire(sql::Access access) override;

 private:
  struct Connections {
    std::vector<std::unique_ptr<SqliteConnection>> readers;
    std::unique_ptr<SqliteConnection> writer;
  };
  static Result<Connections> open_connections(const std::string& path, std::size_t size,
                                              std::chrono::milliseconds busy_timeout,
                                              const std::string& prefix,
                                              const Configure& configure);
  SqliteDatabase(Connections connections, std::chrono::milliseconds wait,
                 std::unique_ptr<SqliteCheckpointer> checkpointer);
  void release(sql::Connection& connection, sql::Access access) noexcept override;

  // Declared first, destroyed last: the connections' WAL hooks point at it.
  const std::unique_ptr<SqliteCheckpointer> checkpointer_;  // may be null
  const std::vector<std::unique_ptr<SqliteConnection>> readers_;
  const std::chrono::milliseconds wait_;
  std::mutex mutex_;
  std::condition_variable freed_;
  std::vector<SqliteConnection*> free_;  // guarded by mutex_
  const std::unique_ptr<SqliteConnection> writer_;
  // Whether writer_ is lent (guarded by mutex_). A flag and a condition variable rather than a
  // timed_mutex: its try_lock_for is pthread_mutex_clocklock, which ThreadSanitizer (GCC 12) does
  // not see, so every release would read as an unlock of an unlocked mutex.
  bool writer_busy_ = false;
  std::condition_variable writer_freed_;
};

}  // namespace gatehouse::store
