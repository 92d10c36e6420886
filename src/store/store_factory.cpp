#include "store/store_factory.hpp"

#include "store/mysql/mysql_store.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace gatehouse::store {

Result<OpenedStore> open_store(const config::DatabaseSettings& database, std::size_t pool_size) {
  const std::size_t size = database.pool_size > 0 ? database.pool_size : pool_size;
  if (database.kind == config::DatabaseKind::kSqlite) {
    SqliteOptions options;
    options.path = database.sqlite_path;
    options.prefix = database.prefix;
    options.pool_size = size;
    auto sqlite = SqliteStore::open(options);
    if (!sqlite) return std::move(sqlite).error();
    OpenedStore out;
    out.migrations = (*sqlite)->migration_target();
    out.store = std::move(*sqlite);
    out.dialect = "sqlite";
    out.description = "SQLite " + database.sqlite_path;
    return out;
  }

  MysqlOptions options;
  options.endpoint.host = database.host;
  options.endpoint.port = database.port;
  options.endpoint.unix_socket = database.unix_socket;
  options.endpoint.database = database.name;
  options.endpoint.user = database.user;
  options.endpoint.password = database.password;
  options.prefix = database.prefix;
  options.pool_size = size;
  // Connects nothing yet: a server that is down fails the first calls (kUnavailable), not this.
  auto mysql = MysqlStore::open(options);
  if (!mysql) return std::move(mysql).error();
  OpenedStore out;
  out.migrations = (*mysql)->migration_target();
  out.store = std::move(*mysql);
  out.dialect = "mysql";
  out.description = "MySQL " + options.endpoint.describe();
  return out;
}

}  // namespace gatehouse::store
