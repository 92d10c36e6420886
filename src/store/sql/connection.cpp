#include "store/sql/connection.hpp"

#include "store/migrations.hpp"

namespace gatehouse::store::sql {

std::string_view to_string(Dialect dialect) {
  switch (dialect) {
    case Dialect::kSqlite:
      return "sqlite";
    case Dialect::kMysql:
      return "mysql";
    case Dialect::kPostgres:
      return "postgresql";
  }
  return "unknown";
}

std::string_view to_string(FailureKind kind) {
  switch (kind) {
    case FailureKind::kNone:
      return "none";
    case FailureKind::kUniqueViolation:
      return "unique violation";
    case FailureKind::kForeignKeyViolation:
      return "foreign-key violation";
    case FailureKind::kLockConflict:
      return "lock conflict";
    case FailureKind::kLockTimeout:
      return "lock timeout";
    case FailureKind::kConnectionLost:
      return "connection lost";
    case FailureKind::kOther:
      return "other";
  }
  return "unknown";
}

Result<Cursor> Connection::run(const Query& query, std::initializer_list<Param> params) {
  std::unique_ptr<Statement>& statement = statements_[&query];
  if (!statement) {
    auto prepared = prepare(query.name, apply_prefix(query.text(dialect_), prefix_));
    if (!prepared) {
      statements_.erase(&query);
      return std::move(prepared).error();
    }
    statement = std::move(*prepared);
  }
  Cursor cursor(*statement);
  if (auto st = statement->execute(std::span<const Param>(params.begin(), params.size())); !st) {
    return std::move(st).error();
  }
  return cursor;
}

}  // namespace gatehouse::store::sql
