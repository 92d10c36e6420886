#include "store/postgres/postgres_database.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include "store/sql/pooled_database.hpp"

namespace gatehouse::store {

namespace {

// Index and constraint names are the prefix plus up to 31 characters; PostgreSQL cuts names at 63.
constexpr std::size_t kMaxPrefixLength = 32;

constexpr std::chrono::seconds kMigrationTimeout{3600};

// Prefixes become part of every statement's text: only identifier characters are allowed. The
// names are not quoted, so PostgreSQL reads them in lower case (consistently, in the migrations
// and in the store's statements).
bool valid_prefix(std::string_view prefix) {
  return !prefix.empty() && prefix.size() <= kMaxPrefixLength &&
         std::all_of(prefix.begin(), prefix.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_';
         });
}

}  // namespace

Result<std::unique_ptr<sql::Database>> open_postgres_database(const PostgresOptions& options) {
  if (!valid_prefix(options.prefix)) {
    return Error{ErrorCode::kInternal,
                 "postgresql: DATABASE_PREFIX must hold 1 to " + std::to_string(kMaxPrefixLength) +
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
  rules.stale_connection_window = options.endpoint.connect_timeout;
  return std::unique_ptr<sql::Database>(std::make_unique<sql::PooledDatabase>(
      sql::Dialect::kPostgres, std::move(connections), options.pool_wait, rules));
}

std::unique_ptr<PostgresConnection> open_postgres_migration_connection(
    const PostgresOptions& options) {
  PostgresEndpoint endpoint = options.endpoint;
  endpoint.read_timeout = kMigrationTimeout;
  return std::make_unique<PostgresConnection>(std::move(endpoint), options.prefix);
}

}  // namespace gatehouse::store
