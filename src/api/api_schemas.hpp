#pragma once

#include <boost/json/object.hpp>

#include <string>

#include "http/operation.hpp"

// The shapes of the API's answers, for the OpenAPI document, and the answers several routes share.
// The end-to-end tests check every answer they receive against these schemas, so a handler that
// changes a shape without changing its schema fails there.
namespace gatehouse::api::doc {

// Every schema a route of api/ names in a ResponseDoc, by name (the document's components).
boost::json::object response_schemas();

// A JSON answer with schema `schema`.
http::ResponseDoc ok(unsigned status, std::string schema, std::string description);
// {"detail": "..."} with `status`.
http::ResponseDoc error(unsigned status, std::string description);
// 429 with Retry-After.
http::ResponseDoc too_many(std::string what);
// 403 for a change sent with a cookie from another site's page (CSRF), or by a disabled account.
http::ResponseDoc cross_site();
// The answer that sets the session cookies (and carries tokens: no-store).
http::ResponseDoc with_session_cookies(http::ResponseDoc response);

}  // namespace gatehouse::api::doc
