#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "store/migrations.hpp"
#include "store/sqlite/sqlite_connection.hpp"

namespace gatehouse::store {

// The migrator's view of an SQLite database, on a dedicated connection (never a pooled one, so a
// long migration cannot starve request threads of connections). Each apply() is one transaction:
// SQLite runs DDL transactionally, so a failing migration leaves neither schema changes nor its
// version row behind. Threading: one thread at a time.
class SqliteMigrationTarget final : public MigrationTarget {
 public:
  // Opens the connection now. If that fails, every method returns the open error, so the caller
  // learns it from the first migrator call.
  static std::unique_ptr<SqliteMigrationTarget> open(const std::string& path,
                                                     std::chrono::milliseconds busy_timeout,
                                                     std::string_view prefix);

  Status ensure_version_table() override;
  Result<std::vector<AppliedMigration>> applied() override;
  Status apply(const Migration& migration, bool up, std::string_view prefix) override;
  Result<LegacySchema> legacy_schema(std::string_view prefix) override;

 private:
  SqliteMigrationTarget(Result<std::unique_ptr<SqliteConnection>> connection,
                        std::string_view prefix);
  Result<SqliteConnection*> connection();

  Result<std::unique_ptr<SqliteConnection>> connection_;
  const std::string create_table_sql_;
  const std::string applied_sql_;
  const std::string record_sql_;
  const std::string forget_sql_;
};

}  // namespace gatehouse::store
