#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <map>

#include "http/application.hpp"
#include "http/body_validator.hpp"
#include "http/cors.hpp"
#include "http/error_table.hpp"
#include "http/request.hpp"
#include "http/response.hpp"
#include "http/router.hpp"

namespace gatehouse::http {
namespace {

namespace bhttp = boost::beast::http;

BeastRequest make(bhttp::verb method, std::string target) {
  BeastRequest r{method, target, 11};
  return r;
}

TEST(ErrorTable, EveryCodeIsMappedToAnErrorStatusAndMessage) {
  for (int i = 0; i <= static_cast<int>(ErrorCode::kInternal); ++i) {
    const auto code = static_cast<ErrorCode>(i);
    const ErrorMapping m = map_error(code);
    EXPECT_GE(static_cast<int>(m.status), 400) << to_string(code);
    EXPECT_FALSE(m.detail.empty()) << to_string(code);
    EXPECT_NE(to_string(code), "unknown");
  }
}

TEST(ErrorTable, TutorialMessagesAreKept) {
  EXPECT_EQ(map_error(ErrorCode::kAccountExists).detail, "Account already exist");
  EXPECT_EQ(map_error(ErrorCode::kAccountExists).status, bhttp::status::conflict);
  EXPECT_EQ(map_error(ErrorCode::kIncorrectCredentials).detail, "Incorrect Email or Password");
  EXPECT_EQ(map_error(ErrorCode::kNotLoggedIn).status, bhttp::status::unauthorized);
  EXPECT_EQ(map_error(ErrorCode::kRefreshMissing).detail, "Please provide refresh token");
}

TEST(ErrorResponse, OverloadCarriesRetryAfter) {
  Response r = error_response(ErrorCode::kOverloaded);
  EXPECT_EQ(r.status, bhttp::status::service_unavailable);
  EXPECT_EQ(r.header_value("Retry-After"), "1");
  EXPECT_EQ(boost::json::parse(r.body).at("detail"), "Server busy, retry later");
}

TEST(Router, MatchesExactPathsAndParams) {
  Router router;
  int which = 0;
  router.add(bhttp::verb::get, "/api/users/me", Execution::kWorker,
             [&](const Request&) {
               which = 1;
               return Response{};
             },
             {});
  router.add(bhttp::verb::delete_, "/api/users/me/sessions/{id}", Execution::kWorker,
             [&](const Request&) { return Response{}; }, {});
  auto m = router.match(bhttp::verb::get, "/api/users/me");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->execution, Execution::kWorker);
  m = router.match(bhttp::verb::delete_, "/api/users/me/sessions/abc");
  ASSERT_NE(m.route, nullptr);
  ASSERT_EQ(m.params.size(), 1u);
  EXPECT_EQ(m.params[0], "abc");
  EXPECT_EQ(router.match(bhttp::verb::post, "/api/users/me").error, ErrorCode::kMethodNotAllowed);
  EXPECT_EQ(router.match(bhttp::verb::get, "/api/users/me/").route, nullptr);
  EXPECT_EQ(router.match(bhttp::verb::get, "/api/users").error, ErrorCode::kNotFound);
  EXPECT_EQ(router.match(bhttp::verb::delete_, "/api/users/me/sessions/").route, nullptr);
  EXPECT_NE(router.match(bhttp::verb::head, "/api/users/me").route, nullptr);
}

TEST(Cookies, FindsNamedCookieAmongOthers) {
  EXPECT_EQ(find_cookie("a=1; access_token=xyz; logged_in=True", "access_token"), "xyz");
  EXPECT_EQ(find_cookie("access_token=\"q\"", "access_token"), "q");
  EXPECT_FALSE(find_cookie("xaccess_token=1", "access_token"));
  EXPECT_FALSE(find_cookie("", "access_token"));
  EXPECT_EQ(find_cookie("junk; refresh_token = r ", "refresh_token"), "r");
}

TEST(Cookies, SetCookieHasTutorialAttributes) {
  const auto now = std::chrono::system_clock::from_time_t(0);
  const std::string c = set_cookie("access_token", "T", std::chrono::seconds(900), {}, now);
  EXPECT_EQ(c,
            "access_token=T; HttpOnly; Max-Age=900; Path=/; SameSite=lax; "
            "Expires=Thu, 01 Jan 1970 00:15:00 GMT");
  CookieOptions readable;
  readable.http_only = false;
  readable.secure = true;
  readable.domain = "example.com";
  const std::string r = set_cookie("logged_in", "True", std::chrono::seconds(60), readable, now);
  EXPECT_EQ(r.find("HttpOnly"), std::string::npos);
  EXPECT_NE(r.find("; Secure"), std::string::npos);
  EXPECT_NE(r.find("; Domain=example.com"), std::string::npos);
  EXPECT_EQ(clear_cookie("refresh_token", {}).substr(0, 14), "refresh_token=");
  EXPECT_NE(clear_cookie("refresh_token", {}).find("Max-Age=0"), std::string::npos);
}

struct TokenCase {
  const char* authorization;
  const char* cookie;
  ExtractedToken::Kind kind;
  const char* token;
};

TEST(ExtractToken, FollowsFastapiJwtAuthRules) {
  const TokenCase cases[] = {
      {"", "", ExtractedToken::Kind::kMissing, ""},
      {"Bearer abc", "", ExtractedToken::Kind::kFromHeader, "abc"},
      {"Bearer  abc  ", "", ExtractedToken::Kind::kFromHeader, "abc"},
      {"Bearer", "", ExtractedToken::Kind::kMalformedHeader, ""},
      {"Bearer ", "", ExtractedToken::Kind::kMalformedHeader, ""},
      {"Bearer a b", "", ExtractedToken::Kind::kMalformedHeader, ""},
      {"Basic dXNlcjpwYXNz", "access_token=c", ExtractedToken::Kind::kMalformedHeader, ""},
      {"bearer abc", "", ExtractedToken::Kind::kFromHeader, "abc"},
      {"BEARER abc", "", ExtractedToken::Kind::kFromHeader, "abc"},
      {"bEaReR\tabc", "", ExtractedToken::Kind::kFromHeader, "abc"},
      {"Bearerabc", "", ExtractedToken::Kind::kMalformedHeader, ""},
      {"Bearex abc", "", ExtractedToken::Kind::kMalformedHeader, ""},
      {"", "access_token=a; access_token=b", ExtractedToken::Kind::kAmbiguousCookie, ""},
      {"", "access_token=a; x=1; access_token=a", ExtractedToken::Kind::kAmbiguousCookie, ""},
      {"", "xaccess_token=a; access_token=b", ExtractedToken::Kind::kFromCookie, "b"},
      {"", "access_token=c", ExtractedToken::Kind::kFromCookie, "c"},
      {"", "access_token=", ExtractedToken::Kind::kMissing, ""},
  };
  for (const auto& c : cases) {
    BeastRequest msg = make(bhttp::verb::get, "/");
    if (*c.authorization) msg.set(bhttp::field::authorization, c.authorization);
    if (*c.cookie) msg.set(bhttp::field::cookie, c.cookie);
    Request req{msg, "/", "127.0.0.1", {}};
    const ExtractedToken t = extract_token(req, "access_token");
    EXPECT_EQ(t.kind, c.kind) << c.authorization << " / " << c.cookie;
    EXPECT_EQ(t.token, c.token) << c.authorization << " / " << c.cookie;
  }
}

TEST(Router, JsonMediaTypes) {
  for (std::string_view yes :
       {"application/json", "application/json; charset=utf-8", "Application/JSON",
        " application/json ;x=y", "application/merge-patch+json", "application/vnd.api+json"}) {
    EXPECT_TRUE(is_json_media_type(yes)) << yes;
  }
  for (std::string_view no :
       {"", "text/plain", "text/plain; charset=utf-8", "application/x-www-form-urlencoded",
        "multipart/form-data; b=x", "application/jsonx", "text/json", "application/+json",
        "application/json-seq", "json"}) {
    EXPECT_FALSE(is_json_media_type(no)) << no;
  }
}

// Login CSRF: a cross-site form posts text/plain (no CORS preflight); the route refuses any body
// that is not JSON before its handler runs.
TEST(Application, AJsonRouteAnswers415ToOtherMediaTypes) {
  Router router;
  int calls = 0;
  router.add(bhttp::verb::post, "/login", Execution::kInline,
             [&](const Request&) {
               ++calls;
               return json_response(bhttp::status::ok, boost::json::object{});
             },
             {.summary = "Log in", .body = {BodySchema{.name = "Login"}}});
  Application app(std::move(router), CorsPolicy({"http://localhost:3000"}),
                  ClientAddressResolver({}));
  auto send = [&](std::optional<std::string> content_type) {
    BeastRequest msg = make(bhttp::verb::post, "/login");
    if (content_type) msg.set(bhttp::field::content_type, *content_type);
    msg.body() = R"({"email":"a@b.c","password":"x"})";
    Request req{msg, "/login", "127.0.0.1", {}};
    auto routed = app.route(req);
    Response r = std::holds_alternative<Response>(routed)
                     ? std::get<Response>(std::move(routed))
                     : Application::invoke(*std::get<const Route*>(routed), req);
    app.finish(req, r);
    return r;
  };
  EXPECT_EQ(send("text/plain").status, bhttp::status::unsupported_media_type);
  EXPECT_EQ(send("application/x-www-form-urlencoded").status,
            bhttp::status::unsupported_media_type);
  EXPECT_EQ(send(std::nullopt).status, bhttp::status::unsupported_media_type);
  const Response refused = send("text/plain;charset=UTF-8");
  EXPECT_EQ(boost::json::parse(refused.body).at("detail").as_string(),
            "The request body must be JSON (Content-Type: application/json)");
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(send("application/json; charset=utf-8").status, bhttp::status::ok);
  EXPECT_EQ(calls, 1);
}

// Cookie tossing: a second cookie of the same name in another Cookie header line.
TEST(ExtractToken, ACookieNameSentInTwoHeaderLinesIsAmbiguous) {
  BeastRequest msg = make(bhttp::verb::get, "/");
  msg.insert(bhttp::field::cookie, "access_token=a");
  msg.insert(bhttp::field::cookie, "logged_in=True; access_token=b");
  Request req{msg, "/", "127.0.0.1", {}};
  EXPECT_EQ(extract_token(req, "access_token").kind, ExtractedToken::Kind::kAmbiguousCookie);
  EXPECT_FALSE(req.cookie("access_token"));
  EXPECT_EQ(req.cookie("logged_in"), "True");
}

// A browser's preflight from http://localhost:3000 for a JSON POST to `target`.
BeastRequest preflight(std::string target) {
  BeastRequest pre = make(bhttp::verb::options, std::move(target));
  pre.set(bhttp::field::origin, "http://localhost:3000");
  pre.set(bhttp::field::access_control_request_method, "POST");
  pre.set(bhttp::field::access_control_request_headers, "content-type");
  return pre;
}

TEST(Cors, GrantsOnlyConfiguredOrigins) {
  CorsPolicy cors({"http://localhost:3000", "https://app.example.com"});
  BeastRequest pre = preflight("/api/auth/login");
  Request req{pre, "/api/auth/login", "", {}};
  auto answer = cors.preflight(req);
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, bhttp::status::ok);
  auto header = [](const Response& r, std::string_view name) {
    return std::string(r.header_value(name).value_or(""));
  };
  EXPECT_EQ(header(*answer, "Access-Control-Allow-Origin"), "http://localhost:3000");
  EXPECT_EQ(header(*answer, "Access-Control-Allow-Credentials"), "true");
  EXPECT_EQ(header(*answer, "Access-Control-Allow-Headers"), "content-type");

  pre.set(bhttp::field::origin, "http://localhost:3000.evil.example");
  answer = cors.preflight(req);
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, bhttp::status::bad_request);
  EXPECT_EQ(header(*answer, "Access-Control-Allow-Origin"), "");

  BeastRequest simple = make(bhttp::verb::get, "/api/healthchecker");
  simple.set(bhttp::field::origin, "https://app.example.com");
  Request sreq{simple, "/api/healthchecker", "", {}};
  EXPECT_FALSE(cors.preflight(sreq));
  Response r;
  cors.decorate(sreq, r);
  EXPECT_EQ(header(r, "Access-Control-Allow-Origin"), "https://app.example.com");
}

// How often each header name (lower-cased) occurs in `r`.
std::map<std::string, int> header_counts(const Response& r) {
  std::map<std::string, int> counts;
  for (const auto& [name, value] : r.headers()) {
    std::string lower(name);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    ++counts[lower];
  }
  return counts;
}

TEST(ResponseHeaders, SingleValuedFieldsAreReplacedNotRepeated) {
  Response r;
  r.header("Access-Control-Allow-Origin", "http://a.example");
  r.header("access-control-allow-origin", "http://b.example");
  r.header("Retry-After", "1").header("Retry-After", "30");
  EXPECT_EQ(r.headers().size(), 2u);
  EXPECT_EQ(r.header_value("Access-Control-Allow-Origin"), "http://b.example");
  EXPECT_EQ(r.header_value("retry-after"), "30");
}

TEST(ResponseHeaders, SetCookieRepeatsOneLinePerCookie) {
  Response r;
  r.header("Set-Cookie", "a=1").header("Set-Cookie", "b=2").header("set-cookie", "c=3");
  EXPECT_EQ(r.headers().size(), 3u);
  EXPECT_EQ(r.header_value("Set-Cookie"), "a=1");
}

TEST(ResponseHeaders, VaryIsOneLineWithEachMemberOnce) {
  Response r;
  r.header("Vary", "Origin").header("vary", "origin").header("Vary", "Accept-Encoding, Origin");
  EXPECT_EQ(header_counts(r)["vary"], 1);
  EXPECT_EQ(r.header_value("Vary"), "Origin, Accept-Encoding");
}

// The bug browsers hit: the preflight answer was decorated with the grant a second time on its
// way out, so Access-Control-Allow-Origin came twice and Chromium refused every JSON request.
TEST(Cors, PreflightThroughTheApplicationSendsEachHeaderOnce) {
  Router router;
  router.add(bhttp::verb::post, "/api/auth/register", Execution::kInline,
             [](const Request&) { return Response{}; }, {});
  Application app(std::move(router), CorsPolicy({"http://localhost:3000"}),
                  ClientAddressResolver({}));
  BeastRequest pre = preflight("/api/auth/register");
  Request req{pre, "/api/auth/register", "", {}};
  auto routed = app.route(req);
  ASSERT_TRUE(std::holds_alternative<Response>(routed));
  Response answer = std::get<Response>(std::move(routed));
  app.finish(req, answer);
  EXPECT_EQ(answer.status, bhttp::status::ok);
  for (const auto& [name, count] : header_counts(answer)) EXPECT_EQ(count, 1) << name;
  EXPECT_EQ(answer.header_value("Access-Control-Allow-Origin"), "http://localhost:3000");
  EXPECT_EQ(answer.header_value("Access-Control-Allow-Credentials"), "true");
  EXPECT_EQ(answer.header_value("Vary"), "Origin");
}

TEST(BodyValidator, ReportsEveryMissingFieldInFastapiShape) {
  BodyValidator v("{}");
  for (const char* f : {"name", "email", "photo"}) v.string_field(f, {});
  EXPECT_FALSE(v.ok());
  ASSERT_EQ(v.issues().size(), 3u);
  EXPECT_EQ(v.issues()[1].loc, (std::vector<std::string>{"body", "email"}));
  EXPECT_EQ(v.issues()[1].type, "value_error.missing");
  auto body = boost::json::parse(v.response().body);
  EXPECT_TRUE(body.at("detail").is_array());
}

TEST(BodyValidator, RefusesNonJsonNonObjectsAndBadTypes) {
  EXPECT_FALSE(BodyValidator("{not json").ok());
  EXPECT_FALSE(BodyValidator("[1]").ok());
  EXPECT_FALSE(BodyValidator("\"\xff\xfe\"").ok());  // invalid UTF-8
  BodyValidator v(R"({"a": {"x": 1}, "b": 12345678, "c": null, "d": "short"})");
  EXPECT_FALSE(v.string_field("a", {}));
  EXPECT_EQ(v.string_field("b", {.min_chars = 8}), "12345678");
  EXPECT_FALSE(v.string_field("c", {}));
  EXPECT_FALSE(v.string_field("d", {.min_chars = 8}));
  EXPECT_EQ(v.issues().size(), 3u);
}

TEST(BodyValidator, CountsCodePointsAndBytes) {
  BodyValidator v(R"({"n": "张三张三", "p": "ééééé"})");
  EXPECT_EQ(v.string_field("n", {.max_chars = 4}), "张三张三");
  EXPECT_FALSE(v.string_field("p", {.max_bytes = 9}));
  EXPECT_EQ(utf8_length("Zoë ✓"), 5u);
}

TEST(Email, AcceptsOrdinaryAddressesAndRefusesJunk) {
  for (const char* ok : {"a@example.com", "Mixed.Case-x@Example.COM", "a+tag@sub.example.co.uk",
                         "cf-u-1234@example.com"}) {
    EXPECT_TRUE(is_valid_email(ok)) << ok;
  }
  for (const char* bad : {"not-an-email", "a@b", "@example.com", "a@.com", "a..b@example.com",
                          "a@exa mple.com", "a@-x.com", "a@example.c0m", ".a@example.com", ""}) {
    EXPECT_FALSE(is_valid_email(bad)) << bad;
  }
}

}  // namespace
}  // namespace gatehouse::http

#include "http/client_address.hpp"
#include "http/csrf_guard.hpp"

namespace gatehouse::http {
namespace {

TEST(ClientAddress, PeerUnlessTheProxyIsTrusted) {
  ClientAddressResolver none({});
  EXPECT_EQ(none.resolve("10.0.0.5", "1.2.3.4"), "10.0.0.5") << "XFF from anyone is ignored";
  ClientAddressResolver proxies({"10.0.0.0/8", "192.168.1.7"});
  EXPECT_EQ(proxies.resolve("10.0.0.5", "1.2.3.4"), "1.2.3.4");
  EXPECT_EQ(proxies.resolve("192.168.1.7", "6.6.6.6, 1.2.3.4, 10.1.1.1"), "1.2.3.4")
      << "the right-most untrusted hop, not the client-supplied left end";
  EXPECT_EQ(proxies.resolve("8.8.8.8", "1.2.3.4"), "8.8.8.8") << "untrusted peer";
  EXPECT_EQ(proxies.resolve("10.0.0.5", "junk"), "10.0.0.5");
  EXPECT_EQ(proxies.resolve("10.0.0.5", ""), "10.0.0.5");
}

TEST(ClientAddress, HopsAsProxiesWriteThem) {
  auto text = [](std::string_view hop) {
    auto a = parse_hop(hop);
    return a ? a->to_string() : std::string("-");
  };
  EXPECT_EQ(text("1.2.3.4"), "1.2.3.4");
  EXPECT_EQ(text(" 1.2.3.4:5678 "), "1.2.3.4");
  EXPECT_EQ(text("2001:db8::1"), "2001:db8::1");
  EXPECT_EQ(text("[2001:db8::1]"), "2001:db8::1");
  EXPECT_EQ(text("[2001:db8::1]:443"), "2001:db8::1");
  EXPECT_EQ(text("::ffff:1.2.3.4"), "1.2.3.4");
  EXPECT_EQ(text("[::ffff:1.2.3.4]:80"), "1.2.3.4");
  for (std::string_view bad :
       {"", "unknown", "1.2.3.4:", "1.2.3.4:http", "1.2.3.4:123456", "[1.2.3.4]", "[2001:db8::1",
        "[2001:db8::1]x", "fe80::1%eth0", "_hidden", "1.2.3"}) {
    EXPECT_EQ(text(bad), "-") << bad;
  }
}

// HAProxy and others add a line of their own: the lines are one list, walked from the right.
TEST(ClientAddress, EveryXForwardedForLineCountsAndTheLastOneWins) {
  BeastRequest msg{bhttp::verb::get, "/api/users/me", 11};
  msg.insert("X-Forwarded-For", "6.6.6.6");  // the client's forged line
  msg.insert("X-Forwarded-For", "1.2.3.4");  // the proxy's
  EXPECT_EQ(join_field_lines(msg, "X-Forwarded-For"), "6.6.6.6, 1.2.3.4");
  ClientAddressResolver proxy({"10.0.0.1"});
  EXPECT_EQ(proxy.resolve("10.0.0.1", join_field_lines(msg, "x-forwarded-for")), "1.2.3.4");
  Application app(Router{}, CorsPolicy({}), ClientAddressResolver({"10.0.0.1"}));
  EXPECT_EQ(app.client_address(msg, "10.0.0.1"), "1.2.3.4");
}

TEST(ClientAddress, MappedPortsAndChainsOfProxies) {
  ClientAddressResolver proxies({"10.0.0.0/8", "2001:db8:ffff::/48"});
  EXPECT_EQ(proxies.resolve("::ffff:10.0.0.5", "1.2.3.4"), "1.2.3.4")
      << "an IPv4 proxy on a dual-stack socket is the IPv4 proxy";
  EXPECT_EQ(proxies.resolve("10.0.0.5", "1.2.3.4:51000"), "1.2.3.4");
  EXPECT_EQ(proxies.resolve("10.0.0.5", "[2001:db8::7]:443, 10.9.9.9:80"), "2001:db8::7");
  EXPECT_EQ(proxies.resolve("2001:db8:ffff::1", "5.5.5.5, [2001:db8:ffff::2]"), "5.5.5.5");
  EXPECT_EQ(proxies.resolve("10.0.0.5", "7.7.7.7, junk, 10.1.1.1"), "10.1.1.1")
      << "a malformed hop ends the walk at the last address a trusted proxy wrote";
  EXPECT_EQ(proxies.resolve("10.0.0.5", "10.1.1.1, 10.2.2.2"), "10.1.1.1")
      << "only proxies: the left-most of them";
  EXPECT_EQ(proxies.resolve("10.0.0.5", "1.1.1.1,, 2.2.2.2"), "2.2.2.2");
}

TEST(CsrfGuard, RefusesForeignOriginsAndCrossSiteFetches) {
  CorsPolicy cors({"http://localhost:3000"});
  auto check = [&](std::vector<std::pair<std::string, std::string>> headers) {
    BeastRequest msg{bhttp::verb::post, "/api/auth/logout", 11};
    msg.set(bhttp::field::host, "api.example.com");
    for (auto& [k, v] : headers) msg.set(k, v);
    Request req{msg, "/api/auth/logout", "127.0.0.1", {}};
    return is_cross_site_request(req, cors);
  };
  EXPECT_FALSE(check({}));
  EXPECT_FALSE(check({{"Origin", "http://localhost:3000"}}));
  EXPECT_FALSE(check({{"Origin", "https://api.example.com"}}));
  EXPECT_TRUE(check({{"Origin", "https://evil.example"}}));
  EXPECT_TRUE(check({{"Origin", "null"}}));
  EXPECT_TRUE(check({{"Sec-Fetch-Site", "cross-site"}}));
  EXPECT_FALSE(check({{"Sec-Fetch-Site", "same-site"}}));
}

}  // namespace
}  // namespace gatehouse::http
