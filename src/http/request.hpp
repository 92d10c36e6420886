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
  std::string request_id;                // X-Request-Id (Application::request_id)

  std::string_view header(boost::beast::http::field name) const;
  std::string_view header(std::string_view name) const;
  // The cookie called `name` across every Cookie header (surrounding quotes removed); nullopt
  // when it is absent or sent more than once (see cookie_lookup).
  std::optional<std::string_view> cookie(std::string_view name) const;
  // A name sent twice is ambiguous: a sibling subdomain or an attacker on plain HTTP can plant a
  // second cookie of that name ("cookie tossing"), and which one a server picks decides whose
  // session it acts in. Neither is used.
  struct CookieLookup {
    enum class State { kAbsent, kOne, kSeveral };
    State state = State::kAbsent;
    std::string_view value;  // for kOne
  };
  CookieLookup cookie_lookup(std::string_view name) const;
};

// Where a credential was found, following fastapi-jwt-auth with token_location {headers, cookies}:
// a non-empty Authorization header wins and must be "Bearer <token>" (the scheme name in any
// case, RFC 9110 §11.1); without one, the cookie is used. A cookie sent twice is kAmbiguous and
// refused like a malformed header.
struct ExtractedToken {
  enum class Kind { kMissing, kMalformedHeader, kAmbiguousCookie, kFromHeader, kFromCookie };
  Kind kind = Kind::kMissing;
  std::string_view token;
};
ExtractedToken extract_token(const Request& request, std::string_view cookie_name);

// Cookie header parsing, exposed for tests: the value of the first `name` in one header value.
std::optional<std::string_view> find_cookie(std::string_view cookie_header, std::string_view name);

}  // namespace gatehouse::http
