#pragma once

#include <boost/beast/http/verb.hpp>

#include <array>
#include <cstddef>
#include <string_view>
#include <vector>

#include "http/router.hpp"
#include "observability/metrics.hpp"

namespace gatehouse::observability {

// What the HTTP server counts, with every series registered up front from the route table, so
// recording is an index and a per-thread cell (MetricRegistry):
//   gatehouse_http_requests_total{route, method, status}   route template, not the path
//   gatehouse_http_request_duration_seconds{route, method}  from the end of the request to the
//                                                           answer handed to the socket
//   gatehouse_http_open_connections
//   gatehouse_http_refused_total{reason}                    answers of a limit: body_too_large
//                                                           (413), rate_limited (429),
//                                                           headers_too_large (431),
//                                                           overloaded (503)
// Requests no route matched (404, 405, preflights, bad targets) count under route "unmatched".
class HttpMetrics {
 public:
  enum class Refusal { kBodyTooLarge, kRateLimited, kHeadersTooLarge, kOverloaded };

  HttpMetrics(MetricRegistry& registry, const http::Router& router);

  // `route` is null for an unmatched request.
  void record(const http::Route* route, boost::beast::http::verb method, unsigned status,
              double seconds) const;
  void refused(Refusal reason) const { refused_[static_cast<std::size_t>(reason)].inc(); }
  void connection_opened() const { open_.add(1); }
  void connection_closed() const { open_.add(-1); }

  // The methods an unmatched request is counted under; any other counts as "other".
  static constexpr std::array<boost::beast::http::verb, 7> kMethods{
      boost::beast::http::verb::get,     boost::beast::http::verb::post,
      boost::beast::http::verb::put,     boost::beast::http::verb::patch,
      boost::beast::http::verb::delete_, boost::beast::http::verb::head,
      boost::beast::http::verb::options};
  // The statuses counted one by one; any other counts as "other".
  static constexpr std::array<unsigned, 20> kStatuses{200, 201, 202, 204, 301, 302, 304,
                                                      400, 401, 403, 404, 405, 408, 409,
                                                      413, 415, 422, 429, 500, 503};

 private:
  struct Series {
    std::vector<Counter> by_status;  // kStatuses, then "other"
    Histogram duration;
  };
  static std::size_t status_slot(unsigned status);

  static std::size_t method_slot(boost::beast::http::verb method);

  std::vector<Series> routes_;  // by Route::id
  // Unmatched requests by method (kMethods, then "other"), each by status; one duration.
  std::vector<std::vector<Counter>> unmatched_;
  Histogram unmatched_duration_;
  std::array<Counter, 4> refused_;
  Gauge open_;
};

}  // namespace gatehouse::observability
