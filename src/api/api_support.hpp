#pragma once

#include <boost/json/object.hpp>

#include <chrono>

#include "core/error.hpp"
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

}  // namespace gatehouse::api
