#include "prometheus_server.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <boost/json.hpp>

#include <cctype>
#include <exception>
#include <fstream>
#include <thread>

#include "http_client.hpp"
#include "server_process.hpp"

namespace gatehouse::e2e {

namespace fs = std::filesystem;

namespace {

constexpr const char* kBinary = "/usr/bin/prometheus";

// RFC 3986 unreserved characters stay, everything else is %XX: a PromQL query in a URL.
std::string percent_encode(const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace

PrometheusServer::PrometheusServer(const fs::path& dir, unsigned short target_port)
    : dir_(dir), target_port_(target_port), port_(free_port()) {
  fs::create_directories(dir_ / "data");
}

PrometheusServer::~PrometheusServer() {
  stop();
}

bool PrometheusServer::start() {
  if (pid_ > 0) return true;
  if (!fs::exists(kBinary)) {
    std::ofstream(dir_ / "prometheus.log")
        << kBinary << " is missing: run scripts/install-deps.sh --test\n";
    return false;
  }
  std::ofstream(dir_ / "prometheus.yml") << "global:\n"
                                            "  scrape_interval: 1s\n"
                                            "  scrape_timeout: 1s\n"
                                            "scrape_configs:\n"
                                            "  - job_name: gatehouse\n"
                                            "    static_configs:\n"
                                            "      - targets: ['127.0.0.1:"
                                         << target_port_ << "']\n";
  pid_ = spawn_process(
      {kBinary, "--config.file=" + (dir_ / "prometheus.yml").string(),
       "--storage.tsdb.path=" + (dir_ / "data").string(),
       "--web.listen-address=127.0.0.1:" + std::to_string(port_), "--log.level=warn"},
      dir_, {{"PATH", "/usr/bin:/bin"}}, dir_ / "prometheus.out", dir_ / "prometheus.log");
  return wait_until(
      [&] {
        try {
          HttpClient client(port_);
          if (client.get("/-/ready").status == 200) return true;
        } catch (const std::exception&) {
          // not listening yet
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        return false;
      },
      std::chrono::seconds(30));
}

void PrometheusServer::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::string PrometheusServer::log() const {
  return slurp(dir_ / "prometheus.log") + slurp(dir_ / "prometheus.out");
}

std::optional<double> PrometheusServer::query(const std::string& promql) const {
  HttpResult r;
  try {
    HttpClient client(port_);
    r = client.get("/api/v1/query?query=" + percent_encode(promql));
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (r.status != 200) return std::nullopt;
  // {"status":"success","data":{"resultType":"vector","result":[{"metric":{...},"value":[t,"v"]}]}}
  const boost::json::value body = r.json();
  const auto* data = body.as_object().if_contains("data");
  if (data == nullptr) return std::nullopt;
  const auto& result = data->as_object().at("result").as_array();
  if (result.size() != 1) return std::nullopt;
  const auto& value = result[0].as_object().at("value").as_array();
  return std::stod(std::string(value.at(1).as_string()));
}

std::optional<double> PrometheusServer::wait_for(const std::string& promql, double expected,
                                                 std::chrono::milliseconds timeout) const {
  std::optional<double> last;
  wait_until(
      [&] {
        last = query(promql);
        if (last && *last == expected) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(250));  // a scrape a second
        return false;
      },
      timeout);
  return last;
}

}  // namespace gatehouse::e2e
