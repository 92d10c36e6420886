#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "core/result.hpp"
#include "store/postgres/postgres_connection.hpp"
#include "store/sql/database.hpp"

namespace gatehouse::store {

struct PostgresOptions {
  PostgresEndpoint endpoint;
  std::string prefix;  // DATABASE_PREFIX
  std::size_t pool_size = 2;
  std::chrono::milliseconds pool_wait{5000};  // how long a caller waits for a free connection
  // lock_timeout of pooled connections: below the session's statement_timeout (see
  // statement_timeout()), so that a row lock held too long ends as a lock conflict (55P03: tried
  // again, then kUnavailable) and not as a canceled statement.
  std::chrono::milliseconds lock_timeout{3000};
};

// The PostgreSQL database: a pool of `pool_size` connections, connected lazily, each with its
// server-side prepared statements made once per session and reused; sessions run in UTC with
// client_encoding UTF8. Nothing connects here, so this succeeds while the server is down. Retries
// (sql::decide_retry): an operation that failed on a stale connection (the server restarted,
// ended the session, or an idle timeout did) runs once more on a fresh one unless its COMMIT may
// have happened; one more attempt after a deadlock, a serialization failure or a lock timeout.
// Refuses prefixes that are empty (the user table would be `user`, a reserved word in
// PostgreSQL), hold other than identifier characters or are longer than 32 (index names are the
// prefix plus up to 31 characters, and PostgreSQL allows 63), an empty database name, and a
// lock_timeout that is not shorter than the statement timeout.
Result<std::unique_ptr<sql::Database>> open_postgres_database(const PostgresOptions& options);

// The dedicated connection of `gatehouse migrate` (never a pooled one, so a long migration cannot
// starve requests): DDL may run long (an index on a big table), so it waits up to an hour for a
// reply instead of ending in a read timeout.
std::unique_ptr<PostgresConnection> open_postgres_migration_connection(
    const PostgresOptions& options);

}  // namespace gatehouse::store
