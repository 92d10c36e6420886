#include "store/sql/database.hpp"

#include <string>

namespace gatehouse::store::sql {

namespace {

constexpr std::array<const char*, 3> kCallNames{"read", "write", "transaction"};
constexpr std::array<const char*, 3> kOutcomeNames{"ok", "error", "unavailable"};

}  // namespace

DatabaseMetrics::DatabaseMetrics(observability::MetricRegistry& registry,
                                 std::function<PoolUsage()> usage)
    : enabled_(true) {
  for (std::size_t call = 0; call < kCalls; ++call) {
    for (std::size_t outcome = 0; outcome < kOutcomes; ++outcome) {
      calls_[call][outcome] = registry.counter(
          "gatehouse_db_calls_total", "Database calls (retries included in one call) by outcome.",
          {{"call", kCallNames[call]}, {"outcome", kOutcomeNames[outcome]}});
    }
    durations_[call] =
        registry.histogram("gatehouse_db_call_duration_seconds",
                           "Database calls, from asking for a connection to the result.",
                           observability::latency_buckets(), {{"call", kCallNames[call]}});
  }
  retries_[0] =
      registry.counter("gatehouse_db_retries_total", "Database calls run again, by reason.",
                       {{"reason", "lock_conflict"}});
  retries_[1] = registry.counter("gatehouse_db_retries_total",
                                 "Database calls run again, by reason.", {{"reason", "reconnect"}});
  auto shared = std::make_shared<std::function<PoolUsage()>>(std::move(usage));
  registry.gauge_callback("gatehouse_db_connections", "Database connections, by state.",
                          {{"state", "in_use"}},
                          [shared] { return static_cast<double>((*shared)().in_use); });
  registry.gauge_callback("gatehouse_db_connections", "Database connections, by state.",
                          {{"state", "size"}},
                          [shared] { return static_cast<double>((*shared)().size); });
}

void DatabaseMetrics::completed(bool transaction, Access access, std::optional<ErrorCode> error,
                                double seconds) const {
  const std::size_t call = transaction ? 2 : (access == Access::kWrite ? 1 : 0);
  std::size_t outcome = 0;
  if (error) outcome = *error == ErrorCode::kUnavailable ? 2 : 1;
  calls_[call][outcome].inc();
  durations_[call].observe(seconds);
}

}  // namespace gatehouse::store::sql
