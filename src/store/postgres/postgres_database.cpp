#include "store/postgres/postgres_database.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include "store/sql/naming.hpp"
#include "store/sql/pooled_database.hpp"

namespace gatehouse::store {

namespace {

// The names are not quoted, so PostgreSQL reads them in lower case (consistently, in the
// migrations and in the store's statements); an empty prefix would leave the table `user`, a
// reserved word.
bool valid_postgres_prefix(std::string_view prefix) {
  return !prefix.empty() && sql::is_identifier_prefix(prefix, sql::kMaxPrefixLength);
}

}  // namespace

Result<std::unique_ptr<sql::Database>> open_postgres_database(const PostgresOptions& options) {
  if (!valid_postgres_prefix(options.prefix)) {
    return Error{ErrorCode::kInternal,
                 "postgresql: DATABASE_PREFIX must hold 1 to " +
                     std::to_string(sql::kMaxPrefixLength) +
                     " letters, digits and '_' (without one the user table would be named "
                     "`user`, a reserved word in PostgreSQL): '" +
                     options.prefix + "'"};
  }
  if (options.endpoint.database.empty()) {
    return Error{ErrorCode::kInternal, "postgresql: a database name is required"};
  }
  const std::chrono::milliseconds statement = statement_timeout(options.endpoint.read_timeout);
  if (options.lock_timeout.count() < 1 || options.lock_timeout >= statement) {
    return Error{ErrorCode::kInternal,
                 "postgresql: lock_timeout must be at least 1 ms and below "
                 "the statement timeout of " +
                     std::to_string(statement.count()) + " ms"};
  }
  if (options.pool_size == 0) {
    return Error{ErrorCode::kInternal, "postgresql pool: pool_size must be at least 1"};
  }
  const std::string session_sql =
      "SET lock_timeout = " + std::to_string(options.lock_timeout.count());
  std::vector<std::unique_ptr<sql::Connection>> connections;
  connections.reserve(options.pool_size);
  for (std::size_t i = 0; i < options.pool_size; ++i) {
    connections.push_back(
        std::make_unique<PostgresConnection>(options.endpoint, options.prefix, session_sql));
  }
  sql::RetryRules rules;
  rules.lock_conflict_retries = 1;
  rules.lock_timeout_retries = 1;
  rules.stale_connection_window = options.endpoint.connect_timeout;
  return std::unique_ptr<sql::Database>(std::make_unique<sql::PooledDatabase>(
      sql::Dialect::kPostgres, std::move(connections), options.pool_wait, rules));
}

std::unique_ptr<PostgresConnection> open_postgres_migration_connection(
    const PostgresOptions& options) {
  PostgresEndpoint endpoint = options.endpoint;
  endpoint.read_timeout = sql::kMigrationTimeout;
  return std::make_unique<PostgresConnection>(std::move(endpoint), options.prefix);
}

}  // namespace gatehouse::store
