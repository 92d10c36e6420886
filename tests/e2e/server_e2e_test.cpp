// End-to-end: the real `gatehouse` binary on a free port with a temporary SQLite database.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <thread>

#include "auth/jws.hpp"
#include "http_client.hpp"
#include "server_process.hpp"
#include "test_databases.hpp"

namespace gatehouse::e2e {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

// The tutorial's own sample key pair (512 bits): Gatehouse must refuse it.
constexpr const char* kTutorialPrivateKey =
    "LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlCT2dJQkFBSkJBSSs3QnZUS0FWdHVQYzEzbEFkVk94TlVmcW"
    "xzMm1SVmlQWlJyVFpjd3l4RVhVRGpNaFZuCi9KVHRsd3h2a281T0pBQ1k3dVE0T09wODdiM3NOU3ZNd2xNQ0F3RUFBUUpB"
    "Ym5LaENOQ0dOSFZGaHJPQ0RCU0IKdmZ2ckRWUzVpZXAwd2h2SGlBUEdjeWV6bjd0U2RweUZ0NEU0QTNXT3VQOXhqenNjTF"
    "Zyb1pzRmVMUWlqT1JhUwp3UUloQU84MWl2b21iVGhjRkltTFZPbU16Vk52TGxWTW02WE5iS3B4bGh4TlpUTmhBaUVBbWRI"
    "SlpGM3haWFE0Cm15QnNCeEhLQ3JqOTF6bVFxU0E4bHUvT1ZNTDNSak1DSVFEbDJxOUdtN0lMbS85b0EyaCtXdnZabGxZUl"
    "JPR3oKT21lV2lEclR5MUxaUVFJZ2ZGYUlaUWxMU0tkWjJvdXF4MHdwOWVEejBEWklLVzVWaSt6czdMZHRDdUVDSUVGYwo3"
    "d21VZ3pPblpzbnU1clBsTDJjZldLTGhFbWwrUVFzOCtkMFBGdXlnCi0tLS0tRU5EIFJTQSBQUklWQVRFIEtFWS0tLS0t";
constexpr const char* kTutorialPublicKey =
    "LS0tLS1CRUdJTiBQVUJMSUMgS0VZLS0tLS0KTUZ3d0RRWUpLb1pJaHZjTkFRRUJCUUFEU3dBd1NBSkJBSSs3QnZUS0FWdH"
    "VQYzEzbEFkVk94TlVmcWxzMm1SVgppUFpSclRaY3d5eEVYVURqTWhWbi9KVHRsd3h2a281T0pBQ1k3dVE0T09wODdiM3NO"
    "U3ZNd2xNQ0F3RUFBUT09Ci0tLS0tRU5EIFBVQkxJQyBLRVktLS0tLQ==";

// The API end to end, once per backend: the embedded SQLite default, a real MariaDB and a real
// PostgreSQL.
class ServerTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    env_ = test_env(free_port());
    std::string skip;
    database_ = prepare_backend(GetParam(), dir_.path(), env_, skip);
    if (!skip.empty()) GTEST_SKIP() << skip;
    server_ = std::make_unique<ServerProcess>(dir_.path(), env_);
    ASSERT_TRUE(server_->ready()) << server_->log();
  }

  HttpClient client() { return HttpClient(server_->port()); }

  json::object register_payload(const std::string& email,
                                const std::string& password = "Passw0rd!42") {
    return json::object{{"name", "E2E User"},
                        {"email", email},
                        {"photo", "default.png"},
                        {"password", password},
                        {"passwordConfirm", password}};
  }

  std::string unique_email(const std::string& tag) {
    static int n = 0;
    return tag + "-" + std::to_string(++n) + "-" + std::to_string(::getpid()) + "@example.com";
  }

  // Registers and logs in; returns the login response.
  HttpResult login_new_user(const std::string& email) {
    auto c = client();
    auto r = c.post_json("/api/auth/register", register_payload(email));
    EXPECT_EQ(r.status, 201) << r.body;
    auto l =
        c.post_json("/api/auth/login", json::object{{"email", email}, {"password", "Passw0rd!42"}});
    EXPECT_EQ(l.status, 200) << l.body;
    return l;
  }

  TempDir dir_;
  std::unique_ptr<TestDatabase> database_;  // null on SQLite
  std::map<std::string, std::string> env_;
  std::unique_ptr<ServerProcess> server_;
};

INSTANTIATE_TEST_SUITE_P(Backends, ServerTest, ::testing::Values("sqlite", "mysql", "postgresql"),
                         [](const auto& param_info) { return param_info.param; });

json::object jwt_part(const std::string& token, int index) {
  std::size_t start = 0;
  for (int i = 0; i < index; ++i) start = token.find('.', start) + 1;
  const std::size_t end = token.find('.', start);
  auto decoded = auth::base64url_decode(token.substr(start, end - start));
  EXPECT_TRUE(decoded.ok());
  return json::parse(*decoded).as_object();
}

TEST_P(ServerTest, HealthNotFoundAndMethodNotAllowed) {
  auto c = client();
  auto r = c.get("/api/healthchecker");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.json(), json::parse(R"({"message":"Hello World"})"));
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_TRUE(r.header("date").has_value());
  r = c.get("/api/nope");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.detail(), "Not Found");
  r = c.post_json("/api/healthchecker", json::object{});
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.detail(), "Method Not Allowed");
  r = c.get("/api/readyz");
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST_P(ServerTest, RegisterLoginMeRefreshLogout) {
  auto c = client();
  const std::string email = unique_email("Flow");
  auto reg = c.post_json("/api/auth/register", register_payload(email));
  ASSERT_EQ(reg.status, 201) << reg.body;
  auto user = reg.json().as_object();
  EXPECT_FALSE(user.contains("password"));
  for (const char* k : {"id", "name", "email", "photo", "created_at", "updated_at"}) {
    EXPECT_TRUE(user.contains(k)) << k;
  }
  std::string lower = email;
  for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  EXPECT_EQ(user.at("email").as_string(), lower);

  auto login =
      c.post_json("/api/auth/login", json::object{{"email", email}, {"password", "Passw0rd!42"}});
  ASSERT_EQ(login.status, 200) << login.body;
  EXPECT_EQ(login.json().at("status"), "success");
  EXPECT_EQ(login.header("cache-control"), "no-store");
  const std::string access = std::string(login.json().at("access_token").as_string());
  const auto refresh = login.cookie_value("refresh_token");
  ASSERT_TRUE(refresh);
  EXPECT_EQ(refresh->size(), 43u);
  EXPECT_EQ(login.cookie_value("access_token"), access);
  EXPECT_EQ(login.cookie_value("logged_in"), "True");
  auto cookies = login.set_cookies();
  EXPECT_NE(cookies["access_token"].find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookies["access_token"].find("Max-Age=900"), std::string::npos);
  EXPECT_NE(cookies["refresh_token"].find("Max-Age=3600"), std::string::npos);
  EXPECT_EQ(cookies["logged_in"].find("HttpOnly"), std::string::npos);

  auto header = jwt_part(access, 0);
  EXPECT_EQ(header.at("alg"), "RS256");
  EXPECT_EQ(header.at("typ"), "JWT");
  auto claims = jwt_part(access, 1);
  EXPECT_EQ(claims.at("sub").as_string(), std::to_string(user.at("id").as_int64()));
  EXPECT_EQ(claims.at("type"), "access");
  EXPECT_EQ(claims.at("fresh"), false);
  EXPECT_EQ(claims.at("exp").as_int64() - claims.at("iat").as_int64(), 900);
  EXPECT_EQ(claims.at("nbf"), claims.at("iat"));
  EXPECT_TRUE(claims.contains("sid"));

  auto me = c.get("/api/users/me", {{"Authorization", "Bearer " + access}});
  EXPECT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(me.json().at("id"), user.at("id"));
  me = c.get("/api/users/me", {{"Cookie", "access_token=" + access}});
  EXPECT_EQ(me.status, 200) << me.body;

  // Refresh rotates: the new refresh token works, the old one is refused and ends the session.
  auto r1 = c.get("/api/auth/refresh", {{"Cookie", "refresh_token=" + *refresh}});
  ASSERT_EQ(r1.status, 200) << r1.body;
  const std::string refresh2 = std::string(r1.json().at("refresh_token").as_string());
  EXPECT_NE(refresh2, *refresh);
  EXPECT_EQ(r1.cookie_value("refresh_token"), refresh2);
  const std::string access2 = std::string(r1.json().at("access_token").as_string());
  EXPECT_EQ(c.get("/api/users/me", {{"Authorization", "Bearer " + access2}}).status, 200);

  auto reuse = c.get("/api/auth/refresh", {{"Authorization", "Bearer " + *refresh}});
  EXPECT_EQ(reuse.status, 400);
  auto after = c.get("/api/auth/refresh", {{"Authorization", "Bearer " + refresh2}});
  EXPECT_EQ(after.status, 400) << "reuse must revoke the whole session";
  EXPECT_EQ(c.get("/api/users/me", {{"Authorization", "Bearer " + access2}}).status, 401);

  // Logout of a second session revokes its access and refresh tokens at once.
  auto login2 =
      c.post_json("/api/auth/login", json::object{{"email", email}, {"password", "Passw0rd!42"}});
  ASSERT_EQ(login2.status, 200);
  const std::string access3 = std::string(login2.json().at("access_token").as_string());
  const std::string refresh3 = *login2.cookie_value("refresh_token");
  auto out = c.get("/api/auth/logout", {{"Authorization", "Bearer " + access3}});
  EXPECT_EQ(out.status, 200);
  EXPECT_EQ(out.json(), json::parse(R"({"status":"success"})"));
  EXPECT_EQ(out.cookie_value("access_token"), "");
  EXPECT_NE(out.set_cookies()["refresh_token"].find("Max-Age=0"), std::string::npos);
  auto me3 = c.get("/api/users/me", {{"Authorization", "Bearer " + access3}});
  EXPECT_EQ(me3.status, 401);
  EXPECT_EQ(me3.detail(), "Token is invalid or has expired");
  EXPECT_EQ(c.get("/api/auth/refresh", {{"Cookie", "refresh_token=" + refresh3}}).status, 400);
}

TEST_P(ServerTest, TutorialErrorMessages) {
  auto c = client();
  const std::string email = unique_email("errors");
  ASSERT_EQ(c.post_json("/api/auth/register", register_payload(email)).status, 201);
  auto dup = c.post_json("/api/auth/register", register_payload("ERRORS" + email.substr(6)));
  EXPECT_EQ(dup.status, 409);
  EXPECT_EQ(dup.detail(), "Account already exist");
  auto p = register_payload(unique_email("mismatch"));
  p["passwordConfirm"] = "Different123";
  auto mismatch = c.post_json("/api/auth/register", p);
  EXPECT_EQ(mismatch.status, 400);
  EXPECT_EQ(mismatch.detail(), "Passwords do not match");
  auto wrong =
      c.post_json("/api/auth/login", json::object{{"email", email}, {"password", "WrongPass1"}});
  EXPECT_EQ(wrong.status, 400);
  EXPECT_EQ(wrong.detail(), "Incorrect Email or Password");
  auto unknown = c.post_json("/api/auth/login", json::object{{"email", unique_email("ghost")},
                                                             {"password", "WrongPass1"}});
  EXPECT_EQ(unknown.detail(), "Incorrect Email or Password");
  EXPECT_EQ(c.get("/api/users/me").detail(), "You are not logged in");
  EXPECT_EQ(c.get("/api/users/me", {{"Authorization", "Basic dXNlcjpwYXNz"}}).status, 401);
  EXPECT_EQ(c.get("/api/auth/refresh").detail(), "Please provide refresh token");
  EXPECT_EQ(c.get("/api/auth/refresh", {{"Authorization", "Bearer"}}).status, 400);
  EXPECT_EQ(c.get("/api/auth/logout").detail(), "You are not logged in");
}

TEST_P(ServerTest, ValidationErrorsUseFastapiShape) {
  auto c = client();
  auto r = c.post_json("/api/auth/register", json::object{});
  ASSERT_EQ(r.status, 422);
  auto detail = r.json().at("detail").as_array();
  EXPECT_EQ(detail.size(), 5u);
  for (auto& item : detail) {
    EXPECT_EQ(item.at("loc").as_array().at(0), "body");
    EXPECT_TRUE(item.at("msg").is_string());
    EXPECT_TRUE(item.at("type").is_string());
  }
  r = c.request("POST", "/api/auth/login", "{not json", {{"Content-Type", "application/json"}});
  EXPECT_EQ(r.status, 422);
  r = c.request("POST", "/api/auth/login",
                "{\"email\": \"\xff\xfe@x.com\", \"password\": \"12345678\"}",
                {{"Content-Type", "application/json"}});
  EXPECT_EQ(r.status, 422) << "invalid UTF-8";
  auto long_name = register_payload(unique_email("longname"));
  long_name["name"] = std::string(256, 'n');
  EXPECT_EQ(c.post_json("/api/auth/register", long_name).status, 422);
  auto long_password = register_payload(unique_email("longpw"), std::string(1025, 'p'));
  EXPECT_EQ(c.post_json("/api/auth/register", long_password).status, 422);
  auto unicode = register_payload(unique_email("unicode"));
  unicode["name"] = "张三 Zoë ✓";
  auto u = c.post_json("/api/auth/register", unicode);
  ASSERT_EQ(u.status, 201) << u.body;
  EXPECT_EQ(u.json().at("name"), "张三 Zoë ✓");
}

TEST_P(ServerTest, OversizeBodyGets413AndServerKeepsServing) {
  const std::string body(2 << 20, 'x');
  const std::string answer = raw_exchange(
      server_->port(),
      "POST /api/auth/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: " +
          std::to_string(body.size()) + "\r\n\r\n" + body);
  EXPECT_EQ(answer.substr(0, 12), "HTTP/1.1 413") << answer.substr(0, 200);
  const std::string chunked = raw_exchange(
      server_->port(),
      "POST /api/auth/register HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "200000\r\n" +
          body.substr(0, 0x200000) + "\r\n0\r\n\r\n");
  EXPECT_EQ(chunked.substr(0, 12), "HTTP/1.1 413") << chunked.substr(0, 200);
  EXPECT_EQ(client().get("/api/healthchecker").status, 200);
}

TEST_P(ServerTest, MalformedHttpGets4xxAndServerKeepsServing) {
  EXPECT_EQ(raw_exchange(server_->port(), "GARBAGE\r\n\r\n").substr(0, 12), "HTTP/1.1 400");
  EXPECT_EQ(raw_exchange(server_->port(), "GET /api/healthchecker HTTP/1.1\r\nHost: x\r\nX-Big: " +
                                              std::string(20000, 'a') + "\r\n\r\n")
                .substr(0, 12),
            "HTTP/1.1 431");
  EXPECT_EQ(
      raw_exchange(server_->port(), "GET http://x/%%% HTTP/1.1\r\nHost: x\r\n\r\n").substr(0, 12),
      "HTTP/1.1 400");
  EXPECT_EQ(client().get("/api/healthchecker").status, 200);
}

TEST_P(ServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  auto c = client();
  for (int i = 0; i < 200; ++i) ASSERT_EQ(c.get("/api/healthchecker").status, 200);
  auto head = c.request("HEAD", "/api/healthchecker");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(c.get("/api/healthchecker").status, 200) << "connection still usable after HEAD";
}

TEST_P(ServerTest, CorsForConfiguredOriginOnly) {
  auto c = client();
  auto pre = c.request("OPTIONS", "/api/auth/login", "",
                       {{"Origin", "http://localhost:3000"},
                        {"Access-Control-Request-Method", "POST"},
                        {"Access-Control-Request-Headers", "content-type"}});
  EXPECT_EQ(pre.status, 200);
  EXPECT_EQ(pre.header("access-control-allow-origin"), "http://localhost:3000");
  EXPECT_EQ(pre.header("access-control-allow-credentials"), "true");
  auto foreign =
      c.request("OPTIONS", "/api/auth/login", "",
                {{"Origin", "http://evil.example"}, {"Access-Control-Request-Method", "POST"}});
  EXPECT_FALSE(foreign.header("access-control-allow-origin"));
}

TEST_P(ServerTest, SigtermWithOpenConnectionExitsZero) {
  auto c = client();
  ASSERT_EQ(c.get("/api/healthchecker").status, 200);  // an idle keep-alive connection stays open
  const auto code = server_->stop(SIGTERM, std::chrono::seconds(5));
  ASSERT_TRUE(code.has_value()) << "server did not exit after SIGTERM";
  EXPECT_EQ(*code, 0) << server_->log();
}

TEST_P(ServerTest, InFlightLoginFinishesAfterSigint) {
  // A slow hash (64 MiB, 2 passes: 0.1 s in a release build, seconds under TSan) keeps the login
  // in flight while the signal arrives. Hashing runs at nice 10, so on a machine busy with other
  // work (a build beside the tests) one hash can take many seconds: every wait here is long, none
  // of them is a sleep.
  constexpr std::chrono::seconds kPatience{120};
  server_->stop(SIGKILL, std::chrono::seconds(5));
  env_["ARGON2_MEMORY_KIB"] = "65536";
  env_["ARGON2_PASSES"] = "2";
  env_["LOG_LEVEL"] = "debug";
  // The default 10 s grace would cut a slow hash off; the grace itself has its own test.
  env_["SHUTDOWN_GRACE_SECONDS"] = "600";
  server_ = std::make_unique<ServerProcess>(dir_.path(), env_);
  ASSERT_TRUE(server_->ready()) << server_->log();
  const std::string email = unique_email("inflight");
  ASSERT_EQ(HttpClient(server_->port(), kPatience)
                .post_json("/api/auth/register", register_payload(email))
                .status,
            201);

  HttpClient c(server_->port(), kPatience);  // connected before the signal: the request goes on it
  HttpResult result;
  std::string failure;
  std::thread t([&] {
    try {
      result = c.post_json("/api/auth/login",
                           json::object{{"email", email}, {"password", "Passw0rd!42"}});
    } catch (const std::exception& e) {
      failure = e.what();
    }
  });
  // The signal comes once the server has the login (not the registration before it) on its
  // hashing pool: its debug log says so.
  ASSERT_TRUE(wait_until(
      [&] {
        return server_->log().find("POST /api/auth/login: handed to the hashing pool") !=
               std::string::npos;
      },
      kPatience))
      << server_->log();
  const auto code = server_->stop(SIGINT, kPatience);
  t.join();
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << server_->log();
  EXPECT_EQ(result.status, 200) << "the in-flight login was cut off: " << failure;
  EXPECT_EQ(result.header("connection"), "close") << "a draining server closes after answering";
}

// ---------------------------------------------------------------- start-up and commands

class CommandTest : public ::testing::Test {
 protected:
  TempDir dir_;
};

TEST_F(CommandTest, RefusesTheTutorialsShortKeyAndSaysHowToFix) {
  auto env = test_env(free_port());
  env["JWT_PRIVATE_KEY"] = kTutorialPrivateKey;
  env["JWT_PUBLIC_KEY"] = kTutorialPublicKey;
  auto r = run_gatehouse({"serve"}, dir_.path(), env);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("JWT_PRIVATE_KEY"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("keys generate"), std::string::npos) << r.err;
}

TEST_F(CommandTest, BadSettingsNameTheVariable) {
  struct Case {
    const char* key;
    const char* value;
  } cases[] = {{"PORT", "abc"},
               {"JWT_ALGORITHM", "HS256"},
               {"JWT_PRIVATE_KEY", "%%%not-base64"},
               {"ACCESS_TOKEN_EXPIRES_IN", "soon"}};
  for (const auto& c : cases) {
    auto env = test_env(free_port());
    env[c.key] = c.value;
    auto r = run_gatehouse({"serve"}, dir_.path(), env);
    EXPECT_EQ(r.exit_code, 1) << c.key;
    EXPECT_NE(r.err.find(c.key), std::string::npos) << c.key << ": " << r.err;
  }
  auto env = test_env(free_port());
  auto other = auth::generate_key_pair(auth::JwsAlgorithm::kRS256, 2048);
  ASSERT_TRUE(other.ok());
  env["JWT_PUBLIC_KEY"] = auth::base64_encode(other->public_pem);
  auto r = run_gatehouse({"serve"}, dir_.path(), env);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("match"), std::string::npos) << r.err;
}

TEST_F(CommandTest, ServeWithoutEnvMakesDevKeysAndDatabase) {
  std::map<std::string, std::string> env{{"PATH", "/usr/bin:/bin"},
                                         {"PORT", std::to_string(free_port())},
                                         {"METRICS_PORT", std::to_string(free_port())}};
  ServerProcess server(dir_.path(), env);
  ASSERT_TRUE(server.ready()) << server.log();
  EXPECT_TRUE(fs::exists(dir_.path() / ".gatehouse/dev-keys.env"));
  EXPECT_TRUE(fs::exists(dir_.path() / "gatehouse.db"));
  EXPECT_NE(server.log().find("dev-keys.env"), std::string::npos) << server.log();
  EXPECT_EQ(server.stop(SIGTERM), 0);
  // Secrets are private from their creation: the key folder and file, the database (hashes).
  const auto mode = [&](const fs::path& p) {
    return fs::status(dir_.path() / p).permissions() & fs::perms::all;
  };
  EXPECT_EQ(mode(".gatehouse"), fs::perms::owner_all);
  EXPECT_EQ(mode(".gatehouse/dev-keys.env"), fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(mode("gatehouse.db"), fs::perms::owner_read | fs::perms::owner_write);
}

// A symbolic link planted where the development keys live is never followed, to read or to write.
TEST_F(CommandTest, DevKeysAreNeverReadOrWrittenThroughASymlink) {
  std::map<std::string, std::string> env{{"PATH", "/usr/bin:/bin"},
                                         {"PORT", std::to_string(free_port())}};
  fs::create_directories(dir_.path() / ".gatehouse");
  const fs::path target = dir_.path() / "elsewhere.env";
  { std::ofstream(target) << "JWT_PRIVATE_KEY=x\nJWT_PUBLIC_KEY=y\n"; }
  fs::create_symlink(target, dir_.path() / ".gatehouse/dev-keys.env");
  auto r = run_gatehouse({"serve"}, dir_.path(), env);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("symbolic link"), std::string::npos) << r.err;
  // Written: a link in place of the temporary file is replaced, its target left alone.
  fs::remove(dir_.path() / ".gatehouse/dev-keys.env");
  fs::create_symlink(target, dir_.path() / ".gatehouse/dev-keys.env.tmp");
  ServerProcess server(dir_.path(), env);
  ASSERT_TRUE(server.ready()) << server.log();
  EXPECT_EQ(server.stop(SIGTERM), 0);
  EXPECT_FALSE(fs::is_symlink(dir_.path() / ".gatehouse/dev-keys.env"));
  std::ifstream in(target);
  std::string first;
  std::getline(in, first);
  EXPECT_EQ(first, "JWT_PRIVATE_KEY=x") << "the link's target was overwritten";
}

TEST_F(CommandTest, ReadsDotEnvAndEnvironmentOverridesIt) {
  auto env = test_env(free_port());
  const std::string port = env["PORT"];
  {
    std::ofstream out(dir_.path() / ".env");
    out << "# tutorial style\nPORT = 1\nACCESS_TOKEN_EXPIRES_IN = 5\n"
        << "CLIENT_ORIGIN=http://localhost:3000\n";
  }
  ServerProcess server(dir_.path(), env);  // PORT from the environment wins over .env
  ASSERT_TRUE(server.ready()) << server.log();
  HttpClient c(server.port());
  json::object p{{"name", "n"},
                 {"email", "dotenv@example.com"},
                 {"photo", "p"},
                 {"password", "Passw0rd!42"},
                 {"passwordConfirm", "Passw0rd!42"}};
  ASSERT_EQ(c.post_json("/api/auth/register", p).status, 201);
  auto l = c.post_json("/api/auth/login",
                       json::object{{"email", "dotenv@example.com"}, {"password", "Passw0rd!42"}});
  ASSERT_EQ(l.status, 200);
  EXPECT_NE(l.set_cookies()["access_token"].find("Max-Age=300"), std::string::npos);
}

TEST_F(CommandTest, IdleConnectionsCloseAndConnectionsAreCapped) {
  auto env = test_env(free_port());
  env["IDLE_TIMEOUT_SECONDS"] = "1";
  env["MAX_CONNECTIONS"] = "3";
  ServerProcess server(dir_.path(), env);
  ASSERT_TRUE(server.ready()) << server.log();
  // The readiness probe's connection must be gone before connections are counted.
  ASSERT_TRUE(wait_until([&] { return established_connections(server.port()) == 0; }));

  const auto start = std::chrono::steady_clock::now();
  const std::string silent = raw_exchange(server.port(), "", 5000);
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(silent.empty()) << silent;
  EXPECT_GE(waited, std::chrono::milliseconds(800));
  EXPECT_LT(waited, std::chrono::milliseconds(3000)) << "idle connection not closed";

  std::vector<std::unique_ptr<HttpClient>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<HttpClient>(server.port()));
    ASSERT_EQ(held.back()->get("/api/healthchecker").status, 200);
  }
  const std::string refused =
      raw_exchange(server.port(), "GET /api/healthchecker HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(refused.substr(0, 12), "HTTP/1.1 503") << refused.substr(0, 100);
  held.clear();
  ASSERT_TRUE(wait_until([&] { return established_connections(server.port()) == 0; }));
  EXPECT_EQ(HttpClient(server.port()).get("/api/healthchecker").status, 200);
}

// A connection from `source` (a loopback address of the test's choosing) that sends one
// health check and returns the first line of the answer; the socket stays open in `held`.
std::string health_from(const std::string& source, unsigned short port, std::vector<int>& held) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  inet_pton(AF_INET, source.c_str(), &local.sin_addr);
  sockaddr_in remote{};
  remote.sin_family = AF_INET;
  remote.sin_port = htons(port);
  inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
      connect(fd, reinterpret_cast<sockaddr*>(&remote), sizeof remote) != 0) {
    if (fd >= 0) close(fd);
    return "connect failed";
  }
  held.push_back(fd);
  const timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  const std::string request = "GET /api/healthchecker HTTP/1.1\r\nHost: x\r\n\r\n";
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) < 0) return "send failed";
  char buf[512];
  const ssize_t n = recv(fd, buf, sizeof buf, 0);
  if (n <= 0) return "no answer";
  const std::string answer(buf, static_cast<std::size_t>(n));
  return answer.substr(0, answer.find('\r'));
}

TEST_F(CommandTest, OneClientAddressCannotHoldEveryConnection) {
  for (const bool behind_proxy : {false, true}) {
    auto env = test_env(free_port());
    env["MAX_CONNECTIONS_PER_CLIENT"] = "2";
    if (behind_proxy) env["TRUSTED_PROXIES"] = "127.0.0.1";
    ServerProcess server(dir_.path(), env);
    ASSERT_TRUE(server.ready()) << server.log();
    std::vector<int> held;
    EXPECT_EQ(health_from("127.0.0.1", server.port(), held), "HTTP/1.1 200 OK");
    EXPECT_EQ(health_from("127.0.0.1", server.port(), held), "HTTP/1.1 200 OK");
    EXPECT_EQ(health_from("127.0.0.1", server.port(), held),
              behind_proxy ? "HTTP/1.1 200 OK" : "HTTP/1.1 503 Service Unavailable")
        << (behind_proxy ? "a trusted proxy carries many clients" : "a third from one address");
    EXPECT_EQ(health_from("127.0.0.2", server.port(), held), "HTTP/1.1 200 OK")
        << "another client is served";
    for (int fd : held) close(fd);
    held.clear();
    if (!behind_proxy) {
      ASSERT_TRUE(wait_until([&] { return established_connections(server.port()) == 0; }));
      EXPECT_EQ(health_from("127.0.0.1", server.port(), held), "HTTP/1.1 200 OK")
          << "slots come back when connections close";
      for (int fd : held) close(fd);
    }
    EXPECT_EQ(server.stop(SIGTERM), 0);
  }
}

TEST_F(CommandTest, KeysGeneratePrintsEnvLines) {
  auto r = run_gatehouse({"keys", "generate"}, dir_.path(), {{"PATH", "/usr/bin:/bin"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto at = r.out.find("JWT_PRIVATE_KEY=");
  ASSERT_NE(at, std::string::npos);
  const std::string b64 = r.out.substr(at + 16, r.out.find('\n', at) - at - 16);
  auto pem = auth::base64_decode(b64);
  ASSERT_TRUE(pem.ok());
  EXPECT_EQ(pem->rfind("-----BEGIN RSA PRIVATE KEY-----", 0), 0u);
  EXPECT_NE(r.out.find("JWT_PUBLIC_KEY="), std::string::npos);
  // 1024 bits are refused by the option's own check, which names the sizes it takes.
  auto weak = run_gatehouse({"keys", "generate", "--bits", "1024"}, dir_.path(), {});
  EXPECT_NE(weak.exit_code, 0);
  EXPECT_EQ(weak.out, "") << "a key was printed";
  EXPECT_NE(weak.err.find("--bits: 1024 not in {2048,3072,4096}"), std::string::npos) << weak.err;
  auto larger = run_gatehouse({"keys", "generate", "--bits", "3072"}, dir_.path(), {});
  ASSERT_EQ(larger.exit_code, 0) << larger.err;
  const auto at3072 = larger.out.find("JWT_PRIVATE_KEY=");
  ASSERT_NE(at3072, std::string::npos);
  auto pem3072 = auth::base64_decode(
      larger.out.substr(at3072 + 16, larger.out.find('\n', at3072) - at3072 - 16));
  ASSERT_TRUE(pem3072.ok());
  EXPECT_GT(pem3072->size(), pem->size() + 500) << "--bits 3072 did not make a larger key";
}

TEST_F(CommandTest, MigrateUpDownStatusAndNew) {
  std::map<std::string, std::string> env{{"PATH", "/usr/bin:/bin"},
                                         {"DATABASE_URL", "sqlite:///m.db"}};
  auto st = run_gatehouse({"migrate", "status"}, dir_.path(), env);
  ASSERT_EQ(st.exit_code, 0) << st.err;
  EXPECT_NE(st.out.find("pending"), std::string::npos) << st.out;
  auto up = run_gatehouse({"migrate", "up"}, dir_.path(), env);
  ASSERT_EQ(up.exit_code, 0) << up.err;
  EXPECT_NE(up.out.find("applied 1 create_user"), std::string::npos) << up.out;
  st = run_gatehouse({"migrate", "status"}, dir_.path(), env);
  EXPECT_NE(st.out.find("up to date"), std::string::npos) << st.out;
  auto down = run_gatehouse({"migrate", "down"}, dir_.path(), env);
  ASSERT_EQ(down.exit_code, 0) << down.err;
  EXPECT_NE(down.out.find("reverted 7 disabled_user"), std::string::npos) << down.out;
  down = run_gatehouse({"migrate", "down", "6"}, dir_.path(), env);
  EXPECT_NE(down.out.find("reverted 1"), std::string::npos) << down.out;
  // Really reverted: the user table is gone.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_.path() / "m.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE name = 'api_user'", -1, &stmt,
                     nullptr);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(stmt, 0), 0);
  sqlite3_finalize(stmt);
  sqlite3_close(db);

  auto created = run_gatehouse({"migrate", "--dir", "mig", "new", "add_thing"}, dir_.path(), env);
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_TRUE(fs::exists(dir_.path() / "mig/0001_add_thing.up.sql"));
  EXPECT_TRUE(fs::exists(dir_.path() / "mig/0001_add_thing.down.sql"));
}

TEST_F(CommandTest, LegacyBcryptUserLogsInAndIsRehashedToArgon2id) {
  auto env = test_env(free_port());
  env["DATABASE_URL"] = "sqlite:///legacy.db";
  ASSERT_EQ(run_gatehouse({"migrate", "up"}, dir_.path(), env).exit_code, 0);
  // A bcrypt hash as the tutorial's passlib writes them (made with python3-bcrypt; cost 4 keeps
  // the test fast); the password is "tutorial-password".
  const char* kHash = "$2b$04$mLwyDRHcrvTrq.Kel9TchuqphLTdaQuv07fHQvURZouY1zLdNUwBK";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_.path() / "legacy.db").c_str(), &db), SQLITE_OK);
  const std::string insert =
      std::string(
          "INSERT INTO api_user (name, email, password, photo, verified, role, created_at, "
          "updated_at) VALUES ('Old', 'old@example.com', '") +
      kHash + "', 'p.png', 1, 'user', '2022-11-10 09:00:00', '2022-11-10 09:00:00')";
  ASSERT_EQ(sqlite3_exec(db, insert.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);

  {
    ServerProcess server(dir_.path(), env);
    ASSERT_TRUE(server.ready()) << server.log();
    HttpClient c(server.port());
    auto bad = c.post_json("/api/auth/login", json::object{{"email", "old@example.com"},
                                                           {"password", "wrong-password"}});
    EXPECT_EQ(bad.status, 400);
    auto ok = c.post_json("/api/auth/login", json::object{{"email", "OLD@example.com"},
                                                          {"password", "tutorial-password"}});
    ASSERT_EQ(ok.status, 200) << ok.body;
    auto me = c.get(
        "/api/users/me",
        {{"Authorization", "Bearer " + std::string(ok.json().at("access_token").as_string())}});
    EXPECT_EQ(me.status, 200);
    EXPECT_EQ(std::string(me.json().at("created_at").as_string()).substr(0, 19),
              "2022-11-10T09:00:00");
  }
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "SELECT password FROM api_user WHERE email = 'old@example.com'", -1, &stmt,
                     nullptr);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  const std::string stored = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  EXPECT_EQ(stored.rfind("$argon2id$", 0), 0u) << stored;
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

}  // namespace
}  // namespace gatehouse::e2e
