#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

namespace gatehouse::e2e {

// A real Prometheus server for the tests: Debian's `prometheus` on 127.0.0.1 and a free port, with
// a data folder of its own, scraping one target every second. Stopped by pid.
class PrometheusServer {
 public:
  // Scrapes http://127.0.0.1:`target_port`/metrics.
  PrometheusServer(const std::filesystem::path& dir, unsigned short target_port);
  ~PrometheusServer();
  PrometheusServer(const PrometheusServer&) = delete;
  PrometheusServer& operator=(const PrometheusServer&) = delete;

  // Starts the server and waits until it answers /-/ready; false (see log()) when it does not
  // within 30 s or the binary is missing.
  bool start();
  void stop();
  unsigned short port() const { return port_; }
  std::string log() const;

  // The value of an instant PromQL query that gives one sample; nullopt when it gives none (yet)
  // or the query failed.
  std::optional<double> query(const std::string& promql) const;
  // Polls `promql` until it gives `expected` or `timeout` passes; the last value seen.
  std::optional<double> wait_for(
      const std::string& promql, double expected,
      std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;

 private:
  std::filesystem::path dir_;
  unsigned short target_port_;
  unsigned short port_;
  pid_t pid_ = -1;
};

}  // namespace gatehouse::e2e
