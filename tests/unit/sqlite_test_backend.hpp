#pragma once
// The SQLite backend of the store's tests (see store_backends.hpp): a database file in a folder of
// the test's own.

#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "store/sql/sql_migration_target.hpp"
#include "store/sql/sql_store.hpp"
#include "store/sqlite/sqlite_connection.hpp"
#include "store/sqlite/sqlite_database.hpp"
#include "store_backends.hpp"
#include "test_support.hpp"

namespace gatehouse::store::testing {

// A raw sqlite3 connection of the test's own, set up as the store's are (foreign keys on, so that
// a DELETE cascades; a busy timeout, so that it waits for the store's writer). Failures throw.
class RawSqlite {
 public:
  explicit RawSqlite(const std::filesystem::path& path) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) {
      const std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      throw std::runtime_error("test connection to " + path.string() + ": " + message);
    }
    sqlite3_busy_timeout(db_, 5000);
    exec("PRAGMA foreign_keys = ON");
  }
  ~RawSqlite() { sqlite3_close(db_); }
  RawSqlite(const RawSqlite&) = delete;
  RawSqlite& operator=(const RawSqlite&) = delete;

  void exec(const std::string& sql) {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
      const std::string text = message != nullptr ? message : sqlite3_errmsg(db_);
      sqlite3_free(message);
      throw std::runtime_error("test SQL failed: " + text + " in: " + sql);
    }
  }

  std::vector<Row> query(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      throw std::runtime_error("test SQL failed: " + std::string(sqlite3_errmsg(db_)) +
                               " in: " + sql);
    }
    std::vector<Row> rows;
    int rc = SQLITE_ROW;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      Row row;
      for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
        row.push_back(text != nullptr
                          ? std::optional<std::string>(std::string(
                                text, static_cast<std::size_t>(sqlite3_column_bytes(stmt, i))))
                          : std::nullopt);
      }
      rows.push_back(std::move(row));
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) {
      throw std::runtime_error("test SQL failed: " + std::string(sqlite3_errstr(rc)) +
                               " in: " + sql);
    }
    return rows;
  }

  // The first column of the first row ("NULL" for NULL, "" for no row).
  std::string scalar(const std::string& sql) { return first_value(query(sql)); }

 private:
  sqlite3* db_ = nullptr;
};

class SqliteBackend final : public TestBackend {
 public:
  SqliteBackend() : path_(dir_.path() / "gatehouse.db") {}

  const std::filesystem::path& path() const { return path_; }

  // The options the server would open the database with, for `settings`.
  SqliteOptions options(const StoreSettings& settings) const {
    SqliteOptions out(path_.string(), settings.prefix, settings.pool_size);
    if (settings.lock_timeout) out.busy_timeout = *settings.lock_timeout;
    return out;
  }

  static Result<std::unique_ptr<sql::SqlStore>> open_store(const SqliteOptions& options) {
    auto db = SqliteDatabase::open(options);
    if (!db) return std::move(db).error();
    return std::make_unique<sql::SqlStore>(std::move(*db));
  }

  sql::Dialect dialect() const override { return sql::Dialect::kSqlite; }

  // The file is created by the first connection to it.
  std::optional<std::string> create_database() override { return std::nullopt; }

  Result<std::unique_ptr<sql::SqlStore>> open_store(const StoreSettings& settings) override {
    return open_store(options(settings));
  }

  std::unique_ptr<MigrationTarget> migration_target(const std::string& prefix) override {
    auto conn = SqliteConnection::open(path_.string(), std::chrono::milliseconds(5000), prefix);
    using Opened = Result<std::unique_ptr<sql::Connection>>;
    return std::make_unique<sql::SqlMigrationTarget>(conn ? Opened(std::move(*conn))
                                                          : Opened(std::move(conn).error()));
  }

  void exec(const std::string& sql) override { raw().exec(sql); }
  std::string scalar(const std::string& sql) override { return raw().scalar(sql); }
  std::vector<Row> query(const std::string& sql) override { return raw().query(sql); }

  std::unique_ptr<HeldLock> hold_write_lock(const std::string&, const std::string&) override {
    return std::make_unique<Lock>(path_);
  }

  std::chrono::milliseconds shortest_lock_timeout() const override {
    return std::chrono::milliseconds(50);
  }
  // The busy handler has already waited: lock conflicts are not retried.
  int lock_attempts() const override { return 1; }

  std::string says_duplicate() const override { return "UNIQUE constraint failed"; }
  std::string says_missing_table(const std::string& table) const override {
    return "no such table: " + table;
  }
  std::string says_lock_timeout() const override { return "database is locked"; }

  bool transactional_ddl() const override { return true; }

  std::set<std::string> tables() override {
    return first_column(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
  }
  std::set<std::string> indexes(const std::string& table) override {
    return first_column("SELECT name FROM pragma_index_list('" + table + "')");
  }
  std::set<std::string> cascading_foreign_keys() override {
    return first_column(
        "SELECT t.name || ' -> ' || f.\"table\" FROM sqlite_master t, "
        "pragma_foreign_key_list(t.name) f WHERE t.type = 'table' AND f.on_delete = 'CASCADE'");
  }

  // SQLAlchemy's rendering for SQLite: the tutorial's own migration writes CURRENT_TIMESTAMP
  // there instead of now().
  std::string tutorial_schema() const override {
    return tutorial_schema_of({.id = "INTEGER NOT NULL",
                               .boolean = "BOOLEAN",
                               .timestamp = "TIMESTAMP DEFAULT CURRENT_TIMESTAMP"});
  }

  // Not compared: migration 1 writes the table with AUTOINCREMENT (ids never reused) and its own
  // defaults, so its shape is not the tutorial's.
  std::vector<std::string> user_table_shape(const std::string&) override { return {}; }

  // A file needs no server.
  std::unique_ptr<MigrationTarget> unreachable_migration_target() override { return nullptr; }

 private:
  // The whole database, write-locked by a connection of its own.
  class Lock final : public HeldLock {
   public:
    explicit Lock(const std::filesystem::path& path) : conn_(path) {
      conn_.exec("BEGIN IMMEDIATE");
    }
    ~Lock() override {
      try {
        conn_.exec("ROLLBACK");
      } catch (const std::exception&) {
        // Closing the connection rolls back too.
      }
    }

   private:
    RawSqlite conn_;
  };

  std::set<std::string> first_column(const std::string& sql) {
    std::set<std::string> out;
    for (const Row& row : query(sql)) out.insert(row.at(0).value_or("NULL"));
    return out;
  }

  RawSqlite& raw() {
    if (!raw_) raw_ = std::make_unique<RawSqlite>(path_);
    return *raw_;
  }

  gatehouse::testing::TempDir dir_;  // declared first: removed after the connection is closed
  std::filesystem::path path_;
  std::unique_ptr<RawSqlite> raw_;
};

}  // namespace gatehouse::store::testing
