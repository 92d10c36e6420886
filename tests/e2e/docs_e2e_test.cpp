// End-to-end: /openapi.json against the running server. Every documented operation, called
// without credentials or with an empty body, answers one of its documented statuses (never 404 or
// 405: the document names no route the server lacks). The answers of every end-to-end test are
// also checked against the document's schemas (tests/openapi/check_openapi.py).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <map>
#include <string>

#include "http_client.hpp"
#include "server_process.hpp"

namespace gatehouse::e2e {
namespace {

namespace json = boost::json;

std::string fill_parameters(std::string path) {
  for (auto open = path.find('{'); open != std::string::npos; open = path.find('{')) {
    path.replace(open, path.find('}', open) - open + 1, "no-such-id");
  }
  return path;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

TEST(Docs, EveryDocumentedOperationAnswersADocumentedStatus) {
  TempDir dir;
  ServerProcess server(dir.path(), test_env(free_port()));
  ASSERT_TRUE(server.ready()) << server.log();
  HttpClient client(server.port());
  const HttpResult doc_answer = client.get("/openapi.json");
  ASSERT_EQ(doc_answer.status, 200);
  EXPECT_EQ(doc_answer.header("content-type"), "application/json");
  const json::object doc = doc_answer.json().as_object();
  EXPECT_EQ(doc.at("openapi"), "3.1.0");

  int operations = 0;
  for (const auto& [path, item] : doc.at("paths").as_object()) {
    for (const auto& [method, op] : item.as_object()) {
      ++operations;
      const std::string target = fill_parameters(std::string(path));
      const bool has_body = op.as_object().contains("requestBody");
      std::vector<std::pair<std::string, std::string>> headers;
      if (has_body) headers.emplace_back("Content-Type", "application/json");
      const HttpResult r =
          client.request(upper(std::string(method)), target, has_body ? "{}" : "", headers);
      const std::string where =
          std::string(method) + " " + target + " -> " + std::to_string(r.status) + " " + r.body;
      EXPECT_NE(r.status, 404) << where;  // no credentials: refused before the id is looked up
      EXPECT_NE(r.status, 405) << where;
      EXPECT_TRUE(op.at("responses").as_object().contains(std::to_string(r.status))) << where;
    }
  }
  EXPECT_GE(operations, 18);
}

TEST(Docs, PagesServeTheirScriptsUnderAPolicy) {
  TempDir dir;
  ServerProcess server(dir.path(), test_env(free_port()));
  ASSERT_TRUE(server.ready()) << server.log();
  HttpClient client(server.port());
  for (const char* page : {"/docs", "/redoc"}) {
    const HttpResult r = client.get(page);
    ASSERT_EQ(r.status, 200) << page;
    EXPECT_EQ(r.header("content-type"), "text/html; charset=utf-8");
    EXPECT_NE(r.header("content-security-policy").value_or("").find("script-src 'self';"),
              std::string::npos);
  }
  const HttpResult bundle = client.get("/docs/swagger-ui-bundle.js");
  ASSERT_EQ(bundle.status, 200);
  EXPECT_NE(bundle.body.find("SwaggerUIBundle"), std::string::npos);
  const HttpResult redoc = client.get("/redoc/redoc.standalone.js");
  ASSERT_EQ(redoc.status, 200);
  EXPECT_GT(redoc.body.size(), 500000u);
}

TEST(Docs, DocsEnabledFalseServesNoneOfTheThree) {
  TempDir dir;
  auto env = test_env(free_port());
  env["DOCS_ENABLED"] = "false";
  ServerProcess server(dir.path(), env);
  ASSERT_TRUE(server.ready()) << server.log();
  HttpClient client(server.port());
  for (const char* target : {"/openapi.json", "/docs", "/redoc", "/docs/swagger-ui-bundle.js",
                             "/redoc/redoc.standalone.js"}) {
    EXPECT_EQ(client.get(target).status, 404) << target;
  }
  EXPECT_EQ(client.get("/api/healthchecker").status, 200);
}

}  // namespace
}  // namespace gatehouse::e2e
