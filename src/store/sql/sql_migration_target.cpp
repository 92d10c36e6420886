#include "store/sql/sql_migration_target.hpp"

#include <cstdio>
#include <utility>

#include "store/sql/sql_rows.hpp"

namespace gatehouse::store::sql {

namespace {

constexpr Query kCreateVersionTable{
    .name = "create schema_migrations",
    .sql = R"sql(
CREATE TABLE IF NOT EXISTS {{prefix}}schema_migrations (
  version INTEGER PRIMARY KEY, name VARCHAR(255) NOT NULL, applied_at VARCHAR(32) NOT NULL)
)sql",
    .sqlite = R"sql(
CREATE TABLE IF NOT EXISTS {{prefix}}schema_migrations (
  version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)
)sql",
    .mysql = R"sql(
CREATE TABLE IF NOT EXISTS {{prefix}}schema_migrations (
  version INT NOT NULL PRIMARY KEY, name VARCHAR(255) NOT NULL, applied_at VARCHAR(32) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE utf8mb4_unicode_ci
)sql",
};

constexpr Query kApplied{.name = "applied migrations", .sql = R"sql(
SELECT version, name, applied_at FROM {{prefix}}schema_migrations ORDER BY version
)sql"};

constexpr Query kIsRecorded{.name = "find migration", .sql = R"sql(
SELECT COUNT(*) FROM {{prefix}}schema_migrations WHERE version = ?
)sql"};

// applied_at is the database's clock, in UTC: migrations run outside any request, with no injected
// clock.
constexpr Query kRecord{
    .name = "record migration",
    .sql = R"sql(
INSERT INTO {{prefix}}schema_migrations (version, name, applied_at)
VALUES (?, ?, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'))
)sql",
    .sqlite = R"sql(
INSERT INTO {{prefix}}schema_migrations (version, name, applied_at)
VALUES (?, ?, strftime('%Y-%m-%d %H:%M:%S', 'now'))
)sql",
    .mysql = R"sql(
INSERT INTO {{prefix}}schema_migrations (version, name, applied_at)
VALUES (?, ?, DATE_FORMAT(UTC_TIMESTAMP(), '%Y-%m-%d %H:%i:%s'))
)sql",
};

constexpr Query kForget{.name = "forget migration", .sql = R"sql(
DELETE FROM {{prefix}}schema_migrations WHERE version = ?
)sql"};

// Which of the tutorial's tables exist: `alembic_version` (Alembic's, never prefixed) and the user
// table (the parameter), compared in lower case (SQLite and servers with lower_case_table_names
// compare names without regard to case).
constexpr Query kLegacyTables{
    .name = "legacy tables",
    .sql = R"sql(
SELECT LOWER(table_name) FROM information_schema.tables
WHERE table_schema = current_schema() AND LOWER(table_name) IN ('alembic_version', LOWER(?))
)sql",
    .sqlite = R"sql(
SELECT lower(name) FROM sqlite_master
WHERE type = 'table' AND lower(name) IN ('alembic_version', lower(?))
)sql",
    .mysql = R"sql(
SELECT LOWER(table_name) FROM information_schema.tables
WHERE table_schema = DATABASE() AND LOWER(table_name) IN ('alembic_version', LOWER(?))
)sql",
};

// Only prepared once the table is known to exist.
constexpr Query kAlembicRevision{.name = "alembic revision", .sql = R"sql(
SELECT version_num FROM alembic_version ORDER BY version_num
)sql"};

// "0002_create_session", the name the files carry, for error messages.
std::string label(const Migration& migration) {
  char number[16];
  std::snprintf(number, sizeof number, "%04d", migration.version);
  return std::string(number) + "_" + migration.name;
}

// Runs `query` and calls `each` with every row.
template <class Each>
Status for_each_row(Connection& conn, const Query& query, std::initializer_list<Param> params,
                    Each&& each) {
  auto rows = conn.run(query, params);
  if (!rows) return std::move(rows).error();
  while (true) {
    auto row = rows->next();
    if (!row) return std::move(row).error();
    if (!*row) return ok_status();
    if (auto st = each(*rows); !st) return st;
  }
}

Status record(Connection& conn, const Migration& migration, bool up, const std::string& what) {
  const std::int64_t version = migration.version;
  if (up) {
    auto done = conn.run(kRecord, {version, migration.name});
    if (!done) return std::move(done).error();
    return ok_status();
  }
  auto done = conn.run(kForget, {version});
  if (!done) return std::move(done).error();
  if (done->rows_affected() != 1) {
    return Error{ErrorCode::kInternal,
                 what + ": version " + std::to_string(version) + " is not recorded as applied"};
  }
  return ok_status();
}

}  // namespace

Result<Connection*> SqlMigrationTarget::connection() {
  if (!connection_) return connection_.error();
  Connection* conn = connection_->get();
  if (auto st = conn->connect(); !st) return std::move(st).error();
  return conn;
}

Status SqlMigrationTarget::ensure_version_table() {
  auto conn = connection();
  if (!conn) return std::move(conn).error();
  auto done = (*conn)->run(kCreateVersionTable, {});
  if (!done) return std::move(done).error();
  return ok_status();
}

Result<std::vector<AppliedMigration>> SqlMigrationTarget::applied() {
  auto conn = connection();
  if (!conn) return std::move(conn).error();
  std::vector<AppliedMigration> out;
  auto st = for_each_row(**conn, kApplied, {}, [&](const Cursor& row) -> Status {
    auto m = applied_migration_row(row.int64(0), row.text(1), row.text(2));
    if (!m) return std::move(m).error();
    out.push_back(std::move(*m));
    return ok_status();
  });
  if (!st) return std::move(st).error();
  return out;
}

Status SqlMigrationTarget::apply(const Migration& migration, bool up, std::string_view prefix) {
  auto conn = connection();
  if (!conn) return std::move(conn).error();
  const std::string what = label(migration) + (up ? " up" : " down");
  const std::string script = apply_prefix(up ? migration.up_sql : migration.down_sql, prefix);
  if ((*conn)->transactional_ddl()) {
    return apply_in_transaction(**conn, migration, up, script, what);
  }
  return apply_step_by_step(**conn, migration, up, script, what);
}

Status SqlMigrationTarget::apply_in_transaction(Connection& conn, const Migration& migration,
                                                bool up, const std::string& script,
                                                const std::string& what) {
  if (auto st = conn.begin_write(); !st) return st;
  Status st = conn.execute_script(script, what);
  if (st) st = record(conn, migration, up, what);
  if (st) st = conn.commit();
  if (!st) conn.rollback();
  return st;
}

Status SqlMigrationTarget::apply_step_by_step(Connection& conn, const Migration& migration, bool up,
                                              const std::string& script, const std::string& what) {
  if (!up) {
    // Checked before anything runs, since nothing that runs can be taken back.
    auto count = first_row(conn, kIsRecorded, {std::int64_t{migration.version}},
                           [](const Cursor& row) { return row.int64(0); });
    if (!count) return std::move(count).error();
    if (count->value_or(0) != 1) {
      return Error{ErrorCode::kInternal, what + ": version " + std::to_string(migration.version) +
                                             " is not recorded as applied"};
    }
  }
  if (auto st = conn.execute_script(script, what); !st) {
    Error error = std::move(st).error();
    error.internal += up ? "; the migration is not recorded: put the schema right before running "
                           "it again"
                         : "; the migration stays recorded as applied: put the schema right "
                           "before reverting it again";
    return error;
  }
  return record(conn, migration, up, what);
}

Result<LegacySchema> SqlMigrationTarget::legacy_schema(std::string_view prefix) {
  auto conn = connection();
  if (!conn) return std::move(conn).error();
  const std::string user_table = std::string(prefix) + "user";
  LegacySchema out;
  bool alembic = false;
  auto st = for_each_row(**conn, kLegacyTables, {user_table}, [&](const Cursor& row) {
    if (row.text(0) == "alembic_version") {
      alembic = true;
    } else {
      out.user_table = true;
    }
    return ok_status();
  });
  if (!st) return std::move(st).error();
  if (alembic) {
    std::string revisions;
    st = for_each_row(**conn, kAlembicRevision, {}, [&](const Cursor& row) {
      if (!revisions.empty()) revisions += ',';
      revisions += row.text(0);
      return ok_status();
    });
    if (!st) return std::move(st).error();
    if (!revisions.empty()) out.alembic_revision = std::move(revisions);
  }
  return out;
}

}  // namespace gatehouse::store::sql
