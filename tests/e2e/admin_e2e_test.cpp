// End-to-end: administration on SQLite, MariaDB and PostgreSQL. The first admin is made with
// `gatehouse users create` (password on standard input), logs in and runs the admin API; what an
// admin ends (a disabling, a role change, a logout) is refused on the very next request; the
// guard rails hold; a normal user gets 403 on every admin route of the OpenAPI document; a stale
// admin session (password older than ADMIN_FRESH_MINUTES, on a moved wall clock) must log in again.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "auth/jws.hpp"
#include "http_client.hpp"
#include "server_process.hpp"
#include "test_databases.hpp"

namespace gatehouse::e2e {
namespace {

namespace json = boost::json;
using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr const char* kAdminEmail = "root@example.com";
constexpr const char* kAdminPassword = "Operat0r-secret";

class AdminTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(FakeWallClock::available())
        << "libfaketime is missing: run scripts/install-deps.sh --test";
    clock_ = std::make_unique<FakeWallClock>(dir_.path());
    env_ = test_env(free_port());
    clock_->add_to(env_);
    env_["ADMIN_FRESH_MINUTES"] = "5";
    std::string skip;
    database_ = prepare_backend(GetParam(), dir_.path(), env_, skip);
    if (!skip.empty()) GTEST_SKIP() << skip;
    // The first admin, before any server runs (on SQLite the command makes the database).
    auto made =
        users({"create", "--email", "Root@Example.com", "--name", "Root", "--role", "admin"},
              std::string(kAdminPassword) + "\n");
    ASSERT_EQ(made.exit_code, 0) << made.err;
    EXPECT_NE(made.out.find("root@example.com"), std::string::npos) << made.out;
    server_ = std::make_unique<ServerProcess>(dir_.path(), env_);
    ASSERT_TRUE(server_->ready()) << server_->log();
    admin_ = login(kAdminEmail, kAdminPassword);
    ASSERT_FALSE(admin_.empty());
  }

  CommandResult users(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), "users");
    return run_gatehouse(args, dir_.path(), env_, input);
  }
  HttpResult call(const std::string& method, const std::string& target, const std::string& bearer,
                  const std::string& body = "") {
    Headers headers;
    if (!bearer.empty()) headers.emplace_back("Authorization", "Bearer " + bearer);
    if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
    HttpClient client(server_->port());
    return client.request(method, target, body, headers);
  }
  HttpResult patch(std::int64_t id, const json::object& body, const std::string& bearer = "") {
    return call("PATCH", "/api/admin/users/" + std::to_string(id), bearer.empty() ? admin_ : bearer,
                json::serialize(body));
  }
  // Registers an account through the API; its id.
  std::int64_t register_user(const std::string& email) {
    const json::object body{{"name", email.substr(0, email.find('@'))},
                            {"email", email},
                            {"photo", "p"},
                            {"password", kPassword},
                            {"passwordConfirm", kPassword}};
    auto r = call("POST", "/api/auth/register", "", json::serialize(body));
    EXPECT_EQ(r.status, 201) << r.body;
    return r.status == 201 ? r.json().at("id").as_int64() : 0;
  }
  HttpResult login_result(const std::string& email, const std::string& password = kPassword) {
    const json::object body{{"email", email}, {"password", password}};
    return call("POST", "/api/auth/login", "", json::serialize(body));
  }
  // An access token of a new session, or "" (with a failure).
  std::string login(const std::string& email, const std::string& password = kPassword) {
    auto r = login_result(email, password);
    EXPECT_EQ(r.status, 200) << r.body;
    last_refresh_ = r.status == 200 ? std::string(r.json().at("refresh_token").as_string()) : "";
    return r.status == 200 ? std::string(r.json().at("access_token").as_string()) : "";
  }
  int me(const std::string& access) { return call("GET", "/api/users/me", access).status; }
  static json::object claims(const std::string& token) {
    const std::size_t start = token.find('.') + 1;
    auto decoded = auth::base64url_decode(token.substr(start, token.find('.', start) - start));
    EXPECT_TRUE(decoded.ok());
    return decoded.ok() ? json::parse(*decoded).as_object() : json::object{};
  }
  // The audit events of account `id` of type `event` (newest first), as the admin API lists them.
  json::array events(std::int64_t id, const std::string& event) {
    auto r =
        call("GET", "/api/admin/events?user_id=" + std::to_string(id) + "&event=" + event, admin_);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? r.json().at("events").as_array() : json::array{};
  }
  std::int64_t admin_id() {
    auto r = call("GET", "/api/users/me", admin_);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json().at("id").as_int64();
  }

  TempDir dir_;
  std::unique_ptr<FakeWallClock> clock_;
  std::unique_ptr<TestDatabase> database_;  // null on SQLite
  std::map<std::string, std::string> env_;
  std::unique_ptr<ServerProcess> server_;
  std::string admin_;  // the first admin's access token
  std::string last_refresh_;
};

INSTANTIATE_TEST_SUITE_P(Backends, AdminTest, ::testing::Values("sqlite", "mysql", "postgresql"),
                         [](const auto& param_info) { return param_info.param; });

TEST_P(AdminTest, TheFirstAdminFromTheCommandLineSearchesReadsAndPages) {
  EXPECT_EQ(claims(admin_).at("role"), "admin");
  const std::int64_t alice = register_user("alice@example.com");
  register_user("bob@example.com");
  const std::string alice_token = login("alice@example.com");
  EXPECT_EQ(claims(alice_token).at("role"), "user");

  auto r = call("GET", "/api/admin/users?query=ALICE", admin_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("cache-control"), "no-store");
  json::value page = r.json();
  EXPECT_EQ(page.at("total"), 1);
  ASSERT_EQ(page.at("users").as_array().size(), 1u);
  EXPECT_EQ(page.at("users").at(0).at("email"), "alice@example.com");
  EXPECT_EQ(page.at("users").at(0).at("role"), "user");
  EXPECT_EQ(page.at("users").at(0).at("disabled"), false);

  // Three accounts, two a page: the second page has the last one and the same total.
  r = call("GET", "/api/admin/users?per_page=2&page=2", admin_);
  ASSERT_EQ(r.status, 200) << r.body;
  page = r.json();
  EXPECT_EQ(page.at("total"), 3);
  EXPECT_EQ(page.at("page"), 2);
  ASSERT_EQ(page.at("users").as_array().size(), 1u);
  EXPECT_EQ(page.at("users").at(0).at("email"), "bob@example.com");
  // '%' and '_' are matched as themselves, not as LIKE patterns.
  r = call("GET", "/api/admin/users?query=%25", admin_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("total"), 0);

  for (const char* bad : {"per_page=101", "per_page=0", "page=0", "page=x"}) {
    r = call("GET", std::string("/api/admin/users?") + bad, admin_);
    EXPECT_EQ(r.status, 422) << bad << ": " << r.body;
  }
  r = call("GET", "/api/admin/users/" + std::to_string(alice), admin_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("email"), "alice@example.com");
  EXPECT_EQ(call("GET", "/api/admin/users/987654", admin_).status, 404);
  EXPECT_EQ(call("GET", "/api/admin/users/abc", admin_).status, 422);
  EXPECT_EQ(call("DELETE", "/api/admin/users/987654", admin_).status, 404);
  EXPECT_EQ(call("POST", "/api/admin/users/987654/logout", admin_).status, 404);
  EXPECT_EQ(call("GET", "/api/admin/users/987654/sessions", admin_).status, 404);
  EXPECT_EQ(patch(987654, {{"name", "X"}}).status, 404);

  r = call("GET", "/api/admin/users/" + std::to_string(alice) + "/sessions", admin_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("sessions").as_array().size(), 1u);

  // The operator's list shows the same accounts.
  auto listed = users({"list", "--query", "example.com"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("alice@example.com"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("root@example.com  \"Root\"  admin"), std::string::npos) << listed.out;
}

TEST_P(AdminTest, MalformedChangesAre422AndChangeNothing) {
  const std::int64_t alice = register_user("alice@example.com");
  const std::string target = "/api/admin/users/" + std::to_string(alice);
  for (const std::string& body :
       {std::string(R"({"role":"superuser"})"), std::string(R"({"verified":"yes"})"),
        std::string(R"({"disabled":1})"), std::string(R"({"name":""})"), std::string("[1]"),
        std::string("{not json")}) {
    auto r = call("PATCH", target, admin_, body);
    EXPECT_EQ(r.status, 422) << body << ": " << r.body;
  }
  auto r = call("GET", target, admin_);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json().at("role"), "user");
  EXPECT_EQ(r.json().at("name"), "alice");
  EXPECT_EQ(r.json().at("disabled"), false);
  // Every field at once, by the same request.
  r = patch(alice, {{"name", "Alice B"}, {"verified", false}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("name"), "Alice B");
  EXPECT_EQ(r.json().at("verified"), false);
}

TEST_P(AdminTest, WhatAnAdminEndsEndsAtTheNextRequest) {
  const std::int64_t alice = register_user("alice@example.com");
  const std::int64_t root = admin_id();

  // A role change: the old tokens stop at once, the next login carries the new role.
  std::string access = login("alice@example.com");
  std::string refresh = last_refresh_;
  ASSERT_EQ(me(access), 200);
  auto r = patch(alice, {{"role", "admin"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("role"), "admin");
  EXPECT_EQ(me(access), 401);
  EXPECT_EQ(call("POST", "/api/auth/refresh", refresh).status, 400);  // the tutorial's status
  access = login("alice@example.com");
  EXPECT_EQ(claims(access).at("role"), "admin");
  EXPECT_EQ(call("GET", "/api/admin/users", access).status, 200);  // the new admin's fresh login
  ASSERT_EQ(patch(alice, {{"role", "user"}}).status, 200);
  EXPECT_EQ(call("GET", "/api/admin/users", access).status, 401);

  // A disabling: live tokens refused, login answers 403 and says why, the data stays.
  access = login("alice@example.com");
  refresh = last_refresh_;
  r = patch(alice, {{"disabled", true}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("disabled"), true);
  EXPECT_FALSE(r.json().at("disabled_at").is_null());
  EXPECT_EQ(me(access), 401);
  EXPECT_EQ(call("POST", "/api/auth/refresh", refresh).status, 400);  // the tutorial's status
  r = login_result("alice@example.com");
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(r.detail(), "This account is disabled");
  EXPECT_EQ(login_result("alice@example.com", "wrong-password").status, 400);  // no oracle
  r = call("GET", "/api/admin/users/" + std::to_string(alice), admin_);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json().at("email"), "alice@example.com");
  ASSERT_EQ(patch(alice, {{"disabled", false}}).status, 200);
  access = login("alice@example.com");
  EXPECT_EQ(me(access), 200);

  // A logout of every session, by the API and by the operator's command.
  const std::string second = login("alice@example.com");
  r = call("POST", "/api/admin/users/" + std::to_string(alice) + "/logout", admin_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("sessions_ended"), 2);
  EXPECT_EQ(me(access), 401);
  EXPECT_EQ(me(second), 401);
  access = login("alice@example.com");
  auto cli = users({"logout", "ALICE@example.com"});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_EQ(me(access), 401);

  // Each action is in the audit trail with the acting admin (none for the operator).
  for (const char* event : {"role_changed", "account_disabled", "account_enabled"}) {
    const json::array found = events(alice, event);
    ASSERT_FALSE(found.empty()) << event;
    EXPECT_EQ(found.at(0).at("actor_id"), root) << event;
  }
  const json::array logouts = events(alice, "admin_logout");
  ASSERT_EQ(logouts.size(), 2u);
  EXPECT_TRUE(logouts.at(0).at("actor_id").is_null());
  EXPECT_EQ(logouts.at(0).at("user_agent"), "gatehouse users");
  EXPECT_EQ(logouts.at(1).at("actor_id"), root);

  // A deletion: the account is gone, its events stay.
  r = call("DELETE", "/api/admin/users/" + std::to_string(alice), admin_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(call("GET", "/api/admin/users/" + std::to_string(alice), admin_).status, 404);
  EXPECT_EQ(login_result("alice@example.com").status, 400);
  EXPECT_EQ(events(alice, "user_deleted").size(), 1u);
}

TEST_P(AdminTest, GuardRailsKeepAnActiveAdmin) {
  const std::int64_t root = admin_id();
  auto r = patch(root, {{"role", "user"}});
  EXPECT_EQ(r.status, 409) << r.body;
  r = patch(root, {{"disabled", true}});
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(call("DELETE", "/api/admin/users/" + std::to_string(root), admin_).status, 409);
  // The operator is held by the last-admin rule too.
  auto cli = users({"disable", kAdminEmail});
  EXPECT_EQ(cli.exit_code, 1);
  EXPECT_NE(cli.err.find("last admin"), std::string::npos) << cli.err;
  cli = users({"set-role", kAdminEmail, "user"});
  EXPECT_EQ(cli.exit_code, 1);
  EXPECT_EQ(me(admin_), 200);  // nothing happened

  // With a second admin the first may step down, but never disable or delete itself.
  const std::int64_t alice = register_user("alice@example.com");
  cli = users({"set-role", "alice@example.com", "admin"});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_EQ(patch(root, {{"disabled", true}}).status, 409);
  EXPECT_EQ(call("DELETE", "/api/admin/users/" + std::to_string(root), admin_).status, 409);
  const std::string alice_token = login("alice@example.com");
  r = patch(alice, {{"disabled", true}});  // the other admin: allowed
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(call("GET", "/api/admin/users", alice_token).status, 401);
  // Alice disabled is no active admin: root is the last one again.
  EXPECT_EQ(patch(root, {{"role", "user"}}).status, 409);

  // Bad operator input: unknown account, unknown role, a password that registration refuses.
  cli = users({"enable", "nobody@example.com"});
  EXPECT_EQ(cli.exit_code, 1);
  EXPECT_NE(cli.err.find("User not found"), std::string::npos) << cli.err;
  cli = users({"set-role", "alice@example.com", "root"});
  EXPECT_EQ(cli.exit_code, 1);
  cli = users({"create", "--email", "new@example.com", "--name", "New"}, "short\n");
  EXPECT_EQ(cli.exit_code, 1);
  EXPECT_NE(cli.err.find("--password"), std::string::npos) << cli.err;
  cli = users({"create", "--email", "not-an-address", "--name", "New"}, "long-enough-1\n");
  EXPECT_EQ(cli.exit_code, 1);
  cli = users({"create", "--email", kAdminEmail, "--name", "Again"}, "long-enough-1\n");
  EXPECT_EQ(cli.exit_code, 1);
  EXPECT_NE(cli.err.find("exist"), std::string::npos) << cli.err;
  cli = users({"create", "--email", "new@example.com", "--name", "New"});  // no password at all
  EXPECT_EQ(cli.exit_code, 1);
  EXPECT_EQ(login_result("new@example.com", "long-enough-1").status, 400);
}

// Walks every admin route of the OpenAPI document: a user's token gets 403, no token 401.
TEST_P(AdminTest, ANormalUserGets403OnEveryAdminRoute) {
  const std::int64_t alice = register_user("alice@example.com");
  const std::string user = login("alice@example.com");
  auto doc = call("GET", "/openapi.json", "");
  ASSERT_EQ(doc.status, 200);
  const json::value document = doc.json();
  int walked = 0;
  for (const auto& [path, item] : document.at("paths").as_object()) {
    if (!path.starts_with("/api/admin/")) continue;
    std::string target(path);
    if (auto at = target.find("{id}"); at != std::string::npos) {
      target.replace(at, 4, std::to_string(alice));
    }
    for (const auto& [method, op] : item.as_object()) {
      std::string verb(method);
      for (char& c : verb) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      const std::string body = verb == "PATCH" ? R"({"role":"admin"})" : "";
      auto r = call(verb, target, user, body);
      EXPECT_EQ(r.status, 403) << verb << " " << target << ": " << r.body;
      EXPECT_EQ(r.detail(), "Admin role required") << verb << " " << target;
      EXPECT_EQ(call(verb, target, "", body).status, 401) << verb << " " << target;
      ++walked;
    }
  }
  EXPECT_EQ(walked, 7);
  auto r = call("GET", "/api/admin/users/" + std::to_string(alice), admin_);
  EXPECT_EQ(r.json().at("role"), "user");  // the walk changed nothing
}

// The parameters /openapi.json documents are the ones the server enforces: on every GET route,
// each documented bound and value of a query or path parameter is accepted (a path id past the
// last account is a 404, never a database error) and a value past them is a 422 naming it.
TEST_P(AdminTest, DocumentedParametersAreEnforcedAsDocumented) {
  auto doc = call("GET", "/openapi.json", "");
  ASSERT_EQ(doc.status, 200);
  const json::value document = doc.json();
  int checked = 0;
  for (const auto& [path, item] : document.at("paths").as_object()) {
    const json::object& operations = item.as_object();
    if (!operations.contains("get")) continue;
    const json::object& get = operations.at("get").as_object();
    if (!get.contains("parameters")) continue;
    for (const json::value& param : get.at("parameters").as_array()) {
      const std::string in(param.at("in").as_string());
      const std::string name(param.at("name").as_string());
      const json::object& schema = param.at("schema").as_object();
      std::vector<std::string> good, bad;
      if (schema.at("type") == "integer") {
        const std::int64_t min = schema.at("minimum").as_int64();
        const std::int64_t max = schema.at("maximum").as_int64();
        good = {std::to_string(min), std::to_string(max)};
        bad = {std::to_string(min - 1), "1.5", "x"};
        if (max < std::numeric_limits<std::int64_t>::max()) bad.push_back(std::to_string(max + 1));
      } else if (schema.contains("enum")) {
        for (const json::value& v : schema.at("enum").as_array()) {
          good.emplace_back(v.as_string());
        }
        bad = {"no-such-value"};
      } else {
        continue;  // free text
      }
      const auto target = [&](const std::string& value) {
        std::string t(path);
        if (in == "query") return t + "?" + name + "=" + value;
        return t.replace(t.find("{" + name + "}"), name.size() + 2, value);
      };
      if (target("1").find('{') != std::string::npos) continue;  // a second path parameter
      // Logout is a GET (as in the tutorial): its accepted values would end the admin's session
      // (SessionsTest covers them); its refused ones must end nothing.
      if (path == "/api/auth/logout") good.clear();
      for (const std::string& value : good) {
        auto r = call("GET", target(value), admin_);
        EXPECT_TRUE(r.status == 200 || (in == "path" && r.status == 404))
            << target(value) << ": " << r.status << " " << r.body;
      }
      for (const std::string& value : bad) {
        auto r = call("GET", target(value), admin_);
        ASSERT_EQ(r.status, 422) << target(value) << ": " << r.body;
        EXPECT_EQ(r.json().at("detail").at(0).at("loc"),
                  (json::array{json::string(in), json::string(name)}))
            << target(value);
      }
      ++checked;
    }
  }
  // /api/auth/logout: scope; /api/users/me/events: limit, before, event; /api/admin/users: page,
  // per_page (query is free text); /api/admin/events: user_id, event, page, per_page (since is
  // free text); /api/admin/users/{id} and /api/admin/users/{id}/sessions: id.
  EXPECT_EQ(checked, 12);
  EXPECT_EQ(me(admin_), 200);  // no refused logout ended the session
}

TEST_P(AdminTest, AStaleAdminSessionMustLogInAgain) {
  const std::int64_t root = admin_id();
  std::string refresh = last_refresh_;
  clock_->advance(std::chrono::minutes(6));  // past ADMIN_FRESH_MINUTES=5, inside the token's 15
  EXPECT_EQ(me(admin_), 200);
  auto r = call("GET", "/api/admin/users", admin_);
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_NE(r.detail().find("log in again"), std::string::npos) << r.body;
  // A refresh renews tokens, not the password: still stale.
  r = call("POST", "/api/auth/refresh", refresh);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(
      call("GET", "/api/admin/users", std::string(r.json().at("access_token").as_string())).status,
      403);
  admin_ = login(kAdminEmail, kAdminPassword);
  EXPECT_EQ(call("GET", "/api/admin/users/" + std::to_string(root), admin_).status, 200);
}

}  // namespace
}  // namespace gatehouse::e2e
