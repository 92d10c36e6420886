#pragma once
// The databases the store is tested on, behind one interface: store_contract_test.cpp runs every
// behaviour of sql::SqlStore, and migration_contract_test.cpp every behaviour of the Migrator over
// sql::SqlMigrationTarget, once per backend in test_backend_table.hpp's all_backends(); the
// backend-specific suites (sqlite_store_test.cpp, mysql_store_test.cpp, mysql_migrations_test.cpp,
// postgres_migrations_test.cpp) set up with the same implementation. Adding a backend: one
// TestBackend (like sqlite_test_backend.hpp) and one line in all_backends().

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "store/migrations.hpp"
#include "store/sql/sql_migration_target.hpp"
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

// A row of the table of backends (test_backend_table.hpp): the test parameter, named after its
// backend.
// Example:
//   INSTANTIATE_TEST_SUITE_P(Backends, MySuite, ::testing::ValuesIn(all_backends()),
//                            backend_test_name);
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

// A port on 127.0.0.1 that was free a moment ago: bound, read and closed again.
inline std::uint16_t unused_local_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  const bool bound = fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) == 0 &&
                     ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  if (fd >= 0) ::close(fd);
  if (!bound) throw std::runtime_error("no free port on 127.0.0.1");
  return ntohs(addr.sin_port);
}

// For a server backend's TestBackend::unreachable_migration_target(): the target over the
// connection `open` makes from Options (MysqlOptions, PostgresOptions) for 127.0.0.1 on a port
// nobody listens at.
// Example:
//   return unreachable_migration_target_of<MysqlOptions>(open_mysql_migration_connection);
template <class Options, class Open>
std::unique_ptr<MigrationTarget> unreachable_migration_target_of(Open open) {
  Options options;
  options.endpoint.host = "127.0.0.1";
  options.endpoint.port = unused_local_port();
  options.endpoint.database = "gatehouse";
  options.prefix = "api_";
  return std::make_unique<sql::SqlMigrationTarget>(std::unique_ptr<sql::Connection>(open(options)));
}

// How SQLAlchemy renders the columns of the tutorial's revision e176fc408bdb that differ by
// dialect.
struct TutorialColumnTypes {
  std::string_view id;         // Integer, primary key: with its autoincrement
  std::string_view boolean;    // Boolean
  std::string_view timestamp;  // TIMESTAMP(timezone=True) with server_default now()
};

// For TestBackend::tutorial_schema(): what the tutorial's `alembic upgrade head` sent, with the
// dialect's `types` (Alembic's version table, revision e176fc408bdb's `api_user` with the index
// of its `index=True` id and the inline UNIQUE of its `unique=True` email, and the version row).
inline std::string tutorial_schema_of(const TutorialColumnTypes& types) {
  std::string sql = R"sql(
CREATE TABLE alembic_version (
	version_num VARCHAR(32) NOT NULL,
	CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
CREATE TABLE api_user (
	id {{id}},
	name VARCHAR(255) NOT NULL,
	email VARCHAR(255) NOT NULL,
	password VARCHAR(255) NOT NULL,
	photo VARCHAR(255),
	verified {{boolean}} DEFAULT False NOT NULL,
	role VARCHAR(255) DEFAULT 'user' NOT NULL,
	created_at {{timestamp}} NOT NULL,
	updated_at {{timestamp}} NOT NULL,
	PRIMARY KEY (id),
	UNIQUE (email)
);
CREATE INDEX ix_api_user_id ON api_user (id);
INSERT INTO alembic_version (version_num) VALUES ('e176fc408bdb');
)sql";
  const std::pair<std::string_view, std::string_view> holes[] = {
      {"{{id}}", types.id}, {"{{boolean}}", types.boolean}, {"{{timestamp}}", types.timestamp}};
  for (const auto& [hole, type] : holes) {
    for (auto at = sql.find(hole); at != std::string::npos; at = sql.find(hole, at + type.size())) {
      sql.replace(at, hole.size(), type);
    }
  }
  return sql;
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
