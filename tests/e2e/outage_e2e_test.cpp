// End-to-end: a database server that goes away under a running server and comes back. Requests
// get a fast 503 meanwhile, readiness says 503 and liveness 200, and the server recovers without a
// restart. On every database server, each a private one of the test's own (the shared test
// servers must not be stopped), started with the script that scripts/test.sh uses.
#include <gtest/gtest.h>
#include <stdio.h>

#include <boost/json.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <ostream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "http_client.hpp"
#include "server_process.hpp"

namespace gatehouse::e2e {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

// A database server the outage test runs on: the script that starts a private one and the
// variable that says the machine has that server (the test is skipped without it).
struct DatabaseServer {
  std::string_view backend;   // "mysql", "postgresql": the test's suffix
  std::string_view script;    // in scripts/: `start DIR [PORT]` prints the URL, `stop DIR`
  std::string_view variable;  // GATEHOUSE_TEST_*_URL
};

void PrintTo(const DatabaseServer& server, std::ostream* out) {
  *out << server.backend;
}

constexpr std::array kServers = {
    DatabaseServer{"mysql", "mariadb.sh", "GATEHOUSE_TEST_MYSQL_URL"},
    DatabaseServer{"postgresql", "postgres.sh", "GATEHOUSE_TEST_POSTGRES_URL"},
};

// A database server of this test's own, in a folder of its own and on a port of its own, so that
// it can be stopped and started again on the same port. Stopped at destruction.
class PrivateServer {
 public:
  explicit PrivateServer(const DatabaseServer& server)
      : script_(std::string(GATEHOUSE_SOURCE_DIR) + "/scripts/" + std::string(server.script)),
        data_(dir_.path() / "server"),
        port_(free_port()) {
    // Run as root, scripts/postgres.sh runs the server as the user postgres and gives it `data_`:
    // that user must be able to enter the folder above it.
    fs::permissions(dir_.path(), fs::perms::owner_all | fs::perms::group_read |
                                     fs::perms::group_exec | fs::perms::others_read |
                                     fs::perms::others_exec);
  }
  ~PrivateServer() { stop(); }
  PrivateServer(const PrivateServer&) = delete;
  PrivateServer& operator=(const PrivateServer&) = delete;

  // Starts the server (the first time: initialises it); false when the script failed. The URL is
  // the last line the script prints.
  bool start() {
    const std::string cmd = script_ + " start " + data_.string() + " " + std::to_string(port_);
    FILE* out = ::popen(cmd.c_str(), "r");
    if (out == nullptr) return false;
    std::string printed;
    std::array<char, 256> buf{};
    while (std::fgets(buf.data(), buf.size(), out) != nullptr) printed += buf.data();
    const bool started = ::pclose(out) == 0;
    while (!printed.empty() && printed.back() == '\n') printed.pop_back();
    url_ = printed.substr(printed.rfind('\n') + 1);  // npos + 1 == 0: the only line
    return started && !url_.empty();
  }
  void stop() { (void)std::system((script_ + " stop " + data_.string()).c_str()); }

  // The DATABASE_URL of the server, after start().
  const std::string& url() const { return url_; }

 private:
  TempDir dir_;  // declared first: removed after the server stopped
  std::string script_;
  fs::path data_;
  unsigned short port_;
  std::string url_;
};

class DatabaseOutage : public ::testing::TestWithParam<DatabaseServer> {};

INSTANTIATE_TEST_SUITE_P(Servers, DatabaseOutage, ::testing::ValuesIn(kServers),
                         [](const auto& param_info) {
                           return std::string(param_info.param.backend);
                         });

TEST_P(DatabaseOutage, RequestsGet503FastAndRecoverWithoutRestart) {
  const std::string variable(GetParam().variable);
  if (const char* url = std::getenv(variable.c_str()); url == nullptr || *url == '\0') {
    GTEST_SKIP() << variable << " is not set (no " << GetParam().backend << " on this machine)";
  }
  PrivateServer database(GetParam());
  ASSERT_TRUE(database.start()) << "the private " << GetParam().backend << " did not start";
  TempDir dir;
  auto env = test_env(free_port());
  env["DATABASE_URL"] = database.url();
  ASSERT_EQ(run_gatehouse({"migrate", "up"}, dir.path(), env).exit_code, 0);
  ServerProcess server(dir.path(), env);
  ASSERT_TRUE(server.ready()) << server.log();

  std::string access;
  {
    HttpClient c(server.port());
    auto reg = c.post_json("/api/auth/register", json::object{{"name", "O"},
                                                              {"email", "outage@example.com"},
                                                              {"photo", "p"},
                                                              {"password", "Passw0rd!42"},
                                                              {"passwordConfirm", "Passw0rd!42"}});
    ASSERT_EQ(reg.status, 201) << reg.body;
    auto login = c.post_json("/api/auth/login", json::object{{"email", "outage@example.com"},
                                                             {"password", "Passw0rd!42"}});
    ASSERT_EQ(login.status, 200) << login.body;
    access = std::string(login.json().at("access_token").as_string());
  }

  // Load from two clients for the whole test: every answer is 200 or 503, never a 500 or a hang.
  std::atomic<bool> done{false};
  std::atomic<int> ok{0}, unavailable{0}, other{0};
  std::atomic<long> slowest_ms{0};
  std::vector<std::thread> load;
  for (int t = 0; t < 2; ++t) {
    load.emplace_back([&] {
      for (int i = 0; i < 200000 && !done; ++i) {
        const auto start = std::chrono::steady_clock::now();
        int status = 0;
        try {
          HttpClient c(server.port());
          status = c.get("/api/users/me", {{"Authorization", "Bearer " + access}}).status;
        } catch (const std::exception&) {
          status = -1;
        }
        const long ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - start)
                            .count();
        long prev = slowest_ms.load();
        while (ms > prev && !slowest_ms.compare_exchange_weak(prev, ms)) {
        }
        (status == 200 ? ok : status == 503 ? unavailable : other)++;
        std::this_thread::sleep_for(5ms);
      }
    });
  }

  ASSERT_TRUE(wait_until([&] { return ok.load() > 0; })) << "the load did not start";
  database.stop();
  // The server has seen the outage once its readiness probe says so.
  ASSERT_TRUE(
      wait_until([&] { return HttpClient(server.port()).get("/api/readyz").status == 503; }));
  {
    HttpClient c(server.port());
    const auto start = std::chrono::steady_clock::now();
    auto me = c.get("/api/users/me", {{"Authorization", "Bearer " + access}});
    EXPECT_EQ(me.status, 503);
    EXPECT_EQ(me.detail(), "Service unavailable");
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
    EXPECT_EQ(c.get("/api/readyz").status, 503);
    EXPECT_EQ(c.get("/api/healthchecker").status, 200);
  }
  EXPECT_TRUE(server.running());

  ASSERT_TRUE(database.start()) << "the database did not start again";
  bool recovered = false;
  for (int i = 0; i < 100 && !recovered; ++i) {
    HttpClient c(server.port());
    recovered = c.get("/api/users/me", {{"Authorization", "Bearer " + access}}).status == 200;
    if (!recovered) std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(recovered) << "no recovery after the database came back";
  const int ok_at_recovery = ok.load();
  EXPECT_TRUE(wait_until([&] { return ok.load() > ok_at_recovery; })) << "the load did not recover";
  done = true;
  for (auto& t : load) t.join();
  EXPECT_EQ(other.load(), 0) << "answers other than 200/503 during the outage";
  EXPECT_GT(unavailable.load(), 0);
  EXPECT_GT(ok.load(), 0);
  EXPECT_LT(slowest_ms.load(), 6000) << "a request hung";
  EXPECT_TRUE(server.running());
  EXPECT_EQ(HttpClient(server.port()).get("/api/readyz").status, 200);
}

}  // namespace
}  // namespace gatehouse::e2e
