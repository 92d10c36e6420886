#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "core/result.hpp"
#include "store/mysql/mysql_connection.hpp"
#include "store/sql/database.hpp"

namespace gatehouse::store {

struct MysqlOptions {
  MysqlEndpoint endpoint;
  std::string prefix;  // DATABASE_PREFIX
  std::size_t pool_size = 2;
  std::chrono::milliseconds pool_wait{5000};  // how long a caller waits for a free connection
  // innodb_lock_wait_timeout of pooled connections: below endpoint.read_timeout, so that a row
  // lock held too long ends as "lock wait timeout" (kUnavailable) and not as a lost connection.
  std::chrono::seconds lock_wait_timeout{3};
};

// The MySQL/MariaDB database (production): a pool of `pool_size` connections, connected lazily,
// each with its server-side prepared statements made once and reused; sessions run in UTC
// (time_zone '+00:00'), utf8mb4, strict SQL mode. Nothing connects here, so this succeeds while
// the server is down. Retries (sql::decide_retry): an operation that failed on a stale connection
// (the server restarted, killed it, or timed it out) runs once more on a fresh one unless its
// COMMIT may have happened; one more attempt after a deadlock or a lock wait timeout.
// Refuses prefixes that are not identifier characters or longer than 32 (index names are the
// prefix plus up to 31 characters, and MySQL allows 64), an empty database name and a lock wait
// timeout under 1 s.
Result<std::unique_ptr<sql::Database>> open_mysql_database(const MysqlOptions& options);

// The dedicated connection of `gatehouse migrate` (never a pooled one, so a long migration cannot
// starve requests): DDL may run long (an ALTER of a big table), so it waits up to an hour for a
// reply instead of ending in a read timeout while the server carries on.
std::unique_ptr<MysqlConnection> open_mysql_migration_connection(const MysqlOptions& options);

}  // namespace gatehouse::store
