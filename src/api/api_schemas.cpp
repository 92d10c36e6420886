#include "api/api_schemas.hpp"

#include <boost/json/parse.hpp>

namespace gatehouse::api::doc {

namespace json = boost::json;

namespace {

// Written as JSON text: the schemas read as they appear in the document.
constexpr std::string_view kSchemas = R"json({
  "UserResponse": {
    "title": "UserResponse",
    "description": "The tutorial's UserResponse. Never the password hash.",
    "type": "object",
    "properties": {
      "name": {"type": "string"},
      "email": {"type": "string", "format": "email"},
      "photo": {"type": ["string", "null"]},
      "id": {"type": "integer"},
      "created_at": {"type": "string", "format": "date-time"},
      "updated_at": {"type": "string", "format": "date-time"}
    },
    "required": ["name", "email", "photo", "id", "created_at", "updated_at"],
    "additionalProperties": false
  },
  "LoginResponse": {
    "title": "LoginResponse",
    "description": "Both tokens, also set as HttpOnly cookies (access_token, refresh_token) with the readable logged_in cookie.",
    "type": "object",
    "properties": {
      "status": {"const": "success"},
      "access_token": {"type": "string", "description": "A JWT, valid for ACCESS_TOKEN_EXPIRES_IN minutes."},
      "refresh_token": {"type": "string", "description": "Opaque; each refresh replaces it."}
    },
    "required": ["status", "access_token", "refresh_token"],
    "additionalProperties": false
  },
  "RefreshResponse": {
    "title": "RefreshResponse",
    "description": "A new access token and the refresh token that replaces the one sent (which is spent).",
    "type": "object",
    "properties": {
      "access_token": {"type": "string"},
      "refresh_token": {"type": "string"}
    },
    "required": ["access_token", "refresh_token"],
    "additionalProperties": false
  },
  "StatusResponse": {
    "title": "StatusResponse",
    "type": "object",
    "properties": {"status": {"const": "success"}},
    "required": ["status"],
    "additionalProperties": false
  },
  "LogoutResponse": {
    "title": "LogoutResponse",
    "type": "object",
    "properties": {
      "status": {"const": "success"},
      "sessions_ended": {"type": "integer", "minimum": 0, "description": "scope=others only: how many other sessions ended."}
    },
    "required": ["status"],
    "additionalProperties": false
  },
  "HealthResponse": {
    "title": "HealthResponse",
    "type": "object",
    "properties": {"message": {"const": "Hello World"}},
    "required": ["message"],
    "additionalProperties": false
  },
  "ReadyResponse": {
    "title": "ReadyResponse",
    "type": "object",
    "properties": {"status": {"const": "ready"}, "database": {"const": "ok"}},
    "required": ["status", "database"],
    "additionalProperties": false
  },
  "Session": {
    "title": "Session",
    "description": "One login of the user: a browser or device that holds a refresh token.",
    "type": "object",
    "properties": {
      "id": {"type": "string"},
      "created_at": {"type": "string", "format": "date-time"},
      "last_used_at": {"type": "string", "format": "date-time"},
      "expires_at": {"type": "string", "format": "date-time"},
      "user_agent": {"type": "string"},
      "ip": {"type": "string"},
      "current": {"type": "boolean", "description": "The session of the token that asked."}
    },
    "required": ["id", "created_at", "last_used_at", "expires_at", "user_agent", "ip", "current"],
    "additionalProperties": false
  },
  "AuditEvent": {
    "title": "AuditEvent",
    "description": "One security event of an account (the audit trail). `event` is one of the types listed in the README; `detail` says more (a failed login's reason, a logout's scope, a lockout's counter and length).",
    "type": "object",
    "properties": {
      "id": {"type": "integer", "description": "Orders the events; pass as `before` for older ones."},
      "at": {"type": "string", "format": "date-time"},
      "event": {"type": "string"},
      "user_id": {"type": ["integer", "null"]},
      "session_id": {"type": ["string", "null"]},
      "email": {"type": ["string", "null"], "description": "The account's address then (a failed login: the address tried)."},
      "ip": {"type": "string"},
      "user_agent": {"type": "string"},
      "detail": {"type": "string"},
      "actor_id": {"type": ["integer", "null"], "description": "An administrator who acted on the account, if it was not the user."}
    },
    "required": ["id", "at", "event", "user_id", "session_id", "email", "ip", "user_agent", "detail", "actor_id"],
    "additionalProperties": false
  },
  "AuditEventPage": {
    "title": "AuditEventPage",
    "type": "object",
    "properties": {
      "events": {"type": "array", "items": {"$ref": "#/components/schemas/AuditEvent"}},
      "next_before": {"type": ["integer", "null"], "description": "The `before` of the next page; null when this is the last."}
    },
    "required": ["events", "next_before"],
    "additionalProperties": false
  },
  "SessionList": {
    "title": "SessionList",
    "type": "object",
    "properties": {"sessions": {"type": "array", "items": {"$ref": "#/components/schemas/Session"}}},
    "required": ["sessions"],
    "additionalProperties": false
  },
  "AdminUser": {
    "title": "AdminUser",
    "description": "An account as an administrator sees it: the UserResponse fields with its role, verification and whether it is disabled. Never the password hash.",
    "type": "object",
    "properties": {
      "name": {"type": "string"},
      "email": {"type": "string", "format": "email"},
      "photo": {"type": ["string", "null"]},
      "id": {"type": "integer"},
      "created_at": {"type": "string", "format": "date-time"},
      "updated_at": {"type": "string", "format": "date-time"},
      "role": {"type": "string", "description": "user or admin."},
      "verified": {"type": "boolean"},
      "disabled": {"type": "boolean"},
      "disabled_at": {"type": ["string", "null"], "format": "date-time"}
    },
    "required": ["name", "email", "photo", "id", "created_at", "updated_at", "role", "verified", "disabled", "disabled_at"],
    "additionalProperties": false
  },
  "AdminUserPage": {
    "title": "AdminUserPage",
    "type": "object",
    "properties": {
      "users": {"type": "array", "items": {"$ref": "#/components/schemas/AdminUser"}},
      "page": {"type": "integer", "minimum": 1},
      "per_page": {"type": "integer", "minimum": 1, "maximum": 100},
      "total": {"type": "integer", "minimum": 0, "description": "How many accounts match, across every page."}
    },
    "required": ["users", "page", "per_page", "total"],
    "additionalProperties": false
  },
  "AdminSession": {
    "title": "AdminSession",
    "type": "object",
    "properties": {
      "id": {"type": "string"},
      "created_at": {"type": "string", "format": "date-time"},
      "last_used_at": {"type": "string", "format": "date-time"},
      "expires_at": {"type": "string", "format": "date-time"},
      "user_agent": {"type": "string"},
      "ip": {"type": "string"}
    },
    "required": ["id", "created_at", "last_used_at", "expires_at", "user_agent", "ip"],
    "additionalProperties": false
  },
  "AdminSessionList": {
    "title": "AdminSessionList",
    "type": "object",
    "properties": {"sessions": {"type": "array", "items": {"$ref": "#/components/schemas/AdminSession"}}},
    "required": ["sessions"],
    "additionalProperties": false
  },
  "AdminLogoutResponse": {
    "title": "AdminLogoutResponse",
    "type": "object",
    "properties": {
      "status": {"const": "success"},
      "sessions_ended": {"type": "integer", "minimum": 0}
    },
    "required": ["status", "sessions_ended"],
    "additionalProperties": false
  },
  "AdminEventPage": {
    "title": "AdminEventPage",
    "type": "object",
    "properties": {
      "events": {"type": "array", "items": {"$ref": "#/components/schemas/AuditEvent"}},
      "page": {"type": "integer", "minimum": 1},
      "per_page": {"type": "integer", "minimum": 1, "maximum": 100},
      "has_more": {"type": "boolean", "description": "Whether the next page has events."}
    },
    "required": ["events", "page", "per_page", "has_more"],
    "additionalProperties": false
  },
  "JWK": {
    "title": "JWK",
    "description": "RFC 7517 public key: RSA (n, e), EC P-256 (crv, x, y) or Ed25519 (OKP: crv, x). Never a private member.",
    "type": "object",
    "properties": {
      "kty": {"enum": ["RSA", "EC", "OKP"]},
      "kid": {"type": "string", "description": "RFC 7638 thumbprint; the kid of the tokens it verifies."},
      "use": {"const": "sig"},
      "alg": {"enum": ["RS256", "ES256", "EdDSA"]},
      "n": {"type": "string"},
      "e": {"type": "string"},
      "crv": {"enum": ["P-256", "Ed25519"]},
      "x": {"type": "string"},
      "y": {"type": "string"}
    },
    "required": ["kty", "kid", "use", "alg"],
    "not": {"anyOf": [{"required": ["d"]}, {"required": ["p"]}, {"required": ["q"]}]}
  },
  "JWKSet": {
    "title": "JWKSet",
    "type": "object",
    "properties": {"keys": {"type": "array", "items": {"$ref": "#/components/schemas/JWK"}}},
    "required": ["keys"],
    "additionalProperties": false
  }
})json";

}  // namespace

json::object response_schemas() {
  return json::parse(kSchemas).as_object();
}

http::ResponseDoc ok(unsigned status, std::string schema, std::string description) {
  return http::ResponseDoc{
      .status = status, .description = std::move(description), .schema = std::move(schema)};
}

http::ResponseDoc error(unsigned status, std::string description) {
  return ok(status, "HTTPError", std::move(description));
}

http::ResponseDoc too_many(std::string what) {
  http::ResponseDoc r = error(429, "Too many " + std::move(what) +
                                       "; Retry-After says how long "
                                       "to wait (rate limits).");
  r.headers.push_back("Retry-After");
  return r;
}

http::ResponseDoc cross_site() {
  return error(403,
               "Sent with a cookie from a page of another site (CSRF): use the Authorization "
               "header, or send it from an allowed origin (CLIENT_ORIGIN). Also: This account "
               "is disabled (an admin disabled it).");
}

http::ResponseDoc with_session_cookies(http::ResponseDoc response) {
  response.headers.push_back("Set-Cookie");
  return response;
}

}  // namespace gatehouse::api::doc
