#include <gtest/gtest.h>

#include <unistd.h>

#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "auth/auth_metrics.hpp"
#include "http/router.hpp"
#include "observability/http_metrics.hpp"
#include "observability/metrics.hpp"
#include "observability/process_metrics.hpp"

namespace gatehouse::observability {
namespace {

// Every line of a text exposition: a comment (# HELP / # TYPE) or `name{labels} value`.
void expect_valid_exposition(const std::string& text) {
  static const std::regex kComment(R"(# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*)");
  static const std::regex kSample(
      R"re([a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? (-?[0-9.e+-]+|\+Inf|-Inf|NaN))re");
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    EXPECT_TRUE(std::regex_match(line, kComment) || std::regex_match(line, kSample)) << line;
  }
}

TEST(MetricRegistry, CountersFromManyThreadsAddUp) {
  MetricRegistry registry;
  const Counter hits = registry.counter("gatehouse_test_total", "Test.", {{"kind", "a"}});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) hits.inc();
    });
  }
  for (auto& t : threads) t.join();
  hits.inc(5);
  EXPECT_EQ(registry.value(hits), 40005u);
  const std::string text = registry.render();
  EXPECT_NE(text.find("# TYPE gatehouse_test_total counter\n"), std::string::npos) << text;
  EXPECT_NE(text.find("gatehouse_test_total{kind=\"a\"} 40005\n"), std::string::npos) << text;
  expect_valid_exposition(text);
}

TEST(MetricRegistry, SeriesOfOneFamilyShareItsHeaderAndSparseOnesWaitForAValue) {
  MetricRegistry registry;
  const Counter ok =
      registry.counter("gatehouse_requests_total", "Requests.", {{"status", "200"}}, true);
  const Counter bad =
      registry.counter("gatehouse_requests_total", "Requests.", {{"status", "500"}}, true);
  EXPECT_EQ(registry.render(), "");  // nothing happened yet
  ok.inc();
  const std::string text = registry.render();
  EXPECT_EQ(text,
            "# HELP gatehouse_requests_total Requests.\n"
            "# TYPE gatehouse_requests_total counter\n"
            "gatehouse_requests_total{status=\"200\"} 1\n");
  (void)bad;
  EXPECT_THROW(registry.gauge("gatehouse_requests_total", "Requests."), std::logic_error);
}

TEST(MetricRegistry, HistogramBucketsAreCumulativeWithSumAndCount) {
  MetricRegistry registry;
  const Histogram h =
      registry.histogram("gatehouse_latency_seconds", "Latency.", {0.1, 1}, {{"route", "/x"}});
  h.observe(0.05);
  h.observe(0.1);  // le="0.1" includes 0.1
  h.observe(0.5);
  h.observe(7);
  const std::string text = registry.render();
  EXPECT_NE(text.find("gatehouse_latency_seconds_bucket{route=\"/x\",le=\"0.1\"} 2\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("gatehouse_latency_seconds_bucket{route=\"/x\",le=\"1\"} 3\n"),
            std::string::npos);
  EXPECT_NE(text.find("gatehouse_latency_seconds_bucket{route=\"/x\",le=\"+Inf\"} 4\n"),
            std::string::npos);
  EXPECT_NE(text.find("gatehouse_latency_seconds_sum{route=\"/x\"} 7.65\n"), std::string::npos);
  EXPECT_NE(text.find("gatehouse_latency_seconds_count{route=\"/x\"} 4\n"), std::string::npos);
  expect_valid_exposition(text);
}

TEST(MetricRegistry, GaugesAndCallbacks) {
  MetricRegistry registry;
  const Gauge open = registry.gauge("gatehouse_open_connections", "Open connections.");
  open.add(3);
  open.add(-1);
  int depth = 7;
  registry.gauge_callback("gatehouse_queue_depth", "Queue.", {{"pool", "hashing"}},
                          [&] { return static_cast<double>(depth); });
  const std::string text = registry.render();
  EXPECT_NE(text.find("gatehouse_open_connections 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("gatehouse_queue_depth{pool=\"hashing\"} 7\n"), std::string::npos) << text;
}

TEST(MetricRegistry, LabelValuesAreEscapedAndCapacityIsBounded) {
  EXPECT_EQ(escape_label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  MetricRegistry small(2);
  small.counter("a_total", "A.");
  small.counter("b_total", "B.");
  EXPECT_THROW(small.counter("c_total", "C."), std::length_error);
  EXPECT_THROW(small.histogram("h", "H.", {1, 0.5}), std::logic_error);  // bounds must ascend
}

TEST(MetricRegistry, ASeriesRegisteredTwiceIsRefused) {
  MetricRegistry registry;
  registry.counter("x_total", "X.", {{"k", "a"}});
  registry.counter("x_total", "X.", {{"k", "b"}});
  EXPECT_THROW(registry.counter("x_total", "X.", {{"k", "a"}}), std::logic_error);
  registry.gauge_callback("g", "G.", {}, [] { return 1.0; });
  EXPECT_THROW(registry.gauge_callback("g", "G.", {}, [] { return 2.0; }), std::logic_error);
}

TEST(MetricRegistry, DefaultHandlesCountNothing) {
  const Counter counter;
  const Histogram histogram;
  counter.inc();
  histogram.observe(1.0);  // no registry: nothing to write, nothing breaks
  SUCCEED();
}

TEST(AuthMetrics, EverySeriesIsThereFromTheStartAndCountsItsOwnEvents) {
  MetricRegistry registry;
  const auth::AuthMetrics metrics(registry);
  const std::string before = registry.render();
  expect_valid_exposition(before);
  for (const char* series : {
           "gatehouse_logins_total{outcome=\"success\"} 0",
           "gatehouse_logins_total{outcome=\"wrong_password\"} 0",
           "gatehouse_logins_total{outcome=\"unknown_account\"} 0",
           "gatehouse_logins_total{outcome=\"throttled\"} 0",
           "gatehouse_logins_total{outcome=\"unverified\"} 0",
           "gatehouse_refreshes_total{outcome=\"rotated\"} 0",
           "gatehouse_refreshes_total{outcome=\"grace_replay\"} 0",
           "gatehouse_refreshes_total{outcome=\"reuse_detected\"} 0",
           "gatehouse_refreshes_total{outcome=\"expired\"} 0",
           "gatehouse_refreshes_total{outcome=\"revoked\"} 0",
           "gatehouse_refreshes_total{outcome=\"unknown\"} 0",
           "gatehouse_registrations_total{outcome=\"created\"} 0",
           "gatehouse_logouts_total{scope=\"global\"} 0",
           "gatehouse_sessions_revoked_total{reason=\"refresh_reuse\"} 0",
           "gatehouse_sessions_revoked_total{reason=\"password_reset\"} 0",
           "gatehouse_mails_queued_total 0",
       }) {
    EXPECT_NE(before.find(std::string(series) + "\n"), std::string::npos) << series;
  }
  metrics.login(auth::LoginOutcome::kThrottled);
  metrics.login(auth::LoginOutcome::kThrottled);
  metrics.refresh(auth::RefreshOutcome::kReuseDetected);
  metrics.sessions_revoked(auth::RevokeReason::kLogoutGlobal, 3);
  metrics.sessions_revoked(auth::RevokeReason::kLogout, 0);
  const std::string after = registry.render();
  EXPECT_NE(after.find("gatehouse_logins_total{outcome=\"throttled\"} 2\n"), std::string::npos);
  EXPECT_NE(after.find("gatehouse_logins_total{outcome=\"success\"} 0\n"), std::string::npos);
  EXPECT_NE(after.find("gatehouse_refreshes_total{outcome=\"reuse_detected\"} 1\n"),
            std::string::npos);
  EXPECT_NE(after.find("gatehouse_sessions_revoked_total{reason=\"logout_global\"} 3\n"),
            std::string::npos);
  EXPECT_NE(after.find("gatehouse_sessions_revoked_total{reason=\"logout\"} 0\n"),
            std::string::npos);
}

TEST(ProcessMetrics, ReadThisProcessFromProc) {
  MetricRegistry registry;
  register_process_metrics(registry, "1.2.3", "abc123");
  const std::string text = registry.render();
  expect_valid_exposition(text);
  EXPECT_NE(text.find("gatehouse_build_info{version=\"1.2.3\",commit=\"abc123\"} 1\n"),
            std::string::npos);
  const std::regex rss(R"(process_resident_memory_bytes ([0-9.e+]+))");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(text, m, rss)) << text;
  EXPECT_GT(std::stod(m[1]), 1e6);  // a test binary holds more than a megabyte
  const std::regex start(R"(process_start_time_seconds ([0-9.e+]+))");
  ASSERT_TRUE(std::regex_search(text, m, start));
  const double now = static_cast<double>(time(nullptr));
  EXPECT_LE(std::stod(m[1]), now + 1);
  EXPECT_GT(std::stod(m[1]), now - 24 * 3600);  // this test process started today
  EXPECT_NE(text.find("process_open_fds "), std::string::npos);
  EXPECT_NE(text.find("process_cpu_seconds_total "), std::string::npos);
}

TEST(HttpMetrics, CountsByRouteTemplateMethodAndStatusWithOneSeriesEach) {
  namespace bhttp = boost::beast::http;
  http::Router router;
  const auto none = [](const http::Request&) { return http::Response{}; };
  router.add(bhttp::verb::get, "/refresh", http::Execution::kWorker, none, {});
  router.add(bhttp::verb::post, "/refresh", http::Execution::kWorker, none, {});
  MetricRegistry registry;
  HttpMetrics metrics(registry, router);
  const http::Route& get = router.routes()[0];
  const http::Route& post = router.routes()[1];
  metrics.record(&get, bhttp::verb::get, 200, 0.002);
  metrics.record(&post, bhttp::verb::post, 200, 0.002);
  metrics.record(&post, bhttp::verb::post, 400, 0.002);
  metrics.record(&post, bhttp::verb::post, 299, 0.002);  // not in kStatuses: "other"
  metrics.record(nullptr, bhttp::verb::propfind, 405, 0.001);
  metrics.record(&get, bhttp::verb::get, 429, 0.001);
  const std::string text = registry.render();
  for (const char* line : {
           R"(gatehouse_http_requests_total{route="/refresh",method="GET",status="200"} 1)",
           R"(gatehouse_http_requests_total{route="/refresh",method="POST",status="200"} 1)",
           R"(gatehouse_http_requests_total{route="/refresh",method="POST",status="400"} 1)",
           R"(gatehouse_http_requests_total{route="/refresh",method="POST",status="other"} 1)",
           R"(gatehouse_http_requests_total{route="unmatched",method="other",status="405"} 1)",
           R"(gatehouse_http_request_duration_seconds_count{route="/refresh",method="POST"} 3)",
           R"(gatehouse_http_refused_total{reason="rate_limited"} 1)",
       }) {
    EXPECT_NE(text.find(std::string(line) + "\n"), std::string::npos) << line << "\n" << text;
  }
  // Every series once: no two lines with the same name and labels.
  std::istringstream in(text);
  std::set<std::string> seen;
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("#")) continue;
    EXPECT_TRUE(seen.insert(line.substr(0, line.rfind(' '))).second) << line;
  }
  expect_valid_exposition(text);
}

}  // namespace
}  // namespace gatehouse::observability
