#pragma once

#include <boost/json/object.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/audit_trail.hpp"
#include "auth/authenticator.hpp"
#include "core/error.hpp"
#include "http/body_validator.hpp"
#include "http/cors.hpp"
#include "http/operation.hpp"
#include "http/request.hpp"
#include "http/response.hpp"
#include "store/store.hpp"

namespace gatehouse::api {

// Logs the real reason of a failure (warn for 5xx, debug otherwise) and answers the generic one
// from the error table.
http::Response fail(const Error& error, std::string_view what);

// The tutorial's UserResponse (pydantic field order: name, email, photo, id, created_at,
// updated_at); times in ISO 8601 UTC. Never the password hash.
boost::json::object user_json(const store::User& user);

// "2026-11-26T23:04:47+00:00"
std::string iso8601_utc(SysTime t);

// The caller of a route that changes something: authenticated (Authenticator) and, when the access
// token came in a cookie, not sent from another site's page (CSRF: kForbidden).
Result<auth::Principal> authenticate_change(const auth::Authenticator& authenticator,
                                            const http::Request& request,
                                            const http::CorsPolicy& origins);

// The value of query parameter `name` (percent-decoded; the first when repeated); nullopt when
// absent.
std::optional<std::string> query_param(const http::Request& request, std::string_view name);

// Reads a request's query and path parameters, collecting every problem into FastAPI's 422 list
// (`loc` ["query", name] or ["path", name]), so a client sees them all at once.
// Query parameters are read through the ParameterDoc that documents them, so /openapi.json shows
// the bounds and values that are enforced.
// Example:
//   const http::ParameterDoc kPage{.name = "page", .in = "query",
//                                  .integer = http::IntegerRange{1, 1000, 1}};
//   ParamReader params(request);
//   const std::int64_t id = params.path_integer(0, kAccountId);
//   const std::int64_t page = *params.integer(kPage);
//   if (!params.ok()) return params.response();
class ParamReader {
 public:
  explicit ParamReader(const http::Request& request) : request_(request) {}

  // Query parameter `param`, a whole number in param.integer (1 and up when that is unset);
  // the range's fallback when absent or wrong.
  std::optional<std::int64_t> integer(const http::ParameterDoc& param);
  // Query parameter `param`, one of param.values; its default_value (nullopt when it has none)
  // when absent, nullopt when wrong.
  std::optional<std::string> one_of(const http::ParameterDoc& param);
  // Path parameter number `index` (declared `{param.name}`), a whole number in param.integer (1
  // and up when that is unset); 0 when wrong.
  std::int64_t path_integer(std::size_t index, const http::ParameterDoc& param);
  // Query parameter `name` as text; nullopt when absent.
  std::optional<std::string> text(std::string_view name) const {
    return query_param(request_, name);
  }
  // Records a problem with query parameter `name`.
  void refuse(std::string_view name, std::string msg, std::string type);

  bool ok() const { return issues_.empty(); }
  http::Response response() const { return http::validation_response(issues_); }

 private:
  // `text`, the value of `param` at `location` ("query" or "path"), as a whole number in
  // param.integer; nullopt, with the problem recorded, when it is not one.
  std::optional<std::int64_t> whole_number_in(std::string_view location, std::string_view text,
                                              const http::ParameterDoc& param);

  const http::Request& request_;
  std::vector<http::ValidationIssue> issues_;
};

// Where the request came from, as the audit trail records it (views into `request`).
auth::ClientInfo client_info(const http::Request& request);

// 429 with the real wait (at least 1 s), so clients back off for as long as they must.
http::Response too_many(std::chrono::seconds retry_after);

// E-mail addresses are kept and compared in lower case (the tutorial lowers them too).
std::string lower_ascii(std::string s);

// The tutorial's VARCHAR(255) columns: longer values get a 422 instead of a database error.
inline constexpr std::size_t kMaxColumnChars = 255;

// Body fields several routes take (validated and documented from these).
http::FieldSpec email_field(std::string description);
http::FieldSpec password_field(std::string name, std::size_t min_chars, std::size_t max_bytes,
                               std::string description);

}  // namespace gatehouse::api
