// End-to-end: the server's logs. LOG_FORMAT=json gives one JSON object per line with the request's
// id, route and user; ACCESS_LOG adds a line per answer; X-Request-Id is taken from a trusted proxy
// only, else generated, and echoed. A whole run of the account's life (register, login, refresh,
// a reset by mail, a password change, logout) at the most verbose level leaves no secret it used
// in the log.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "http_client.hpp"
#include "server_process.hpp"
#include "smtp_sink.hpp"

namespace gatehouse::e2e {
namespace {

namespace json = boost::json;
using Headers = std::vector<std::pair<std::string, std::string>>;

// Every line of the log as a JSON object; a line that is not one fails the test.
std::vector<json::object> json_lines(const std::string& log) {
  std::vector<json::object> out;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    boost::system::error_code ec;
    json::value v = json::parse(line, ec);
    EXPECT_FALSE(ec) << "not JSON: " << line;
    if (ec || !v.is_object()) continue;
    out.push_back(v.as_object());
  }
  return out;
}

std::string field(const json::object& line, const char* name) {
  const json::value* v = line.if_contains(name);
  if (v == nullptr) return "";
  if (v->is_string()) return std::string(v->as_string());
  return json::serialize(*v);
}

TEST(Logs, AWholeAccountLifeLeavesNoSecretInTheJsonLogAndEveryAnswerHasItsLine) {
  TempDir dir;
  SmtpSink sink(dir.path() / "smtp");
  ASSERT_TRUE(sink.start()) << sink.log();
  auto env = test_env(free_port());
  env["LOG_FORMAT"] = "json";
  env["ACCESS_LOG"] = "true";
  env["LOG_LEVEL"] = "trace";  // the most the server ever says
  env["SMTP_URL"] = sink.url();
  env["MAIL_FROM"] = "no-reply@example.com";
  ServerProcess server(dir.path(), env);
  ASSERT_TRUE(server.ready()) << server.log();

  std::vector<std::string> secrets = {env["JWT_PRIVATE_KEY"]};
  // The private key's PEM body too, line by line (a log could print the decoded key).
  HttpClient api(server.port());
  const std::string password = "Secret-Passw0rd-1";
  const std::string new_password = "Secret-Passw0rd-2";
  const std::string newest_password = "Secret-Passw0rd-3";
  secrets.insert(secrets.end(), {password, new_password, newest_password});
  std::vector<std::string> request_ids;
  const auto call = [&](const std::string& method, const std::string& target,
                        const json::object& body, Headers headers = {}) {
    HttpResult r = body.empty() ? api.request(method, target, "", headers)
                                : api.post_json(target, body, headers);
    EXPECT_FALSE(r.header("x-request-id").value_or("").empty()) << method << " " << target;
    request_ids.push_back(r.header("x-request-id").value_or(""));
    return r;
  };

  ASSERT_EQ(call("POST", "/api/auth/register",
                 {{"name", "Logan"},
                  {"email", "logan@example.com"},
                  {"photo", "p"},
                  {"password", password},
                  {"passwordConfirm", password}})
                .status,
            201);
  HttpResult login =
      call("POST", "/api/auth/login", {{"email", "logan@example.com"}, {"password", password}});
  ASSERT_EQ(login.status, 200) << login.body;
  const std::string access = std::string(login.json().at("access_token").as_string());
  const std::string refresh = std::string(login.json().at("refresh_token").as_string());
  secrets.insert(secrets.end(), {access, refresh});
  if (auto device = login.cookie_value("gatehouse_device")) secrets.push_back(*device);
  const Headers bearer{{"Authorization", "Bearer " + access}};
  const HttpResult me = call("GET", "/api/users/me", {}, bearer);
  ASSERT_EQ(me.status, 200);
  HttpResult rotated =
      call("POST", "/api/auth/refresh", {}, {{"Authorization", "Bearer " + refresh}});
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  secrets.push_back(std::string(rotated.json().at("access_token").as_string()));
  secrets.push_back(std::string(rotated.json().at("refresh_token").as_string()));
  // A wrong password and a replayed refresh token are logged as events, never as values.
  EXPECT_EQ(call("POST", "/api/auth/login",
                 {{"email", "logan@example.com"}, {"password", "Secret-Wrong-Guess"}})
                .status,
            400);
  secrets.push_back("Secret-Wrong-Guess");
  EXPECT_EQ(call("POST", "/api/auth/refresh", {}, {{"Authorization", "Bearer " + refresh}}).status,
            400);

  ASSERT_EQ(call("POST", "/api/auth/password/forgot", {{"email", "logan@example.com"}}).status,
            202);
  const auto mails = sink.wait_for(1);
  ASSERT_EQ(mails.size(), 1u) << server.log();
  secrets.push_back(mail_token(mails[0]));
  secrets.push_back(mail_code(mails[0]));
  ASSERT_EQ(call("POST", "/api/auth/password/reset",
                 {{"email", "logan@example.com"},
                  {"code", mail_code(mails[0])},
                  {"password", new_password},
                  {"passwordConfirm", new_password}})
                .status,
            200);
  HttpResult again =
      call("POST", "/api/auth/login", {{"email", "logan@example.com"}, {"password", new_password}});
  ASSERT_EQ(again.status, 200);
  const std::string access2 = std::string(again.json().at("access_token").as_string());
  secrets.push_back(access2);
  secrets.push_back(std::string(again.json().at("refresh_token").as_string()));
  ASSERT_EQ(call("POST", "/api/users/me/password",
                 {{"current_password", new_password},
                  {"password", newest_password},
                  {"passwordConfirm", newest_password}},
                 {{"Authorization", "Bearer " + access2}})
                .status,
            200);
  EXPECT_EQ(call("POST", "/api/auth/logout", {}, {{"Authorization", "Bearer " + access2}}).status,
            200);
  ASSERT_GE(sink.wait_for(2).size(), 2u) << "the password-changed notice";
  EXPECT_EQ(server.stop(SIGTERM), 0);

  const std::string log = server.log();
  for (const std::string& secret : secrets) {
    ASSERT_FALSE(secret.empty());
    EXPECT_EQ(log.find(secret), std::string::npos) << "a secret in the log: " << secret;
  }

  const auto lines = json_lines(log);
  ASSERT_FALSE(lines.empty());
  for (const json::object& line : lines) {
    EXPECT_FALSE(field(line, "time").empty());
    EXPECT_FALSE(field(line, "level").empty());
    EXPECT_TRUE(line.contains("message"));
  }
  // Each answer has one access line (the readiness probe's too), with the id the answer echoed,
  // the route template and, once the caller is known, the user and the session.
  const auto access_line = [&](const std::string& id) -> const json::object* {
    const json::object* found = nullptr;
    for (const json::object& line : lines) {
      if (!line.contains("status") || field(line, "request_id") != id) continue;
      EXPECT_EQ(found, nullptr) << "two access lines for " << id;
      found = &line;
    }
    return found;
  };
  for (const std::string& id : request_ids) EXPECT_NE(access_line(id), nullptr) << id;
  const json::object* me_line = access_line(me.header("x-request-id").value_or(""));
  ASSERT_NE(me_line, nullptr);
  EXPECT_EQ(field(*me_line, "route"), "/api/users/me");
  EXPECT_EQ(field(*me_line, "method"), "GET");
  EXPECT_EQ(field(*me_line, "status"), "200");
  EXPECT_EQ(field(*me_line, "client"), "127.0.0.1");
  EXPECT_EQ(field(*me_line, "user_id"), field(me.json().as_object(), "id"));
  EXPECT_FALSE(field(*me_line, "session_id").empty());
  EXPECT_TRUE(me_line->contains("duration_ms"));
  // The replay's warning is a line about that request, with its id.
  bool reuse_line = false;
  for (const json::object& line : lines) {
    if (field(line, "message").find("refresh token reuse detected") != std::string::npos) {
      reuse_line = !field(line, "request_id").empty() && field(line, "level") == "warning";
    }
  }
  EXPECT_TRUE(reuse_line) << log;
}

TEST(Logs, XRequestIdIsTakenFromATrustedProxyWhenWellFormedElseGenerated) {
  TempDir dir;
  auto env = test_env(free_port());
  env["TRUSTED_PROXIES"] = "127.0.0.1";
  ServerProcess server(dir.path(), env);
  ASSERT_TRUE(server.ready()) << server.log();
  HttpClient api(server.port());
  EXPECT_EQ(api.get("/api/healthchecker", {{"X-Request-Id", "edge-7f3a:1"}})
                .header("x-request-id")
                .value_or(""),
            "edge-7f3a:1");
  const std::string replaced = api.get("/api/healthchecker", {{"X-Request-Id", "has space"}})
                                   .header("x-request-id")
                                   .value_or("");
  EXPECT_NE(replaced, "has space");
  EXPECT_FALSE(replaced.empty());
  EXPECT_EQ(api.get("/api/healthchecker", {{"X-Request-Id", std::string(129, 'a')}})
                .header("x-request-id")
                .value_or("")
                .size(),
            replaced.size())
      << "too long: a generated one";
  // Two generated ids differ, and every answer has one (a 404 too).
  const std::string a = api.get("/no/such/route").header("x-request-id").value_or("");
  const std::string b = api.get("/no/such/route").header("x-request-id").value_or("");
  EXPECT_FALSE(a.empty());
  EXPECT_NE(a, b);

  TempDir other;
  auto direct = test_env(free_port());  // no trusted proxy: a client's id is not taken
  ServerProcess untrusted(other.path(), direct);
  ASSERT_TRUE(untrusted.ready()) << untrusted.log();
  HttpClient client(untrusted.port());
  EXPECT_NE(client.get("/api/healthchecker", {{"X-Request-Id", "edge-7f3a:1"}})
                .header("x-request-id")
                .value_or(""),
            "edge-7f3a:1");
}

TEST(Logs, TextIsTheDefaultAndItsAccessLinesEndWithTheRequestId) {
  TempDir dir;
  auto env = test_env(free_port());
  env["ACCESS_LOG"] = "true";
  ServerProcess server(dir.path(), env);
  ASSERT_TRUE(server.ready()) << server.log();
  HttpClient api(server.port());
  const HttpResult r = api.get("/api/users/me");
  EXPECT_EQ(r.status, 401);
  const std::string id = r.header("x-request-id").value_or("");
  ASSERT_TRUE(wait_until([&] {
    return server.log().find("GET /api/users/me 401 ") != std::string::npos;
  })) << server.log();
  const std::string log = server.log();
  const std::size_t at = log.find("GET /api/users/me 401 ");
  const std::string line = log.substr(at, log.find('\n', at) - at);
  EXPECT_NE(line.find("client=127.0.0.1"), std::string::npos) << line;
  EXPECT_TRUE(line.ends_with(" [request " + id + "]")) << line;
  EXPECT_EQ(log.find("{\"time\""), std::string::npos) << "not JSON by default";

  TempDir quiet;
  auto off = test_env(free_port());  // ACCESS_LOG defaults to off
  ServerProcess plain(quiet.path(), off);
  ASSERT_TRUE(plain.ready()) << plain.log();
  HttpClient c(plain.port());
  EXPECT_EQ(c.get("/api/users/me").status, 401);
  EXPECT_EQ(plain.stop(SIGTERM), 0);
  EXPECT_EQ(plain.log().find("GET /api/users/me 401"), std::string::npos) << plain.log();
}

}  // namespace
}  // namespace gatehouse::e2e
