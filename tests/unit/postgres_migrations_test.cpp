// What only PostgreSQL does with migrations: the exact shape of the tutorial's user table as the
// catalog shows it (SERIAL's sequence, the server's default constraint names), and a full revert
// that leaves no relation behind (no orphaned sequence). Every other behaviour of the migrator is
// tested once per backend in migration_contract_test.cpp.

#include <gtest/gtest.h>

#include <string>

#include "postgres_test_backend.hpp"
#include "store/migrations.hpp"
#include "store_backends.hpp"

namespace gatehouse::store {
namespace {

// `column` with the prefix taken out, in SQL: "replace(column, 'api_', '{p}')".
std::string without_prefix(const std::string& column, const std::string& prefix) {
  return "replace(" + column + ", '" + prefix + "', '{p}')";
}

// The table `prefix`user as the catalog describes it, with the prefix taken out of every name:
// its columns (type, length, nullability, default), its constraints and its indexes, in an order
// that does not depend on the database's collation.
std::string shape(testing::PostgresBackend& backend, const std::string& prefix) {
  const std::string table = "'" + prefix + "user'";
  const auto sorted = [&](const std::string& column) {
    return " ORDER BY " + without_prefix(column, prefix) + " COLLATE \"C\"";
  };
  const std::string columns = backend.scalar(
      "SELECT string_agg(column_name || ' ' || data_type || coalesce('(' || "
      "character_maximum_length || ')', '') || ' ' || is_nullable || ' ' || coalesce(" +
      without_prefix("column_default", prefix) +
      ", '-'), '; ' ORDER BY ordinal_position) FROM information_schema.columns "
      "WHERE table_schema = current_schema() AND table_name = " +
      table);
  const std::string constraints = backend.scalar(
      "SELECT string_agg(" + without_prefix("conname", prefix) +
      " || ' ' || contype::text || ' ' || " + without_prefix("pg_get_constraintdef(oid)", prefix) +
      ", '; '" + sorted("conname") + ") FROM pg_constraint WHERE conrelid = " + table +
      "::regclass");
  const std::string indexes = backend.scalar(
      "SELECT string_agg(" + without_prefix("indexdef", prefix) + ", '; '" + sorted("indexname") +
      ") FROM pg_indexes WHERE schemaname = current_schema() AND tablename = " + table);
  return columns + "\n" + constraints + "\n" + indexes;
}

TEST(PostgresEmbeddedMigrations, FilesMatchTheOtherDialects) {
  const auto postgres = embedded_migrations("postgresql");
  const auto mysql = embedded_migrations("mysql");
  ASSERT_EQ(postgres.size(), mysql.size());
  for (std::size_t i = 0; i < postgres.size(); ++i) {
    EXPECT_EQ(postgres[i].version, mysql[i].version);
    EXPECT_EQ(postgres[i].name, mysql[i].name);
  }
  EXPECT_NE(postgres[0].up_sql.find("CREATE TABLE {{prefix}}user"), std::string::npos);
}

// Migration 1 creates, column for column, constraint for constraint, index for index, the table
// the tutorial's Alembic revision creates: the two are compared side by side in one database,
// under two prefixes.
TEST(PostgresMigrations, CreatesExactlyTheTutorialsUserTable) {
  testing::PostgresBackend backend;
  if (auto why = backend.create_database()) GTEST_SKIP() << *why;
  backend.exec(backend.tutorial_schema());
  auto target = backend.migration_target("gh_");
  Migrator migrator(*target, embedded_migrations("postgresql"), "gh_");
  auto applied = migrator.up(1);
  ASSERT_TRUE(applied) << applied.error().internal;
  ASSERT_EQ(applied->size(), 1u);
  EXPECT_EQ(applied->front().name, "create_user");

  const std::string tutorial = shape(backend, "api_");
  EXPECT_EQ(tutorial,
            "id integer NO nextval('{p}user_id_seq'::regclass); name character varying(255) NO -; "
            "email character varying(255) NO -; password character varying(255) NO -; "
            "photo character varying(255) YES -; verified boolean NO false; "
            "role character varying(255) NO 'user'::character varying; "
            "created_at timestamp with time zone NO now(); "
            "updated_at timestamp with time zone NO now()\n"
            "{p}user_email_key u UNIQUE (email); {p}user_pkey p PRIMARY KEY (id)\n"
            "CREATE INDEX ix_{p}user_id ON public.{p}user USING btree (id); "
            "CREATE UNIQUE INDEX {p}user_email_key ON public.{p}user USING btree (email); "
            "CREATE UNIQUE INDEX {p}user_pkey ON public.{p}user USING btree (id)");
  EXPECT_EQ(shape(backend, "gh_"), tutorial);
}

// SERIAL's sequence belongs to its column: reverting every migration leaves only the migrator's
// own table behind.
TEST(PostgresMigrations, RevertingEverythingLeavesNoRelationBehind) {
  testing::PostgresBackend backend;
  if (auto why = backend.create_database()) GTEST_SKIP() << *why;
  auto migrated = testing::migrate(backend, "api_");
  ASSERT_TRUE(migrated) << migrated.error().internal;
  auto target = backend.migration_target("api_");
  Migrator migrator(*target, embedded_migrations("postgresql"), "api_");
  auto reverted = migrator.down(100);
  ASSERT_TRUE(reverted) << reverted.error().internal;
  EXPECT_EQ(backend.scalar("SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class "
                           "WHERE relnamespace = to_regnamespace(current_schema())"),
            "api_schema_migrations,api_schema_migrations_pkey");
}

}  // namespace
}  // namespace gatehouse::store
