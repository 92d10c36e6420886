#include "http_client.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <set>

#include <gtest/gtest.h>
#include <unistd.h>

namespace gatehouse::e2e {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;

namespace {
std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}
// Runs one asynchronous operation on `ioc` to completion. The stream's expiry cancels it, so a
// silent server fails the call at the deadline (synchronous reads would ignore the expiry).
struct Completion {
  boost::system::error_code ec;
  std::size_t bytes = 0;
};
template <typename Start>
Completion run_async(asio::io_context& ioc, Start start) {
  Completion out;
  start([&out](boost::system::error_code ec, std::size_t bytes) { out = {ec, bytes}; });
  ioc.restart();
  ioc.run();
  return out;
}

// With GATEHOUSE_E2E_RESPONSES set to a folder, every answer is appended to a file of that
// folder as one JSON line (test, method, target, status, content type, and the body when it is
// JSON), for tests/openapi/check_openapi.py to check against /openapi.json.
void record(const std::string& method, const std::string& target, const HttpResult& result) {
  static const char* const folder = std::getenv("GATEHOUSE_E2E_RESPONSES");
  if (folder == nullptr || *folder == '\0') return;
  static std::mutex mutex;
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::string content_type = result.header("content-type").value_or("");
  boost::json::object line{
      {"test", info ? std::string(info->test_suite_name()) + "." + info->name() : ""},
      {"method", method},
      {"target", target},
      {"status", result.status},
      {"content_type", content_type},
  };
  if (content_type.starts_with("application/json")) line["body"] = result.body;
  const std::string text = boost::json::serialize(line) + "\n";
  const std::lock_guard lock(mutex);
  std::ofstream out(std::string(folder) + "/responses-" + std::to_string(::getpid()) + ".jsonl",
                    std::ios::app);
  out << text;
}

}  // namespace

boost::json::value HttpResult::json() const {
  return boost::json::parse(body);
}

std::string HttpResult::detail() const {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (ec || !v.is_object()) return "";
  auto* d = v.as_object().if_contains("detail");
  return d != nullptr && d->is_string() ? std::string(d->as_string()) : "";
}

std::optional<std::string> HttpResult::header(std::string_view name) const {
  const std::string n = lower(std::string(name));
  for (const auto& [k, v] : headers) {
    if (k == n) return v;
  }
  return std::nullopt;
}

std::vector<std::string> HttpResult::headers_named(std::string_view name) const {
  const std::string n = lower(std::string(name));
  std::vector<std::string> out;
  for (const auto& [k, v] : headers) {
    if (k == n) out.push_back(v);
  }
  return out;
}

std::map<std::string, std::string> HttpResult::set_cookies() const {
  std::map<std::string, std::string> out;
  for (const auto& line : headers_named("set-cookie")) {
    out[line.substr(0, line.find('='))] = line;
  }
  return out;
}

std::optional<std::string> HttpResult::cookie_value(std::string_view name) const {
  auto all = set_cookies();
  auto it = all.find(std::string(name));
  if (it == all.end()) return std::nullopt;
  const std::string& line = it->second;
  const auto eq = line.find('=');
  return line.substr(eq + 1, line.find(';') - eq - 1);
}

HttpClient::HttpClient(unsigned short port, std::chrono::seconds deadline)
    : stream_(ioc_), deadline_(deadline) {
  stream_.expires_after(deadline_);
  stream_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
}

HttpResult HttpClient::request(const std::string& method, const std::string& target,
                               const std::string& body,
                               const std::vector<std::pair<std::string, std::string>>& headers) {
  bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(method), target, 11};
  req.set(bhttp::field::host, "127.0.0.1");
  // A name given twice is sent as two header lines; the first replaces any default.
  std::set<std::string> given;
  for (const auto& [k, v] : headers) {
    if (given.insert(k).second) {
      req.set(k, v);
    } else {
      req.insert(k, v);
    }
  }
  req.body() = body;
  req.prepare_payload();
  stream_.expires_after(deadline_);
  if (auto w = run_async(ioc_, [&](auto done) { bhttp::async_write(stream_, req, done); }); w.ec) {
    throw boost::system::system_error(w.ec, method + " " + target + ": write");
  }
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(64 << 20);
  if (method == "HEAD") parser.skip(true);
  if (auto r =
          run_async(ioc_, [&](auto done) { bhttp::async_read(stream_, buffer, parser, done); });
      r.ec) {
    throw boost::system::system_error(r.ec, method + " " + target + ": read");
  }
  auto res = parser.release();
  HttpResult out;
  out.status = static_cast<int>(res.result_int());
  for (const auto& field : res) {
    out.headers.emplace_back(lower(std::string(field.name_string())), std::string(field.value()));
  }
  out.body = std::move(res.body());
  record(method, target, out);
  return out;
}

HttpResult HttpClient::post_json(const std::string& target, const boost::json::value& body,
                                 std::vector<std::pair<std::string, std::string>> headers) {
  headers.emplace_back("Content-Type", "application/json");
  return request("POST", target, boost::json::serialize(body), headers);
}

std::string raw_exchange(unsigned short port, const std::string& bytes, int timeout_ms) {
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  stream.expires_after(std::chrono::milliseconds(timeout_ms));
  // The write may fail once the server has answered and closed (a refused body): read anyway.
  (void)run_async(ioc, [&](auto done) { asio::async_write(stream, asio::buffer(bytes), done); });
  std::string out;
  char buf[4096];
  while (true) {
    const auto r =
        run_async(ioc, [&](auto done) { stream.async_read_some(asio::buffer(buf), done); });
    if (r.ec) break;
    out.append(buf, r.bytes);
  }
  return out;
}

}  // namespace gatehouse::e2e
