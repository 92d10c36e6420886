#include "http/csrf_guard.hpp"

namespace gatehouse::http {

namespace bhttp = boost::beast::http;

bool is_cross_site_request(const Request& request, const CorsPolicy& cors) {
  const std::string_view origin = request.header(bhttp::field::origin);
  if (!origin.empty() && origin != "null") {
    if (cors.allows(origin)) return false;
    // Same origin: the Origin's host[:port] is the Host this request was sent to.
    const auto scheme_end = origin.find("://");
    const std::string_view authority =
        scheme_end == std::string_view::npos ? origin : origin.substr(scheme_end + 3);
    return authority != request.header(bhttp::field::host);
  }
  if (origin == "null") return true;  // sandboxed frames, file: pages, cross-origin redirects
  return request.header("Sec-Fetch-Site") == "cross-site";
}

}  // namespace gatehouse::http
