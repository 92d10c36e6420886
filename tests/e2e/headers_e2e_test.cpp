// End-to-end: the framing of every route's answers, normal, error and preflight. A browser
// refuses an answer whose single-valued header comes twice (RFC 9110 §5.3): a repeated
// Access-Control-Allow-Origin once kept every browser app from logging in.
#include <gtest/gtest.h>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <map>
#include <string>
#include <vector>

#include "http_client.hpp"
#include "server_process.hpp"

namespace gatehouse::e2e {
namespace {

namespace json = boost::json;
namespace bhttp = boost::beast::http;

constexpr const char* kOrigin = "http://localhost:3000";

// Fields that may repeat: one Set-Cookie per cookie (RFC 6265). Every other field Gatehouse
// sends is single-valued or a list it must send on one line (Vary).
bool may_repeat(const std::string& lower_name) {
  return lower_name == "set-cookie";
}

// Parses a whole HTTP/1.1 answer received as raw bytes (for answers that close the connection).
HttpResult parse_raw(const std::string& raw) {
  bhttp::response_parser<bhttp::string_body> parser;
  parser.eager(true);
  boost::system::error_code ec;
  parser.put(boost::asio::buffer(raw), ec);
  HttpResult out;
  if (ec && ec != bhttp::error::need_more) return out;
  if (!parser.is_header_done()) return out;
  auto res = parser.release();
  out.status = static_cast<int>(res.result_int());
  for (const auto& field : res) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  out.body = std::move(res.body());
  return out;
}

class HeaderFraming : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = test_env(free_port());
    env_["LOGIN_FREE_FAILURES"] = "1";  // a 429 after two wrong passwords
    env_["MAX_BODY_BYTES"] = "4096";
    server_ = std::make_unique<ServerProcess>(dir_.path(), env_);
    ASSERT_TRUE(server_->ready()) << server_->log();
  }

  // Checks one answer; `what` names it in failures.
  void check(const std::string& what, const HttpResult& r) {
    ASSERT_NE(r.status, 0) << what << ": no parsable answer";
    checked_.push_back(what);
    std::map<std::string, int> counts;
    for (const auto& [name, value] : r.headers) ++counts[name];
    for (const auto& [name, count] : counts) {
      if (!may_repeat(name)) {
        EXPECT_EQ(count, 1) << what << ": '" << name << "' repeated";
      }
    }
    if (!r.body.empty()) {
      EXPECT_EQ(counts["content-type"], 1) << what << ": a body without Content-Type";
    }
  }

  std::vector<std::pair<std::string, std::string>> from_client(
      std::vector<std::pair<std::string, std::string>> more = {}) {
    more.emplace_back("Origin", kOrigin);
    return more;
  }

  TempDir dir_;
  std::map<std::string, std::string> env_;
  std::unique_ptr<ServerProcess> server_;
  std::vector<std::string> checked_;
};

TEST_F(HeaderFraming, NoSingleValuedHeaderIsRepeatedOnAnyRoute) {
  HttpClient c(server_->port());
  const std::string email = "framing@example.com";
  const json::object user{{"name", "Framing"},
                          {"email", email},
                          {"photo", "p.png"},
                          {"password", kPassword},
                          {"passwordConfirm", kPassword}};

  // Preflights of every route, from the client's origin and from a foreign one.
  for (const char* path : {"/api/auth/register", "/api/auth/login", "/api/auth/refresh",
                           "/api/auth/logout", "/api/users/me", "/api/users/me/sessions",
                           "/api/users/me/sessions/abc", "/api/healthchecker", "/api/readyz"}) {
    for (const char* origin : {kOrigin, "http://evil.example"}) {
      auto r = c.request("OPTIONS", path, "",
                         {{"Origin", origin},
                          {"Access-Control-Request-Method", "POST"},
                          {"Access-Control-Request-Headers", "content-type, authorization"}});
      check(std::string("preflight ") + path + " from " + origin, r);
    }
  }
  auto pre = c.request("OPTIONS", "/api/auth/register", "",
                       {{"Origin", kOrigin}, {"Access-Control-Request-Method", "POST"}});
  EXPECT_EQ(pre.status, 200);
  EXPECT_EQ(pre.headers_named("access-control-allow-origin"), std::vector<std::string>{kOrigin});
  EXPECT_EQ(pre.headers_named("vary"), std::vector<std::string>{"Origin"});

  check("healthchecker", c.get("/api/healthchecker", from_client()));
  check("HEAD healthchecker", c.request("HEAD", "/api/healthchecker", "", from_client()));
  check("readyz", c.get("/api/readyz", from_client()));
  check("404", c.get("/api/nowhere", from_client()));
  check("405", c.request("PUT", "/api/users/me", "", from_client()));

  auto registered = c.post_json("/api/auth/register", user, from_client());
  EXPECT_EQ(registered.status, 201) << registered.body;
  check("register 201", registered);
  check("register 409", c.post_json("/api/auth/register", user, from_client()));
  json::object mismatch = user;
  mismatch["email"] = "other@example.com";
  mismatch["passwordConfirm"] = "different-password";
  check("register 400", c.post_json("/api/auth/register", mismatch, from_client()));
  check("register 422", c.post_json("/api/auth/register", json::object{}, from_client()));
  check("register 403 cross-site",
        c.post_json("/api/auth/register", user, {{"Origin", "http://evil.example"}}));

  auto login = c.post_json("/api/auth/login",
                           json::object{{"email", email}, {"password", kPassword}}, from_client());
  ASSERT_EQ(login.status, 200) << login.body;
  check("login 200", login);
  EXPECT_EQ(login.headers_named("set-cookie").size(), 4u);  // the tutorial's three, the device's
  const std::string access = std::string(login.json().at("access_token").as_string());
  const std::string refresh = std::string(login.json().at("refresh_token").as_string());
  check("login 422", c.post_json("/api/auth/login", json::object{{"email", "x"}}, from_client()));

  const auto bearer = [&](const std::string& token) {
    return from_client({{"Authorization", "Bearer " + token}});
  };
  check("me 200", c.get("/api/users/me", bearer(access)));
  check("me 401", c.get("/api/users/me", from_client()));
  auto sessions = c.get("/api/users/me/sessions", bearer(access));
  check("sessions 200", sessions);
  check("sessions 401", c.get("/api/users/me/sessions", from_client()));
  check("end session 404", c.request("DELETE", "/api/users/me/sessions/nope", "", bearer(access)));

  auto refreshed = c.request("POST", "/api/auth/refresh", "", bearer(refresh));
  ASSERT_EQ(refreshed.status, 200) << refreshed.body;
  check("refresh 200", refreshed);
  const std::string access2 = std::string(refreshed.json().at("access_token").as_string());
  check("refresh 400 missing", c.get("/api/auth/refresh", from_client()));
  check("refresh 400 refused", c.get("/api/auth/refresh", bearer("x")));

  // A second login, ended through the sessions route.
  auto second = c.post_json("/api/auth/login",
                            json::object{{"email", email}, {"password", kPassword}}, from_client());
  ASSERT_EQ(second.status, 200);
  auto listed = c.get("/api/users/me/sessions", bearer(access2)).json();
  std::string other_id;
  for (const auto& s : listed.at("sessions").as_array()) {
    if (!s.at("current").as_bool()) other_id = std::string(s.at("id").as_string());
  }
  ASSERT_FALSE(other_id.empty());
  check("end session 200",
        c.request("DELETE", "/api/users/me/sessions/" + other_id, "", bearer(access2)));
  check("logout ?scope=bad 422", c.get("/api/auth/logout?scope=bad", bearer(access2)));
  check("logout ?scope=others", c.get("/api/auth/logout?scope=others", bearer(access2)));
  check("logout 200", c.request("POST", "/api/auth/logout", "", bearer(access2)));
  check("logout 401", c.get("/api/auth/logout", bearer(access2)));

  // 400 for a wrong password, then 429 with a Retry-After once the free failure is spent.
  const json::object wrong{{"email", email}, {"password", "wrong-password"}};
  check("login 400", c.post_json("/api/auth/login", wrong, from_client()));
  HttpResult limited;
  for (int i = 0; i < 3 && limited.status != 429; ++i) {
    limited = c.post_json("/api/auth/login", wrong, from_client());
  }
  ASSERT_EQ(limited.status, 429) << limited.body;
  check("login 429", limited);
  EXPECT_EQ(limited.headers_named("retry-after").size(), 1u);

  // Answers that end the connection, over raw sockets.
  const std::string host = "Host: 127.0.0.1\r\nOrigin: " + std::string(kOrigin) + "\r\n";
  check("413", parse_raw(raw_exchange(server_->port(), "POST /api/auth/login HTTP/1.1\r\n" + host +
                                                           "Content-Type: application/json\r\n"
                                                           "Content-Length: 100000\r\n\r\n")));
  check("431", parse_raw(raw_exchange(server_->port(),
                                      "GET /api/healthchecker HTTP/1.1\r\n" + host +
                                          "X-Big: " + std::string(20000, 'a') + "\r\n\r\n")));
  check("400 bad target",
        parse_raw(raw_exchange(server_->port(), "GET nowhere HTTP/1.1\r\n" + host + "\r\n", 3000)));
  EXPECT_GE(checked_.size(), 45u);
}

}  // namespace
}  // namespace gatehouse::e2e
