#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"

namespace gatehouse::store {

// One numbered schema step. SQL may hold several statements separated by ';' at line ends, and
// writes `{{prefix}}` where the table prefix (DATABASE_PREFIX, the tutorial's "api_") goes.
struct Migration {
  int version = 0;
  std::string name;      // e.g. "create_user"
  std::string up_sql;
  std::string down_sql;
};

struct AppliedMigration {
  int version = 0;
  std::string name;
  SysTime applied_at;
};

// The migrations compiled into the binary for a dialect ("sqlite" or "mysql"), by version.
// They are generated at build time from migrations/<dialect>/NNNN_name.{up,down}.sql.
std::vector<Migration> embedded_migrations(std::string_view dialect);

// The same, read at run time from a folder of NNNN_name.up.sql / NNNN_name.down.sql files.
// Errors name the offending file (missing .down.sql, duplicate version, bad name).
Result<std::vector<Migration>> load_migrations_dir(const std::filesystem::path& dir);

// What a database backend provides to the migrator.
class MigrationTarget {
 public:
  virtual ~MigrationTarget() = default;
  // Creates `{prefix}schema_migrations` when missing.
  virtual Status ensure_version_table() = 0;
  virtual Result<std::vector<AppliedMigration>> applied() = 0;
  // Runs the migration's up (or down) SQL and records (or deletes) its version row, in one
  // transaction where the database allows DDL in transactions (SQLite does; MySQL commits DDL
  // implicitly, so there each statement is its own step).
  virtual Status apply(const Migration& migration, bool up, std::string_view prefix) = 0;
};

struct MigrationStatus {
  std::vector<AppliedMigration> applied;
  std::vector<Migration> pending;
  std::vector<AppliedMigration> unknown;  // applied versions this binary does not know (newer binary ran)
};

// Versioned migrations: the Alembic role of the tutorial (upgrade, downgrade, current/history).
class Migrator {
 public:
  Migrator(MigrationTarget& target, std::vector<Migration> migrations, std::string prefix);

  // Applies pending migrations in order (all, or at most `steps`); returns those applied.
  Result<std::vector<Migration>> up(std::optional<int> steps = std::nullopt);
  // Reverts the newest `steps` applied migrations; returns those reverted.
  Result<std::vector<Migration>> down(int steps = 1);
  Result<MigrationStatus> status();

  // Writes the next numbered pair `NNNN_<name>.up.sql` / `.down.sql` into `dir`; returns the up path.
  static Result<std::filesystem::path> create_files(const std::filesystem::path& dir,
                                                    std::string_view name);

 private:
  MigrationTarget& target_;
  std::vector<Migration> migrations_;
  std::string prefix_;
};

// Replaces every `{{prefix}}` in `sql`.
std::string apply_prefix(std::string_view sql, std::string_view prefix);

}  // namespace gatehouse::store
