// Query parameters are declared once (http::ParameterDoc): the handler reads them through that
// declaration (api::ParamReader) and /openapi.json documents it. These tests check both ends
// against one declaration, so a documented bound is an enforced one.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "api/api_support.hpp"
#include "docs/openapi.hpp"
#include "http/operation.hpp"
#include "http/router.hpp"

namespace gatehouse {
namespace {

namespace bhttp = boost::beast::http;
namespace json = boost::json;

const http::ParameterDoc kPage{
    .name = "page",
    .in = "query",
    .integer = http::IntegerRange{.minimum = 1, .maximum = 50, .fallback = 1}};
const http::ParameterDoc kBefore{.name = "before", .in = "query", .integer = http::IntegerRange{}};
const http::ParameterDoc kScope{.name = "scope",
                                .in = "query",
                                .values = {"session", "others", "global"},
                                .default_value = "session"};
const http::ParameterDoc kKind{.name = "kind", .in = "query", .values = {"a", "b"}};

// Reads the query of `target` with a fresh ParamReader and hands it to `read`.
template <typename Read>
auto with_query(const std::string& target, Read read) {
  http::BeastRequest message{bhttp::verb::get, target, 11};
  http::Request request{message, "/x", "127.0.0.1", {}};
  api::ParamReader params(request);
  auto value = read(params);
  return std::make_pair(value, params.ok());
}

TEST(ParamReader, ReadsAWholeNumberWithinTheDeclaredRange) {
  const auto read_page = [](api::ParamReader& p) { return p.integer(kPage); };
  EXPECT_EQ(with_query("/x", read_page), std::make_pair(std::optional<std::int64_t>(1), true));
  EXPECT_EQ(with_query("/x?page=50", read_page),
            std::make_pair(std::optional<std::int64_t>(50), true));
  for (const char* bad : {"/x?page=51", "/x?page=0", "/x?page=-1", "/x?page=2x",
                          "/x?page=", "/x?page=99999999999999999999"}) {
    const auto [value, ok] = with_query(bad, read_page);
    EXPECT_FALSE(ok) << bad;
    EXPECT_EQ(value, 1) << bad;  // the fallback, never the wrong value
  }
  // No fallback: absent stays absent; the range defaults to 1 and up.
  const auto read_before = [](api::ParamReader& p) { return p.integer(kBefore); };
  EXPECT_EQ(with_query("/x", read_before), std::make_pair(std::optional<std::int64_t>(), true));
  EXPECT_EQ(with_query("/x?before=9223372036854775807", read_before).first,
            std::numeric_limits<std::int64_t>::max());
  EXPECT_FALSE(with_query("/x?before=0", read_before).second);
}

TEST(ParamReader, ReadsOneOfTheDeclaredValues) {
  const auto scope = [](api::ParamReader& p) { return p.one_of(kScope); };
  EXPECT_EQ(with_query("/x", scope), std::make_pair(std::optional<std::string>("session"), true));
  EXPECT_EQ(with_query("/x?scope=global", scope),
            std::make_pair(std::optional<std::string>("global"), true));
  EXPECT_EQ(with_query("/x?scope=GLOBAL", scope),
            std::make_pair(std::optional<std::string>(), false));
  const auto kind = [](api::ParamReader& p) { return p.one_of(kKind); };
  EXPECT_EQ(with_query("/x", kind), std::make_pair(std::optional<std::string>(), true));
  EXPECT_EQ(with_query("/x?kind=b", kind), std::make_pair(std::optional<std::string>("b"), true));
}

TEST(ParamReader, NamesEveryWrongParameterInOne422) {
  http::BeastRequest message{bhttp::verb::get, "/x?page=0&kind=c", 11};
  http::Request request{message, "/x", "127.0.0.1", {}};
  api::ParamReader params(request);
  static_cast<void>(params.integer(kPage));
  static_cast<void>(params.one_of(kKind));
  ASSERT_FALSE(params.ok());
  const http::Response answer = params.response();
  EXPECT_EQ(answer.status, bhttp::status::unprocessable_entity);
  const json::array detail = json::parse(answer.body).at("detail").as_array();
  ASSERT_EQ(detail.size(), 2u);
  EXPECT_EQ(detail[0].at("loc"), (json::array{"query", "page"}));
  EXPECT_EQ(detail[0].at("msg"), "value is not a whole number from 1 to 50");
  EXPECT_EQ(detail[1].at("loc"), (json::array{"query", "kind"}));
  EXPECT_EQ(detail[1].at("msg"), "value is not one of 'a', 'b'");
  EXPECT_EQ(detail[1].at("type"), "type_error.enum");
}

json::array documented_parameters(const http::ParameterDoc& param) {
  http::Router router;
  router.add(bhttp::verb::get, "/x", http::Execution::kInline,
             [](const http::Request&) { return http::Response{}; },
             {.summary = "X", .parameters = {param}});
  return docs::openapi_document(router, {}, {})
      .at("paths")
      .at("/x")
      .at("get")
      .at("parameters")
      .as_array();
}

TEST(OpenApiParameters, DocumentTheBoundsAndValuesThatAreEnforced) {
  const json::array page = documented_parameters(kPage);
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0].at("in"), "query");
  EXPECT_EQ(page[0].at("required"), false);
  EXPECT_EQ(page[0].at("schema"),
            (json::object{{"type", "integer"}, {"minimum", 1}, {"maximum", 50}, {"default", 1}}));
  EXPECT_FALSE(documented_parameters(kBefore)[0].at("schema").as_object().contains("default"));

  EXPECT_EQ(documented_parameters(kScope)[0].at("schema"),
            (json::object{{"type", "string"},
                          {"enum", json::array{"session", "others", "global"}},
                          {"default", "session"}}));
  // No default documented where absence means "any".
  EXPECT_FALSE(documented_parameters(kKind)[0].at("schema").as_object().contains("default"));
}

TEST(OpenApiParameters, RefusesADeclarationThatContradictsItself) {
  http::ParameterDoc default_outside = kPage;
  default_outside.integer->fallback = 51;
  EXPECT_THROW(documented_parameters(default_outside), std::logic_error);
  http::ParameterDoc empty_range = kPage;
  empty_range.integer = http::IntegerRange{.minimum = 5, .maximum = 4};
  EXPECT_THROW(documented_parameters(empty_range), std::logic_error);
  http::ParameterDoc unknown_default = kKind;
  unknown_default.default_value = "c";
  EXPECT_THROW(documented_parameters(unknown_default), std::logic_error);
  http::ParameterDoc number_with_values = kPage;
  number_with_values.values = {"1"};
  EXPECT_THROW(documented_parameters(number_with_values), std::logic_error);
  http::ParameterDoc in_header = kKind;
  in_header.in = "header";
  EXPECT_THROW(documented_parameters(in_header), std::logic_error);
}

}  // namespace
}  // namespace gatehouse
