#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "store/migrations.hpp"
#include "store/mysql/mysql_connection.hpp"

namespace gatehouse::store {

// The migrator's view of a MySQL/MariaDB database, on a dedicated connection (never a pooled one,
// so a long migration cannot starve request threads of connections), opened by the first call.
//
// Not transactional: MySQL commits every DDL statement at once (an implicit COMMIT), so apply()
// runs a migration's statements one by one, and its version row is written only after all of
// them succeeded. A migration that fails part-way leaves its earlier statements applied and is
// not recorded; the error says how many stayed, and the schema must be put right by hand (or the
// failing statement fixed so that the rest can run) before `migrate up` runs it again.
// A down migration checks first that its version is recorded, then runs, then deletes the row.
// Statements are split on ';' at the end of a line; lines starting with '--' are comments.
// Threading: one thread at a time.
class MysqlMigrationTarget final : public MigrationTarget {
 public:
  static std::unique_ptr<MysqlMigrationTarget> open(MysqlEndpoint endpoint,
                                                    std::string_view prefix);

  Status ensure_version_table() override;
  Result<std::vector<AppliedMigration>> applied() override;
  Status apply(const Migration& migration, bool up, std::string_view prefix) override;
  Result<LegacySchema> legacy_schema(std::string_view prefix) override;

 private:
  MysqlMigrationTarget(MysqlEndpoint endpoint, std::string_view prefix);
  Result<MysqlConnection*> connection();

  MysqlConnection connection_;
  const std::string create_table_sql_;
  const std::string applied_sql_;
  const std::string is_recorded_sql_;
  const std::string record_sql_;
  const std::string forget_sql_;
};

}  // namespace gatehouse::store
