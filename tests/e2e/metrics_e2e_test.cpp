// End-to-end: the Prometheus listener of a real server, scraped here as Prometheus would (a real
// Prometheus server scraping it is the next step of issue 15).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <map>
#include <regex>
#include <string>

#include "http_client.hpp"
#include "server_process.hpp"

namespace gatehouse::e2e {
namespace {

std::string metrics_text(unsigned short port) {
  HttpClient client(port);
  const HttpResult r = client.get("/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  return r.body;
}

TEST(Metrics, ServedOnTheirOwnPortWithRequestCountsByRouteTemplate) {
  TempDir dir;
  auto env = test_env(free_port());
  const unsigned short metrics_port = free_port();
  env["METRICS_PORT"] = std::to_string(metrics_port);
  ServerProcess server(dir.path(), env);
  ASSERT_TRUE(server.ready()) << server.log();
  EXPECT_NE(server.log().find("metrics on http://127.0.0.1:" + std::to_string(metrics_port)),
            std::string::npos)
      << server.log();

  HttpClient api(server.port());
  EXPECT_EQ(api.get("/api/users/me").status, 401);
  EXPECT_EQ(api.get("/api/users/me").status, 401);
  EXPECT_EQ(api.request("DELETE", "/api/users/me/sessions/abc").status, 401);
  EXPECT_EQ(api.get("/no/such/route").status, 404);
  EXPECT_EQ(api.get("/metrics").status, 404);  // not on the API's port

  const std::string text = metrics_text(metrics_port);
  for (const char* line : {
           "gatehouse_http_requests_total{route=\"/api/users/me\",method=\"GET\",status=\"401\"} 2",
           // The template, not the path: ids never become label values.
           "gatehouse_http_requests_total{route=\"/api/users/me/sessions/{id}\",method=\"DELETE\","
           "status=\"401\"} 1",
           "gatehouse_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"} 2",
           "gatehouse_http_request_duration_seconds_count{route=\"/api/users/me\",method=\"GET\"} "
           "2",
       }) {
    EXPECT_NE(text.find(std::string(line) + "\n"), std::string::npos) << line << "\n" << text;
  }
  // This test's connection is open (the readiness probe's may not be closed yet).
  EXPECT_TRUE(std::regex_search(text, std::regex("\ngatehouse_http_open_connections [1-9]")))
      << text;
  for (const char* name :
       {"process_resident_memory_bytes ", "process_cpu_seconds_total ", "process_open_fds ",
        "process_start_time_seconds ", "gatehouse_build_info{version=\""}) {
    EXPECT_NE(text.find(name), std::string::npos) << name;
  }
  // Every series of a route that has not answered stays out.
  EXPECT_EQ(text.find("route=\"/api/auth/register\""), std::string::npos);
  EXPECT_EQ(server.stop(SIGTERM), 0);
}

TEST(Metrics, MetricsHostAndPortChooseWhereTheyListenAndZeroTurnsThemOff) {
  {
    TempDir dir;
    auto env = test_env(free_port());
    const unsigned short metrics_port = free_port();
    env["METRICS_HOST"] = "127.0.0.2";  // another loopback address
    env["METRICS_PORT"] = std::to_string(metrics_port);
    ServerProcess server(dir.path(), env);
    ASSERT_TRUE(server.ready()) << server.log();
    const auto sockets = listening_sockets(server.pid());
    EXPECT_TRUE(sockets.contains({"127.0.0.2", metrics_port}));
    EXPECT_TRUE(sockets.contains({"127.0.0.1", server.port()}));
    EXPECT_EQ(sockets.size(), 2u);
  }
  {
    TempDir dir;
    auto env = test_env(free_port());
    env["METRICS_PORT"] = "0";
    ServerProcess server(dir.path(), env);
    ASSERT_TRUE(server.ready()) << server.log();
    EXPECT_NE(server.log().find("metrics: off"), std::string::npos) << server.log();
    const auto sockets = listening_sockets(server.pid());
    EXPECT_EQ(sockets,
              (std::set<std::pair<std::string, unsigned short>>{{"127.0.0.1", server.port()}}));
  }
}

TEST(Metrics, APortInUseIsRefusedNamingTheVariable) {
  TempDir dir;
  auto first_env = test_env(free_port());
  const unsigned short taken = free_port();
  first_env["METRICS_PORT"] = std::to_string(taken);
  ServerProcess first(dir.path(), first_env);
  ASSERT_TRUE(first.ready()) << first.log();

  TempDir other;
  auto env = test_env(free_port());
  env["METRICS_PORT"] = std::to_string(taken);
  const CommandResult r = run_gatehouse({"serve"}, other.path(), env);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE((r.out + r.err).find("METRICS_PORT"), std::string::npos) << r.out << r.err;
}

}  // namespace
}  // namespace gatehouse::e2e
