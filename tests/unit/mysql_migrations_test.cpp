#include <gtest/gtest.h>
#include <mysql.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "auth/password_hasher.hpp"
#include "config/settings.hpp"
#include "mysql_test_support.hpp"
#include "store/migrations.hpp"
#include "store/mysql/mysql_database.hpp"
#include "store/sql/sql_migration_target.hpp"
#include "store/store_factory.hpp"
#include "test_support.hpp"

namespace gatehouse::store {
namespace {

namespace fs = std::filesystem;
using testing::kUrlVariable;
using testing::RawConnection;
using testing::Row;
using testing::test_server;
using testing::TestDatabase;

// What the tutorial's `alembic upgrade head` sent to MySQL: Alembic's version table, revision
// e176fc408bdb as SQLAlchemy renders it for the MySQL dialect (server defaults `False`, 'user' and
// now()), and the version row.
constexpr const char* kTutorialSchemaMysql = R"sql(
CREATE TABLE alembic_version (
	version_num VARCHAR(32) NOT NULL,
	CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
CREATE TABLE api_user (
	id INTEGER NOT NULL AUTO_INCREMENT,
	name VARCHAR(255) NOT NULL,
	email VARCHAR(255) NOT NULL,
	password VARCHAR(255) NOT NULL,
	photo VARCHAR(255),
	verified BOOL DEFAULT False NOT NULL,
	role VARCHAR(255) DEFAULT 'user' NOT NULL,
	created_at TIMESTAMP DEFAULT now() NOT NULL,
	updated_at TIMESTAMP DEFAULT now() NOT NULL,
	PRIMARY KEY (id),
	UNIQUE (email)
);
CREATE INDEX ix_api_user_id ON api_user (id);
INSERT INTO alembic_version (version_num) VALUES ('e176fc408bdb');
)sql";

// Users as the tutorial stored them: passlib bcrypt hashes ($2b$, cost 12 and 4), one user deleted
// (id 3), so ids have a gap that must survive. The passwords are password123, "correct horse
// battery staple" and hunter2.
constexpr const char* kTutorialUsers = R"sql(
INSERT INTO api_user (id, name, email, password, photo, verified, role, created_at, updated_at) VALUES
  (1, 'Alice Admin', 'alice@example.com', '$2b$12$/Ct4s6jdce1UNpdZD1LHHuUSiB22I2gp4jZrKq4qS/AzR0vrp89wS', 'alice.png', 1, 'admin', '2023-11-14 22:13:20', '2023-11-15 08:00:00'),
  (2, 'Bob 😀', 'bob@example.com', '$2b$04$Y3sGzpmcZYQObzAdS9neDOPay4iGQIUqTzi08PsaYuODyG3gE0k9S', NULL, 1, 'user', '2023-11-14 22:14:00', '2023-11-14 22:14:00'),
  (3, 'Gone', 'gone@example.com', '$2b$04$ZukNnn1ECrh0bLCqk13fcuvYUgtaDgSbodyFE1E1QPR5TtXll7NFG', NULL, 0, 'user', '2023-11-14 22:15:00', '2023-11-14 22:15:00'),
  (4, 'Carol', 'carol@example.com', '$2b$04$ZukNnn1ECrh0bLCqk13fcuvYUgtaDgSbodyFE1E1QPR5TtXll7NFG', NULL, 0, 'user', '2023-11-14 22:16:00', '2023-11-14 22:16:00');
DELETE FROM api_user WHERE id = 3;
)sql";

constexpr const char* kAliceHash = "$2b$12$/Ct4s6jdce1UNpdZD1LHHuUSiB22I2gp4jZrKq4qS/AzR0vrp89wS";

std::vector<int> versions(const std::vector<Migration>& migrations) {
  std::vector<int> out;
  for (const auto& m : migrations) out.push_back(m.version);
  return out;
}

std::vector<int> versions(const std::vector<AppliedMigration>& migrations) {
  std::vector<int> out;
  for (const auto& m : migrations) out.push_back(m.version);
  return out;
}

std::vector<int> all_versions(std::string_view dialect) {
  return versions(embedded_migrations(dialect));
}

// A fresh directory under the system temp dir, removed with everything in it.
using gatehouse::testing::TempDir;

void write_file(const fs::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
}

TEST(MysqlEmbeddedMigrations, FilesArePairedInVersionOrder) {
  const auto migrations = embedded_migrations("mysql");
  ASSERT_GE(migrations.size(), 2u);
  EXPECT_EQ(migrations[0].version, 1);
  EXPECT_EQ(migrations[0].name, "create_user");
  EXPECT_EQ(migrations[1].version, 2);
  EXPECT_EQ(migrations[1].name, "create_session");
  // Every migration of one dialect has a counterpart in the other.
  EXPECT_EQ(versions(migrations), all_versions("sqlite"));
  for (const auto& m : migrations) {
    for (std::size_t at = m.up_sql.find("CREATE TABLE"); at != std::string::npos;
         at = m.up_sql.find("CREATE TABLE", at + 1)) {
      const auto end = m.up_sql.find(';', at);
      const std::string statement = m.up_sql.substr(at, end - at);
      EXPECT_NE(statement.find("ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE utf8mb4_unicode_ci"),
                std::string::npos)
          << statement;
    }
  }
}

TEST(MysqlMigrationTarget, UnreachableServerIsUnavailable) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  ::close(fd);  // nothing listens there now

  MysqlOptions options;
  options.endpoint.host = "127.0.0.1";
  options.endpoint.port = ntohs(addr.sin_port);
  options.endpoint.database = "gatehouse";
  options.prefix = "api_";
  sql::SqlMigrationTarget target(
      std::unique_ptr<sql::Connection>(open_mysql_migration_connection(options)));
  Migrator migrator(target, embedded_migrations("mysql"), "api_");
  auto status = migrator.status();
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::kUnavailable);
  auto applied = migrator.up();
  ASSERT_FALSE(applied);
  EXPECT_EQ(applied.error().code, ErrorCode::kUnavailable);
}

// A migrator over a database of the test's own on the test server, with the embedded migrations.
class MysqlMigratorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto server = test_server();
    if (!server) {
      GTEST_SKIP() << kUrlVariable
                   << " is not set: these tests need a MariaDB/MySQL server "
                      "(scripts/test.sh starts a private one and sets it)";
    }
    db_ = std::make_unique<TestDatabase>(*server);
    auto opened = open_mysql("api_");
    ASSERT_NE(opened.store, nullptr);
    store_ = std::move(opened.store);
    target_ = std::move(opened.migrations);
  }

  // The server's store and migration target on the test's database, with `prefix`.
  OpenedStore open_mysql(const std::string& prefix) {
    config::DatabaseSettings database = db_->settings();
    database.prefix = prefix;
    auto opened = open_store(database, 2);
    EXPECT_TRUE(opened) << opened.error().internal;
    return opened ? std::move(*opened) : OpenedStore{};
  }

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<MigrationTarget> target_;
};

TEST_F(MysqlMigratorTest, UpDownUpRoundTrip) {
  Migrator migrator(*target_, embedded_migrations("mysql"), "api_");
  auto applied = migrator.up();
  ASSERT_TRUE(applied) << applied.error().internal;
  EXPECT_EQ(versions(*applied), all_versions("mysql"));
  for (const char* name :
       {"api_user", "api_session", "api_refresh_token", "api_schema_migrations"}) {
    EXPECT_TRUE(db_->tables().contains(name)) << name;
  }
  EXPECT_TRUE(db_->indexes("api_user").contains("ix_api_user_id"));
  EXPECT_TRUE(db_->indexes("api_session").contains("ix_api_session_user_id"));
  EXPECT_TRUE(db_->indexes("api_refresh_token").contains("ix_api_refresh_token_session_id"));
  EXPECT_EQ(db_->raw().scalar("SELECT COUNT(*) FROM information_schema.REFERENTIAL_CONSTRAINTS "
                              "WHERE CONSTRAINT_SCHEMA = DATABASE() AND DELETE_RULE = 'CASCADE'"),
            "2");

  auto again = migrator.up();
  ASSERT_TRUE(again) << again.error().internal;
  EXPECT_TRUE(again->empty());

  auto reverted = migrator.down(100);  // more steps than applied: reverts all
  ASSERT_TRUE(reverted) << reverted.error().internal;
  auto expected_down = all_versions("mysql");
  std::reverse(expected_down.begin(), expected_down.end());
  EXPECT_EQ(versions(*reverted), expected_down);
  EXPECT_EQ(db_->tables(), (std::set<std::string>{"api_schema_migrations"}));

  auto status = migrator.status();
  ASSERT_TRUE(status) << status.error().internal;
  EXPECT_TRUE(status->applied.empty());
  EXPECT_EQ(versions(status->pending), all_versions("mysql"));
  EXPECT_FALSE(status->adopted_from);

  auto reapplied = migrator.up();
  ASSERT_TRUE(reapplied) << reapplied.error().internal;
  EXPECT_EQ(versions(*reapplied), all_versions("mysql"));
  EXPECT_TRUE(db_->tables().contains("api_refresh_token"));
  EXPECT_TRUE(store_->ping());
  auto user = store_->find_user_by_email("nobody@example.com");
  ASSERT_TRUE(user) << user.error().internal;
}

TEST_F(MysqlMigratorTest, StepsAndStatus) {
  Migrator migrator(*target_, embedded_migrations("mysql"), "api_");
  auto first = migrator.up(1);
  ASSERT_TRUE(first) << first.error().internal;
  EXPECT_EQ(versions(*first), (std::vector<int>{1}));

  auto status = migrator.status();
  ASSERT_TRUE(status) << status.error().internal;
  EXPECT_EQ(versions(status->applied), (std::vector<int>{1}));
  EXPECT_EQ(status->applied[0].name, "create_user");
  const auto age = std::chrono::system_clock::now() - status->applied[0].applied_at;
  EXPECT_LT(std::chrono::abs(age), std::chrono::minutes(1));  // applied_at is UTC
  EXPECT_EQ(status->pending.front().version, 2);
  EXPECT_TRUE(status->unknown.empty());
  EXPECT_FALSE(status->adopted_from);

  auto none = migrator.up(0);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  auto reverted_none = migrator.down(0);
  ASSERT_TRUE(reverted_none);
  EXPECT_TRUE(reverted_none->empty());
}

TEST_F(MysqlMigratorTest, UnknownAppliedVersionsAreReportedAndNotReverted) {
  Migrator full(*target_, embedded_migrations("mysql"), "api_");
  ASSERT_TRUE(full.up());

  auto only_first = embedded_migrations("mysql");
  only_first.resize(1);
  Migrator older(*target_, only_first, "api_");
  auto status = older.status();
  ASSERT_TRUE(status) << status.error().internal;
  EXPECT_EQ(versions(status->applied), (std::vector<int>{1}));
  EXPECT_EQ(status->unknown.front().version, 2);

  auto reverted = older.down(1);
  ASSERT_FALSE(reverted);
  EXPECT_TRUE(db_->tables().contains("api_session"));
}

TEST_F(MysqlMigratorTest, FailingUpKeepsEarlierStatementsAndRecordsNothing) {
  TempDir migrations;
  write_file(migrations.path() / "0001_ok.up.sql",
             "-- a comment line; not a statement\nCREATE TABLE {{prefix}}a (x INT);\n");
  write_file(migrations.path() / "0001_ok.down.sql", "DROP TABLE {{prefix}}a;");
  write_file(migrations.path() / "0002_broken.up.sql",
             "CREATE TABLE {{prefix}}b (x INT);\n"
             "-- the next one fails\n"
             "INSERT INTO {{prefix}}nope VALUES (1);\n"
             "CREATE TABLE {{prefix}}c (x INT);\n");
  write_file(migrations.path() / "0002_broken.down.sql", "DROP TABLE {{prefix}}b;");
  auto loaded = load_migrations_dir(migrations.path());
  ASSERT_TRUE(loaded) << loaded.error().internal;

  Migrator migrator(*target_, *loaded, "api_");
  auto applied = migrator.up();
  ASSERT_FALSE(applied);
  const std::string& message = applied.error().internal;
  EXPECT_NE(message.find("0002_broken"), std::string::npos) << message;
  EXPECT_NE(message.find("statement 2 of 3"), std::string::npos) << message;
  EXPECT_NE(message.find("api_nope' doesn't exist"), std::string::npos) << message;
  EXPECT_NE(message.find("first 1 statement(s) stay applied"), std::string::npos) << message;

  // MySQL committed the CREATE TABLE before the failure; the version row was never written.
  const auto tables = db_->tables();
  EXPECT_TRUE(tables.contains("api_a"));
  EXPECT_TRUE(tables.contains("api_b"));
  EXPECT_FALSE(tables.contains("api_c"));
  auto status = migrator.status();
  ASSERT_TRUE(status) << status.error().internal;
  EXPECT_EQ(versions(status->applied), (std::vector<int>{1}));
  EXPECT_EQ(versions(status->pending), (std::vector<int>{2}));
}

TEST_F(MysqlMigratorTest, FailingDownKeepsTheVersionRecorded) {
  TempDir migrations;
  write_file(migrations.path() / "0001_ok.up.sql",
             "CREATE TABLE {{prefix}}a (x INT);\nCREATE TABLE {{prefix}}c (x INT);");
  write_file(migrations.path() / "0001_ok.down.sql",
             "DROP TABLE {{prefix}}a;\nDROP TABLE {{prefix}}missing;\nDROP TABLE {{prefix}}c;");
  auto loaded = load_migrations_dir(migrations.path());
  ASSERT_TRUE(loaded) << loaded.error().internal;
  Migrator migrator(*target_, *loaded, "api_");
  ASSERT_TRUE(migrator.up());

  auto reverted = migrator.down();
  ASSERT_FALSE(reverted);
  EXPECT_NE(reverted.error().internal.find("0001_ok (down)"), std::string::npos)
      << reverted.error().internal;
  EXPECT_FALSE(db_->tables().contains("api_a"));  // committed before the failure
  EXPECT_TRUE(db_->tables().contains("api_c"));
  auto status = migrator.status();
  ASSERT_TRUE(status);
  EXPECT_EQ(versions(status->applied), (std::vector<int>{1}));
}

TEST_F(MysqlMigratorTest, PrefixSeparatesInstallations) {
  Migrator api(*target_, embedded_migrations("mysql"), "api_");
  ASSERT_TRUE(api.up());
  auto other_store = open_mysql("other_");
  ASSERT_NE(other_store.migrations, nullptr);
  Migrator other(*other_store.migrations, embedded_migrations("mysql"), "other_");
  auto status = other.status();
  ASSERT_TRUE(status) << status.error().internal;
  EXPECT_EQ(versions(status->pending), all_versions("mysql"));
  auto applied = other.up();
  ASSERT_TRUE(applied) << applied.error().internal;
  EXPECT_TRUE(db_->tables().contains("other_user"));
  EXPECT_TRUE(db_->tables().contains("other_refresh_token"));
  EXPECT_TRUE(db_->tables().contains("api_user"));
}

TEST_F(MysqlMigratorTest, CreatesExactlyTheTutorialsUserTable) {
  db_->raw().exec(kTutorialSchemaMysql);
  auto gh_store = open_mysql("gh_");
  ASSERT_NE(gh_store.migrations, nullptr);
  Migrator migrator(*gh_store.migrations, embedded_migrations("mysql"), "gh_");
  auto applied = migrator.up(1);
  ASSERT_TRUE(applied) << applied.error().internal;

  const auto tutorial = db_->shape("api_", "user");
  const auto ours = db_->shape("gh_", "user");
  ASSERT_FALSE(tutorial.empty());
  EXPECT_EQ(ours, tutorial);
}

TEST_F(MysqlMigratorTest, AdoptsTheTutorialDatabase) {
  db_->raw().exec(kTutorialSchemaMysql);
  db_->raw().exec(kTutorialUsers);
  const auto rows_before = db_->raw().query("SELECT * FROM api_user ORDER BY id");
  ASSERT_EQ(rows_before.size(), 3u);

  Migrator migrator(*target_, embedded_migrations("mysql"), "api_");
  auto before = migrator.status();
  ASSERT_TRUE(before) << before.error().internal;
  EXPECT_EQ(before->adopted_from, std::optional<std::string>("e176fc408bdb"));
  EXPECT_EQ(versions(before->pending), all_versions("mysql"));

  auto applied = migrator.up();
  ASSERT_TRUE(applied) << applied.error().internal;
  EXPECT_EQ(versions(*applied), all_versions("mysql"));

  // Every row and id kept, byte for byte; the hashes are untouched.
  EXPECT_EQ(db_->raw().query("SELECT * FROM api_user ORDER BY id"), rows_before);
  EXPECT_EQ(db_->raw().scalar("SELECT GROUP_CONCAT(id ORDER BY id) FROM api_user"), "1,2,4");
  // Alembic's bookkeeping stays; the session tables are there.
  EXPECT_EQ(db_->raw().scalar("SELECT version_num FROM alembic_version"), "e176fc408bdb");
  for (const char* name : {"api_session", "api_refresh_token", "api_schema_migrations"}) {
    EXPECT_TRUE(db_->tables().contains(name)) << name;
  }

  auto status = migrator.status();
  ASSERT_TRUE(status) << status.error().internal;
  EXPECT_EQ(status->adopted_from, std::optional<std::string>("e176fc408bdb"));
  EXPECT_EQ(versions(status->applied), all_versions("mysql"));
  EXPECT_TRUE(status->pending.empty());
  auto again = migrator.up();
  ASSERT_TRUE(again) << again.error().internal;
  EXPECT_TRUE(again->empty());

  // The store reads the adopted rows, and the tutorial's passwords still verify.
  auto alice = store_->find_user_by_email("alice@example.com");
  ASSERT_TRUE(alice) << alice.error().internal;
  ASSERT_TRUE(*alice);
  EXPECT_EQ((*alice)->id, 1);
  EXPECT_EQ((*alice)->name, "Alice Admin");
  EXPECT_EQ((*alice)->password_hash, kAliceHash);
  EXPECT_EQ((*alice)->photo, std::optional<std::string>("alice.png"));
  EXPECT_TRUE((*alice)->verified);
  EXPECT_EQ((*alice)->role, "admin");
  EXPECT_EQ((*alice)->created_at, from_unix_seconds(1'700'000'000));
  const auth::PasswordHasher hasher(auth::Argon2Params{});
  EXPECT_EQ(hasher.verify("password123", (*alice)->password_hash),
            auth::PasswordVerdict::kMatchNeedsRehash);
  auto bob = store_->find_user_by_email("bob@example.com");
  ASSERT_TRUE(bob && *bob);
  EXPECT_EQ((*bob)->name, "Bob 😀");
  EXPECT_EQ(hasher.verify("correct horse battery staple", (*bob)->password_hash),
            auth::PasswordVerdict::kMatchNeedsRehash);
  auto gone = store_->find_user_by_id(3);
  ASSERT_TRUE(gone);
  EXPECT_FALSE(*gone);

  // New users continue the tutorial's ids; sessions hang off adopted users.
  NewUser dave;
  dave.name = "Dave";
  dave.email = "dave@example.com";
  dave.password_hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA";
  dave.now = from_unix_seconds(1'700'000'000);
  auto created = store_->create_user(dave);
  ASSERT_TRUE(created) << created.error().internal;
  EXPECT_EQ(created->id, 5);
  auto taken = store_->create_user([&] {
    NewUser again_alice = dave;
    again_alice.email = "alice@example.com";
    return again_alice;
  }());
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().code, ErrorCode::kAccountExists);
  NewSession session;
  session.id = "sid-alice";
  session.user_id = 1;
  session.refresh_hash = "hash-alice";
  session.now = from_unix_seconds(1'700'000'000);
  session.expires_at = session.now + std::chrono::hours(1);
  session.refresh_expires_at = session.now + std::chrono::hours(1);
  ASSERT_TRUE(store_->create_session(session));
  auto live = store_->find_user_with_session(1, "sid-alice", session.now);
  ASSERT_TRUE(live && *live);
  EXPECT_TRUE((*live)->session_live);
}

TEST_F(MysqlMigratorTest, UnknownAlembicRevisionIsNamed) {
  db_->raw().exec(kTutorialSchemaMysql);
  db_->raw().exec("UPDATE alembic_version SET version_num = '0badc0ffee42'");
  Migrator migrator(*target_, embedded_migrations("mysql"), "api_");
  auto applied = migrator.up();
  ASSERT_FALSE(applied);
  EXPECT_NE(applied.error().internal.find("'0badc0ffee42'"), std::string::npos)
      << applied.error().internal;
  EXPECT_NE(applied.error().internal.find("e176fc408bdb"), std::string::npos)
      << applied.error().internal;
  auto status = migrator.status();
  ASSERT_FALSE(status);
  EXPECT_NE(status.error().internal.find("'0badc0ffee42'"), std::string::npos);
  // Nothing was done.
  EXPECT_EQ(db_->raw().scalar("SELECT COUNT(*) FROM api_schema_migrations"), "0");
  EXPECT_FALSE(db_->tables().contains("api_session"));
}

TEST_F(MysqlMigratorTest, AlembicVersionWithoutUserTableMigratesFromScratch) {
  // The tutorial's `alembic downgrade base` drops the table and leaves an empty alembic_version;
  // a leftover revision without the table is no table to adopt either.
  db_->raw().exec(kTutorialSchemaMysql);
  db_->raw().exec("DROP TABLE api_user");
  Migrator migrator(*target_, embedded_migrations("mysql"), "api_");
  auto status = migrator.status();
  ASSERT_TRUE(status) << status.error().internal;
  EXPECT_FALSE(status->adopted_from);
  auto applied = migrator.up();
  ASSERT_TRUE(applied) << applied.error().internal;
  EXPECT_EQ(versions(*applied), all_versions("mysql"));
  EXPECT_TRUE(db_->tables().contains("api_user"));
  auto after = migrator.status();
  ASSERT_TRUE(after) << after.error().internal;
  EXPECT_EQ(after->adopted_from, std::optional<std::string>("e176fc408bdb"))
      << "alembic_version and the user table are both there now";
}

// ---- adoption on SQLite ----
// (Here rather than in migrations_test.cpp because adoption came with the MySQL backend; the
// migrator logic is the same for both dialects.)

// The tutorial's DDL as SQLAlchemy renders it for SQLite (the tutorial's own migration switches
// now() to CURRENT_TIMESTAMP there).
constexpr const char* kTutorialSchemaSqlite = R"sql(
CREATE TABLE alembic_version (
	version_num VARCHAR(32) NOT NULL,
	CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
CREATE TABLE api_user (
	id INTEGER NOT NULL,
	name VARCHAR(255) NOT NULL,
	email VARCHAR(255) NOT NULL,
	password VARCHAR(255) NOT NULL,
	photo VARCHAR(255),
	verified BOOLEAN DEFAULT False NOT NULL,
	role VARCHAR(255) DEFAULT 'user' NOT NULL,
	created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL,
	updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL,
	PRIMARY KEY (id),
	UNIQUE (email)
);
CREATE INDEX ix_api_user_id ON api_user (id);
INSERT INTO alembic_version (version_num) VALUES ('e176fc408bdb');
INSERT INTO api_user (id, name, email, password, verified, created_at, updated_at) VALUES
  (7, 'Alice', 'alice@example.com', '$2b$12$/Ct4s6jdce1UNpdZD1LHHuUSiB22I2gp4jZrKq4qS/AzR0vrp89wS', 1,
   '2023-11-14 22:13:20.123456', '2023-11-14 22:13:20.123456');
)sql";

void sqlite_exec(const fs::path& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* message = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
  EXPECT_EQ(rc, SQLITE_OK) << (message ? message : "");
  sqlite3_free(message);
  sqlite3_close(db);
}

TEST(TutorialAdoptionOnSqlite, KeepsEveryRowAndReportsIt) {
  TempDir dir;
  const fs::path path = dir.path() / "tutorial.db";
  sqlite_exec(path, kTutorialSchemaSqlite);
  config::DatabaseSettings database;
  database.sqlite_path = path.string();
  auto opened = open_store(database, 1);
  ASSERT_TRUE(opened) << opened.error().internal;
  auto& store = opened->store;
  Migrator migrator(*opened->migrations, embedded_migrations("sqlite"), "api_");
  auto applied = migrator.up();
  ASSERT_TRUE(applied) << applied.error().internal;
  EXPECT_EQ(versions(*applied), all_versions("sqlite"));
  auto status = migrator.status();
  ASSERT_TRUE(status) << status.error().internal;
  EXPECT_EQ(status->adopted_from, std::optional<std::string>("e176fc408bdb"));

  auto alice = store->find_user_by_email("alice@example.com");
  ASSERT_TRUE(alice) << alice.error().internal;
  ASSERT_TRUE(*alice);
  EXPECT_EQ((*alice)->id, 7);
  EXPECT_EQ((*alice)->password_hash, kAliceHash);
  auto next = store->create_user([] {
    NewUser u;
    u.name = "Bob";
    u.email = "bob@example.com";
    u.password_hash = "x";
    return u;
  }());
  ASSERT_TRUE(next) << next.error().internal;
  EXPECT_EQ(next->id, 8);
}

TEST(TutorialAdoptionOnSqlite, UnknownRevisionIsNamed) {
  TempDir dir;
  const fs::path path = dir.path() / "tutorial.db";
  sqlite_exec(path, kTutorialSchemaSqlite);
  sqlite_exec(path, "UPDATE alembic_version SET version_num = 'abcdef123456'");
  config::DatabaseSettings database;
  database.sqlite_path = path.string();
  auto opened = open_store(database, 1);
  ASSERT_TRUE(opened) << opened.error().internal;
  Migrator migrator(*opened->migrations, embedded_migrations("sqlite"), "api_");
  auto applied = migrator.up();
  ASSERT_FALSE(applied);
  EXPECT_NE(applied.error().internal.find("'abcdef123456'"), std::string::npos)
      << applied.error().internal;
  EXPECT_EQ(applied.error().internal.find("already exists"), std::string::npos);
}

}  // namespace
}  // namespace gatehouse::store
