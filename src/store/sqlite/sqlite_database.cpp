#include "store/sqlite/sqlite_database.hpp"

#include <algorithm>
#include <utility>

#include "store/sql/naming.hpp"

namespace gatehouse::store {

namespace {

// How long the checkpointer waits for other processes' writers and readers while it holds this
// process's writers back: it gives up soon and tries again in its next round instead.
constexpr std::chrono::milliseconds kCheckpointWait{100};

}  // namespace

Result<std::unique_ptr<SqliteDatabase>> SqliteDatabase::open(const SqliteOptions& options) {
  if (options.path.empty() || options.path == ":memory:") {
    return Error{ErrorCode::kInternal,
                 "sqlite: a database file path is required (':memory:' would give every pooled "
                 "connection its own database)"};
  }
  if (!sql::is_identifier_prefix(options.prefix, std::string_view::npos)) {
    return Error{
        ErrorCode::kInternal,
        "sqlite: DATABASE_PREFIX may hold only letters, digits and '_': '" + options.prefix + "'"};
  }
  auto own = SqliteConnection::open(options.path, std::min(options.busy_timeout, kCheckpointWait));
  if (!own) return std::move(own).error();
  auto checkpointer = std::make_unique<SqliteCheckpointer>(std::move(*own), options.checkpoints);
  SqliteCheckpointer* const checkpoints = checkpointer.get();
  auto connections = open_connections(options.path, options.pool_size, options.busy_timeout,
                                      options.prefix, [checkpoints](SqliteConnection& conn) {
                                        conn.hand_over_checkpoints([checkpoints](int wal_pages) {
                                          checkpoints->note_commit(wal_pages);
                                        });
                                        return ok_status();
                                      });
  if (!connections) return std::move(connections).error();
  std::unique_ptr<SqliteDatabase> db(
      new SqliteDatabase(std::move(*connections), options.busy_timeout, std::move(checkpointer)));
  db->checkpointer_->start(*db);
  return db;
}

Result<std::unique_ptr<SqliteDatabase>> SqliteDatabase::open(const std::string& path,
                                                             std::size_t size,
                                                             std::chrono::milliseconds busy_timeout,
                                                             std::string prefix,
                                                             const Configure& configure) {
  auto connections = open_connections(path, size, busy_timeout, prefix, configure);
  if (!connections) return std::move(connections).error();
  return std::unique_ptr<SqliteDatabase>(
      new SqliteDatabase(std::move(*connections), busy_timeout, nullptr));
}

Result<SqliteDatabase::Connections> SqliteDatabase::open_connections(
    const std::string& path, std::size_t size, std::chrono::milliseconds busy_timeout,
    const std::string& prefix, const Configure& configure) {
  if (size == 0) return Error{ErrorCode::kInternal, "sqlite pool: pool_size must be at least 1"};
  const auto open_one = [&]() -> Result<std::unique_ptr<SqliteConnection>> {
    auto conn = SqliteConnection::open(path, busy_timeout, prefix);
    if (!conn) return std::move(conn).error();
    if (configure) {
      if (auto st = configure(**conn); !st) return std::move(st).error();
    }
    return std::move(*conn);
  };
  Connections out;
  out.readers.reserve(size);
  for (std::size_t i = 0; i < size; ++i) {
    auto conn = open_one();
    if (!conn) return std::move(conn).error();
    out.readers.push_back(std::move(*conn));
  }
  auto writer = open_one();
  if (!writer) return std::move(writer).error();
  out.writer = std::move(*writer);
  return out;
}

SqliteDatabase::SqliteDatabase(Connections connections, std::chrono::milliseconds wait,
                               std::unique_ptr<SqliteCheckpointer> checkpointer)
    // Lock conflicts are not retried: the busy handler has already waited.
    : sql::Database(sql::RetryRules{}),
      checkpointer_(std::move(checkpointer)),
      readers_(std::move(connections.readers)),
      wait_(wait),
      writer_(std::move(connections.writer)) {
  free_.reserve(readers_.size());
  for (const auto& conn : readers_) free_.push_back(conn.get());
}

SqliteDatabase::~SqliteDatabase() {
  // The checkpointer's thread holds the writer at times: it stops before the connections go.
  if (checkpointer_) checkpointer_->stop();
}

Result<sql::Database::Lease> SqliteDatabase::acquire(sql::Access access) {
  std::unique_lock lock(mutex_);
  if (access == sql::Access::kWrite) {
    if (!writer_freed_.wait_for(lock, wait_, [this] { return !writer_busy_; })) {
      return Error{ErrorCode::kUnavailable,
                   "sqlite pool: the writer connection was not free within " +
                       std::to_string(wait_.count()) + " ms"};
    }
    writer_busy_ = true;
    return Lease(*this, *writer_, access);
  }
  if (!freed_.wait_for(lock, wait_, [this] { return !free_.empty(); })) {
    return Error{ErrorCode::kUnavailable, "sqlite pool: no free connection within " +
                                              std::to_string(wait_.count()) + " ms (" +
                                              std::to_string(readers_.size()) + " connections)"};
  }
  SqliteConnection* conn = free_.back();
  free_.pop_back();
  return Lease(*this, *conn, access);
}

sql::PoolUsage SqliteDatabase::usage() {
  std::lock_guard lock(mutex_);
  return {.in_use = readers_.size() - free_.size() + (writer_busy_ ? 1 : 0),
          .size = readers_.size() + 1};
}

void SqliteDatabase::release(sql::Connection& connection, sql::Access access) noexcept {
  {
    std::lock_guard lock(mutex_);
    if (access == sql::Access::kWrite) {
      writer_busy_ = false;
    } else {
      free_.push_back(static_cast<SqliteConnection*>(&connection));
    }
  }
  (access == sql::Access::kWrite ? writer_freed_ : freed_).notify_one();
}

}  // namespace gatehouse::store
