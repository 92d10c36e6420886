#include "store/mysql/mysql_database.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include "store/sql/naming.hpp"
#include "store/sql/pooled_database.hpp"

namespace gatehouse::store {

namespace {

// Run after every pooled connect. UTC, because the tutorial's TIMESTAMP columns are read and
// written as UTC text; strict mode, so that a value too long for its column is an error and not
// silently cut (the server's default since MariaDB 10.2.4 and MySQL 5.7, not always configured).
std::string pool_session_sql(std::chrono::seconds lock_wait_timeout) {
  return "SET time_zone = '+00:00', innodb_lock_wait_timeout = " +
         std::to_string(lock_wait_timeout.count()) +
         ", sql_mode = CONCAT_WS(',', NULLIF(@@SESSION.sql_mode, ''), 'STRICT_TRANS_TABLES')";
}

}  // namespace

Result<std::unique_ptr<sql::Database>> open_mysql_database(const MysqlOptions& options) {
  if (!sql::is_identifier_prefix(options.prefix, sql::kMaxPrefixLength)) {
    return Error{ErrorCode::kInternal,
                 "mysql: DATABASE_PREFIX may hold only letters, digits and '_', at most " +
                     std::to_string(sql::kMaxPrefixLength) + " of them: '" + options.prefix + "'"};
  }
  if (options.endpoint.database.empty()) {
    return Error{ErrorCode::kInternal, "mysql: a database name is required"};
  }
  if (options.lock_wait_timeout.count() < 1) {
    return Error{ErrorCode::kInternal, "mysql: lock_wait_timeout must be at least 1 s"};
  }
  if (options.pool_size == 0) {
    return Error{ErrorCode::kInternal, "mysql pool: pool_size must be at least 1"};
  }
  std::vector<std::unique_ptr<sql::Connection>> connections;
  connections.reserve(options.pool_size);
  for (std::size_t i = 0; i < options.pool_size; ++i) {
    connections.push_back(std::make_unique<MysqlConnection>(
        options.endpoint, options.prefix, pool_session_sql(options.lock_wait_timeout)));
  }
  sql::RetryRules rules;
  // On a Galera cluster a transaction may be aborted at its COMMIT by certification (another node
  // committed a conflicting write first) or half-way by a replicated write set that needs its
  // locks; both are error 1213. Several writers racing on one row (one e-mail registered on every
  // node, one session refreshed on two) can take a transaction through more than one such abort:
  // four retries, each from the start, then the caller's 503. A single server rarely needs one.
  // A lock wait that timed out is tried once more (each try waits the whole timeout).
  rules.lock_conflict_retries = 4;
  rules.lock_timeout_retries = 1;
  rules.stale_connection_window = options.endpoint.connect_timeout;
  return std::unique_ptr<sql::Database>(std::make_unique<sql::PooledDatabase>(
      sql::Dialect::kMysql, std::move(connections), options.pool_wait, rules));
}

std::unique_ptr<MysqlConnection> open_mysql_migration_connection(const MysqlOptions& options) {
  MysqlEndpoint endpoint = options.endpoint;
  endpoint.read_timeout = sql::kMigrationTimeout;
  endpoint.write_timeout = sql::kMigrationTimeout;
  return std::make_unique<MysqlConnection>(std::move(endpoint), options.prefix,
                                           "SET time_zone = '+00:00'");
}

}  // namespace gatehouse::store
