#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "core/result.hpp"
#include "observability/metrics.hpp"
#include "store/sql/connection.hpp"
#include "store/sql/retry.hpp"

namespace gatehouse::store::sql {

// What a caller is going to do with a connection. SQLite lends readers from its pool and its one
// writer connection for writes; the servers lend any pooled connection for either.
enum class Access { kRead, kWrite };

// How many connections a database has and how many are lent out now.
struct PoolUsage {
  std::size_t in_use = 0;
  std::size_t size = 0;
};

// What a Database counts, per thread (observability::MetricRegistry):
//   gatehouse_db_calls_total{call, outcome}        call: read, write, transaction; outcome: ok,
//                                                  error (the query failed), unavailable (no
//                                                  connection, or the server unreachable)
//   gatehouse_db_call_duration_seconds{call}       from asking for a connection to the result,
//                                                  retries included
//   gatehouse_db_retries_total{reason}             lock_conflict (deadlock, serialization or
//                                                  certification failure), reconnect
//   gatehouse_db_connections{state}                in_use, and size (the pool)
// Default-constructed: counts nothing.
class DatabaseMetrics {
 public:
  DatabaseMetrics() = default;
  // Registers the series; the gauges read `usage` at scrape time.
  DatabaseMetrics(observability::MetricRegistry& registry, std::function<PoolUsage()> usage);

  bool enabled() const { return enabled_; }
  // `error`: the code of the failed call's error, nullopt when it succeeded.
  void completed(bool transaction, Access access, std::optional<ErrorCode> error,
                 double seconds) const;
  void retried(bool reconnect) const { retries_[reconnect ? 1 : 0].inc(); }

 private:
  static constexpr std::size_t kCalls = 3;     // read, write, transaction
  static constexpr std::size_t kOutcomes = 3;  // ok, error, unavailable
  std::array<std::array<observability::Counter, kOutcomes>, kCalls> calls_;
  std::array<observability::Histogram, kCalls> durations_;
  std::array<observability::Counter, 2> retries_;
  bool enabled_ = false;
};

// A database: hands out connections and runs operations on them with the retry rules written
// once (decide_retry). An operation is a callable `Connection& -> Result<T>`.
// Example:
//   auto user = db.read([&](Connection& conn) -> Result<std::optional<User>> { ... });
//   auto done = db.transaction([&](Connection& conn) -> Status { ... });
// Threading: every method is thread-safe and blocks; the pool bounds how many callers touch the
// database at once.
class Database {
 public:
  // A connection lent to one caller; given back when destroyed.
  class Lease {
   public:
    Lease(Database& owner, Connection& connection, Access access)
        : owner_(&owner), connection_(&connection), access_(access) {}
    Lease(Lease&& other) noexcept
        : owner_(std::exchange(other.owner_, nullptr)),
          connection_(other.connection_),
          access_(other.access_) {}
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() {
      if (owner_ != nullptr) owner_->release(*connection_, access_);
    }

    Connection& operator*() const { return *connection_; }
    Connection* operator->() const { return connection_; }

   private:
    Database* owner_;  // null once moved from
    Connection* connection_;
    Access access_;
  };

  explicit Database(RetryRules rules) : rules_(rules) {}
  virtual ~Database() = default;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  virtual Dialect dialect() const = 0;
  // The connections lent out now, for the metrics' gauge.
  virtual PoolUsage usage() = 0;
  // Counts every call from now on. Call it once, before the database is shared with other
  // threads (open_store does, right after opening it).
  void instrument(DatabaseMetrics metrics) { metrics_ = std::move(metrics); }
  // A connection for `access`, connected; kUnavailable when none frees up in time or the server
  // cannot be reached.
  virtual Result<Lease> acquire(Access access) = 0;

  // Runs a read (one or more SELECTs, no transaction).
  template <class Op>
  auto read(Op&& op) {
    return run(Access::kRead, false, op);
  }
  // Runs writes that are each safe alone and safe to repeat (idempotent UPDATEs and DELETEs).
  template <class Op>
  auto write(Op&& op) {
    return run(Access::kWrite, false, op);
  }
  // Runs `op` in a write transaction: committed when it returns a value, rolled back when it
  // returns an error. `op` may run more than once (see decide_retry), each time from the start of
  // a new transaction, so it must only compute from what it reads.
  template <class Op>
  auto transaction(Op&& op) {
    return run(Access::kWrite, true, op);
  }

 protected:
  friend class Lease;
  virtual void release(Connection& connection, Access access) noexcept = 0;

 private:
  template <class Op>
  static std::invoke_result_t<Op&, Connection&> attempt(Connection& conn, bool transaction,
                                                        Op& op) {
    using R = std::invoke_result_t<Op&, Connection&>;
    if (!transaction) return op(conn);
    if (auto st = conn.begin_write(); !st) return R(std::move(st).error());
    R result = op(conn);
    if (!result) {
      conn.rollback();
      return result;
    }
    if (auto st = conn.commit(); !st) {
      conn.rollback();
      return R(std::move(st).error());
    }
    return result;
  }

  template <class Op>
  std::invoke_result_t<Op&, Connection&> run(Access access, bool transaction, Op& op) {
    if (!metrics_.enabled()) return run_uncounted(access, transaction, op);
    const auto started = std::chrono::steady_clock::now();
    auto result = run_uncounted(access, transaction, op);
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
    metrics_.completed(transaction, access,
                       result ? std::nullopt : std::optional<ErrorCode>(result.error().code),
                       took.count());
    return result;
  }

  template <class Op>
  std::invoke_result_t<Op&, Connection&> run_uncounted(Access access, bool transaction, Op& op) {
    auto lease = acquire(access);
    if (!lease) return std::move(lease).error();
    Connection& conn = **lease;
    FailedAttempt history;
    while (true) {
      // The clock only matters to the stale-connection rule (servers); SQLite skips reading it.
      const bool timed = rules_.stale_connection_window.count() > 0;
      const auto started =
          timed ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
      conn.clear_failure();
      auto result = attempt(conn, transaction, op);
      if (result) return result;
      FailedAttempt failed = history;
      failed.failure = conn.last_failure();
      failed.commit_in_doubt = conn.commit_in_doubt();
      if (timed) failed.took = std::chrono::steady_clock::now() - started;
      switch (decide_retry(rules_, failed)) {
        case RetryDecision::kGiveUp:
          return result;
        case RetryDecision::kRetry:
          ++history.lock_conflicts_before;
          metrics_.retried(false);
          break;
        case RetryDecision::kReconnectAndRetry:
          history.reconnected_before = true;
          metrics_.retried(true);
          if (auto st = conn.reconnect(); !st) return std::move(st).error();
          break;
      }
    }
  }

  const RetryRules rules_;
  DatabaseMetrics metrics_;
};

}  // namespace gatehouse::store::sql
