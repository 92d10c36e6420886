// What only PostgreSQL does with migrations: the exact shape of the tutorial's user table as the
// catalog shows it (SERIAL's sequence, the server's default constraint names; that migration 1
// creates the same is a contract test, in migration_contract_test.cpp), and a full revert that
// leaves no relation behind (no orphaned sequence). Every other behaviour of the migrator is
// tested once per backend in migration_contract_test.cpp.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "postgres_test_backend.hpp"
#include "store/migrations.hpp"
#include "store_backends.hpp"

namespace gatehouse::store {
namespace {

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

// The tutorial's user table as the catalog shows it (SERIAL's sequence, the server's default
// constraint names): the shape that migration 1 must create exactly (migration_contract_test.cpp
// compares the two under two prefixes).
TEST(PostgresMigrations, TheTutorialsUserTableIsWhatTheCatalogShows) {
  testing::PostgresBackend backend;
  if (auto why = backend.create_database()) GTEST_SKIP() << *why;
  backend.exec(backend.tutorial_schema());
  EXPECT_EQ(backend.user_table_shape("api_"),
            (std::vector<std::string>{
                "id integer NO nextval('{p}user_id_seq'::regclass); name character varying(255) "
                "NO -; email character varying(255) NO -; password character varying(255) NO -; "
                "photo character varying(255) YES -; verified boolean NO false; "
                "role character varying(255) NO 'user'::character varying; "
                "created_at timestamp with time zone NO now(); "
                "updated_at timestamp with time zone NO now()",
                "{p}user_email_key u UNIQUE (email); {p}user_pkey p PRIMARY KEY (id)",
                "CREATE INDEX ix_{p}user_id ON public.{p}user USING btree (id); "
                "CREATE UNIQUE INDEX {p}user_email_key ON public.{p}user USING btree (email); "
                "CREATE UNIQUE INDEX {p}user_pkey ON public.{p}user USING btree (id)"}));
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
