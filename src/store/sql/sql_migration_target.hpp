#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "store/migrations.hpp"
#include "store/sql/connection.hpp"

namespace gatehouse::store::sql {

// The migrator's view of any SQL database, on a connection of its own (never a pooled one, so a
// long migration cannot starve requests of connections), connected by the first call.
//
// Where DDL is transactional (SQLite, PostgreSQL) a migration's statements and its version row go
// in one transaction: a failure leaves nothing behind. MySQL commits every DDL statement at once,
// so there the statements run one by one and the version row is written only after all of them
// succeeded; a migration that fails part-way leaves its earlier statements applied and is not
// recorded, the error says how many stayed, and the schema must be put right by hand before
// `migrate up` runs it again. A down migration on MySQL checks first that its version is recorded.
// Threading: one thread at a time.
class SqlMigrationTarget final : public MigrationTarget {
 public:
  // `connection` may hold the error of opening it: every call then returns that error.
  explicit SqlMigrationTarget(Result<std::unique_ptr<Connection>> connection)
      : connection_(std::move(connection)) {}

  Status ensure_version_table() override;
  Result<std::vector<AppliedMigration>> applied() override;
  Status apply(const Migration& migration, bool up, std::string_view prefix) override;
  Result<LegacySchema> legacy_schema(std::string_view prefix) override;

 private:
  Result<Connection*> connection();
  Status apply_in_transaction(Connection& conn, const Migration& migration, bool up,
                              const std::string& script, const std::string& what);
  Status apply_step_by_step(Connection& conn, const Migration& migration, bool up,
                            const std::string& script, const std::string& what);

  Result<std::unique_ptr<Connection>> connection_;
};

}  // namespace gatehouse::store::sql
