#pragma once

#include <boost/beast/http/status.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace gatehouse::http {

// What a handler returns: status, a JSON body and extra headers. The session adds the framing
// headers (Content-Length, Connection, Date, CORS).
//
// Headers go in through `header()`, which keeps each field valid on the wire (RFC 9110 §5.3): a
// browser refuses an answer whose single-valued field (`Access-Control-Allow-Origin`, say) comes
// twice, so setting such a field again replaces it. Two fields have rules of their own:
// `Set-Cookie` repeats, one line per cookie (RFC 6265 §3), and `Vary` is a list, kept on one line
// with each member once. Names compare case-insensitively.
class Response {
 public:
  using Headers = std::vector<std::pair<std::string, std::string>>;

  Response() = default;
  Response(boost::beast::http::status code, std::string json_body)
      : status(code), body(std::move(json_body)) {}

  boost::beast::http::status status = boost::beast::http::status::ok;
  std::string body;  // serialized JSON

  // Sets `name` to `value` (see the class comment for Set-Cookie and Vary).
  Response& header(std::string_view name, std::string_view value);
  // The value of `name`, or nullopt (for Set-Cookie: the first one).
  std::optional<std::string_view> header_value(std::string_view name) const;
  // Every header, each single-valued name once, in the order first set.
  const Headers& headers() const { return headers_; }

  // RFC 6749 section 5.1: answers carrying tokens must not be cached.
  Response& no_store() { return header("Cache-Control", "no-store"); }

 private:
  Headers headers_;
};

Response json_response(boost::beast::http::status status, const boost::json::value& body);

// `{"detail": "<message from the error table>"}` with the mapped status; 429 and 503 answers get
// a Retry-After. The error's `internal` text is not sent (the caller logs it).
Response error_response(const Error& error);
Response error_response(ErrorCode code);

// One item of FastAPI's 422 list: {"loc": ["body", field], "msg": ..., "type": ...}.
struct ValidationIssue {
  std::vector<std::string> loc;
  std::string msg;
  std::string type;
};
Response validation_response(const std::vector<ValidationIssue>& issues);

// Set-Cookie attributes. Defaults are the tutorial's: Path=/, SameSite=lax, not Secure.
struct CookieOptions {
  bool http_only = true;
  bool secure = false;
  std::string same_site = "lax";
  std::string domain;  // empty: host-only
  std::string path = "/";
};

// "name=value; HttpOnly; Max-Age=N; Path=/; SameSite=lax; Expires=<now+N>" (Starlette's order).
std::string set_cookie(std::string_view name, std::string_view value, std::chrono::seconds max_age,
                       const CookieOptions& options, std::chrono::system_clock::time_point now);
// A Set-Cookie that deletes `name` (empty value, Max-Age=0, Expires in 1970).
std::string clear_cookie(std::string_view name, const CookieOptions& options);

// RFC 7231 IMF-fixdate, e.g. "Thu, 26 Nov 2026 23:04:47 GMT".
std::string http_date(std::chrono::system_clock::time_point t);

}  // namespace gatehouse::http
