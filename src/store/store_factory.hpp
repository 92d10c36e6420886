#pragma once

#include <memory>
#include <string>

#include "config/settings.hpp"
#include "core/result.hpp"
#include "observability/metrics.hpp"
#include "store/migrations.hpp"
#include "store/store.hpp"

namespace gatehouse::store {

// The backend chosen by the settings, opened, with what `migrate` needs for it.
struct OpenedStore {
  std::unique_ptr<Store> store;
  std::unique_ptr<MigrationTarget> migrations;
  std::string dialect;  // "sqlite", "mysql" or "postgresql": which migrations/<dialect>/ applies
  std::string description;  // for logs, without the password
};

// `pool_size` connections (database.pool_size wins when set). With `metrics`, every database call
// is counted there (sql::DatabaseMetrics).
Result<OpenedStore> open_store(const config::DatabaseSettings& database, std::size_t pool_size,
                               observability::MetricRegistry* metrics = nullptr);

}  // namespace gatehouse::store
