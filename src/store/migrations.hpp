#pragma once

#include <cstdint>
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
  std::string name;  // e.g. "create_user"
  std::string up_sql;
  std::string down_sql;
};

struct AppliedMigration {
  int version = 0;
  std::string name;
  SysTime applied_at;
};

// The migrations compiled into the binary for a dialect ("sqlite", "mysql" or "postgresql"), by
// version.
// They are generated at build time from migrations/<dialect>/NNNN_name.{up,down}.sql.
std::vector<Migration> embedded_migrations(std::string_view dialect);

// The same, read at run time from a folder of NNNN_name.up.sql / NNNN_name.down.sql files.
// Errors name the offending file (missing .down.sql, duplicate version, bad name).
Result<std::vector<Migration>> load_migrations_dir(const std::filesystem::path& dir);

// The Alembic revision of the tutorial's only migration ("creat users table"), which created
// `api_user`. A database at this revision is adopted: its user table, rows and ids are kept.
inline constexpr std::string_view kTutorialAlembicRevision = "e176fc408bdb";
// The migration that creates the tutorial's user table, recorded without running on adoption.
inline constexpr int kAdoptedVersion = 1;

// What a database holds from before Gatehouse (the tutorial's Alembic bookkeeping).
struct LegacySchema {
  // version_num of the `alembic_version` table (unprefixed, as Alembic names it) when that table
  // exists and has a row; several rows (Alembic branches) are joined with ','.
  std::optional<std::string> alembic_revision;
  bool user_table = false;  // `{prefix}user` exists
};

// What a database backend provides to the migrator.
class MigrationTarget {
 public:
  virtual ~MigrationTarget() = default;
  // Creates `{prefix}schema_migrations` when missing.
  virtual Status ensure_version_table() = 0;
  virtual Result<std::vector<AppliedMigration>> applied() = 0;
  // Runs the migration's up (or down) SQL and records (or deletes) its version row, in one
  // transaction where the database allows DDL in transactions (SQLite does; MySQL commits DDL
  // implicitly, so there each statement is its own step). With empty SQL it only records (or
  // deletes) the version row: that is how the migrator adopts a tutorial database.
  virtual Status apply(const Migration& migration, bool up, std::string_view prefix) = 0;
  // Reports the tutorial's Alembic revision and whether `{prefix}user` exists. Reads only.
  virtual Result<LegacySchema> legacy_schema(std::string_view prefix) = 0;
};

struct MigrationStatus {
  std::vector<AppliedMigration> applied;
  std::vector<Migration> pending;
  std::vector<AppliedMigration>
      unknown;  // applied versions this binary does not know (newer binary ran)
  // The tutorial's Alembic revision (kTutorialAlembicRevision) when `{prefix}user` is the
  // tutorial's table, adopted in place: migration 1 is recorded as applied without running it (or
  // will be, by `up`, while it is pending).
  std::optional<std::string> adopted_from;
};

// Versioned migrations: the Alembic role of the tutorial (upgrade, downgrade, current/history).
//
// Adopting the tutorial's database: when no Gatehouse migration has been applied yet and the
// database is at the tutorial's Alembic revision with its `{prefix}user` table, up() records
// migration 1 (0001_create_user, which creates that same table) as applied without running it,
// keeping the table with every row and id, and applies the rest normally. The `alembic_version`
// table is left in place, which is harmless: nothing of Gatehouse writes it or depends on it
// (status() only reads it to say the database was adopted), and the tutorial's own tooling still
// sees where it stopped. Any other Alembic revision next to a user table is an error that names
// it, rather than a CREATE TABLE failing on the existing table.
class Migrator {
 public:
  Migrator(MigrationTarget& target, std::vector<Migration> migrations, std::string prefix);

  // Applies pending migrations in order (all, or at most `steps`); returns those applied.
  // Adopting a tutorial database counts as applying migration 1 (it is one step, and returned).
  Result<std::vector<Migration>> up(std::optional<int> steps = std::nullopt);
  // Reverts the newest `steps` applied migrations; returns those reverted.
  Result<std::vector<Migration>> down(int steps = 1);
  Result<MigrationStatus> status();

  // Writes the next numbered pair `NNNN_<name>.up.sql` / `.down.sql` into `dir`; returns the up
  // path.
  static Result<std::filesystem::path> create_files(const std::filesystem::path& dir,
                                                    std::string_view name);

 private:
  // With nothing applied yet: the tutorial revision to adopt the database from, or nullopt for a
  // database to migrate from scratch; an error for an Alembic revision it cannot adopt.
  Result<std::optional<std::string>> adoption(const std::vector<AppliedMigration>& applied);

  MigrationTarget& target_;
  std::vector<Migration> migrations_;
  std::string prefix_;
};

// A row of `{prefix}schema_migrations` as a backend reads it; kInternal for an unreadable
// applied_at. Shared by the migration targets.
Result<AppliedMigration> applied_migration_row(std::int64_t version, std::string name,
                                               const std::string& applied_at);

// Replaces every `{{prefix}}` in `sql`.
std::string apply_prefix(std::string_view sql, std::string_view prefix);

}  // namespace gatehouse::store
