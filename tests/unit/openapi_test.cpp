// The OpenAPI document is built from the route table: these tests check the building (schemas
// from the validator's rules, the answers every route of a kind adds, refusing contradictions)
// and that the real server's document lists exactly the routes it serves.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <set>
#include <stdexcept>
#include <string>

#include "app/server_app.hpp"
#include "config/settings.hpp"
#include "docs/openapi.hpp"
#include "http/body_validator.hpp"
#include "http/router.hpp"
#include "key_fixtures.hpp"
#include "test_support.hpp"

namespace gatehouse {
namespace {

namespace bhttp = boost::beast::http;
namespace json = boost::json;
using http::BodySchema;
using http::Execution;
using http::Operation;

http::Handler no_op() {
  return [](const http::Request&) { return http::Response{}; };
}

BodySchema login_schema() {
  return {.name = "Login",
          .fields = {{.name = "email", .rule = {.max_chars = 255, .email = true}},
                     {.name = "password", .rule = {.min_chars = 8, .max_bytes = 1024}},
                     {.name = "role", .description = "ignored", .ignored = true}}};
}

TEST(JsonSchema, CarriesTheValidatorsRules) {
  const json::object schema = http::json_schema(login_schema());
  EXPECT_EQ(schema.at("title"), "Login");
  EXPECT_EQ(schema.at("type"), "object");
  EXPECT_EQ(schema.at("required"), (json::array{"email", "password"}));
  const json::object& p = schema.at("properties").as_object();
  EXPECT_EQ(p.at("email").at("format"), "email");
  EXPECT_EQ(p.at("email").at("maxLength"), 255);
  EXPECT_EQ(p.at("password").at("minLength"), 8);
  // A byte limit bounds the characters, and says so.
  EXPECT_EQ(p.at("password").at("maxLength"), 1024);
  EXPECT_NE(p.at("password").at("description").as_string().find("1024 bytes"), json::string::npos);
  // An ignored field is documented, not required, without a type it would not enforce.
  EXPECT_EQ(p.at("role").at("deprecated"), true);
  EXPECT_FALSE(p.at("role").as_object().contains("type"));
}

TEST(BodyValidator, ReadsTheFieldsOfASchemaAndSkipsIgnoredOnes) {
  http::BodyValidator ok(R"({"email":"a@example.com","password":"12345678","role":5})");
  const http::BodyFields fields = ok.read(login_schema());
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(fields.at("email"), "a@example.com");
  EXPECT_EQ(fields.at("password"), "12345678");
  EXPECT_FALSE(fields.contains("role"));

  http::BodyValidator bad(R"({"email":"nope","password":"short"})");
  bad.read(login_schema());
  ASSERT_EQ(bad.issues().size(), 2u);
  EXPECT_EQ(bad.issues()[0].loc, (std::vector<std::string>{"body", "email"}));
  EXPECT_EQ(bad.issues()[1].type, "value_error.any_str.min_length");
}

BodySchema patch_schema() {
  return {.name = "Patch",
          .fields = {{.name = "name", .rule = {.min_chars = 1}, .optional = true},
                     {.name = "role", .optional = true, .values = {"user", "admin"}},
                     {.name = "disabled", .type = http::FieldType::kBoolean, .optional = true}}};
}

TEST(BodyValidator, OptionalFieldsBooleansAndEnumerations) {
  http::BodyValidator empty("{}");
  EXPECT_TRUE(empty.read(patch_schema()).empty());
  EXPECT_TRUE(empty.ok());
  http::BodyValidator some(R"({"role":"admin","disabled":false,"name":null})");
  const http::BodyFields fields = some.read(patch_schema());
  ASSERT_TRUE(some.ok());
  EXPECT_EQ(fields.at("role"), "admin");
  EXPECT_EQ(fields.at("disabled"), "false");
  EXPECT_FALSE(fields.contains("name"));  // null is absent

  // No "true" strings or numbers for a boolean (StrictBool), nothing outside the enumeration.
  http::BodyValidator bad(R"({"role":"root","disabled":"true","name":""})");
  bad.read(patch_schema());
  ASSERT_EQ(bad.issues().size(), 3u);
  std::set<std::string> types;
  for (const auto& issue : bad.issues()) types.insert(issue.type);
  EXPECT_TRUE(types.contains("type_error.enum"));
  EXPECT_TRUE(types.contains("type_error.bool"));
  EXPECT_EQ(http::BodyValidator(R"({"disabled":1})").read(patch_schema()).size(), 0u);

  const json::object schema = http::json_schema(patch_schema());
  EXPECT_TRUE(schema.at("required").as_array().empty());
  const json::object& p = schema.at("properties").as_object();
  EXPECT_EQ(p.at("disabled").at("type"), "boolean");
  EXPECT_EQ(p.at("role").at("enum"), (json::array{"user", "admin"}));
}

json::object user_schemas() {
  return json::object{{"User", json::object{{"type", "object"}}}};
}

TEST(OpenApiDocument, AddsTheAnswersEveryRouteOfItsKindCanGive) {
  http::Router router;
  router.add(bhttp::verb::post, "/login", Execution::kHashing, no_op(),
             {.summary = "Log in",
              .tag = "Auth",
              .body = {login_schema()},
              .responses = {{.status = 200, .description = "in", .schema = "User"}}});
  router.add(bhttp::verb::get, "/me", Execution::kWorker, no_op(),
             {.summary = "Me",
              .tag = "Users",
              .credential = http::Credential::kAccessToken,
              .responses = {{.status = 200, .description = "me", .schema = "User"}}});
  router.add(bhttp::verb::get, "/health", Execution::kInline, no_op(),
             {.summary = "Health", .responses = {{.status = 200, .description = "up"}}});
  router.add(bhttp::verb::get, "/page", Execution::kInline, no_op(),
             {.summary = "A page", .in_document = false});
  const json::object doc = docs::openapi_document(router, {.version = "1"}, user_schemas());

  EXPECT_EQ(doc.at("openapi"), "3.1.0");
  const json::object& paths = doc.at("paths").as_object();
  EXPECT_EQ(paths.size(), 3u);  // not /page
  const json::object& login = paths.at("/login").at("post").as_object();
  EXPECT_EQ(login.at("operationId"), "post_login");
  EXPECT_EQ(login.at("requestBody").at("content").at("application/json").at("schema").at("$ref"),
            "#/components/schemas/Login");
  std::set<std::string> statuses;
  for (const auto& [status, _] : login.at("responses").as_object()) statuses.emplace(status);
  EXPECT_EQ(statuses, (std::set<std::string>{"200", "413", "415", "422", "503"}));
  EXPECT_FALSE(login.contains("security"));

  const json::object& me = paths.at("/me").at("get").as_object();
  EXPECT_TRUE(me.at("responses").as_object().contains("401"));
  EXPECT_TRUE(me.at("responses").as_object().contains("503"));
  EXPECT_FALSE(me.at("responses").as_object().contains("422"));
  EXPECT_EQ(me.at("security").as_array().size(), 2u);

  const json::object& health = paths.at("/health").at("get").as_object();
  EXPECT_EQ(health.at("responses").as_object().size(), 1u);  // runs inline: no 503
  EXPECT_FALSE(health.at("responses").at("200").as_object().contains("content"));

  const json::object& schemas = doc.at("components").at("schemas").as_object();
  for (const char* name : {"Login", "User", "HTTPError", "HTTPValidationError"}) {
    EXPECT_TRUE(schemas.contains(name)) << name;
  }
  EXPECT_EQ(doc.at("tags"),
            (json::array{json::object{{"name", "Auth"}}, json::object{{"name", "Users"}}}));
}

TEST(OpenApiDocument, OneOfForAlternativeBodiesAndOnePathItemForTwoMethods) {
  http::Router router;
  BodySchema a{.name = "A", .fields = {{.name = "token"}}};
  BodySchema b{.name = "B", .fields = {{.name = "code"}}};
  router.add(bhttp::verb::post, "/verify", Execution::kWorker, no_op(),
             {.summary = "Verify", .body = {a, b}});
  router.add(bhttp::verb::get, "/verify", Execution::kWorker, no_op(), {.summary = "Look"});
  const json::object doc = docs::openapi_document(router, {}, {});
  const json::object& item = doc.at("paths").at("/verify").as_object();
  EXPECT_EQ(item.size(), 2u);
  EXPECT_EQ(item.at("post")
                .at("requestBody")
                .at("content")
                .at("application/json")
                .at("schema")
                .at("oneOf")
                .as_array()
                .size(),
            2u);
}

TEST(OpenApiDocument, RefusesRoutesThatContradictEachOther) {
  {
    http::Router router;  // two different bodies of one name
    router.add(bhttp::verb::post, "/a", Execution::kWorker, no_op(),
               {.summary = "A", .body = {BodySchema{.name = "X", .fields = {{.name = "a"}}}}});
    router.add(bhttp::verb::post, "/b", Execution::kWorker, no_op(),
               {.summary = "B", .body = {BodySchema{.name = "X", .fields = {{.name = "b"}}}}});
    EXPECT_THROW(docs::openapi_document(router, {}, {}), std::logic_error);
  }
  {
    http::Router router;  // an answer naming a schema that does not exist
    router.add(bhttp::verb::get, "/a", Execution::kInline, no_op(),
               {.summary = "A", .responses = {{.status = 200, .schema = "Nope"}}});
    EXPECT_THROW(docs::openapi_document(router, {}, {}), std::logic_error);
  }
  {
    http::Router router;  // a documented route without a summary
    router.add(bhttp::verb::get, "/a", Execution::kInline, no_op(), {});
    EXPECT_THROW(docs::openapi_document(router, {}, {}), std::logic_error);
  }
}

// The server's own routes against its own /openapi.json: a route the document lacks, or a
// documented operation no route serves, fails here. Routes left out of the document on purpose
// (pages for people, the docs themselves) are listed: a new one must be added here knowingly.
class ServerDocument : public ::testing::Test {
 protected:
  std::unique_ptr<app::ServerApp> make_app(bool docs_enabled) {
    config::EnvMap env{
        {"DATABASE_URL", "sqlite:///" + (dir_.path() / "gatehouse.db").string()},
        {"JWT_PRIVATE_KEY", std::string(testing::kEnv2048PrivateB64)},
        {"JWT_PUBLIC_KEY", std::string(testing::kEnv2048PublicB64)},
        {"DOCS_ENABLED", docs_enabled ? "true" : "false"},
    };
    auto settings = config::load_settings(env);
    EXPECT_TRUE(settings) << settings.error().internal;
    auto app = app::ServerApp::create(*settings);
    EXPECT_TRUE(app) << app.error().internal;
    return std::move(*app);
  }

  static http::Response get(const app::ServerApp& app, const std::string& target) {
    http::BeastRequest message{bhttp::verb::get, target, 11};
    http::Request request{message, target, "127.0.0.1", {}};
    auto routed = app.application().route(request);
    if (auto* answer = std::get_if<http::Response>(&routed)) return *answer;
    return http::Application::invoke(*std::get<const http::Route*>(routed), request);
  }

  testing::TempDir dir_;
};

std::string method_name(bhttp::verb method) {
  std::string m(bhttp::to_string(method));
  for (char& c : m) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return m;
}

TEST_F(ServerDocument, ListsExactlyTheRoutesTheServerServes) {
  auto app = make_app(true);
  const http::Response answer = get(*app, "/openapi.json");
  ASSERT_EQ(answer.status, bhttp::status::ok);
  const json::object doc = json::parse(answer.body).as_object();

  std::set<std::string> routed, documented, hidden;
  for (const http::Route& route : app->application().router().routes()) {
    const std::string key = method_name(route.method) + " " + route.pattern;
    (route.doc.in_document ? routed : hidden).insert(key);
  }
  for (const auto& [path, item] : doc.at("paths").as_object()) {
    for (const auto& [method, _] : item.as_object()) {
      documented.insert(std::string(method) + " " + std::string(path));
    }
  }
  EXPECT_EQ(routed, documented);
  // Tag names are unique (OpenAPI); several routes share each.
  std::set<std::string> tags;
  for (const auto& tag : doc.at("tags").as_array()) {
    EXPECT_TRUE(tags.insert(std::string(tag.at("name").as_string())).second) << tag;
  }
  EXPECT_EQ(tags, (std::set<std::string>{"Health", "Auth", "Users", "Sessions", "Account", "Keys",
                                         "Admin"}));
  EXPECT_EQ(hidden,
            (std::set<std::string>{"get /auth/verify-email", "get /auth/reset-password",
                                   "get /auth/account.js", "get /auth/account.css",
                                   "get /openapi.json", "get /docs", "get /docs/swagger-init.js",
                                   "get /docs/swagger-ui-bundle.js", "get /docs/swagger-ui.css",
                                   "get /redoc", "get /redoc/redoc.standalone.js"}));
  // The tutorial's routes, as its clients call them.
  for (const char* key :
       {"post /api/auth/register", "post /api/auth/login", "get /api/auth/refresh",
        "get /api/auth/logout", "get /api/users/me", "get /api/healthchecker"}) {
    EXPECT_TRUE(documented.contains(key)) << key;
  }
}

TEST_F(ServerDocument, PagesAndScriptsAreCompiledInWithAPolicy) {
  auto app = make_app(true);
  for (const char* page : {"/docs", "/redoc"}) {
    const http::Response r = get(*app, page);
    ASSERT_EQ(r.status, bhttp::status::ok) << page;
    EXPECT_EQ(r.header_value("Content-Type"), "text/html; charset=utf-8");
    const auto policy = r.header_value("Content-Security-Policy");
    ASSERT_TRUE(policy) << page;
    EXPECT_NE(policy->find("script-src 'self';"), std::string_view::npos) << *policy;
  }
  for (const char* asset : {"/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css",
                            "/docs/swagger-init.js", "/redoc/redoc.standalone.js"}) {
    const http::Response r = get(*app, asset);
    ASSERT_EQ(r.status, bhttp::status::ok) << asset;
    EXPECT_GT(r.body.size(), 400u) << asset;
  }
}

}  // namespace
}  // namespace gatehouse
