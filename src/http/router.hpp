#pragma once

#include <boost/beast/http/verb.hpp>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
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

using Handler = std::function<Response(const Request&)>;

struct Route {
  boost::beast::http::verb method;
  std::string pattern;  // "/api/users/me/sessions/{id}": a `{...}` segment matches one segment
  Execution execution;
  Handler handler;
};

// Exact-path routing with `{param}` segments. Built once at start-up, then read-only (thread-safe).
class Router {
 public:
  void add(boost::beast::http::verb method, std::string pattern, Execution execution,
           Handler handler);

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
