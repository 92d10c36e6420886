#include "store/sql/database.hpp"

#include <array>
#include <memory>
#include <string>

namespace gatehouse::store::sql {

namespace {

constexpr std::array<const char*, 3> kCallNames{"read", "write", "transaction"};
constexpr std::array<const char*, 3> kOutcomeNames{"ok", "error", "unavailable"};
// In the order of DatabaseMetrics::retried's index: a lock conflict, then a reconnect.
constexpr std::array<const char*, 2> kRetryReasons{"lock_conflict", "reconnect"};

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
  for (std::size_t reason = 0; reason < kRetryReasons.size(); ++reason) {
    retries_[reason] =
        registry.counter("gatehouse_db_retries_total", "Database calls run again, by reason.",
                         {{"reason", kRetryReasons[reason]}});
  }
  auto shared = std::make_shared<std::function<PoolUsage()>>(std::move(usage));
  const auto connections = [&](const char* state, std::size_t PoolUsage::*field) {
    registry.gauge_callback("gatehouse_db_connections", "Database connections, by state.",
                            {{"state", state}},
                            [shared, field] { return static_cast<double>((*shared)().*field); });
  };
  connections("in_use", &PoolUsage::in_use);
  connections("size", &PoolUsage::size);
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
