#include "http/application.hpp"

#include <spdlog/spdlog.h>

#include <boost/url/parse.hpp>

namespace gatehouse::http {

Application::Application(Router router, CorsPolicy cors, ClientAddressResolver addresses)
    : router_(std::move(router)), cors_(std::move(cors)), addresses_(std::move(addresses)) {}

std::string Application::client_address(const BeastRequest& message, std::string_view peer) const {
  auto xff = message.find("X-Forwarded-For");
  return addresses_.resolve(
      peer, xff == message.end() ? std::string_view{} : std::string_view(xff->value()));
}

std::string_view Application::target_path(std::string_view target) {
  auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed) return {};
  const auto path = parsed->encoded_path();
  return std::string_view(path.data(), path.size());
}

std::variant<Response, const Route*> Application::route(Request& request) const {
  if (request.path.empty()) return error_response(ErrorCode::kBadRequest);
  if (auto preflight = cors_.preflight(request)) return std::move(*preflight);
  Router::Match m = router_.match(request.message.method(), request.path);
  if (m.route == nullptr) return error_response(m.error);
  request.path_params = std::move(m.params);
  return m.route;
}

Response Application::invoke(const Route& route, const Request& request) noexcept {
  try {
    return route.handler(request);
  } catch (const std::exception& e) {
    spdlog::error("{} {}: unhandled exception: {}",
                  std::string_view(request.message.method_string()), request.path, e.what());
  } catch (...) {
    spdlog::error("{} {}: unhandled non-standard exception",
                  std::string_view(request.message.method_string()), request.path);
  }
  try {
    return error_response(ErrorCode::kInternal);
  } catch (...) {
    return Response(boost::beast::http::status::internal_server_error, "{}");
  }
}

}  // namespace gatehouse::http
