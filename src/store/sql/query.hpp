#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gatehouse::store::sql {

// The SQL languages Gatehouse speaks. Each backend's driver says which one it is.
enum class Dialect { kSqlite, kMysql, kPostgres };

std::string_view to_string(Dialect dialect);

// One statement of the store, written once: `{{prefix}}` where DATABASE_PREFIX goes and `?` for
// each parameter (bound in order, so a value used twice is bound twice; the PostgreSQL driver
// numbers them $1, $2...). Where a dialect really differs (an upsert, the id of a new row), that
// dialect's own text is given too; a row lock is said once, in `locks`. Constants of this type sit
// next to the function that runs them; connections prepare each one once, on first use, and key
// their cache by its address, so a Query must have static storage duration. Example:
//   constexpr Query kFindUser{.name = "find_user", .sql = "SELECT ... WHERE u.id = ?"};
struct Query {
  std::string_view name;  // for error messages
  std::string_view sql;   // every dialect, unless one of the texts below is set
  std::string_view sqlite = {};
  std::string_view mysql = {};
  std::string_view postgres = {};
  // A SELECT whose rows stay locked until the transaction ends (a write depends on what it read):
  // the aliases of the tables whose rows it locks, e.g. "u" or "rt, s". MySQL appends FOR UPDATE
  // (every row read), PostgreSQL FOR UPDATE OF the aliases (it cannot lock the nullable side of an
  // outer join), SQLite nothing: its write transaction holds the whole database.
  std::string_view locks = {};

  constexpr std::string_view text(Dialect dialect) const {
    std::string_view own;
    switch (dialect) {
      case Dialect::kSqlite:
        own = sqlite;
        break;
      case Dialect::kMysql:
        own = mysql;
        break;
      case Dialect::kPostgres:
        own = postgres;
        break;
    }
    return own.empty() ? sql : own;
  }
};

// The statement `query` runs on `dialect`: its text, with the locking clause its `locks` asks for.
std::string statement_text(const Query& query, Dialect dialect);

// One statement parameter, typed by what it is made from: integers and bools as 64-bit integers,
// text as text, nullopt as NULL. Text is referred to, not copied: a Param lives only in the
// argument list of Connection::run.
class Param {
 public:
  enum class Kind { kNull, kInt64, kText };

  // Implicit on purpose: `conn.run(kInsertUser, {user.name, user.id, user.photo})`.
  Param(std::int64_t value) : kind_(Kind::kInt64), int_(value) {}      // NOLINT
  Param(int value) : Param(std::int64_t{value}) {}                     // NOLINT
  Param(bool value) : Param(std::int64_t{value ? 1 : 0}) {}            // NOLINT
  Param(std::string_view value) : kind_(Kind::kText), text_(value) {}  // NOLINT
  Param(const std::string& value) : Param(std::string_view(value)) {}  // NOLINT
  Param(const char* value) : Param(std::string_view(value)) {}         // NOLINT
  Param(std::nullopt_t) : kind_(Kind::kNull) {}                        // NOLINT
  Param(const std::optional<std::string>& value)                       // NOLINT
      : kind_(value ? Kind::kText : Kind::kNull), text_(value ? *value : std::string_view()) {}
  Param(std::optional<std::int64_t> value)  // NOLINT
      : kind_(value ? Kind::kInt64 : Kind::kNull), int_(value.value_or(0)) {}

  Kind kind() const { return kind_; }
  std::int64_t int64() const { return int_; }
  std::string_view text() const { return text_; }

 private:
  Kind kind_;
  std::int64_t int_ = 0;
  std::string_view text_;
};

}  // namespace gatehouse::store::sql
