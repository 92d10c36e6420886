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

std::string statement_text(const Query& query, Dialect dialect) {
  std::string text(query.text(dialect));
  if (query.locks.empty()) return text;
  // Trailing blank lines of a raw string stay before the clause, harmlessly.
  switch (dialect) {
    case Dialect::kSqlite:
      break;
    case Dialect::kMysql:
      text += " FOR UPDATE";
      break;
    case Dialect::kPostgres:
      text += " FOR UPDATE OF ";
      text += query.locks;
      break;
  }
  return text;
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
    auto prepared = prepare(query.name, apply_prefix(statement_text(query, dialect_), prefix_));
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
