#include "observability/process_metrics.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace gatehouse::observability {

namespace {

// The fields of /proc/self/stat after the command name (which may hold spaces): field 3 first.
std::vector<std::string> stat_fields() {
  std::ifstream in("/proc/self/stat");
  std::string line;
  std::getline(in, line);
  const auto close = line.rfind(')');
  std::vector<std::string> fields;
  if (close == std::string::npos) return fields;
  std::istringstream rest(line.substr(close + 1));
  for (std::string f; rest >> f;) fields.push_back(f);
  return fields;
}

double field(const std::vector<std::string>& fields, std::size_t number) {  // 1-based, as proc(5)
  const std::size_t i = number - 3;
  return i < fields.size() ? std::stod(fields[i]) : 0;
}

double boot_time() {
  std::ifstream in("/proc/stat");
  for (std::string key; in >> key;) {
    if (key == "btime") {
      double t = 0;
      in >> t;
      return t;
    }
    in.ignore(1 << 20, '\n');
  }
  return 0;
}

}  // namespace

void register_process_metrics(MetricRegistry& registry, const std::string& version,
                              const std::string& commit) {
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  registry.counter_callback("process_cpu_seconds_total", "User and system CPU time spent.", {},
                            [ticks] {
                              const auto f = stat_fields();
                              return (field(f, 14) + field(f, 15)) / ticks;  // utime + stime
                            });
  registry.gauge_callback("process_resident_memory_bytes", "Resident memory size.", {},
                          [page] { return field(stat_fields(), 24) * page; });  // rss in pages
  registry.gauge_callback("process_open_fds", "Open file descriptors.", {}, [] {
    std::error_code ec;
    double n = 0;
    for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
      ++n;
    }
    return n;
  });
  // Fixed for the life of the process: read once.
  const double start = boot_time() + field(stat_fields(), 22) / ticks;
  registry.gauge_callback("process_start_time_seconds",
                          "Start time of the process since the Unix epoch.", {},
                          [start] { return start; });
  registry.gauge_callback("gatehouse_build_info", "The version and commit of this build.",
                          {{"version", version}, {"commit", commit}}, [] { return 1.0; });
}

}  // namespace gatehouse::observability
