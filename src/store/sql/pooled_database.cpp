#include "store/sql/pooled_database.hpp"

#include <string>
#include <utility>

namespace gatehouse::store::sql {

PooledDatabase::PooledDatabase(Dialect dialect,
                               std::vector<std::unique_ptr<Connection>> connections,
                               std::chrono::milliseconds wait, RetryRules rules)
    : Database(rules), dialect_(dialect), connections_(std::move(connections)), wait_(wait) {
  free_.reserve(connections_.size());
  for (const auto& conn : connections_) free_.push_back(conn.get());
}

Result<Database::Lease> PooledDatabase::acquire(Access access) {
  Connection* conn = nullptr;
  {
    std::unique_lock lock(mutex_);
    if (!freed_.wait_for(lock, wait_, [this] { return !free_.empty(); })) {
      return Error{ErrorCode::kUnavailable,
                   "database pool exhausted: no free " + std::string(to_string(dialect_)) +
                       " connection within " + std::to_string(wait_.count()) + " ms (" +
                       std::to_string(connections_.size()) + " connections)"};
    }
    conn = free_.back();
    free_.pop_back();
  }
  // Connecting happens outside the lock: it may take up to the connect timeout.
  Lease lease(*this, *conn, access);
  if (auto st = conn->connect(); !st) return std::move(st).error();
  return lease;
}

PoolUsage PooledDatabase::usage() {
  std::lock_guard lock(mutex_);
  return {.in_use = connections_.size() - free_.size(), .size = connections_.size()};
}

void PooledDatabase::release(Connection& connection, Access) noexcept {
  if (connection.broken() || connection.in_transaction()) connection.close();
  {
    std::lock_guard lock(mutex_);
    free_.push_back(&connection);
  }
  freed_.notify_one();
}

}  // namespace gatehouse::store::sql
