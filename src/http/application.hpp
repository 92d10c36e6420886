#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include "http/client_address.hpp"
#include "http/cors.hpp"
#include "http/request.hpp"
#include "http/request_id.hpp"
#include "http/response.hpp"
#include "http/router.hpp"

namespace gatehouse::http {

// Everything between a parsed request and a handler that is not I/O: target parsing, CORS
// preflights, routing, and the CORS grant on the way out. The session owns the I/O and decides
// where a routed handler runs (Route::execution).
class Application {
 public:
  // Generated request ids start with `request_id_prefix` (random per process in the server).
  Application(Router router, CorsPolicy cors, ClientAddressResolver addresses,
              std::string request_id_prefix = "req");

  // Either the final answer (preflight, 404, 405, bad target) or the route to run. On a route,
  // `request.path_params` has been filled.
  std::variant<Response, const Route*> route(Request& request) const;

  // Runs a handler, turning an escaped exception into a logged 500.
  static Response invoke(const Route& route, const Request& request) noexcept;

  // Adds the CORS grant when the request's Origin is allowed, and echoes the request id.
  void finish(const Request& request, Response& response) const {
    cors_.decorate(request, response);
    if (!request.request_id.empty()) response.header("X-Request-Id", request.request_id);
  }

  // The request's id: its X-Request-Id when a trusted proxy sent it and it is well-formed
  // (is_well_formed_request_id), else a new one. Logged with every line about the request and
  // echoed on the answer, so a proxy's, Gatehouse's and a client's logs can be joined.
  std::string request_id(const BeastRequest& message, std::string_view peer) const;

  const Router& router() const { return router_; }

  // A reverse proxy of TRUSTED_PROXIES: its connections carry many clients.
  bool is_trusted_proxy(std::string_view peer) const { return addresses_.is_trusted_proxy(peer); }

  // The client's address for a request from socket peer `peer` (see ClientAddressResolver).
  std::string client_address(const BeastRequest& message, std::string_view peer) const;

  // The path part of a request target ("/a/b?x=1" -> "/a/b"); empty for a target that is not in
  // origin form (the session answers 400).
  static std::string_view target_path(std::string_view target);

 private:
  Router router_;
  CorsPolicy cors_;
  ClientAddressResolver addresses_;
  std::unique_ptr<RequestIds> ids_;  // behind a pointer: it holds an atomic counter
};

}  // namespace gatehouse::http
