#pragma once

#include <boost/beast/http/verb.hpp>

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "http/operation.hpp"
#include "http/request.hpp"
#include "http/response.hpp"

namespace gatehouse::http {

// Where a handler runs. Handlers are plain functions from request to response; the session moves
// those that block (database, RSA signing, password hashing) off the I/O threads.
enum class Execution {
  kInline,   // cheap and non-blocking: runs on the I/O thread
  kWorker,   // database calls and token signing: the worker pool
  kHashing,  // password hashing: the bounded hashing pool (503 when its queue is full)
};

// What a route reads from the request body. kJson: the body is only taken with a JSON media
// type (application/json or application/*+json, any parameters); anything else gets 415 before
// the handler runs. Besides telling a client its mistake, this closes login CSRF: a cross-site
// HTML form or no-cors fetch can send text/plain or form bodies without a CORS preflight, never
// JSON.
enum class Body { kNone, kJson };

// True for a Content-Type value naming JSON, as above.
bool is_json_media_type(std::string_view content_type);

using Handler = std::function<Response(const Request&)>;

struct Route {
  boost::beast::http::verb method;
  std::string pattern;  // "/api/users/me/sessions/{id}": a `{...}` segment matches one segment
  Execution execution;
  Handler handler;
  Body body = Body::kNone;  // kJson exactly when the operation declares a body
  Operation doc;
  std::size_t id = 0;  // the route's index in its router (metrics keep per-route series by it)
};

// Exact-path routing with `{param}` segments. Built once at start-up, then read-only (thread-safe).
class Router {
 public:
  void add(boost::beast::http::verb method, std::string pattern, Execution execution,
           Handler handler, Operation doc);

  // In registration order (the order the document lists them).
  const std::vector<Route>& routes() const { return routes_; }

  struct Match {
    const Route* route = nullptr;            // null: see `error`
    ErrorCode error = ErrorCode::kNotFound;  // kNotFound or kMethodNotAllowed when no route
    std::vector<std::string> params;
  };
  // HEAD matches GET routes (the session drops the body).
  Match match(boost::beast::http::verb method, std::string_view path) const;

 private:
  std::vector<Route> routes_;
};

}  // namespace gatehouse::http
