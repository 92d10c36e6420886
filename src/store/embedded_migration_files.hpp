#pragma once

#include <string_view>
#include <vector>

namespace gatehouse::store {

// One file of migrations/<dialect>/, compiled in by cmake/EmbedMigrations.cmake.
struct EmbeddedMigrationFile {
  std::string_view dialect;   // "sqlite", "mysql" or "postgresql"
  std::string_view filename;  // "0001_create_user.up.sql"
  std::string_view content;
};

const std::vector<EmbeddedMigrationFile>& embedded_migration_files();

}  // namespace gatehouse::store
