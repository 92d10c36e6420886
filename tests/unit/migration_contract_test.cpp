// The migrator's contract: every behaviour of Migrator over sql::SqlMigrationTarget, written once
// and run on every backend in all_backends() (test_backend_table.hpp, as store_contract_test.cpp).
// Where a backend truly behaves otherwise (MySQL commits DDL at once) the test says so through
// TestBackend::transactional_ddl(). What only one backend does is tested in its own suite
// (mysql_migrations_test.cpp, postgres_migrations_test.cpp); what needs no database, in
// migrations_test.cpp.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "auth/password_hasher.hpp"
#include "core/clock.hpp"
#include "migration_versions.hpp"
#include "store/migrations.hpp"
#include "store_backends.hpp"
#include "store_test_support.hpp"
#include "test_backend_table.hpp"
#include "test_support.hpp"

namespace gatehouse::store {
namespace {

using testing::all_backends;
using testing::backend_test_name;
using testing::NamedBackend;
using testing::Row;
using testing::server_backends;
using testing::StoreSettings;
using testing::TestBackend;

// ---- the tutorial's data ----

// Users as the tutorial's ORM stored them (ids from the database): passlib bcrypt hashes ($2b$,
// cost 12 and 4); the third user deleted, so the ids 1, 2 and 4 have a gap that must survive.
// Carol's updated_at carries microseconds, as SQLAlchemy writes a Python datetime (SQLite keeps
// them in its text column; MySQL's TIMESTAMP drops them). The passwords are password123, "correct
// horse battery staple" and hunter2.
constexpr const char* kTutorialUsers = R"sql(
INSERT INTO api_user (name, email, password, photo, verified, role, created_at, updated_at)
  VALUES ('Alice Admin', 'alice@example.com', '$2b$12$/Ct4s6jdce1UNpdZD1LHHuUSiB22I2gp4jZrKq4qS/AzR0vrp89wS', 'alice.png', TRUE, 'admin', '2023-11-14 22:13:20', '2023-11-15 08:00:00');
INSERT INTO api_user (name, email, password, verified, created_at, updated_at)
  VALUES ('Bob 😀', 'bob@example.com', '$2b$04$Y3sGzpmcZYQObzAdS9neDOPay4iGQIUqTzi08PsaYuODyG3gE0k9S', TRUE, '2023-11-14 22:14:00', '2023-11-14 22:14:00');
INSERT INTO api_user (name, email, password, created_at, updated_at)
  VALUES ('Gone', 'gone@example.com', '$2b$04$ZukNnn1ECrh0bLCqk13fcuvYUgtaDgSbodyFE1E1QPR5TtXll7NFG', '2023-11-14 22:15:00', '2023-11-14 22:15:00');
INSERT INTO api_user (name, email, password, created_at, updated_at)
  VALUES ('Carol', 'carol@example.com', '$2b$04$ZukNnn1ECrh0bLCqk13fcuvYUgtaDgSbodyFE1E1QPR5TtXll7NFG', '2023-11-14 22:16:00', '2023-11-14 22:16:00.123456');
DELETE FROM api_user WHERE email = 'gone@example.com';
)sql";

constexpr const char* kAliceHash = "$2b$12$/Ct4s6jdce1UNpdZD1LHHuUSiB22I2gp4jZrKq4qS/AzR0vrp89wS";

// ---- helpers ----

using testing::versions;

// "0003_sessions_management": how the migrator's messages name a migration.
std::string label(const Migration& migration) {
  char number[16];
  std::snprintf(number, sizeof number, "%04d", migration.version);
  return std::string(number) + "_" + migration.name;
}

// The migrations in `files` (name, content), read from a folder as `gatehouse migrate --dir` does.
std::vector<Migration> migrations_from_files(
    const std::vector<std::pair<std::string, std::string>>& files) {
  gatehouse::testing::TempDir dir;
  for (const auto& [name, content] : files) {
    std::ofstream(dir.path() / name, std::ios::binary) << content;
  }
  auto loaded = load_migrations_dir(dir.path());
  EXPECT_TRUE(loaded) << loaded.error().internal;
  return loaded ? std::move(*loaded) : std::vector<Migration>{};
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A migrator over a database of the test's own, on each backend, with `api_` as the prefix.
class MigrationContractTest : public ::testing::TestWithParam<NamedBackend> {
 protected:
  void SetUp() override {
    backend_ = GetParam().make();
    if (auto why = backend_->create_database()) GTEST_SKIP() << *why;
    target_ = backend_->migration_target("api_");
  }

  TestBackend& backend() { return *backend_; }
  std::vector<Migration> embedded() const { return testing::embedded_migrations_of(*backend_); }
  std::vector<int> all_versions() const { return versions(embedded()); }
  Migrator migrator() { return Migrator(*target_, embedded(), "api_"); }
  std::unique_ptr<sql::SqlStore> open_store() {
    return testing::store_or_fail(backend_->open_store(StoreSettings{}));
  }

  std::unique_ptr<TestBackend> backend_;  // declared first: its database outlives the target
  std::unique_ptr<MigrationTarget> target_;
};

INSTANTIATE_TEST_SUITE_P(Backends, MigrationContractTest, ::testing::ValuesIn(all_backends()),
                         backend_test_name);

// ---- up, down, status ----

TEST_P(MigrationContractTest, UpDownUpRoundTrip) {
  Migrator migrator = this->migrator();
  auto applied = migrator.up();
  ASSERT_TRUE(applied) << applied.error().internal;
  EXPECT_EQ(versions(*applied), all_versions());
  ASSERT_EQ(all_versions(), (std::vector<int>{1, 2, 3, 4, 5, 6, 7}))
      << "a new migration: name what it creates below";
  EXPECT_EQ(
      backend().tables(),
      (std::set<std::string>{"api_user", "api_session", "api_refresh_token", "api_throttle",
                             "api_account_token", "api_outbox", "api_signing_key",
                             "api_audit_event", "api_disabled_user", "api_schema_migrations"}));
  const std::pair<const char*, const char*> indexes[] = {
      {"api_user", "ix_api_user_id"},
      {"api_session", "ix_api_session_user_id"},
      {"api_session", "ix_api_session_expires_at"},
      {"api_refresh_token", "ix_api_refresh_token_session_id"},
      {"api_refresh_token", "ix_api_refresh_token_parent_hash"},
      {"api_throttle", "ix_api_throttle_updated_at"},
      {"api_account_token", "ix_api_account_token_user_id"},
      {"api_account_token", "ix_api_account_token_email"},
      {"api_account_token", "ix_api_account_token_expires_at"},
      {"api_outbox", "ix_api_outbox_next_attempt_at"},
      {"api_audit_event", "ix_api_audit_event_user_id"},
      {"api_audit_event", "ix_api_audit_event_email"},
      {"api_audit_event", "ix_api_audit_event_at"},
  };
  for (const auto& [table, index] : indexes) {
    EXPECT_TRUE(backend().indexes(table).contains(index)) << table << " " << index;
  }
  EXPECT_EQ(
      backend().cascading_foreign_keys(),
      (std::set<std::string>{"api_session -> api_user", "api_refresh_token -> api_session",
                             "api_account_token -> api_user", "api_disabled_user -> api_user"}));

  auto again = migrator.up();
  ASSERT_TRUE(again) << again.error().internal;
  EXPECT_TRUE(again->empty());

  auto reverted = migrator.down(100);  // more steps than applied: reverts all
  ASSERT_TRUE(reverted) << reverted.error().internal;
  auto expected_down = all_versions();
  std::reverse(expected_down.begin(), expected_down.end());
  EXPECT_EQ(versions(*reverted), expected_down);
  EXPECT_EQ(backend().tables(), (std::set<std::string>{"api_schema_migrations"}));

  auto status = migrator.status();
  ASSERT_TRUE(status) << status.error().internal;
  EXPECT_TRUE(status->applied.empty());
  EXPECT_EQ(versions(status->pending), all_versions());
  EXPECT_FALSE(status->adopted_from);

  auto reapplied = migrator.up();
  ASSERT_TRUE(reapplied) << reapplied.error().internal;
  EXPECT_EQ(versions(*reapplied), all_versions());
  EXPECT_TRUE(backend().tables().contains("api_refresh_token"));
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->ping());
  auto user = store->find_user_by_email("nobody@example.com");
  ASSERT_TRUE(user) << user.error().internal;
  EXPECT_FALSE(*user);
}

TEST_P(MigrationContractTest, StepsAndStatus) {
  Migrator migrator = this->migrator();
  auto first = migrator.up(1);
  ASSERT_TRUE(first) << first.error().internal;
  EXPECT_EQ(versions(*first), (std::vector<int>{1}));

  auto status = migrator.status();
  ASSERT_TRUE(status) << status.error().internal;
  EXPECT_EQ(versions(status->applied), (std::vector<int>{1}));
  EXPECT_EQ(status->applied[0].name, "create_user");
  const auto age = std::chrono::system_clock::now() - status->applied[0].applied_at;
  EXPECT_LT(std::chrono::abs(age), std::chrono::minutes(1));  // applied_at is UTC
  auto rest = all_versions();
  rest.erase(rest.begin());
  EXPECT_EQ(versions(status->pending), rest);
  EXPECT_TRUE(status->unknown.empty());
  EXPECT_FALSE(status->adopted_from);

  auto none = migrator.up(0);
  ASSERT_TRUE(none) << none.error().internal;
  EXPECT_TRUE(none->empty());
  auto reverted_none = migrator.down(0);
  ASSERT_TRUE(reverted_none) << reverted_none.error().internal;
  EXPECT_TRUE(reverted_none->empty());
  EXPECT_FALSE(migrator.up(-1));
  EXPECT_FALSE(migrator.down(-1));
  auto unchanged = migrator.status();
  ASSERT_TRUE(unchanged) << unchanged.error().internal;
  EXPECT_EQ(versions(unchanged->applied), (std::vector<int>{1}));
}

TEST_P(MigrationContractTest, UnknownAppliedVersionsAreReportedAndNotReverted) {
  Migrator full = migrator();
  ASSERT_TRUE(full.up());

  auto only_first = embedded();
  const std::string newest = label(only_first.back());
  only_first.resize(1);
  Migrator older(*target_, only_first, "api_");
  auto status = older.status();
  ASSERT_TRUE(status) << status.error().internal;
  EXPECT_EQ(versions(status->applied), (std::vector<int>{1}));
  auto unknown = all_versions();
  unknown.erase(unknown.begin());
  EXPECT_EQ(versions(status->unknown), unknown);
  EXPECT_TRUE(status->pending.empty());

  auto reverted = older.down(1);
  ASSERT_FALSE(reverted);
  EXPECT_TRUE(contains(reverted.error().internal, newest)) << reverted.error().internal;
  EXPECT_TRUE(backend().tables().contains("api_session"));
  auto after = full.status();
  ASSERT_TRUE(after) << after.error().internal;
  EXPECT_EQ(versions(after->applied), all_versions());
}

TEST_P(MigrationContractTest, PrefixSeparatesInstallations) {
  Migrator api = migrator();
  ASSERT_TRUE(api.up());
  auto other_target = backend().migration_target("other_");
  Migrator other(*other_target, embedded(), "other_");
  auto status = other.status();
  ASSERT_TRUE(status) << status.error().internal;
  EXPECT_EQ(versions(status->pending), all_versions());
  auto applied = other.up();
  ASSERT_TRUE(applied) << applied.error().internal;
  EXPECT_EQ(versions(*applied), all_versions());
  const auto tables = backend().tables();
  for (const char* name : {"other_user", "other_refresh_token", "other_schema_migrations",
                           "api_user", "api_refresh_token", "api_schema_migrations"}) {
    EXPECT_TRUE(tables.contains(name)) << name;
  }
}

// ---- a migration that fails ----

// Transactional DDL takes the whole failing migration back; MySQL keeps the statements that ran
// before the failing one. Either way the migration is not recorded, those before it stay applied,
// and the error says which migration failed and why.
TEST_P(MigrationContractTest, FailingUpIsNotRecordedAndSaysWhy) {
  Migrator migrator(*target_,
                    migrations_from_files({
                        {"0001_ok.up.sql",
                         "-- a comment line; not a statement\nCREATE TABLE {{prefix}}a (x INT);\n"},
                        {"0001_ok.down.sql", "DROP TABLE {{prefix}}a;"},
                        {"0002_broken.up.sql",
                         "CREATE TABLE {{prefix}}b (x INT);\n"
                         "-- the next one fails\n"
                         "INSERT INTO {{prefix}}nope VALUES (1);\n"
                         "CREATE TABLE {{prefix}}c (x INT);\n"},
                        {"0002_broken.down.sql", "DROP TABLE {{prefix}}b;"},
                    }),
                    "api_");
  auto applied = migrator.up();
  ASSERT_FALSE(applied);
  const std::string& message = applied.error().internal;
  EXPECT_TRUE(contains(message, "0002_broken")) << message;
  EXPECT_TRUE(contains(message, "after applying 0001_ok")) << message;
  EXPECT_TRUE(contains(message, backend().says_missing_table("api_nope"))) << message;

  const auto tables = backend().tables();
  EXPECT_TRUE(tables.contains("api_a"));
  EXPECT_FALSE(tables.contains("api_c"));
  if (backend().transactional_ddl()) {
    EXPECT_FALSE(tables.contains("api_b")) << "the failing migration's first statement stayed";
    EXPECT_FALSE(contains(message, "stay applied")) << message;
  } else {
    EXPECT_TRUE(tables.contains("api_b")) << "committed before the failure";
    EXPECT_TRUE(contains(message, "statement 2 of 3")) << message;
    EXPECT_TRUE(contains(message, "first 1 statement(s) stay applied")) << message;
    EXPECT_TRUE(contains(message, "not recorded")) << message;
  }
  auto status = migrator.status();
  ASSERT_TRUE(status) << status.error().internal;
  EXPECT_EQ(versions(status->applied), (std::vector<int>{1}));
  EXPECT_EQ(versions(status->pending), (std::vector<int>{2}));
}

TEST_P(MigrationContractTest, FailingDownKeepsTheVersionRecorded) {
  Migrator migrator(
      *target_,
      migrations_from_files({
          {"0001_ok.up.sql",
           "CREATE TABLE {{prefix}}a (x INT);\nCREATE TABLE {{prefix}}c (x INT);"},
          {"0001_ok.down.sql",
           "DROP TABLE {{prefix}}a;\nDROP TABLE {{prefix}}missing;\nDROP TABLE {{prefix}}c;"},
      }),
      "api_");
  auto applied = migrator.up();
  ASSERT_TRUE(applied) << applied.error().internal;

  auto reverted = migrator.down();
  ASSERT_FALSE(reverted);
  const std::string& message = reverted.error().internal;
  EXPECT_TRUE(contains(message, "0001_ok (down)")) << message;
  EXPECT_TRUE(contains(message, "api_missing")) << message;
  const auto tables = backend().tables();
  EXPECT_TRUE(tables.contains("api_c"));
  if (backend().transactional_ddl()) {
    EXPECT_TRUE(tables.contains("api_a")) << "the failing migration's first statement stayed";
  } else {
    EXPECT_FALSE(tables.contains("api_a")) << "committed before the failure";
    EXPECT_TRUE(contains(message, "statement 2 of 3")) << message;
    EXPECT_TRUE(contains(message, "first 1 statement(s) stay applied")) << message;
  }
  auto status = migrator.status();
  ASSERT_TRUE(status) << status.error().internal;
  EXPECT_EQ(versions(status->applied), (std::vector<int>{1}));
}

// ---- adopting the tutorial's database ----

TEST_P(MigrationContractTest, AdoptsTheTutorialDatabase) {
  backend().exec(backend().tutorial_schema());
  backend().exec(kTutorialUsers);
  const auto rows_before = backend().query("SELECT * FROM api_user ORDER BY id");
  ASSERT_EQ(rows_before.size(), 3u);

  Migrator migrator = this->migrator();
  auto before = migrator.status();
  ASSERT_TRUE(before) << before.error().internal;
  EXPECT_EQ(before->adopted_from, std::optional<std::string>("e176fc408bdb"));
  EXPECT_EQ(versions(before->pending), all_versions());

  auto applied = migrator.up();
  ASSERT_TRUE(applied) << applied.error().internal;
  EXPECT_EQ(versions(*applied), all_versions());

  // Every row and id kept, byte for byte; the hashes are untouched.
  EXPECT_EQ(backend().query("SELECT * FROM api_user ORDER BY id"), rows_before);
  EXPECT_EQ(backend().query("SELECT id FROM api_user ORDER BY id"),
            (std::vector<Row>{{"1"}, {"2"}, {"4"}}));
  // Alembic's bookkeeping stays; the session tables are there.
  EXPECT_EQ(backend().scalar("SELECT version_num FROM alembic_version"), "e176fc408bdb");
  const auto tables = backend().tables();
  for (const char* name : {"api_session", "api_refresh_token", "api_schema_migrations"}) {
    EXPECT_TRUE(tables.contains(name)) << name;
  }

  auto status = migrator.status();
  ASSERT_TRUE(status) << status.error().internal;
  EXPECT_EQ(status->adopted_from, std::optional<std::string>("e176fc408bdb"));
  EXPECT_EQ(versions(status->applied), all_versions());
  EXPECT_TRUE(status->pending.empty());
  auto again = migrator.up();
  ASSERT_TRUE(again) << again.error().internal;
  EXPECT_TRUE(again->empty());

  // The store reads the adopted rows, and the tutorial's passwords still verify.
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  auto alice = store->find_user_by_email("alice@example.com");
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
  auto bob = store->find_user_by_email("bob@example.com");
  ASSERT_TRUE(bob) << bob.error().internal;
  ASSERT_TRUE(*bob);
  EXPECT_EQ((*bob)->name, "Bob 😀");
  EXPECT_EQ(hasher.verify("correct horse battery staple", (*bob)->password_hash),
            auth::PasswordVerdict::kMatchNeedsRehash);
  auto carol = store->find_user_by_email("carol@example.com");
  ASSERT_TRUE(carol) << carol.error().internal;
  ASSERT_TRUE(*carol);
  EXPECT_EQ((*carol)->id, 4);
  EXPECT_EQ((*carol)->role, "user");  // the tutorial's server defaults
  EXPECT_FALSE((*carol)->verified);
  EXPECT_EQ((*carol)->photo, std::nullopt);
  EXPECT_EQ(std::chrono::floor<std::chrono::seconds>((*carol)->updated_at),
            from_unix_seconds(1'700'000'160));
  EXPECT_EQ(hasher.verify("hunter2", (*carol)->password_hash),
            auth::PasswordVerdict::kMatchNeedsRehash);
  auto gone = store->find_user_by_id(3);
  ASSERT_TRUE(gone) << gone.error().internal;
  EXPECT_FALSE(*gone);

  // New users continue the tutorial's ids; sessions hang off adopted users.
  auto dave = store->create_user(testing::make_user("dave@example.com"));
  ASSERT_TRUE(dave) << dave.error().internal;
  EXPECT_EQ(dave->id, 5);
  auto taken = store->create_user(testing::make_user("alice@example.com"));
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().code, ErrorCode::kAccountExists);
  const NewSession session = testing::make_session(1, "sid-alice", "hash-alice");
  auto created = store->create_session(session);
  ASSERT_TRUE(created) << created.error().internal;
  auto live = store->find_user_with_session(1, "sid-alice", session.now);
  ASSERT_TRUE(live) << live.error().internal;
  ASSERT_TRUE(*live);
  EXPECT_TRUE((*live)->session_live);
}

// Migration 1 creates, column for column, constraint for constraint, index for index, the table
// the tutorial's Alembic revision creates: the two are compared side by side in one database,
// under two prefixes, as the server's catalog describes them (TestBackend::user_table_shape). What
// each catalog shows of the tutorial's table is checked in the backend's own suite. Servers only:
// SQLite's migration 1 deliberately differs (AUTOINCREMENT).
class TutorialUserTableTest : public MigrationContractTest {};

INSTANTIATE_TEST_SUITE_P(Backends, TutorialUserTableTest, ::testing::ValuesIn(server_backends()),
                         backend_test_name);

TEST_P(TutorialUserTableTest, Migration1CreatesExactlyTheTutorialsUserTable) {
  backend().exec(backend().tutorial_schema());
  auto target = backend().migration_target("gh_");
  Migrator migrator(*target, embedded(), "gh_");
  auto applied = migrator.up(1);
  ASSERT_TRUE(applied) << applied.error().internal;
  ASSERT_EQ(applied->size(), 1u);
  EXPECT_EQ(applied->front().name, "create_user");

  const auto tutorial = backend().user_table_shape("api_");
  ASSERT_FALSE(tutorial.empty());
  EXPECT_EQ(backend().user_table_shape("gh_"), tutorial);
}

TEST_P(MigrationContractTest, UnknownAlembicRevisionIsNamed) {
  backend().exec(backend().tutorial_schema());
  backend().exec("UPDATE alembic_version SET version_num = '0badc0ffee42'");
  Migrator migrator = this->migrator();
  auto applied = migrator.up();
  ASSERT_FALSE(applied);
  const std::string& message = applied.error().internal;
  EXPECT_TRUE(contains(message, "'0badc0ffee42'")) << message;
  EXPECT_TRUE(contains(message, "e176fc408bdb")) << message;
  EXPECT_FALSE(contains(message, "already exists")) << "it ran CREATE TABLE: " << message;
  auto status = migrator.status();
  ASSERT_FALSE(status);
  EXPECT_TRUE(contains(status.error().internal, "'0badc0ffee42'")) << status.error().internal;
  // Nothing was done.
  EXPECT_EQ(backend().scalar("SELECT COUNT(*) FROM api_schema_migrations"), "0");
  EXPECT_FALSE(backend().tables().contains("api_session"));
}

TEST_P(MigrationContractTest, AlembicVersionWithoutUserTableMigratesFromScratch) {
  // The tutorial's `alembic downgrade base` drops the table and leaves an empty alembic_version;
  // a leftover revision without the table is no table to adopt either.
  backend().exec(backend().tutorial_schema());
  backend().exec("DROP TABLE api_user");
  Migrator migrator = this->migrator();
  auto status = migrator.status();
  ASSERT_TRUE(status) << status.error().internal;
  EXPECT_FALSE(status->adopted_from);
  auto applied = migrator.up();
  ASSERT_TRUE(applied) << applied.error().internal;
  EXPECT_EQ(versions(*applied), all_versions());
  EXPECT_TRUE(backend().tables().contains("api_user"));
  auto after = migrator.status();
  ASSERT_TRUE(after) << after.error().internal;
  EXPECT_EQ(after->adopted_from, std::optional<std::string>("e176fc408bdb"))
      << "alembic_version and the user table are both there now";
}

// ---- a server that is down ----

// Needs no database: runs without a test server too. Only backends with a server have one that
// can be down.
class MigrationTargetWithoutServerTest : public ::testing::TestWithParam<NamedBackend> {};

INSTANTIATE_TEST_SUITE_P(Backends, MigrationTargetWithoutServerTest,
                         ::testing::ValuesIn(server_backends()), backend_test_name);

TEST_P(MigrationTargetWithoutServerTest, UnreachableServerIsUnavailable) {
  auto backend = GetParam().make();
  auto target = backend->unreachable_migration_target();
  ASSERT_NE(target, nullptr) << GetParam().name << " is a server backend";
  Migrator migrator(*target, testing::embedded_migrations_of(*backend), "api_");
  auto status = migrator.status();
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::kUnavailable);
  auto applied = migrator.up();
  ASSERT_FALSE(applied);
  EXPECT_EQ(applied.error().code, ErrorCode::kUnavailable);
  auto reverted = migrator.down();
  ASSERT_FALSE(reverted);
  EXPECT_EQ(reverted.error().code, ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace gatehouse::store
