#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/request.hpp"
#include "http/response.hpp"

namespace gatehouse::http {

// CORS for the configured browser origins (CLIENT_ORIGIN), with credentials, as Starlette's
// CORSMiddleware does for the tutorial (allow_methods=*, allow_headers=*). Any other origin gets
// no grant at all. Origins compare exactly (scheme, host and port), never by prefix.
class CorsPolicy {
 public:
  explicit CorsPolicy(std::vector<std::string> allowed_origins);

  bool allows(std::string_view origin) const;

  // A preflight is OPTIONS with Origin and Access-Control-Request-Method. Returns the whole answer
  // for one (200 with the grant, or 400 for a foreign origin), nullopt for other requests.
  std::optional<Response> preflight(const Request& request) const;

  // Adds the grant headers to an actual response when the request's Origin is allowed.
  void decorate(const Request& request, Response& response) const;

 private:
  std::vector<std::string> origins_;
};

}  // namespace gatehouse::http
