#include "store/migrations.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "store/store_factory.hpp"

namespace gatehouse::store {
namespace {

namespace fs = std::filesystem;

// A fresh directory under the system temp dir, removed with everything in it.
using gatehouse::testing::TempDir;

void write_file(const fs::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
}

std::string read_whole(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

// Table and index names in the database file, read on a connection of the test's own.
// The server's store and migration target over the SQLite file `path`, one reader.
Result<OpenedStore> open_sqlite(const fs::path& path, const std::string& prefix) {
  config::DatabaseSettings database;
  database.sqlite_path = path.string();
  database.prefix = prefix;
  return open_store(database, 1);
}

std::set<std::string> schema_objects(const fs::path& db_path) {
  std::set<std::string> names;
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db,
                               "SELECT name FROM sqlite_master WHERE type IN ('table', 'index') "
                               "AND name NOT LIKE 'sqlite_%'",
                               -1, &st, nullptr),
            SQLITE_OK);
  while (sqlite3_step(st) == SQLITE_ROW) {
    names.insert(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return names;
}

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

TEST(ApplyPrefix, ReplacesEveryPlaceholder) {
  EXPECT_EQ(apply_prefix("CREATE TABLE {{prefix}}a ({{prefix}}x); -- {{prefix}}", "api_"),
            "CREATE TABLE api_a (api_x); -- api_");
  EXPECT_EQ(apply_prefix("{{prefix}}user", ""), "user");
  EXPECT_EQ(apply_prefix("no placeholder {{pre", "api_"), "no placeholder {{pre");
}

TEST(EmbeddedMigrations, SqliteFilesArePairedInVersionOrder) {
  const auto migrations = embedded_migrations("sqlite");
  ASSERT_EQ(versions(migrations), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(migrations[0].name, "create_user");
  EXPECT_EQ(migrations[1].name, "create_session");
  EXPECT_EQ(migrations[2].name, "sessions_management");
  EXPECT_NE(migrations[0].up_sql.find("CREATE TABLE {{prefix}}user"), std::string::npos);
  EXPECT_NE(migrations[0].down_sql.find("DROP TABLE {{prefix}}user"), std::string::npos);
  EXPECT_NE(migrations[1].up_sql.find("CREATE TABLE {{prefix}}refresh_token"), std::string::npos);
}

TEST(EmbeddedMigrations, UnknownDialectIsAProgrammingError) {
  EXPECT_THROW((void)embedded_migrations("postgres"), std::logic_error);
}

TEST(LoadMigrationsDir, ReadsPairsAndIgnoresOtherFiles) {
  TempDir dir;
  write_file(dir.path() / "0002_second.up.sql", "CREATE TABLE b (x);");
  write_file(dir.path() / "0002_second.down.sql", "DROP TABLE b;");
  write_file(dir.path() / "0001_first.up.sql", "CREATE TABLE a (x);");
  write_file(dir.path() / "0001_first.down.sql", "DROP TABLE a;");
  write_file(dir.path() / "README.md", "not a migration");
  auto loaded = load_migrations_dir(dir.path());
  ASSERT_TRUE(loaded) << loaded.error().internal;
  ASSERT_EQ(versions(*loaded), (std::vector<int>{1, 2}));
  EXPECT_EQ((*loaded)[0].name, "first");
  EXPECT_EQ((*loaded)[0].up_sql, "CREATE TABLE a (x);");
  EXPECT_EQ((*loaded)[1].down_sql, "DROP TABLE b;");
}

TEST(LoadMigrationsDir, MissingDownFileIsNamed) {
  TempDir dir;
  write_file(dir.path() / "0001_first.up.sql", "CREATE TABLE a (x);");
  auto loaded = load_migrations_dir(dir.path());
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().internal.find("'0001_first.up.sql' has no matching "
                                         "'0001_first.down.sql'"),
            std::string::npos)
      << loaded.error().internal;
}

TEST(LoadMigrationsDir, MissingUpFileIsNamed) {
  TempDir dir;
  write_file(dir.path() / "0003_x.down.sql", "");
  auto loaded = load_migrations_dir(dir.path());
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().internal.find("0003_x.up.sql"), std::string::npos)
      << loaded.error().internal;
}

TEST(LoadMigrationsDir, DuplicateVersionNamesBothFiles) {
  TempDir dir;
  write_file(dir.path() / "0001_first.up.sql", "");
  write_file(dir.path() / "0001_first.down.sql", "");
  write_file(dir.path() / "0001_other.up.sql", "");
  write_file(dir.path() / "0001_other.down.sql", "");
  auto loaded = load_migrations_dir(dir.path());
  ASSERT_FALSE(loaded);
  const std::string& message = loaded.error().internal;
  EXPECT_NE(message.find("0001_first"), std::string::npos) << message;
  EXPECT_NE(message.find("0001_other"), std::string::npos) << message;
  EXPECT_NE(message.find("version 1"), std::string::npos) << message;
}

TEST(LoadMigrationsDir, BadFileNameIsNamed) {
  for (const std::string bad : {"0001_Upper.up.sql", "abc_x.up.sql", "0001_x.sql", "0000_x.up.sql",
                                "0001-x.up.sql", "0001_.up.sql"}) {
    TempDir dir;
    write_file(dir.path() / bad, "");
    auto loaded = load_migrations_dir(dir.path());
    ASSERT_FALSE(loaded) << bad;
    EXPECT_NE(loaded.error().internal.find("bad file name '" + bad + "'"), std::string::npos)
        << loaded.error().internal;
  }
}

TEST(LoadMigrationsDir, MissingDirectoryIsAnError) {
  TempDir dir;
  auto loaded = load_migrations_dir(dir.path() / "nope");
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().internal.find("nope"), std::string::npos);
}

TEST(CreateFiles, NumbersAfterTheHighestVersion) {
  TempDir dir;
  auto first = Migrator::create_files(dir.path(), "add_photo");
  ASSERT_TRUE(first) << first.error().internal;
  EXPECT_EQ(*first, dir.path() / "0001_add_photo.up.sql");
  EXPECT_TRUE(fs::exists(dir.path() / "0001_add_photo.down.sql"));
  EXPECT_EQ(read_whole(dir.path() / "0001_add_photo.down.sql"), "");
  const std::string header = read_whole(*first);
  EXPECT_EQ(header.rfind("-- 0001_add_photo (up)", 0), 0u) << header;

  auto second = Migrator::create_files(dir.path(), "x2");
  ASSERT_TRUE(second) << second.error().internal;
  EXPECT_EQ(*second, dir.path() / "0002_x2.up.sql");

  // A lone file still counts: numbers are never reused.
  write_file(dir.path() / "0041_elsewhere.down.sql", "");
  auto third = Migrator::create_files(dir.path(), "third");
  ASSERT_TRUE(third) << third.error().internal;
  EXPECT_EQ(*third, dir.path() / "0042_third.up.sql");

  fs::remove(dir.path() / "0041_elsewhere.down.sql");
  auto loaded = load_migrations_dir(dir.path());
  ASSERT_TRUE(loaded) << loaded.error().internal;
  EXPECT_EQ(versions(*loaded), (std::vector<int>{1, 2, 42}));
}

TEST(CreateFiles, RejectsBadNamesAndCreatesMissingDirectories) {
  TempDir dir;
  for (const std::string& bad : std::vector<std::string>{"", "Add", "add-photo", "add photo",
                                                         "../x", std::string(101, 'a')}) {
    auto created = Migrator::create_files(dir.path(), bad);
    EXPECT_FALSE(created) << bad;
  }
  EXPECT_TRUE(fs::is_empty(dir.path()));
  auto created = Migrator::create_files(dir.path() / "new" / "sqlite", "ok");
  ASSERT_TRUE(created) << created.error().internal;
  EXPECT_EQ(created->filename(), "0001_ok.up.sql");
  // A path through a regular file cannot become a folder.
  { std::ofstream(dir.path() / "file") << "x"; }
  EXPECT_FALSE(Migrator::create_files(dir.path() / "file" / "sub", "ok"));
}

// A migrator over a real SQLite file, with the embedded migrations.
class SqliteMigratorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_path_ = dir_.path() / "gatehouse.db";
    auto opened = open_sqlite(db_path_, "api_");
    ASSERT_TRUE(opened) << opened.error().internal;
    store_ = std::move(opened->store);
    target_ = std::move(opened->migrations);
  }

  TempDir dir_;
  fs::path db_path_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<MigrationTarget> target_;
};

TEST_F(SqliteMigratorTest, UpDownUpRoundTrip) {
  Migrator migrator(*target_, embedded_migrations("sqlite"), "api_");
  auto applied = migrator.up();
  ASSERT_TRUE(applied) << applied.error().internal;
  EXPECT_EQ(versions(*applied), (std::vector<int>{1, 2, 3}));
  const auto objects = schema_objects(db_path_);
  for (const char* name : {"api_user", "api_session", "api_refresh_token", "api_schema_migrations",
                           "ix_api_user_id", "ix_api_session_user_id", "api_throttle"}) {
    EXPECT_TRUE(objects.contains(name)) << name;
  }

  auto again = migrator.up();
  ASSERT_TRUE(again) << again.error().internal;
  EXPECT_TRUE(again->empty());

  auto reverted = migrator.down(5);  // more steps than applied: reverts all
  ASSERT_TRUE(reverted) << reverted.error().internal;
  EXPECT_EQ(versions(*reverted), (std::vector<int>{3, 2, 1}));
  EXPECT_EQ(schema_objects(db_path_), (std::set<std::string>{"api_schema_migrations"}));

  auto status = migrator.status();
  ASSERT_TRUE(status) << status.error().internal;
  EXPECT_TRUE(status->applied.empty());
  EXPECT_EQ(versions(status->pending), (std::vector<int>{1, 2, 3}));

  auto reapplied = migrator.up();
  ASSERT_TRUE(reapplied) << reapplied.error().internal;
  EXPECT_EQ(versions(*reapplied), (std::vector<int>{1, 2, 3}));
  EXPECT_TRUE(schema_objects(db_path_).contains("api_refresh_token"));
  EXPECT_TRUE(store_->ping());
}

TEST_F(SqliteMigratorTest, StepsAndStatus) {
  Migrator migrator(*target_, embedded_migrations("sqlite"), "api_");
  auto first = migrator.up(1);
  ASSERT_TRUE(first) << first.error().internal;
  EXPECT_EQ(versions(*first), (std::vector<int>{1}));

  auto status = migrator.status();
  ASSERT_TRUE(status) << status.error().internal;
  EXPECT_EQ(versions(status->applied), (std::vector<int>{1}));
  EXPECT_EQ(status->applied[0].name, "create_user");
  const auto age = std::chrono::system_clock::now() - status->applied[0].applied_at;
  EXPECT_LT(std::chrono::abs(age), std::chrono::minutes(1));
  EXPECT_EQ(versions(status->pending), (std::vector<int>{2, 3}));
  EXPECT_TRUE(status->unknown.empty());

  auto none = migrator.up(0);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  auto reverted_none = migrator.down(0);
  ASSERT_TRUE(reverted_none);
  EXPECT_TRUE(reverted_none->empty());
  EXPECT_FALSE(migrator.up(-1));
}

TEST_F(SqliteMigratorTest, UnknownAppliedVersionsAreReportedAndNotReverted) {
  Migrator full(*target_, embedded_migrations("sqlite"), "api_");
  ASSERT_TRUE(full.up());

  auto only_first = embedded_migrations("sqlite");
  only_first.resize(1);
  Migrator older(*target_, only_first, "api_");
  auto status = older.status();
  ASSERT_TRUE(status) << status.error().internal;
  EXPECT_EQ(versions(status->applied), (std::vector<int>{1}));
  EXPECT_EQ(versions(status->unknown), (std::vector<int>{2, 3}));
  EXPECT_TRUE(status->pending.empty());

  auto reverted = older.down(1);
  ASSERT_FALSE(reverted);
  EXPECT_NE(reverted.error().internal.find("0003_sessions_management"), std::string::npos)
      << reverted.error().internal;
  EXPECT_TRUE(schema_objects(db_path_).contains("api_session"));
}

TEST_F(SqliteMigratorTest, FailingUpRollsBackEntirelyAndSaysWhy) {
  TempDir migrations;
  write_file(migrations.path() / "0001_ok.up.sql", "CREATE TABLE {{prefix}}a (x INTEGER);");
  write_file(migrations.path() / "0001_ok.down.sql", "DROP TABLE {{prefix}}a;");
  write_file(migrations.path() / "0002_broken.up.sql",
             "CREATE TABLE {{prefix}}b (x INTEGER);\nINSERT INTO {{prefix}}nope VALUES (1);\n");
  write_file(migrations.path() / "0002_broken.down.sql", "DROP TABLE {{prefix}}b;");
  auto loaded = load_migrations_dir(migrations.path());
  ASSERT_TRUE(loaded) << loaded.error().internal;

  Migrator migrator(*target_, *loaded, "api_");
  auto applied = migrator.up();
  ASSERT_FALSE(applied);
  const std::string& message = applied.error().internal;
  EXPECT_NE(message.find("0002_broken"), std::string::npos) << message;
  EXPECT_NE(message.find("no such table: api_nope"), std::string::npos) << message;

  const auto objects = schema_objects(db_path_);
  EXPECT_TRUE(objects.contains("api_a"));
  EXPECT_FALSE(objects.contains("api_b")) << "the failing migration's first statement stayed";
  auto status = migrator.status();
  ASSERT_TRUE(status) << status.error().internal;
  EXPECT_EQ(versions(status->applied), (std::vector<int>{1}));
  EXPECT_EQ(versions(status->pending), (std::vector<int>{2}));
}

TEST_F(SqliteMigratorTest, FailingDownRollsBackEntirely) {
  TempDir migrations;
  write_file(migrations.path() / "0001_ok.up.sql",
             "CREATE TABLE {{prefix}}a (x INTEGER);\nCREATE TABLE {{prefix}}c (x INTEGER);");
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
  EXPECT_TRUE(schema_objects(db_path_).contains("api_a"));
  auto status = migrator.status();
  ASSERT_TRUE(status);
  EXPECT_EQ(versions(status->applied), (std::vector<int>{1}));
}

TEST_F(SqliteMigratorTest, PrefixSeparatesInstallations) {
  Migrator api(*target_, embedded_migrations("sqlite"), "api_");
  ASSERT_TRUE(api.up());
  auto other_store = open_sqlite(db_path_, "other_");
  ASSERT_TRUE(other_store) << other_store.error().internal;
  Migrator other(*other_store->migrations, embedded_migrations("sqlite"), "other_");
  auto status = other.status();
  ASSERT_TRUE(status) << status.error().internal;
  EXPECT_EQ(versions(status->pending), (std::vector<int>{1, 2, 3}));
  ASSERT_TRUE(other.up());
  EXPECT_TRUE(schema_objects(db_path_).contains("other_user"));
  EXPECT_TRUE(schema_objects(db_path_).contains("api_user"));
}

}  // namespace
}  // namespace gatehouse::store
