#include "docs/openapi.hpp"

#include <boost/beast/http/verb.hpp>
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace gatehouse::docs {

namespace bhttp = boost::beast::http;
namespace json = boost::json;

namespace {

json::object schema_ref(std::string_view schema) {
  return json::object{{"$ref", "#/components/schemas/" + std::string(schema)}};
}

// The shapes of error_response() and validation_response() (http/response.hpp): FastAPI's.
constexpr std::string_view kErrorSchemas = R"json({
  "HTTPError": {
    "title": "HTTPError",
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"]
  },
  "ValidationError": {
    "title": "ValidationError",
    "type": "object",
    "properties": {
      "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
      "msg": {"type": "string"},
      "type": {"type": "string"}
    },
    "required": ["loc", "msg", "type"]
  },
  "HTTPValidationError": {
    "title": "HTTPValidationError",
    "type": "object",
    "properties": {
      "detail": {"type": "array", "items": {"$ref": "#/components/schemas/ValidationError"}}
    },
    "required": ["detail"]
  }
})json";

json::object security_schemes() {
  return json::object{
      {"bearerAuth", json::object{{"type", "http"},
                                  {"scheme", "bearer"},
                                  {"bearerFormat", "JWT"},
                                  {"description",
                                   "Authorization: Bearer <token>: the access "
                                   "token, or the refresh token for /refresh."}}},
      {"accessCookie", json::object{{"type", "apiKey"},
                                    {"in", "cookie"},
                                    {"name", "access_token"},
                                    {"description",
                                     "The HttpOnly cookie that login and refresh set. A change "
                                     "sent with it from another site's page is refused (CSRF)."}}},
      {"refreshCookie", json::object{{"type", "apiKey"},
                                     {"in", "cookie"},
                                     {"name", "refresh_token"},
                                     {"description",
                                      "The HttpOnly cookie that login and "
                                      "refresh set."}}}};
}

json::array security(http::Credential credential) {
  const char* cookie =
      credential == http::Credential::kAccessToken ? "accessCookie" : "refreshCookie";
  return json::array{json::object{{"bearerAuth", json::array{}}},
                     json::object{{cookie, json::array{}}}};
}

// "post": OpenAPI's name of a method.
std::string lower_method(bhttp::verb method) {
  std::string name(bhttp::to_string(method));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return name;
}

// "post_api_auth_register": unique per method and path.
std::string operation_id(bhttp::verb method, std::string_view pattern) {
  std::string id = lower_method(method);
  bool gap = true;
  for (const char c : pattern) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      if (gap) id += '_';
      id += c;
      gap = false;
    } else {
      gap = true;
    }
  }
  return id;
}

// Adds a named schema, refusing a second, different one of the same name.
void add_schema(json::object& schemas, const std::string& name, json::object schema) {
  if (const json::value* existing = schemas.if_contains(name)) {
    if (*existing != schema) throw std::logic_error("two different schemas named " + name);
    return;
  }
  schemas[name] = std::move(schema);
}

json::object response_object(const http::ResponseDoc& doc, const json::object& schemas) {
  json::object r{{"description", doc.description}};
  if (!doc.headers.empty()) {
    json::object headers;
    for (const std::string& name : doc.headers) {
      if (name == "Set-Cookie") {
        headers[name] =
            json::object{{"description",
                          "The session cookies: access_token and refresh_token (HttpOnly), "
                          "logged_in (readable by scripts)."},
                         {"schema", json::object{{"type", "string"}}}};
      } else if (name == "Retry-After") {
        headers[name] = json::object{{"description", "Seconds to wait before trying again."},
                                     {"schema", json::object{{"type", "integer"}}}};
      } else {
        headers[name] = json::object{{"schema", json::object{{"type", "string"}}}};
      }
    }
    r["headers"] = std::move(headers);
  }
  if (!doc.schema.empty()) {
    if (!schemas.contains(doc.schema)) {
      throw std::logic_error("an answer names the unknown schema " + doc.schema);
    }
    r["content"] =
        json::object{{doc.content_type, json::object{{"schema", schema_ref(doc.schema)}}}};
  }
  return r;
}

// A parameter whose declaration contradicts itself would document what the handler does not do.
void check_parameter(const std::string& pattern, const http::ParameterDoc& p) {
  const auto fail = [&](std::string_view what) {
    throw std::logic_error(pattern + " parameter " + p.name + ": " + std::string(what));
  };
  if (p.in != "path" && p.in != "query") fail("is neither in the path nor in the query");
  if (p.integer) {
    if (!p.values.empty() || !p.default_value.empty()) fail("a whole number with string values");
    const http::IntegerRange& r = *p.integer;
    if (r.minimum > r.maximum) fail("an empty range");
    if (r.fallback && (*r.fallback < r.minimum || *r.fallback > r.maximum)) {
      fail("a default out of its range");
    }
  } else if (!p.default_value.empty() && !p.values.empty() &&
             std::find(p.values.begin(), p.values.end(), p.default_value) == p.values.end()) {
    fail("a default that is not one of its values");
  }
}

json::object operation_object(const http::Route& route, json::object& schemas) {
  const http::Operation& op = route.doc;
  json::object o;
  if (!op.tag.empty()) o["tags"] = json::array{json::string(op.tag)};
  o["summary"] = op.summary;
  if (!op.description.empty()) o["description"] = op.description;
  o["operationId"] = operation_id(route.method, route.pattern);

  if (!op.parameters.empty()) {
    json::array parameters;
    for (const http::ParameterDoc& p : op.parameters) {
      check_parameter(route.pattern, p);
      json::object schema;
      if (p.integer) {
        schema = {
            {"type", "integer"}, {"minimum", p.integer->minimum}, {"maximum", p.integer->maximum}};
        if (p.integer->fallback) schema["default"] = *p.integer->fallback;
      } else {
        schema = {{"type", "string"}};
        if (!p.values.empty()) {
          json::array values;
          for (const std::string& v : p.values) values.emplace_back(v);
          schema["enum"] = std::move(values);
        }
        if (!p.default_value.empty()) schema["default"] = p.default_value;
      }
      json::object parameter{{"name", p.name}, {"in", p.in}, {"required", p.in == "path"}};
      if (!p.description.empty()) parameter["description"] = p.description;
      parameter["schema"] = std::move(schema);
      parameters.push_back(std::move(parameter));
    }
    o["parameters"] = std::move(parameters);
  }

  if (!op.body.empty()) {
    for (const http::BodySchema& body : op.body) add_schema(schemas, body.name, json_schema(body));
    json::object schema;
    if (op.body.size() == 1) {
      schema = schema_ref(op.body.front().name);
    } else {
      json::array alternatives;
      for (const http::BodySchema& body : op.body) alternatives.push_back(schema_ref(body.name));
      schema["oneOf"] = std::move(alternatives);
    }
    o["requestBody"] = json::object{
        {"required", true},
        {"content", json::object{{"application/json", json::object{{"schema", schema}}}}}};
  }

  // The route's own answers first; then what every route of its kind may answer.
  std::vector<http::ResponseDoc> responses = op.responses;
  const auto add_default = [&](unsigned status, std::string schema, std::string description) {
    const bool declared =
        std::any_of(responses.begin(), responses.end(),
                    [&](const http::ResponseDoc& r) { return r.status == status; });
    if (!declared) {
      responses.push_back(
          {.status = status, .description = std::move(description), .schema = std::move(schema)});
    }
  };
  if (op.credential == http::Credential::kAccessToken) {
    add_default(401, "HTTPError",
                "You are not logged in / Token is invalid or has expired (also once its session "
                "ended) / User no longer exist / Please verify your account.");
    add_default(403, "HTTPError", "This account is disabled (an admin disabled it).");
  }
  if (!op.body.empty()) {
    add_default(413, "HTTPError", "Request body larger than MAX_BODY_BYTES.");
    add_default(415, "HTTPError",
                "The request body must be JSON (Content-Type: "
                "application/json).");
    add_default(422, "HTTPValidationError",
                "The body does not match the schema: every problem "
                "is listed.");
  }
  if (route.execution == http::Execution::kHashing) {
    add_default(503, "HTTPError",
                "Server busy: the password-hashing queue is full "
                "(HASH_QUEUE_LIMIT), or the database is unavailable. Retry "
                "after Retry-After.");
  } else if (route.execution == http::Execution::kWorker) {
    add_default(503, "HTTPError",
                "The database is unavailable, or the server is overloaded. "
                "Retry after Retry-After.");
  }
  std::stable_sort(
      responses.begin(), responses.end(),
      [](const http::ResponseDoc& a, const http::ResponseDoc& b) { return a.status < b.status; });
  json::object out;
  for (const http::ResponseDoc& r : responses) {
    const std::string status = std::to_string(r.status);
    if (out.contains(status)) {
      throw std::logic_error(o["operationId"].as_string().c_str() +
                             std::string(": two answers with status ") + status);
    }
    out[status] = response_object(r, schemas);
  }
  o["responses"] = std::move(out);
  if (op.credential != http::Credential::kNone) o["security"] = security(op.credential);
  return o;
}

}  // namespace

json::object openapi_document(const http::Router& router, const DocumentInfo& info,
                              json::object schemas) {
  const json::value errors = json::parse(kErrorSchemas);
  for (const auto& [name, schema] : errors.as_object()) schemas[name] = schema;
  json::object paths;
  json::array tags;
  for (const http::Route& route : router.routes()) {
    if (!route.doc.in_document) continue;
    if (route.doc.summary.empty()) {
      throw std::logic_error(route.pattern + " is documented without a summary");
    }
    json::value& item = paths[route.pattern];  // null when new
    if (!item.is_object()) item.emplace_object();
    item.as_object()[lower_method(route.method)] = operation_object(route, schemas);
    // Each tag once (OpenAPI: tag names are unique), in the order routes first use them.
    const json::value tag = json::object{{"name", route.doc.tag}};
    if (!route.doc.tag.empty() && std::find(tags.begin(), tags.end(), tag) == tags.end()) {
      tags.push_back(tag);
    }
  }
  json::object info_object{{"title", info.title}, {"version", info.version}};
  if (!info.description.empty()) info_object["description"] = info.description;
  return json::object{{"openapi", "3.1.0"},
                      {"info", std::move(info_object)},
                      {"tags", std::move(tags)},
                      {"paths", std::move(paths)},
                      {"components", json::object{{"schemas", std::move(schemas)},
                                                  {"securitySchemes", security_schemes()}}}};
}

}  // namespace gatehouse::docs
