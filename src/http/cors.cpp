#include "http/cors.hpp"

#include <algorithm>

#include <boost/json.hpp>

namespace gatehouse::http {

namespace bhttp = boost::beast::http;

namespace {
constexpr std::string_view kAllowMethods = "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT";
constexpr std::size_t kMaxEchoedHeaders = 1024;
}  // namespace

CorsPolicy::CorsPolicy(std::vector<std::string> allowed_origins)
    : origins_(std::move(allowed_origins)) {}

bool CorsPolicy::allows(std::string_view origin) const {
  return !origin.empty() && std::find(origins_.begin(), origins_.end(), origin) != origins_.end();
}

std::optional<Response> CorsPolicy::preflight(const Request& request) const {
  if (request.message.method() != bhttp::verb::options) return std::nullopt;
  const std::string_view origin = request.header(bhttp::field::origin);
  const std::string_view method = request.header(bhttp::field::access_control_request_method);
  if (origin.empty() || method.empty()) return std::nullopt;

  if (!allows(origin)) {
    Response r = json_response(bhttp::status::bad_request,
                               boost::json::object{{"detail", "Disallowed CORS origin"}});
    r.header("Vary", "Origin");
    return r;
  }
  Response r = json_response(bhttp::status::ok, boost::json::string("OK"));
  decorate(request, r);
  r.header("Access-Control-Allow-Methods", kAllowMethods);
  const std::string_view asked = request.header(bhttp::field::access_control_request_headers);
  if (!asked.empty() && asked.size() <= kMaxEchoedHeaders) {
    r.header("Access-Control-Allow-Headers", asked);
  }
  r.header("Access-Control-Max-Age", "600");
  return r;
}

void CorsPolicy::decorate(const Request& request, Response& response) const {
  const std::string_view origin = request.header(bhttp::field::origin);
  if (!allows(origin)) return;
  response.header("Access-Control-Allow-Origin", origin);
  response.header("Access-Control-Allow-Credentials", "true");
  response.header("Vary", "Origin");
}

}  // namespace gatehouse::http
