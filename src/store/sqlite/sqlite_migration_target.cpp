#include "store/sqlite/sqlite_migration_target.hpp"

#include <cstdio>
#include <utility>

#include "store/sql_timestamp.hpp"

namespace gatehouse::store {

namespace {

enum Slot : std::size_t {
  kAppliedSlot,
  kRecordSlot,
  kForgetSlot,
  kLegacyTablesSlot,
  kAlembicRevisionSlot,
  kSlotCount
};

constexpr std::string_view kCreateVersionTableSql =
    "CREATE TABLE IF NOT EXISTS {{prefix}}schema_migrations ("
    "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)";

constexpr std::string_view kAppliedSql =
    "SELECT version, name, applied_at FROM {{prefix}}schema_migrations ORDER BY version";

// applied_at is the database's clock: migrations run outside any request, with no injected clock.
constexpr std::string_view kRecordSql =
    "INSERT INTO {{prefix}}schema_migrations (version, name, applied_at) "
    "VALUES (?1, ?2, strftime('%Y-%m-%d %H:%M:%S', 'now'))";

constexpr std::string_view kForgetSql =
    "DELETE FROM {{prefix}}schema_migrations WHERE version = ?1";

// Which of the tutorial's tables exist: `alembic_version` (Alembic's, never prefixed) and the user
// table (?1). SQLite compares table names without regard to case.
constexpr std::string_view kLegacyTablesSql =
    "SELECT lower(name) FROM sqlite_master WHERE type = 'table' "
    "AND lower(name) IN ('alembic_version', lower(?1))";

// Only prepared once the table is known to exist.
constexpr std::string_view kAlembicRevisionSql =
    "SELECT version_num FROM alembic_version ORDER BY version_num";

// "0002_create_session", the name the files carry, for error messages.
std::string label(const Migration& migration) {
  char number[16];
  std::snprintf(number, sizeof number, "%04d", migration.version);
  return std::string(number) + "_" + migration.name;
}

}  // namespace

std::unique_ptr<SqliteMigrationTarget> SqliteMigrationTarget::open(
    const std::string& path, std::chrono::milliseconds busy_timeout, std::string_view prefix) {
  return std::unique_ptr<SqliteMigrationTarget>(
      new SqliteMigrationTarget(SqliteConnection::open(path, busy_timeout, kSlotCount), prefix));
}

SqliteMigrationTarget::SqliteMigrationTarget(Result<std::unique_ptr<SqliteConnection>> connection,
                                             std::string_view prefix)
    : connection_(std::move(connection)),
      create_table_sql_(apply_prefix(kCreateVersionTableSql, prefix)),
      applied_sql_(apply_prefix(kAppliedSql, prefix)),
      record_sql_(apply_prefix(kRecordSql, prefix)),
      forget_sql_(apply_prefix(kForgetSql, prefix)) {}

Result<SqliteConnection*> SqliteMigrationTarget::connection() {
  if (!connection_) return connection_.error();
  return connection_->get();
}

Status SqliteMigrationTarget::ensure_version_table() {
  auto conn = connection();
  if (!conn) return conn.error();
  return (*conn)->exec(create_table_sql_, "create schema_migrations");
}

Result<std::vector<AppliedMigration>> SqliteMigrationTarget::applied() {
  auto conn = connection();
  if (!conn) return conn.error();
  auto st = (*conn)->statement(kAppliedSlot, "applied migrations", applied_sql_);
  if (!st) return std::move(st).error();
  std::vector<AppliedMigration> out;
  while (true) {
    auto row = st->step();
    if (!row) return std::move(row).error();
    if (!*row) break;
    auto m = applied_migration_row(st->int64(0), st->text(1), st->text(2));
    if (!m) return std::move(m).error();
    out.push_back(std::move(*m));
  }
  return out;
}

Status SqliteMigrationTarget::apply(const Migration& migration, bool up, std::string_view prefix) {
  auto conn = connection();
  if (!conn) return conn.error();
  SqliteConnection& c = **conn;
  const std::string what = label(migration) + (up ? " up" : " down");

  auto tx = SqliteTransaction::begin(c);
  if (!tx) return std::move(tx).error();
  if (auto st = c.exec(apply_prefix(up ? migration.up_sql : migration.down_sql, prefix), what);
      !st) {
    return st;
  }
  if (up) {
    auto st = c.statement(kRecordSlot, "record migration", record_sql_);
    if (!st) return std::move(st).error();
    st->bind(1, static_cast<std::int64_t>(migration.version));
    st->bind(2, std::string_view(migration.name));
    if (auto run = st->run(); !run) return run;
  } else {
    auto st = c.statement(kForgetSlot, "forget migration", forget_sql_);
    if (!st) return std::move(st).error();
    st->bind(1, static_cast<std::int64_t>(migration.version));
    if (auto run = st->run(); !run) return run;
    if (c.changes() != 1) {
      return Error{ErrorCode::kInternal, what + ": version " + std::to_string(migration.version) +
                                             " is not recorded as applied"};
    }
  }
  return tx->commit();
}

Result<LegacySchema> SqliteMigrationTarget::legacy_schema(std::string_view prefix) {
  auto conn = connection();
  if (!conn) return conn.error();
  SqliteConnection& c = **conn;
  const std::string user_table = std::string(prefix) + "user";
  LegacySchema out;
  bool alembic = false;
  {
    auto st = c.statement(kLegacyTablesSlot, "legacy tables", kLegacyTablesSql);
    if (!st) return std::move(st).error();
    st->bind(1, std::string_view(user_table));
    while (true) {
      auto row = st->step();
      if (!row) return std::move(row).error();
      if (!*row) break;
      if (st->text(0) == "alembic_version") {
        alembic = true;
      } else {
        out.user_table = true;
      }
    }
  }
  if (alembic) {
    auto st = c.statement(kAlembicRevisionSlot, "alembic revision", kAlembicRevisionSql);
    if (!st) return std::move(st).error();
    std::string revisions;
    while (true) {
      auto row = st->step();
      if (!row) return std::move(row).error();
      if (!*row) break;
      if (!revisions.empty()) revisions += ',';
      revisions += st->text(0);
    }
    if (!revisions.empty()) out.alembic_revision = std::move(revisions);
  }
  return out;
}

}  // namespace gatehouse::store
