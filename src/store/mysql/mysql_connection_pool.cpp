#include "store/mysql/mysql_connection_pool.hpp"

#include <utility>

namespace gatehouse::store {

MysqlConnectionPool::Lease::Lease(Lease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)), connection_(other.connection_) {}

MysqlConnectionPool::Lease::~Lease() {
  if (pool_ != nullptr) pool_->release(*connection_);
}

Result<std::unique_ptr<MysqlConnectionPool>> MysqlConnectionPool::create(
    const MysqlEndpoint& endpoint, const std::string& session_sql, std::size_t size,
    std::chrono::milliseconds wait, std::size_t statement_slots) {
  if (size == 0) return Error{ErrorCode::kInternal, "mysql pool: pool_size must be at least 1"};
  std::vector<std::unique_ptr<MysqlConnection>> connections;
  connections.reserve(size);
  for (std::size_t i = 0; i < size; ++i) {
    connections.push_back(
        std::make_unique<MysqlConnection>(endpoint, session_sql, statement_slots));
  }
  return std::unique_ptr<MysqlConnectionPool>(
      new MysqlConnectionPool(std::move(connections), wait));
}

MysqlConnectionPool::MysqlConnectionPool(std::vector<std::unique_ptr<MysqlConnection>> connections,
                                         std::chrono::milliseconds wait)
    : connections_(std::move(connections)), wait_(wait) {
  free_.reserve(connections_.size());
  for (const auto& conn : connections_) free_.push_back(conn.get());
}

Result<MysqlConnectionPool::Lease> MysqlConnectionPool::acquire() {
  MysqlConnection* conn = nullptr;
  {
    std::unique_lock lock(mutex_);
    if (!freed_.wait_for(lock, wait_, [this] { return !free_.empty(); })) {
      return Error{ErrorCode::kUnavailable,
                   "database pool exhausted: no free MySQL connection within " +
                       std::to_string(wait_.count()) + " ms (" +
                       std::to_string(connections_.size()) + " connections)"};
    }
    conn = free_.back();
    free_.pop_back();
  }
  // Connecting happens outside the lock: it may take up to connect_timeout.
  Lease lease(*this, *conn);
  if (auto st = conn->connect(); !st) return std::move(st).error();
  return lease;
}

void MysqlConnectionPool::release(MysqlConnection& connection) {
  // A connection in an unknown state is not lent again; the next acquire() reconnects it.
  if (connection.broken() || connection.in_transaction()) connection.close();
  {
    std::lock_guard lock(mutex_);
    free_.push_back(&connection);
  }
  freed_.notify_one();
}

}  // namespace gatehouse::store
