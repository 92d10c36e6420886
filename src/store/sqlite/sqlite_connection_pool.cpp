#include "store/sqlite/sqlite_connection_pool.hpp"

#include <utility>

namespace gatehouse::store {

SqliteConnectionPool::Lease::Lease(Lease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)), connection_(other.connection_) {}

SqliteConnectionPool::Lease::~Lease() {
  if (pool_ != nullptr) pool_->release(*connection_);
}

Result<std::unique_ptr<SqliteConnectionPool>> SqliteConnectionPool::open(
    const std::string& path, std::size_t size, std::chrono::milliseconds busy_timeout,
    std::size_t statement_slots) {
  if (size == 0) return Error{ErrorCode::kInternal, "sqlite pool: pool_size must be at least 1"};
  std::vector<std::unique_ptr<SqliteConnection>> connections;
  connections.reserve(size);
  for (std::size_t i = 0; i < size; ++i) {
    auto conn = SqliteConnection::open(path, busy_timeout, statement_slots);
    if (!conn) return std::move(conn).error();
    connections.push_back(std::move(*conn));
  }
  return std::unique_ptr<SqliteConnectionPool>(
      new SqliteConnectionPool(std::move(connections), busy_timeout));
}

SqliteConnectionPool::SqliteConnectionPool(
    std::vector<std::unique_ptr<SqliteConnection>> connections, std::chrono::milliseconds wait)
    : connections_(std::move(connections)), wait_(wait) {
  free_.reserve(connections_.size());
  for (const auto& conn : connections_) free_.push_back(conn.get());
}

Result<SqliteConnectionPool::Lease> SqliteConnectionPool::acquire() {
  std::unique_lock lock(mutex_);
  if (!freed_.wait_for(lock, wait_, [this] { return !free_.empty(); })) {
    return Error{ErrorCode::kUnavailable,
                 "sqlite pool: no free connection within " + std::to_string(wait_.count()) +
                     " ms (" + std::to_string(connections_.size()) + " connections)"};
  }
  SqliteConnection* conn = free_.back();
  free_.pop_back();
  return Lease(*this, *conn);
}

void SqliteConnectionPool::release(SqliteConnection& connection) {
  {
    std::lock_guard lock(mutex_);
    free_.push_back(&connection);
  }
  freed_.notify_one();
}

}  // namespace gatehouse::store
