#pragma once

#include <string>

#include "docs/openapi.hpp"
#include "http/response.hpp"
#include "http/router.hpp"

namespace gatehouse::api {

// /openapi.json, /docs (Swagger UI) and /redoc (ReDoc), as FastAPI serves them; none of them when
// DOCS_ENABLED is off. The pages and their scripts are compiled in (core/embedded_files.hpp), and
// each page's Content-Security-Policy allows only Gatehouse's own scripts and API.
class DocsApi final {
 public:
  explicit DocsApi(bool enabled) : enabled_(enabled) {}

  void add_routes(http::Router& router) const;

  // Builds /openapi.json from the finished route table. Call once, before serving.
  void publish(const http::Router& router, const docs::DocumentInfo& info);

 private:
  bool enabled_;
  std::string document_;
};

}  // namespace gatehouse::api
