#include "api/docs_api.hpp"

#include <boost/json/serialize.hpp>

#include "api/api_schemas.hpp"
#include "core/embedded_files.hpp"

namespace gatehouse::api {

namespace bhttp = boost::beast::http;

namespace {

// What the pages may load: their own scripts and styles (the bundles set inline styles), images
// and fonts inlined as data: URIs, the API itself, and ReDoc's search worker (a blob:).
constexpr std::string_view kDocsPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src blob:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

struct DocsAsset {
  std::string_view path;  // where it is served
  const std::vector<embedded::EmbeddedFile>& (*files)();
  std::string_view filename;
  std::string_view content_type;
};

constexpr DocsAsset kDocsAssets[] = {
    {"/docs", embedded::docs_page_files, "swagger.html", "text/html; charset=utf-8"},
    {"/docs/swagger-init.js", embedded::docs_page_files, "swagger-init.js",
     "text/javascript; charset=utf-8"},
    {"/docs/swagger-ui-bundle.js", embedded::docs_asset_files, "swagger-ui-bundle.js",
     "text/javascript; charset=utf-8"},
    {"/docs/swagger-ui.css", embedded::docs_asset_files, "swagger-ui.css",
     "text/css; charset=utf-8"},
    {"/redoc", embedded::docs_page_files, "redoc.html", "text/html; charset=utf-8"},
    {"/redoc/redoc.standalone.js", embedded::docs_asset_files, "redoc.standalone.js",
     "text/javascript; charset=utf-8"},
};

http::Response serve_docs_asset(const DocsAsset& asset) {
  for (const embedded::EmbeddedFile& file : asset.files()) {
    if (file.filename != asset.filename) continue;
    http::Response r(bhttp::status::ok, std::string(file.content));
    r.header("Content-Type", asset.content_type);
    r.header("X-Content-Type-Options", "nosniff");
    if (asset.content_type.starts_with("text/html")) {
      r.header("Content-Security-Policy", kDocsPolicy);
      r.header("Referrer-Policy", "no-referrer");
      r.header("Cache-Control", "no-cache");
    } else {
      r.header("Cache-Control", "public, max-age=3600");
    }
    return r;
  }
  // A name kDocsAssets gives and the build did not embed: the unit tests would fail first.
  return http::error_response(ErrorCode::kNotFound);
}

}  // namespace

void DocsApi::add_routes(http::Router& router) const {
  if (!enabled_) return;
  router.add(bhttp::verb::get, "/openapi.json", http::Execution::kInline,
             [this](const http::Request&) {
               http::Response r(bhttp::status::ok, document_);
               r.header("Cache-Control", "no-cache");
               return r;
             },
             {.summary = "The OpenAPI document", .in_document = false});
  for (const DocsAsset& asset : kDocsAssets) {
    router.add(
        bhttp::verb::get, std::string(asset.path), http::Execution::kInline,
        [&asset](const http::Request&) { return serve_docs_asset(asset); },
        {.summary = "API documentation " + std::string(asset.filename), .in_document = false});
  }
}

void DocsApi::publish(const http::Router& router, const docs::DocumentInfo& info) {
  if (!enabled_) return;
  document_ = boost::json::serialize(docs::openapi_document(router, info, doc::response_schemas()));
}

}  // namespace gatehouse::api
