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
    std::size_t statement_slots, const Configure& configure) {
  if (size == 0) return Error{ErrorCode::kInternal, "sqlite pool: pool_size must be at least 1"};
  const auto open_one = [&]() -> Result<std::unique_ptr<SqliteConnection>> {
    auto conn = SqliteConnection::open(path, busy_timeout, statement_slots);
    if (!conn) return std::move(conn).error();
    if (configure) {
      if (auto st = configure(**conn); !st) return std::move(st).error();
    }
    return std::move(*conn);
  };
  std::vector<std::unique_ptr<SqliteConnection>> connections;
  connections.reserve(size);
  for (std::size_t i = 0; i < size; ++i) {
    auto conn = open_one();
    if (!conn) return std::move(conn).error();
    connections.push_back(std::move(*conn));
  }
  auto writer = open_one();
  if (!writer) return std::move(writer).error();
  return std::unique_ptr<SqliteConnectionPool>(
      new SqliteConnectionPool(std::move(connections), std::move(*writer), busy_timeout));
}

SqliteConnectionPool::SqliteConnectionPool(
    std::vector<std::unique_ptr<SqliteConnection>> connections,
    std::unique_ptr<SqliteConnection> writer, std::chrono::milliseconds wait)
    : connections_(std::move(connections)), wait_(wait), writer_(std::move(writer)) {
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

Result<SqliteConnectionPool::WriterLease> SqliteConnectionPool::acquire_writer() {
  std::unique_lock lock(writer_mutex_, wait_);
  if (!lock.owns_lock()) {
    return Error{ErrorCode::kUnavailable,
                 "sqlite pool: the writer connection was not free within " +
                     std::to_string(wait_.count()) + " ms"};
  }
  return WriterLease(std::move(lock), *writer_);
}

void SqliteConnectionPool::release(SqliteConnection& connection) {
  {
    std::lock_guard lock(mutex_);
    free_.push_back(&connection);
  }
  freed_.notify_one();
}

}  // namespace gatehouse::store
