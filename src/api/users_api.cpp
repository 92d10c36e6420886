#include "api/users_api.hpp"

#include "api/api_schemas.hpp"
#include "api/api_support.hpp"

namespace gatehouse::api {

namespace bhttp = boost::beast::http;

UsersApi::UsersApi(const auth::Authenticator& authenticator) : authenticator_(authenticator) {}

void UsersApi::add_routes(http::Router& router) const {
  router.add(bhttp::verb::get, "/api/users/me", http::Execution::kWorker,
             [this](const http::Request& r) { return me(r); },
             {.summary = "Get me",
              .description = "The account of the access token's user.",
              .tag = "Users",
              .credential = http::Credential::kAccessToken,
              .responses = {doc::ok(200, "UserResponse", "The user.")}});
}

http::Response UsersApi::me(const http::Request& request) const {
  auto principal = authenticator_.authenticate(request);
  if (!principal) return fail(principal.error(), "me");
  return http::json_response(bhttp::status::ok, user_json(principal->user));
}

}  // namespace gatehouse::api
