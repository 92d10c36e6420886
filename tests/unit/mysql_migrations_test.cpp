// What only MySQL/MariaDB does with migrations: its table options, and the exact shape of the
// tutorial's user table as information_schema shows it. Every other behaviour of the migrator is
// tested once per backend in migration_contract_test.cpp.

#include <gtest/gtest.h>

#include <string>

#include "mysql_test_backend.hpp"
#include "store/migrations.hpp"

namespace gatehouse::store {
namespace {

TEST(MysqlEmbeddedMigrations, EveryTableIsInnoDbInUtf8mb4) {
  for (const auto& m : embedded_migrations("mysql")) {
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

// Migration 1 creates, column for column, index for index, the table the tutorial's Alembic
// revision creates: the two are compared side by side in one database, under two prefixes.
TEST(MysqlMigrations, CreatesExactlyTheTutorialsUserTable) {
  testing::MysqlBackend backend;
  if (auto why = backend.create_database()) GTEST_SKIP() << *why;
  backend.exec(backend.tutorial_schema());
  auto target = backend.migration_target("gh_");
  Migrator migrator(*target, embedded_migrations("mysql"), "gh_");
  auto applied = migrator.up(1);
  ASSERT_TRUE(applied) << applied.error().internal;
  ASSERT_EQ(applied->size(), 1u);
  EXPECT_EQ(applied->front().name, "create_user");

  const auto tutorial = backend.database().shape("api_", "user");
  const auto ours = backend.database().shape("gh_", "user");
  ASSERT_FALSE(tutorial.empty());
  EXPECT_EQ(ours, tutorial);
}

}  // namespace
}  // namespace gatehouse::store
