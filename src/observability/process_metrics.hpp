#pragma once

#include <string>

#include "observability/metrics.hpp"

namespace gatehouse::observability {

// The conventional process_* metrics read from /proc at scrape time (resident memory, CPU
// seconds, open file descriptors, start time) and gatehouse_build_info{version, commit} = 1.
void register_process_metrics(MetricRegistry& registry, const std::string& version,
                              const std::string& commit);

}  // namespace gatehouse::observability
