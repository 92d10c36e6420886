#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "http/body_validator.hpp"

namespace gatehouse::http {

// Which credential a route reads; the OpenAPI document names the security schemes from it.
enum class Credential {
  kNone,
  kAccessToken,   // Authorization: Bearer <access token> or the access_token cookie
  kRefreshToken,  // Authorization: Bearer <refresh token> or the refresh_token cookie
};

// One documented answer of a route. `schema` names a schema of the document's components
// ("UserResponse"); empty for an answer whose body is not JSON (content_type says what it is).
struct ResponseDoc {
  unsigned status = 200;
  std::string description;
  std::string schema;
  std::string content_type = "application/json";
  std::vector<std::string> headers;  // response headers worth naming: "Set-Cookie", "Retry-After"
};

// The bounds of a whole-number parameter.
struct IntegerRange {
  std::int64_t minimum = 1;
  std::int64_t maximum = std::numeric_limits<std::int64_t>::max();
  std::optional<std::int64_t> fallback;  // the value when the parameter is absent
};

// A parameter of the path ("/api/users/me/sessions/{id}" declares "id") or the query: a string,
// one of a fixed set of `values`, or a whole number in `integer`. Handlers read query parameters
// through this same declaration (api::ParamReader::integer and one_of), so the documented bounds
// and values are the enforced ones.
struct ParameterDoc {
  std::string name;
  std::string in = "path";  // "path" (always required) or "query" (optional)
  std::string description;
  std::vector<std::string> values;  // the values allowed, when they are a fixed set
  std::string default_value;        // the value when absent (empty: none; not for integers)
  std::optional<IntegerRange> integer;
};

// What a route is, for people and client generators: it is declared where the route is
// registered, and /openapi.json is built from the route table alone (docs/openapi.hpp), so the
// document cannot drift from the routes. `body` is also the schema the handler validates with
// (BodyValidator::read), so the documented limits are the enforced ones.
struct Operation {
  std::string summary;
  std::string description;
  std::string tag;
  // The JSON request body: one schema, or several alternatives (oneOf). Empty: no body, and the
  // route never reads one. Non-empty: the body must be JSON (415 otherwise, see Body).
  std::vector<BodySchema> body;
  Credential credential = Credential::kNone;
  std::vector<ParameterDoc> parameters;
  // The route's own answers; the document adds the ones every route of its kind can give (422,
  // 413 and 415 for a JSON body, 503 for a route that runs on a pool).
  std::vector<ResponseDoc> responses;
  // False for what is not part of the API (HTML pages, the docs themselves), as FastAPI's
  // include_in_schema=False.
  bool in_document = true;
};

}  // namespace gatehouse::http
