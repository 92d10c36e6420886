#include "api/health_api.hpp"

#include "api/api_schemas.hpp"
#include "api/api_support.hpp"

namespace gatehouse::api {

namespace bhttp = boost::beast::http;
namespace json = boost::json;

HealthApi::HealthApi(store::Store& store) : store_(store) {}

void HealthApi::add_routes(http::Router& router) const {
  router.add(
      bhttp::verb::get, "/api/healthchecker", http::Execution::kInline,
      [](const http::Request&) {
        return http::json_response(bhttp::status::ok, json::object{{"message", "Hello World"}});
      },
      {.summary = "Health check",
       .description = "The tutorial's liveness check: the process answers.",
       .tag = "Health",
       .responses = {doc::ok(200, "HealthResponse", "Alive.")}});
  router.add(bhttp::verb::get, "/api/readyz", http::Execution::kWorker,
             [this](const http::Request&) {
               if (auto st = store_.ping(); !st) return fail(st.error(), "readyz");
               return http::json_response(bhttp::status::ok,
                                          json::object{{"status", "ready"}, {"database", "ok"}});
             },
             {.summary = "Readiness check",
              .description = "Ready when the database answers: for load balancers.",
              .tag = "Health",
              .responses = {doc::ok(200, "ReadyResponse", "Ready.")}});
}

}  // namespace gatehouse::api
