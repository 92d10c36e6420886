#include "store/mysql/mysql_migration_target.hpp"

#include <cstdio>
#include <utility>

#include "store/sql_timestamp.hpp"

namespace gatehouse::store {

namespace {

enum Slot : std::size_t {
  kAppliedSlot,
  kIsRecordedSlot,
  kRecordSlot,
  kForgetSlot,
  kLegacyTablesSlot,
  kAlembicRevisionSlot,
  kSlotCount
};

constexpr std::string_view kSessionSql = "SET time_zone = '+00:00'";

constexpr std::string_view kCreateVersionTableSql =
    "CREATE TABLE IF NOT EXISTS {{prefix}}schema_migrations ("
    "version INT NOT NULL PRIMARY KEY, name VARCHAR(255) NOT NULL, applied_at VARCHAR(32) NOT NULL"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE utf8mb4_unicode_ci";

constexpr std::string_view kAppliedSql =
    "SELECT version, name, applied_at FROM {{prefix}}schema_migrations ORDER BY version";

constexpr std::string_view kIsRecordedSql =
    "SELECT COUNT(*) FROM {{prefix}}schema_migrations WHERE version = ?";

// applied_at is the database's clock, in UTC: migrations run outside any request, with no injected
// clock.
constexpr std::string_view kRecordSql =
    "INSERT INTO {{prefix}}schema_migrations (version, name, applied_at) "
    "VALUES (?, ?, DATE_FORMAT(UTC_TIMESTAMP(), '%Y-%m-%d %H:%i:%s'))";

constexpr std::string_view kForgetSql = "DELETE FROM {{prefix}}schema_migrations WHERE version = ?";

// Which of the tutorial's tables exist in the connection's database: `alembic_version` (Alembic's,
// never prefixed) and the user table (the parameter). Compared in lower case, as servers with
// lower_case_table_names store them.
constexpr std::string_view kLegacyTablesSql =
    "SELECT LOWER(table_name) FROM information_schema.tables "
    "WHERE table_schema = DATABASE() AND LOWER(table_name) IN ('alembic_version', LOWER(?))";

// Only prepared once the table is known to exist.
constexpr std::string_view kAlembicRevisionSql =
    "SELECT version_num FROM alembic_version ORDER BY version_num";

// "0002_create_session", the name the files carry, for error messages.
std::string label(const Migration& migration) {
  char number[16];
  std::snprintf(number, sizeof number, "%04d", migration.version);
  return std::string(number) + "_" + migration.name;
}

std::string_view trim_right(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::string_view trim_left(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

// The statements of a migration: split after each ';' that ends a line (the ';' dropped), keeping
// '--' comment lines inside the statement they precede, and dropping pieces that hold nothing but
// blank and comment lines. A ';' ending a line inside a string literal would split it too: the
// migrations do not write one.
std::vector<std::string> split_statements(std::string_view sql) {
  std::vector<std::string> out;
  std::string current;
  bool has_code = false;
  std::size_t pos = 0;
  while (pos < sql.size()) {
    std::size_t end = sql.find('\n', pos);
    if (end == std::string_view::npos) end = sql.size();
    std::string_view line = trim_right(sql.substr(pos, end - pos));
    pos = end + 1;
    const std::string_view content = trim_left(line);
    const bool comment = content.starts_with("--") || content.starts_with("#");
    const bool last = !comment && line.ends_with(';');
    if (last) line.remove_suffix(1);
    if (!content.empty() && !comment) has_code = true;
    if (!current.empty()) current += '\n';
    current += line;
    if (last) {
      if (has_code) out.push_back(std::move(current));
      current.clear();
      has_code = false;
    }
  }
  if (has_code) out.push_back(std::move(current));
  return out;
}

}  // namespace

std::unique_ptr<MysqlMigrationTarget> MysqlMigrationTarget::open(MysqlEndpoint endpoint,
                                                                 std::string_view prefix) {
  return std::unique_ptr<MysqlMigrationTarget>(
      new MysqlMigrationTarget(std::move(endpoint), prefix));
}

MysqlMigrationTarget::MysqlMigrationTarget(MysqlEndpoint endpoint, std::string_view prefix)
    : connection_(std::move(endpoint), std::string(kSessionSql), kSlotCount),
      create_table_sql_(apply_prefix(kCreateVersionTableSql, prefix)),
      applied_sql_(apply_prefix(kAppliedSql, prefix)),
      is_recorded_sql_(apply_prefix(kIsRecordedSql, prefix)),
      record_sql_(apply_prefix(kRecordSql, prefix)),
      forget_sql_(apply_prefix(kForgetSql, prefix)) {}

Result<MysqlConnection*> MysqlMigrationTarget::connection() {
  if (auto st = connection_.connect(); !st) return std::move(st).error();
  return &connection_;
}

Status MysqlMigrationTarget::ensure_version_table() {
  auto conn = connection();
  if (!conn) return std::move(conn).error();
  return (*conn)->execute(create_table_sql_, "create schema_migrations");
}

Result<std::vector<AppliedMigration>> MysqlMigrationTarget::applied() {
  auto conn = connection();
  if (!conn) return std::move(conn).error();
  auto st = (*conn)->statement(kAppliedSlot, "applied migrations", applied_sql_);
  if (!st) return std::move(st).error();
  if (auto run = st->execute({}); !run) return std::move(run).error();
  std::vector<AppliedMigration> out;
  while (true) {
    auto row = st->fetch();
    if (!row) return std::move(row).error();
    if (!*row) break;
    auto m = applied_migration_row(st->int64(0), st->text(1), st->text(2));
    if (!m) return std::move(m).error();
    out.push_back(std::move(*m));
  }
  return out;
}

Status MysqlMigrationTarget::apply(const Migration& migration, bool up, std::string_view prefix) {
  auto conn = connection();
  if (!conn) return std::move(conn).error();
  MysqlConnection& c = **conn;
  const std::string what = label(migration) + (up ? " up" : " down");
  const std::int64_t version = migration.version;

  if (!up) {
    // Checked before anything runs, since nothing that runs can be taken back.
    auto st = c.statement(kIsRecordedSlot, "find migration", is_recorded_sql_);
    if (!st) return std::move(st).error();
    if (auto run = st->execute({version}); !run) return run;
    auto row = st->fetch();
    if (!row) return std::move(row).error();
    if (!*row || st->int64(0) != 1) {
      return Error{ErrorCode::kInternal,
                   what + ": version " + std::to_string(version) + " is not recorded as applied"};
    }
  }

  const std::vector<std::string> statements =
      split_statements(apply_prefix(up ? migration.up_sql : migration.down_sql, prefix));
  for (std::size_t i = 0; i < statements.size(); ++i) {
    const std::string step =
        what + ", statement " + std::to_string(i + 1) + " of " + std::to_string(statements.size());
    if (auto st = c.execute(statements[i], step); !st) {
      Error error = std::move(st).error();
      if (i > 0) {
        error.internal += "; its first " + std::to_string(i) +
                          " statement(s) stay applied (MySQL commits DDL at once) and it is not "
                          "recorded: put the schema right before running it again";
      }
      return error;
    }
  }

  if (up) {
    auto st = c.statement(kRecordSlot, "record migration", record_sql_);
    if (!st) return std::move(st).error();
    return st->execute({version, migration.name});
  }
  auto st = c.statement(kForgetSlot, "forget migration", forget_sql_);
  if (!st) return std::move(st).error();
  return st->execute({version});
}

Result<LegacySchema> MysqlMigrationTarget::legacy_schema(std::string_view prefix) {
  auto conn = connection();
  if (!conn) return std::move(conn).error();
  MysqlConnection& c = **conn;
  const std::string user_table = std::string(prefix) + "user";
  LegacySchema out;
  bool alembic = false;
  {
    auto st = c.statement(kLegacyTablesSlot, "legacy tables", kLegacyTablesSql);
    if (!st) return std::move(st).error();
    if (auto run = st->execute({user_table}); !run) return std::move(run).error();
    while (true) {
      auto row = st->fetch();
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
    if (auto run = st->execute({}); !run) return std::move(run).error();
    std::string revisions;
    while (true) {
      auto row = st->fetch();
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
