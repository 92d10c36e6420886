// What only MySQL/MariaDB does with migrations: its table options. Every other behaviour of the
// migrator is tested once per backend in migration_contract_test.cpp, among them that migration 1
// creates exactly the tutorial's user table as information_schema shows it
// (MysqlBackend::user_table_shape).

#include <gtest/gtest.h>

#include <string>

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

}  // namespace
}  // namespace gatehouse::store
