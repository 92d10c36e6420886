#pragma once

#include <boost/json/object.hpp>

#include <string>

#include "http/router.hpp"

namespace gatehouse::docs {

struct DocumentInfo {
  std::string title = "Gatehouse";
  std::string version;
  std::string description;  // CommonMark: what the server's settings make of the API
};

// The OpenAPI 3.1 document of every route of `router` whose Operation is in_document, built from
// the route table alone: paths in registration order, request bodies from the schemas the
// handlers validate with (http::json_schema), the routes' own answers plus those every route of
// its kind can give (HTTPValidationError 422, 413 and 415 for a JSON body; 401 for a route that
// needs an access token; 503 for a route that runs on a pool), and the security schemes of the
// credential each route reads. `schemas` are the components the routes' answers name.
//
// Throws std::logic_error when the routes contradict each other (two bodies of one name that
// differ, an answer naming a schema that is not there): a programming error found at start-up.
boost::json::object openapi_document(const http::Router& router, const DocumentInfo& info,
                                     boost::json::object schemas);

}  // namespace gatehouse::docs
