// End-to-end: the Prometheus listener of a real server, scraped here as Prometheus would, on every
// database backend, and by a real Prometheus server (Debian's) answering PromQL.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <map>
#include <regex>
#include <sstream>
#include <string>

#include "http_client.hpp"
#include "prometheus_server.hpp"
#include "server_process.hpp"
#include "test_databases.hpp"

namespace gatehouse::e2e {
namespace {

namespace json = boost::json;

// test_env with the metrics listener on a free port, returned in `metrics_port`.
std::map<std::string, std::string> metrics_env(unsigned short& metrics_port) {
  auto env = test_env(free_port());
  metrics_port = free_port();
  env["METRICS_PORT"] = std::to_string(metrics_port);
  return env;
}

std::string metrics_text(unsigned short port) {
  HttpClient client(port);
  const HttpResult r = client.get("/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  return r.body;
}

// Every sample of a scrape by series ("name{labels}"), comments left out.
std::map<std::string, double> samples(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const std::size_t space = line.rfind(' ');
    out[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return out;
}

// The settings the scripted series needs: two failed logins in a row start a minute's delay.
void series_settings(std::map<std::string, std::string>& env) {
  env["LOGIN_FREE_FAILURES"] = "2";
  env["LOGIN_DELAY_BASE_SECONDS"] = "60";
}

// A scripted series of account events against the API on `port` (a fresh database, started with
// series_settings), checking each answer; the counts it must leave, by series.
std::map<std::string, double> run_auth_series(unsigned short port) {
  HttpClient api(port);
  const auto register_user = [&](const std::string& email) {
    return api
        .post_json("/api/auth/register", json::object{{"name", "M"},
                                                      {"email", email},
                                                      {"photo", "p"},
                                                      {"password", "Passw0rd!42"},
                                                      {"passwordConfirm", "Passw0rd!42"}})
        .status;
  };
  const auto login = [&](const std::string& email, const std::string& password) {
    return api.post_json("/api/auth/login", json::object{{"email", email}, {"password", password}});
  };
  const auto bearer = [](const std::string& token) {
    return std::vector<std::pair<std::string, std::string>>{{"Authorization", "Bearer " + token}};
  };
  const auto token = [](const HttpResult& r, const char* name) {
    return std::string(r.json().at(name).as_string());
  };
  const auto refresh = [&](const std::string& refresh_token) {
    return api.request("POST", "/api/auth/refresh", "", bearer(refresh_token));
  };

  EXPECT_EQ(register_user("alice@example.com"), 201);
  EXPECT_EQ(register_user("alice@example.com"), 409);
  EXPECT_EQ(register_user("bob@example.com"), 201);

  const HttpResult first = login("alice@example.com", "Passw0rd!42");
  EXPECT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(login("nobody@example.com", "Passw0rd!42").status, 400);
  // Rotation twice, then the first token again: reuse, and the session ends.
  const HttpResult second = refresh(token(first, "refresh_token"));
  EXPECT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(refresh(token(second, "refresh_token")).status, 200);
  EXPECT_EQ(refresh(token(first, "refresh_token")).status, 400);
  EXPECT_EQ(refresh("not-a-refresh-token").status, 400);

  EXPECT_EQ(login("alice@example.com", "Passw0rd!42").status, 200);
  const HttpResult third = login("alice@example.com", "Passw0rd!42");
  EXPECT_EQ(third.status, 200) << third.body;
  const std::string access = token(third, "access_token");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(api.get("/api/users/me", bearer(access)).status, 200);
  const HttpResult others =
      api.request("POST", "/api/auth/logout?scope=others", "", bearer(access));
  EXPECT_EQ(others.status, 200) << others.body;
  EXPECT_EQ(others.json().at("sessions_ended").as_int64(), 1) << "the reuse ended the first";
  EXPECT_EQ(api.request("POST", "/api/auth/logout?scope=global", "", bearer(access)).status, 200);

  // Two failures start the delay, and it refuses the third attempt.
  for (int i = 0; i < 2; ++i) EXPECT_EQ(login("bob@example.com", "wrong password").status, 400);
  EXPECT_EQ(login("bob@example.com", "wrong password").status, 429);

  return {
      {R"(gatehouse_registrations_total{outcome="created"})", 2},
      {R"(gatehouse_registrations_total{outcome="email_taken"})", 1},
      {R"(gatehouse_registrations_total{outcome="throttled"})", 0},
      {R"(gatehouse_logins_total{outcome="success"})", 3},
      {R"(gatehouse_logins_total{outcome="wrong_password"})", 2},
      {R"(gatehouse_logins_total{outcome="unknown_account"})", 1},
      {R"(gatehouse_logins_total{outcome="throttled"})", 1},
      {R"(gatehouse_logins_total{outcome="unverified"})", 0},
      {R"(gatehouse_refreshes_total{outcome="rotated"})", 2},
      {R"(gatehouse_refreshes_total{outcome="reuse_detected"})", 1},
      {R"(gatehouse_refreshes_total{outcome="unknown"})", 1},
      {R"(gatehouse_refreshes_total{outcome="grace_replay"})", 0},
      {R"(gatehouse_logouts_total{scope="others"})", 1},
      {R"(gatehouse_logouts_total{scope="global"})", 1},
      {R"(gatehouse_logouts_total{scope="session"})", 0},
      {R"(gatehouse_sessions_revoked_total{reason="refresh_reuse"})", 1},
      {R"(gatehouse_sessions_revoked_total{reason="logout_others"})", 1},
      {R"(gatehouse_sessions_revoked_total{reason="logout_global"})", 1},
      // Three right passwords, two wrong, one unknown account (burnt as a wrong one); the
      // throttled attempt costs no hash.
      {R"(gatehouse_password_hash_duration_seconds_count{operation="verify"})", 6},
      {R"(gatehouse_password_hash_duration_seconds_count{operation="hash"})", 2},
      {R"(gatehouse_http_requests_total{route="/api/auth/login",method="POST",status="429"})", 1},
      {R"(gatehouse_http_refused_total{reason="rate_limited"})", 1},
  };
}

class MetricsBackends : public ::testing::TestWithParam<std::string> {};
INSTANTIATE_TEST_SUITE_P(Backends, MetricsBackends,
                         ::testing::Values("sqlite", "mysql", "postgresql"),
                         [](const auto& param_info) { return param_info.param; });

TEST_P(MetricsBackends, AccountEventsAreCountedByOutcomeWithTheWorkBehindThem) {
  TempDir dir;
  unsigned short metrics_port = 0;
  auto env = metrics_env(metrics_port);
  series_settings(env);
  std::string skip;
  const auto database = prepare_backend(GetParam(), dir.path(), env, skip);
  if (!skip.empty()) GTEST_SKIP() << skip;
  ServerProcess server(dir.path(), env);
  ASSERT_TRUE(server.ready()) << server.log();

  const auto expected = run_auth_series(server.port());
  const auto scraped = samples(metrics_text(metrics_port));
  for (const auto& [series, value] : expected) {
    const auto it = scraped.find(series);
    ASSERT_NE(it, scraped.end()) << series;
    EXPECT_EQ(it->second, value) << series;
  }
  const auto at_least = [&](const std::string& series, double floor) {
    const auto it = scraped.find(series);
    ASSERT_NE(it, scraped.end()) << series;
    EXPECT_GE(it->second, floor) << series;
  };
  // /me three times with one token: the first checks its signature, the next two are hits.
  at_least(R"(gatehouse_token_cache_lookups_total{result="hit"})", 2);
  at_least(R"(gatehouse_token_cache_lookups_total{result="miss"})", 1);
  at_least(R"(gatehouse_db_calls_total{call="read",outcome="ok"})", 10);
  at_least(R"(gatehouse_db_calls_total{call="transaction",outcome="ok"})", 5);
  at_least(R"(gatehouse_db_call_duration_seconds_count{call="read"})", 10);
  at_least(R"(gatehouse_db_connections{state="size"})", 1);
  for (const char* series :
       {R"(gatehouse_db_calls_total{call="read",outcome="unavailable"})",
        R"(gatehouse_pool_queued_jobs{pool="hashing"})",
        R"(gatehouse_pool_queued_jobs{pool="worker"})",
        R"(gatehouse_pool_busy_threads{pool="hashing"})", R"(gatehouse_mails_queued_total)",
        R"(gatehouse_mails_sent_total)", R"(gatehouse_db_retries_total{reason="reconnect"})"}) {
    EXPECT_TRUE(scraped.contains(series)) << series;
  }
  EXPECT_EQ(server.stop(SIGTERM), 0);
}

TEST(Metrics, ARealPrometheusScrapesThemAndAnswersPromQL) {
  TempDir dir;
  unsigned short metrics_port = 0;
  auto env = metrics_env(metrics_port);
  series_settings(env);
  ServerProcess server(dir.path(), env);
  ASSERT_TRUE(server.ready()) << server.log();
  PrometheusServer prometheus(dir.path() / "prometheus", metrics_port);
  ASSERT_TRUE(prometheus.start()) << prometheus.log();
  // The target is up: Prometheus reached /metrics and parsed it.
  EXPECT_EQ(prometheus.wait_for(R"(up{job="gatehouse"})", 1), 1) << prometheus.log();

  const auto expected = run_auth_series(server.port());
  for (const auto& [series, value] : expected) {
    EXPECT_EQ(prometheus.wait_for(series, value), value) << series << "\n" << prometheus.log();
  }
  // PromQL over the families: every failed login, and the route's answers summed over statuses.
  EXPECT_EQ(prometheus.wait_for(R"(sum(gatehouse_logins_total{outcome!="success"}))", 4), 4);
  EXPECT_EQ(prometheus.wait_for(
                R"(sum(gatehouse_http_requests_total{route="/api/auth/login",method="POST"}))", 7),
            7);
  EXPECT_EQ(prometheus.wait_for(R"(count(gatehouse_build_info{version!=""}))", 1), 1);
  EXPECT_EQ(server.stop(SIGTERM), 0);
}

TEST(Metrics, ServedOnTheirOwnPortWithRequestCountsByRouteTemplate) {
  TempDir dir;
  unsigned short metrics_port = 0;
  auto env = metrics_env(metrics_port);
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
