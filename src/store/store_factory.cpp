#include "store/store_factory.hpp"

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
  return Error{ErrorCode::kInternal,
               "DATABASE_HOST/DATABASE_URL select MySQL/MariaDB, which this build cannot use yet; "
               "unset them to use the embedded SQLite database"};
}

}  // namespace gatehouse::store
