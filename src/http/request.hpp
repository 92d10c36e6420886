#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::http {

using BeastRequest = boost::beast::http::request<boost::beast::http::string_body>;

// What a handler sees of a request: the parsed message plus what the session knows about the
// connection. A view: valid only while the session holds the message.
struct Request {
  const BeastRequest& message;
  std::string_view path;                 // target without the query string
  std::string client_ip;                 // peer, or X-Forwarded-For behind a trusted proxy
  std::vector<std::string> path_params;  // values of `{name}` segments, in order

  std::string_view header(boost::beast::http::field name) const;
  std::string_view header(std::string_view name) const;
  // The first cookie called `name` in any Cookie header (surrounding quotes removed).
  std::optional<std::string_view> cookie(std::string_view name) const;
};

// Where a credential was found, following fastapi-jwt-auth with token_location {headers, cookies}:
// a non-empty Authorization header wins and must be exactly "Bearer <token>"; without one, the
// cookie is used.
struct ExtractedToken {
  enum class Kind { kMissing, kMalformedHeader, kFromHeader, kFromCookie };
  Kind kind = Kind::kMissing;
  std::string_view token;
};
ExtractedToken extract_token(const Request& request, std::string_view cookie_name);

// Cookie header parsing, exposed for tests: the value of `name` in one header value.
std::optional<std::string_view> find_cookie(std::string_view cookie_header, std::string_view name);

}  // namespace gatehouse::http
