#include "http/application.hpp"

#include <spdlog/spdlog.h>

#include <boost/url/parse.hpp>

namespace gatehouse::http {

Application::Application(Router router, CorsPolicy cors, ClientAddressResolver addresses,
                         std::string request_id_prefix)
    : router_(std::move(router)),
      cors_(std::move(cors)),
      addresses_(std::move(addresses)),
      ids_(std::make_unique<RequestIds>(std::move(request_id_prefix))) {}

std::string Application::request_id(const BeastRequest& message, std::string_view peer) const {
  if (addresses_.is_trusted_proxy(peer)) {
    const auto it = message.find("X-Request-Id");
    if (it != message.end()) {
      const std::string_view sent(it->value().data(), it->value().size());
      if (is_well_formed_request_id(sent)) return std::string(sent);
    }
  }
  return ids_->next();
}

std::string Application::client_address(const BeastRequest& message, std::string_view peer) const {
  if (message.find("X-Forwarded-For") == message.end()) return addresses_.resolve(peer, {});
  return addresses_.resolve(peer, join_field_lines(message, "X-Forwarded-For"));
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
  if (m.route->body == Body::kJson &&
      !is_json_media_type(request.header(boost::beast::http::field::content_type))) {
    return error_response(ErrorCode::kUnsupportedMediaType);
  }
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
