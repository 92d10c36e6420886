#pragma once
// The databases the store is tested on, behind one interface: store_contract_test.cpp runs every
// behaviour of sql::SqlStore, and migration_contract_test.cpp every behaviour of the Migrator over
// sql::SqlMigrationTarget, once per backend in its table of backends; the backend-specific suites
// (sqlite_store_test.cpp, mysql_store_test.cpp, mysql_migrations_test.cpp) set up with the same
// implementation. Adding a backend: one TestBackend (like sqlite_test_backend.hpp) and one entry in
// each table.

#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "store/migrations.hpp"
#include "store/sql/sql_store.hpp"

namespace gatehouse::store::testing {

// A row of a query, every column as text (nullopt for NULL); the same type as mysql_test_support's.
using Row = std::vector<std::optional<std::string>>;

// What a test asks of its store, in terms every backend understands.
struct StoreSettings {
  std::string prefix = "api_";  // DATABASE_PREFIX
  std::size_t pool_size = 6;
  // How long a write waits for a lock held by a transaction outside this store before it fails
  // (SQLite: the busy timeout; servers: the lock wait timeout, in whole seconds); nullopt for the
  // backend's default.
  std::optional<std::chrono::milliseconds> lock_timeout;
};

// A transaction of the test's own, outside every store, that holds a write lock until destroyed
// (then rolled back).
class HeldLock {
 public:
  virtual ~HeldLock() = default;
};

// One database backend, as the store's tests need it: an empty database of the test's own, stores
// and a migration target opened on it, and raw SQL on a connection of the test's own (to set up
// rows the store would never write, to look at what it wrote, and to hold locks).
// Threading: the test's thread only (the stores it opens are thread-safe).
class TestBackend {
 public:
  virtual ~TestBackend() = default;

  virtual sql::Dialect dialect() const = 0;

  // Creates the empty database, removed again by the destructor. Returns why this backend cannot
  // be tested here (the test is then skipped with that message), or nullopt.
  virtual std::optional<std::string> create_database() = 0;

  // A store on the database, as the server opens it, with `settings`.
  virtual Result<std::unique_ptr<sql::SqlStore>> open_store(const StoreSettings& settings) = 0;
  // The migration target of `gatehouse migrate` on the database.
  virtual std::unique_ptr<MigrationTarget> migration_target(const std::string& prefix) = 0;

  // Runs `sql` (statements separated by ';' at line ends) outside the store. Failures throw, so
  // that they fail the test where they happen.
  virtual void exec(const std::string& sql) = 0;
  // The first column of the first row of `sql` as text: "NULL" for NULL, "" for no row.
  virtual std::string scalar(const std::string& sql) = 0;
  // Every row of `sql`.
  virtual std::vector<Row> query(const std::string& sql) = 0;

  // Holds, until the result is destroyed, a write lock that covers the rows of `table` matching
  // `where` (SQLite locks the whole database with BEGIN IMMEDIATE; servers lock those rows with
  // SELECT ... FOR UPDATE), as another process would.
  virtual std::unique_ptr<HeldLock> hold_write_lock(const std::string& table,
                                                    const std::string& where) = 0;

  // The shortest StoreSettings::lock_timeout the backend accepts.
  virtual std::chrono::milliseconds shortest_lock_timeout() const = 0;
  // How many times a write that meets a held lock is attempted before it fails (one more than
  // the lock-conflict retries of its sql::RetryRules).
  virtual int lock_attempts() const = 0;

  // What the backend's errors say, so that tests can check that the real reason is logged.
  virtual std::string says_duplicate() const = 0;
  virtual std::string says_missing_table(const std::string& table) const = 0;
  virtual std::string says_lock_timeout() const = 0;

  // ---- what the migration tests look at ----

  // Whether DDL is transactional: a migration's statements and its version row then commit or
  // roll back together (SQLite, PostgreSQL). MySQL commits every DDL statement at once, so a
  // migration that fails part-way leaves its earlier statements applied. Stated by the backend,
  // not asked of the driver, so that the tests check the driver's answer.
  virtual bool transactional_ddl() const = 0;

  // The tables of the database (of every prefix, without the database's own bookkeeping such as
  // sqlite_sequence), and the indexes of `table`, by name.
  virtual std::set<std::string> tables() = 0;
  virtual std::set<std::string> indexes(const std::string& table) = 0;
  // The foreign keys that delete their rows with the row they point at, as "table -> parent".
  virtual std::set<std::string> cascading_foreign_keys() = 0;

  // What the tutorial's `alembic upgrade head` sent to this database: Alembic's version table at
  // kTutorialAlembicRevision, and revision e176fc408bdb's `api_user` with its index as SQLAlchemy
  // renders them for this dialect. No user rows. For exec().
  virtual std::string tutorial_schema() const = 0;

  // The migration target of `gatehouse migrate` pointed at a server that nobody listens at (a
  // port just bound and closed again); nullptr for a backend without a server (SQLite). Needs no
  // create_database().
  virtual std::unique_ptr<MigrationTarget> unreachable_migration_target() = 0;
};

// A row of a suite's table of backends: the test parameter, named after its backend.
// Example:
//   const NamedBackend kBackends[] = {
//       {"sqlite", [] { return std::make_unique<SqliteBackend>(); }}, ...};
//   INSTANTIATE_TEST_SUITE_P(Backends, MySuite, ::testing::ValuesIn(kBackends), backend_test_name);
struct NamedBackend {
  std::string_view name;
  std::function<std::unique_ptr<TestBackend>()> make;
  bool server = false;  // a database server (not embedded SQLite)
};

inline void PrintTo(const NamedBackend& backend, std::ostream* out) {
  *out << backend.name;
}

// The backend's name as the suffix of its tests' names: "Suite.Test/sqlite".
inline std::string backend_test_name(const ::testing::TestParamInfo<NamedBackend>& info) {
  return std::string(info.param.name);
}

// The store `opened`, or null after a test failure that says why it did not open.
inline std::unique_ptr<sql::SqlStore> store_or_fail(Result<std::unique_ptr<sql::SqlStore>> opened) {
  EXPECT_TRUE(opened) << opened.error().internal;
  return opened ? std::move(*opened) : nullptr;
}

// The migrations compiled in for the backend's dialect (migrations/<dialect>/).
inline std::vector<Migration> embedded_migrations_of(const TestBackend& backend) {
  return embedded_migrations(sql::to_string(backend.dialect()));
}

// Applies every embedded migration of the backend's dialect under `prefix`.
inline Status migrate(TestBackend& backend, const std::string& prefix) {
  auto target = backend.migration_target(prefix);
  Migrator migrator(*target, embedded_migrations_of(backend), prefix);
  auto applied = migrator.up();
  if (!applied) return std::move(applied).error();
  return ok_status();
}

}  // namespace gatehouse::store::testing
