#pragma once
// The databases the store is tested on, behind one interface: store_contract_test.cpp runs every
// behaviour of sql::SqlStore once per backend in its table of backends, and the backend-specific
// suites (sqlite_store_test.cpp, mysql_store_test.cpp) set up with the same implementation.
// Adding a backend: one TestBackend (like sqlite_test_backend.hpp) and one entry in that table.

#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/result.hpp"
#include "store/migrations.hpp"
#include "store/sql/sql_store.hpp"

namespace gatehouse::store::testing {

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
};

// The store `opened`, or null after a test failure that says why it did not open.
inline std::unique_ptr<sql::SqlStore> store_or_fail(Result<std::unique_ptr<sql::SqlStore>> opened) {
  EXPECT_TRUE(opened) << opened.error().internal;
  return opened ? std::move(*opened) : nullptr;
}

// Applies every embedded migration of the backend's dialect under `prefix`.
inline Status migrate(TestBackend& backend, const std::string& prefix) {
  auto target = backend.migration_target(prefix);
  Migrator migrator(*target, embedded_migrations(sql::to_string(backend.dialect())), prefix);
  auto applied = migrator.up();
  if (!applied) return std::move(applied).error();
  return ok_status();
}

}  // namespace gatehouse::store::testing
