// What the migrations are without a database: the files (embedded and read from a folder), the
// prefix placeholder, and new files. The Migrator on a database is tested once per backend in
// migration_contract_test.cpp.

#include "store/migrations.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "migration_versions.hpp"
#include "test_support.hpp"

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

using testing::versions;

TEST(ApplyPrefix, ReplacesEveryPlaceholder) {
  EXPECT_EQ(apply_prefix("CREATE TABLE {{prefix}}a ({{prefix}}x); -- {{prefix}}", "api_"),
            "CREATE TABLE api_a (api_x); -- api_");
  EXPECT_EQ(apply_prefix("{{prefix}}user", ""), "user");
  EXPECT_EQ(apply_prefix("no placeholder {{pre", "api_"), "no placeholder {{pre");
}

// Every dialect has the same numbered migrations, each with its up and down file.
TEST(EmbeddedMigrations, FilesArePairedInVersionOrderInEveryDialect) {
  for (const char* dialect : {"sqlite", "mysql", "postgresql"}) {
    SCOPED_TRACE(dialect);
    const auto migrations = embedded_migrations(dialect);
    ASSERT_EQ(versions(migrations), (std::vector<int>{1, 2, 3, 4, 5, 6, 7}));
    EXPECT_EQ(migrations[0].name, "create_user");
    EXPECT_EQ(migrations[1].name, "create_session");
    EXPECT_EQ(migrations[2].name, "sessions_management");
    EXPECT_EQ(migrations[3].name, "account_mail");
    EXPECT_EQ(migrations[4].name, "signing_keys");
    EXPECT_EQ(migrations[5].name, "audit_event");
    EXPECT_EQ(migrations[6].name, "disabled_user");
    EXPECT_NE(migrations[0].up_sql.find("CREATE TABLE {{prefix}}user"), std::string::npos);
    EXPECT_NE(migrations[0].down_sql.find("DROP TABLE {{prefix}}user"), std::string::npos);
    EXPECT_NE(migrations[1].up_sql.find("CREATE TABLE {{prefix}}refresh_token"), std::string::npos);
  }
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

}  // namespace
}  // namespace gatehouse::store
