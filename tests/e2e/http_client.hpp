#pragma once

#include <chrono>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/json/value.hpp>

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace gatehouse::e2e {

struct HttpResult {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;

  boost::json::value json() const;
  std::string detail() const;  // body's "detail" when it is a string, else ""
  std::optional<std::string> header(std::string_view name) const;
  std::vector<std::string> headers_named(std::string_view name) const;
  // Set-Cookie values by cookie name (the raw header line).
  std::map<std::string, std::string> set_cookies() const;
  // The value of cookie `name` in a Set-Cookie, if any.
  std::optional<std::string> cookie_value(std::string_view name) const;
};

// A small synchronous HTTP/1.1 client over one keep-alive connection to 127.0.0.1:port. Each
// request (connect to last byte) must finish within `deadline`, or it throws: a hung server fails
// a test in seconds.
class HttpClient {
 public:
  static constexpr std::chrono::seconds kDefaultDeadline{20};

  explicit HttpClient(unsigned short port, std::chrono::seconds deadline = kDefaultDeadline);

  HttpResult request(const std::string& method, const std::string& target,
                     const std::string& body = "",
                     const std::vector<std::pair<std::string, std::string>>& headers = {});
  HttpResult get(const std::string& target,
                 const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    return request("GET", target, "", headers);
  }
  HttpResult post_json(const std::string& target, const boost::json::value& body,
                       std::vector<std::pair<std::string, std::string>> headers = {});

 private:
  boost::asio::io_context ioc_;
  boost::beast::tcp_stream stream_;
  std::chrono::seconds deadline_;
};

// Sends raw bytes on a fresh connection and returns what the server sends back before closing
// (or before `timeout_ms`).
std::string raw_exchange(unsigned short port, const std::string& bytes, int timeout_ms = 3000);

}  // namespace gatehouse::e2e
