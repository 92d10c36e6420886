#include "api/keys_api.hpp"

#include "api/api_schemas.hpp"
#include "api/api_support.hpp"

namespace gatehouse::api {

namespace bhttp = boost::beast::http;

KeysApi::KeysApi(const keys::KeyRing& keys, std::chrono::seconds max_age)
    : keys_(keys), cache_control_("public, max-age=" + std::to_string(max_age.count())) {}

void KeysApi::add_routes(http::Router& router) const {
  router.add(bhttp::verb::get, "/.well-known/jwks.json", http::Execution::kInline,
             [this](const http::Request&) {
               http::Response response(bhttp::status::ok, keys_.current()->jwks_json());
               response.header("Cache-Control", cache_control_);
               return response;
             },
             {.summary = "Public signing keys (JWKS)",
              .description = "RFC 7517 JWK Set for resource servers that verify access tokens "
                             "themselves: the signing key, keys whose tokens may still be live "
                             "and the next key. Cache it for max-age (JWKS_MAX_AGE_SECONDS) and "
                             "fetch it again on an unknown kid.",
              .tag = "Keys",
              .responses = {doc::ok(200, "JWKSet", "The keys.")}});
}

}  // namespace gatehouse::api
