#pragma once
// Every backend the store runs on, as the one table of backends that both contract suites
// (store_contract_test.cpp, migration_contract_test.cpp) are instantiated over. A new backend is
// one TestBackend (see store_backends.hpp) and one line in all_backends().

#include <memory>
#include <utility>
#include <vector>

#include "mysql_test_backend.hpp"
#include "postgres_test_backend.hpp"
#include "sqlite_test_backend.hpp"
#include "store_backends.hpp"

namespace gatehouse::store::testing {

// Example:
//   INSTANTIATE_TEST_SUITE_P(Backends, MySuite, ::testing::ValuesIn(all_backends()),
//                            backend_test_name);
inline std::vector<NamedBackend> all_backends() {
  return {
      {"sqlite", [] { return std::make_unique<SqliteBackend>(); }},
      {"mysql", [] { return std::make_unique<MysqlBackend>(); }, true},
      {"postgresql", [] { return std::make_unique<PostgresBackend>(); }, true},
  };
}

// The backends with a database server (which can be down, unlike an embedded SQLite file).
inline std::vector<NamedBackend> server_backends() {
  std::vector<NamedBackend> out;
  for (NamedBackend& backend : all_backends()) {
    if (backend.server) out.push_back(std::move(backend));
  }
  return out;
}

}  // namespace gatehouse::store::testing
