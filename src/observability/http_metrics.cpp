#include "observability/http_metrics.hpp"

#include <algorithm>
#include <string>

namespace gatehouse::observability {

namespace bhttp = boost::beast::http;

namespace {

constexpr const char* kRequests = "gatehouse_http_requests_total";
constexpr const char* kRequestsHelp = "HTTP requests by route template, method and status.";
constexpr const char* kDuration = "gatehouse_http_request_duration_seconds";
constexpr const char* kDurationHelp =
    "Time from a request's last byte to its answer, by route template and method.";

std::vector<Counter> status_counters(MetricRegistry& registry, const std::string& route,
                                     const std::string& method) {
  std::vector<Counter> out;
  for (const unsigned status : HttpMetrics::kStatuses) {
    out.push_back(registry.counter(
        kRequests, kRequestsHelp,
        {{"route", route}, {"method", method}, {"status", std::to_string(status)}}, true));
  }
  out.push_back(registry.counter(
      kRequests, kRequestsHelp, {{"route", route}, {"method", method}, {"status", "other"}}, true));
  return out;
}

}  // namespace

HttpMetrics::HttpMetrics(MetricRegistry& registry, const http::Router& router)
    : unmatched_duration_(registry.histogram(kDuration, kDurationHelp, latency_buckets(),
                                             {{"route", "unmatched"}, {"method", "any"}}, true)),
      open_(registry.gauge("gatehouse_http_open_connections", "Open client connections.")) {
  for (const http::Route& route : router.routes()) {
    const std::string method(bhttp::to_string(route.method));
    routes_.push_back(
        Series{status_counters(registry, route.pattern, method),
               registry.histogram(kDuration, kDurationHelp, latency_buckets(),
                                  {{"route", route.pattern}, {"method", method}}, true)});
  }
  for (const bhttp::verb method : kMethods) {
    unmatched_.push_back(
        status_counters(registry, "unmatched", std::string(bhttp::to_string(method))));
  }
  unmatched_.push_back(status_counters(registry, "unmatched", "other"));
  const char* reasons[] = {"body_too_large", "rate_limited", "headers_too_large", "overloaded"};
  for (std::size_t i = 0; i < refused_.size(); ++i) {
    refused_[i] =
        registry.counter("gatehouse_http_refused_total", "Requests refused by a limit, by reason.",
                         {{"reason", reasons[i]}});
  }
}

std::size_t HttpMetrics::status_slot(unsigned status) {
  const auto it = std::find(kStatuses.begin(), kStatuses.end(), status);
  return static_cast<std::size_t>(it - kStatuses.begin());  // kStatuses.size(): "other"
}

std::size_t HttpMetrics::method_slot(bhttp::verb method) {
  const auto it = std::find(kMethods.begin(), kMethods.end(), method);
  return static_cast<std::size_t>(it - kMethods.begin());
}

void HttpMetrics::record(const http::Route* route, bhttp::verb method, unsigned status,
                         double seconds) const {
  const std::size_t slot = status_slot(status);
  if (route != nullptr && route->id < routes_.size()) {
    const Series& s = routes_[route->id];
    s.by_status[slot].inc();
    s.duration.observe(seconds);
  } else {
    unmatched_[method_slot(method)][slot].inc();
    unmatched_duration_.observe(seconds);
  }
  if (status == 429) refused(Refusal::kRateLimited);  // the server's own 503s count where refused
}

}  // namespace gatehouse::observability
