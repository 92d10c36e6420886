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
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "config/settings.hpp"
#include "core/result.hpp"
#include "store/migrations.hpp"
#include "store/sql/sql_migration_target.hpp"
#include "store/sql/sql_store.hpp"

namespace gatehouse::store::testing {

// A row of a query, every column as text (nullopt for NULL), on every backend.
using Row = std::vector<std::optional<std::string>>;

// The first column of the first of `rows` as text: "NULL" for NULL, "" for no row. What the raw
// test connections' scalar() answers.
inline std::string first_value(const std::vector<Row>& rows) {
  if (rows.empty() || rows[0].empty()) return "";
  return rows[0][0].value_or("NULL");
}

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

  // The table `prefix` + "user" as the backend's catalog describes it (columns with their types,
  // nullability and defaults; constraints; indexes), one comparable line each, with the prefix
  // written as "{p}" in every name, so that the tutorial's table and migration 1's can be compared
  // in one database. Empty for SQLite, whose migration 1 deliberately writes the table otherwise
  // (AUTOINCREMENT, so that ids are never reused).
  virtual std::vector<std::string> user_table_shape(const std::string& prefix) = 0;

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

// A TCP server on 127.0.0.1 that never answers: the kernel accepts connections into the backlog,
// nobody reads them, like a database server that hangs before its greeting. Closed at destruction.
class SilentServer {
 public:
  SilentServer() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        ::listen(fd_, 16) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      if (fd_ >= 0) ::close(fd_);
      throw std::runtime_error("silent server: cannot listen on 127.0.0.1");
    }
    port_ = ntohs(addr.sin_port);
  }
  ~SilentServer() { ::close(fd_); }
  SilentServer(const SilentServer&) = delete;
  SilentServer& operator=(const SilentServer&) = delete;

  std::uint16_t port() const { return port_; }

 private:
  int fd_;
  std::uint16_t port_ = 0;
};

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

// ---- what the server backends (MySQL, PostgreSQL) share ----

// The test server named by the environment variable `variable` (a URL of `kind`, such as
// mysql://user:pass@127.0.0.1:port/db); nullopt when it is unset. Throws when it is not such a URL.
inline std::optional<config::DatabaseSettings> test_server_from(std::string_view variable,
                                                                config::DatabaseKind kind) {
  const std::string name(variable);
  const char* url = std::getenv(name.c_str());
  if (url == nullptr || *url == '\0') return std::nullopt;
  auto parsed = config::parse_database_url(url);
  if (!parsed) throw std::runtime_error(name + ": " + parsed.error().internal);
  if (parsed->kind != kind) throw std::runtime_error(name + " names another kind of database");
  return *parsed;
}

// Why a server's tests are skipped: `variable` is unset.
// Example:
//   missing_server("GATEHOUSE_TEST_POSTGRES_URL", "PostgreSQL", "postgres.sh")
inline std::string missing_server(std::string_view variable, std::string_view server,
                                  std::string_view script) {
  return std::string(variable) + " is not set: these tests need a " + std::string(server) +
         " server (scripts/test.sh starts a private one and sets it; or scripts/" +
         std::string(script) + " start DIR)";
}

// "gh_t_<16 random hex digits>": the name of a database of one test's own, so tests run in
// parallel on one server.
inline std::string random_database_name() {
  std::random_device rd;
  std::mt19937_64 rng((static_cast<std::uint64_t>(rd()) << 32) ^ rd());
  char buf[32];
  std::snprintf(buf, sizeof buf, "gh_t_%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

// A database random_database_name() of the test's own on `server`, created through a connection
// to `admin_database` with `CREATE DATABASE <name><create_options>` and dropped at destruction with
// `DROP DATABASE IF EXISTS <name><drop_options>`. `Raw` is the backend's raw test connection:
// Raw(server, database), exec(sql), throwing on failure.
template <class Raw>
class ScratchDatabase {
 public:
  ScratchDatabase(config::DatabaseSettings server, const std::string& admin_database,
                  const std::string& create_options, std::string drop_options)
      : server_(std::move(server)),
        name_(random_database_name()),
        drop_options_(std::move(drop_options)),
        admin_(server_, admin_database) {
    admin_.exec("CREATE DATABASE " + name_ + create_options);
    raw_ = std::make_unique<Raw>(server_, name_);
  }
  ~ScratchDatabase() {
    raw_.reset();
    try {
      admin_.exec("DROP DATABASE IF EXISTS " + name_ + drop_options_);
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what();
    }
  }
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;

  const std::string& name() const { return name_; }
  const config::DatabaseSettings& server() const { return server_; }
  // The test's connection to the database.
  Raw& raw() { return *raw_; }
  // Another connection of the test's own to the database.
  std::unique_ptr<Raw> connect() const { return std::make_unique<Raw>(server_, name_); }

  // The server's settings, naming this database (as DATABASE_URL would).
  config::DatabaseSettings settings() const {
    config::DatabaseSettings s = server_;
    s.name = name_;
    return s;
  }

 private:
  config::DatabaseSettings server_;
  std::string name_;
  std::string drop_options_;
  Raw admin_;
  std::unique_ptr<Raw> raw_;
};

// Row locks of a transaction on a raw test connection of its own (`Raw`: exec(sql)), rolled back
// at destruction.
template <class Raw>
class RowLock final : public HeldLock {
 public:
  // Takes the locks of `locking_read` (SELECT ... FOR UPDATE).
  RowLock(std::unique_ptr<Raw> conn, const std::string& locking_read) : conn_(std::move(conn)) {
    conn_->exec("START TRANSACTION");
    conn_->exec(locking_read);
  }
  ~RowLock() override {
    try {
      conn_->exec("ROLLBACK");
    } catch (const std::exception&) {
      // Closing the connection rolls back too.
    }
  }
  RowLock(const RowLock&) = delete;
  RowLock& operator=(const RowLock&) = delete;

 private:
  std::unique_ptr<Raw> conn_;
};

// The part of a server backend's TestBackend that is the same for every server: a database of the
// test's own on the server named by a variable, and stores, migration targets, raw SQL and row
// locks on it. `Driver` names what differs:
//   using Options;     // MysqlOptions, PostgresOptions: endpoint, prefix, pool_size
//   using Database;    // a ScratchDatabase with endpoint(); its raw() has exec, scalar, query
//   static constexpr sql::Dialect kDialect;
//   static std::optional<config::DatabaseSettings> server();  // nullopt: unset
//   static std::string missing_server();                      // the skip message
//   static void set_lock_timeout(Options&, std::chrono::milliseconds);
//   static auto open_database(const Options&);               // the server's pooled database
//   static auto open_migration_connection(const Options&);   // `gatehouse migrate`'s connection
template <class Driver>
class ServerBackend : public TestBackend {
 public:
  using Options = typename Driver::Options;
  using Database = typename Driver::Database;

  // The database of the test's own; only after create_database() succeeded.
  Database& database() { return *db_; }
  const Database& database() const { return *db_; }

  // The options the server would open the database with, for `settings`.
  Options options(const StoreSettings& settings) const {
    Options o;
    o.endpoint = db_->endpoint();
    o.prefix = settings.prefix;
    o.pool_size = settings.pool_size;
    if (settings.lock_timeout) Driver::set_lock_timeout(o, *settings.lock_timeout);
    return o;
  }

  // A store on the database `options` name, as the server opens it.
  static Result<std::unique_ptr<sql::SqlStore>> open_store(const Options& options) {
    auto db = Driver::open_database(options);
    if (!db) return std::move(db).error();
    return std::make_unique<sql::SqlStore>(std::move(*db));
  }

  sql::Dialect dialect() const override { return Driver::kDialect; }

  std::optional<std::string> create_database() override {
    const auto server = Driver::server();
    if (!server) return Driver::missing_server();
    db_ = std::make_unique<Database>(*server);
    return std::nullopt;
  }

  Result<std::unique_ptr<sql::SqlStore>> open_store(const StoreSettings& settings) override {
    return open_store(options(settings));
  }

  std::unique_ptr<MigrationTarget> migration_target(const std::string& prefix) override {
    StoreSettings settings;
    settings.prefix = prefix;
    return std::make_unique<sql::SqlMigrationTarget>(
        std::unique_ptr<sql::Connection>(Driver::open_migration_connection(options(settings))));
  }

  void exec(const std::string& sql) override { db_->raw().exec(sql); }
  std::string scalar(const std::string& sql) override { return db_->raw().scalar(sql); }
  std::vector<Row> query(const std::string& sql) override { return db_->raw().query(sql); }

  std::unique_ptr<HeldLock> hold_write_lock(const std::string& table,
                                            const std::string& where) override {
    return std::make_unique<RowLock<std::remove_cvref_t<decltype(db_->raw())>>>(
        db_->connect(), "SELECT * FROM " + table + " WHERE " + where + " FOR UPDATE");
  }

  // Both drivers retry a deadlock or a lock timeout once.
  int lock_attempts() const override { return 2; }

  std::unique_ptr<MigrationTarget> unreachable_migration_target() override {
    return unreachable_migration_target_of<Options>(
        [](const Options& o) { return Driver::open_migration_connection(o); });
  }

 protected:
  // The first column of every row of `sql`.
  std::set<std::string> first_column(const std::string& sql) {
    std::set<std::string> out;
    for (const Row& row : query(sql)) out.insert(row.at(0).value_or("NULL"));
    return out;
  }

 private:
  std::unique_ptr<Database> db_;
};

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
