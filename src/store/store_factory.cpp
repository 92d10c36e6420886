#include "store/store_factory.hpp"

#include "store/mysql/mysql_database.hpp"
#include "store/postgres/postgres_database.hpp"
#include "store/sql/sql_migration_target.hpp"
#include "store/sql/sql_store.hpp"
#include "store/sqlite/sqlite_database.hpp"

namespace gatehouse::store {

namespace {

// A backend's database, not yet wrapped in the store (`opened.store` is still empty).
struct OpenedDatabase {
  std::unique_ptr<sql::Database> db;
  OpenedStore opened;
};

Result<OpenedDatabase> open_sqlite(const config::DatabaseSettings& database, std::size_t size) {
  SqliteOptions options;
  options.path = database.sqlite_path;
  options.prefix = database.prefix;
  options.pool_size = size;
  auto db = SqliteDatabase::open(options);
  if (!db) return std::move(db).error();
  OpenedDatabase out;
  out.db = std::move(*db);
  auto own = SqliteConnection::open(options.path, options.busy_timeout, options.prefix);
  out.opened.migrations = std::make_unique<sql::SqlMigrationTarget>(
      own ? Result<std::unique_ptr<sql::Connection>>(std::move(*own))
          : Result<std::unique_ptr<sql::Connection>>(std::move(own).error()));
  out.opened.dialect = "sqlite";
  out.opened.description = "SQLite " + database.sqlite_path;
  return out;
}

Result<OpenedDatabase> open_mysql(const config::DatabaseSettings& database, std::size_t size) {
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
  auto db = open_mysql_database(options);
  if (!db) return std::move(db).error();
  OpenedDatabase out;
  out.db = std::move(*db);
  out.opened.migrations = std::make_unique<sql::SqlMigrationTarget>(
      std::unique_ptr<sql::Connection>(open_mysql_migration_connection(options)));
  out.opened.dialect = "mysql";
  out.opened.description = "MySQL " + options.endpoint.describe();
  return out;
}

Result<OpenedDatabase> open_postgres(const config::DatabaseSettings& database, std::size_t size) {
  PostgresOptions options;
  // libpq takes a unix socket's directory where the host goes.
  options.endpoint.host = database.unix_socket.empty() ? database.host : database.unix_socket;
  options.endpoint.port = database.port;
  options.endpoint.database = database.name;
  options.endpoint.user = database.user;
  options.endpoint.password = database.password;
  options.prefix = database.prefix;
  options.pool_size = size;
  // Connects nothing yet: a server that is down fails the first calls (kUnavailable), not this.
  auto db = open_postgres_database(options);
  if (!db) return std::move(db).error();
  OpenedDatabase out;
  out.db = std::move(*db);
  out.opened.migrations = std::make_unique<sql::SqlMigrationTarget>(
      std::unique_ptr<sql::Connection>(open_postgres_migration_connection(options)));
  out.opened.dialect = "postgresql";
  out.opened.description = "PostgreSQL " + options.endpoint.describe();
  return out;
}

}  // namespace

Result<OpenedStore> open_store(const config::DatabaseSettings& database, std::size_t pool_size,
                               observability::MetricRegistry* metrics) {
  const std::size_t size = database.pool_size > 0 ? database.pool_size : pool_size;
  Result<OpenedDatabase> opened =
      database.kind == config::DatabaseKind::kSqlite     ? open_sqlite(database, size)
      : database.kind == config::DatabaseKind::kPostgres ? open_postgres(database, size)
                                                         : open_mysql(database, size);
  if (!opened) return std::move(opened).error();
  if (metrics != nullptr) {
    sql::Database& db = *opened->db;
    db.instrument(sql::DatabaseMetrics(*metrics, [&db] { return db.usage(); }));
  }
  opened->opened.store = std::make_unique<sql::SqlStore>(std::move(opened->db));
  return std::move(opened->opened);
}

}  // namespace gatehouse::store
