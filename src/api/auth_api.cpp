#include "api/auth_api.hpp"

#include <spdlog/spdlog.h>

#include <limits>

#include "api/api_schemas.hpp"
#include "api/api_support.hpp"
#include "http/body_validator.hpp"
#include "http/csrf_guard.hpp"

namespace gatehouse::api {

namespace bhttp = boost::beast::http;
namespace json = boost::json;

namespace {

// The tutorial's CreateUserSchema.
http::BodySchema register_schema(std::size_t password_max_bytes) {
  return {.name = "CreateUserSchema",
          .fields = {
              {.name = "name", .rule = {.max_chars = kMaxColumnChars}, .example = "Jane Doe"},
              email_field("Compared and stored in lower case."),
              {.name = "photo", .rule = {.max_chars = kMaxColumnChars}, .example = "default.png"},
              password_field("password", 8, password_max_bytes, ""),
              password_field("passwordConfirm", 0, password_max_bytes, "Must equal password."),
              {.name = "role",
               .description = "Accepted for the tutorial's clients and ignored: a new account's "
                              "role is always user.",
               .ignored = true},
              {.name = "verified",
               .description = "Accepted for the tutorial's clients and ignored (see "
                              "REQUIRE_EMAIL_VERIFICATION).",
               .ignored = true},
          }};
}

// The tutorial's LoginUserSchema.
http::BodySchema login_schema(std::size_t password_max_bytes) {
  http::FieldSpec email = email_field("Compared in lower case.");
  email.rule.max_chars = std::numeric_limits<std::size_t>::max();  // the tutorial sets none
  return {.name = "LoginUserSchema",
          .fields = {std::move(email), password_field("password", 8, password_max_bytes, "")}};
}

const http::ParameterDoc kLogoutScope{
    .name = "scope",
    .in = "query",
    .description =
        "session (default): this login; others: every other login of the user (this "
        "one stays); global: every login of the user.",
    .values = {"session", "others", "global"},
    .default_value = "session"};

}  // namespace

AuthApi::AuthApi(auth::LoginService& logins, auth::SessionService& sessions,
                 const auth::Authenticator& authenticator, auth::AccountService& accounts,
                 const Clock& clock, AuthApiSettings settings)
    : logins_(logins),
      sessions_(sessions),
      authenticator_(authenticator),
      accounts_(accounts),
      clock_(clock),
      settings_(std::move(settings)),
      origins_(settings_.client_origins),
      register_body_(register_schema(settings_.password_max_bytes)),
      login_body_(login_schema(settings_.password_max_bytes)) {}

void AuthApi::add_routes(http::Router& router) const {
  using http::Credential;
  using http::Execution;
  router.add(bhttp::verb::post, "/api/auth/register", Execution::kHashing,
             [this](const http::Request& r) { return register_user(r); },
             {.summary = "Register an account",
              .description = "Creates an account (verified at once unless "
                             "REQUIRE_EMAIL_VERIFICATION is on: then a verification mail is "
                             "queued). Logs nobody in.",
              .tag = "Auth",
              .body = {register_body_},
              .responses = {doc::ok(201, "UserResponse", "The new account."),
                            doc::error(400, "Passwords do not match."), doc::cross_site(),
                            doc::error(409, "Account already exist (the e-mail is taken)."),
                            doc::too_many("registrations from this address")}});
  router.add(
      bhttp::verb::post, "/api/auth/login", Execution::kHashing,
      [this](const http::Request& r) { return login(r); },
      {.summary = "Log in",
       .description = "Starts a session: the answer and its HttpOnly cookies carry an access "
                      "token and a refresh token. Failed attempts are limited per account, per "
                      "client address and per device (LOGIN_FAILURES_PER_HOUR, "
                      "IP_FAILED_LOGINS_PER_HOUR, LOGIN_DELAY_MAX_SECONDS).",
       .tag = "Auth",
       .body = {login_body_},
       .responses = {doc::with_session_cookies(doc::ok(200, "LoginResponse", "Logged in.")),
                     doc::error(400, "Incorrect Email or Password."),
                     doc::error(401,
                                "Please verify your email address "
                                "(REQUIRE_EMAIL_VERIFICATION, right password only)."),
                     doc::cross_site(), doc::too_many("failed logins")}});
  for (const bhttp::verb method : {bhttp::verb::get, bhttp::verb::post}) {
    router.add(
        method, "/api/auth/refresh", Execution::kWorker,
        [this](const http::Request& r) { return refresh(r); },
        {.summary = "Refresh the tokens",
         .description = "Rotates the session: the refresh token sent is spent and a new pair "
                        "comes back (body and cookies). Replaying a spent token after "
                        "REFRESH_REUSE_GRACE_SECONDS ends the whole session (reuse detection).",
         .tag = "Auth",
         .credential = Credential::kRefreshToken,
         .responses = {
             doc::with_session_cookies(doc::ok(200, "RefreshResponse", "The new pair of tokens.")),
             doc::error(400,
                        "Please provide refresh token / Could not refresh access "
                        "token (the tutorial's status for every bad refresh "
                        "token)."),
             doc::error(401, "Please verify your account."), doc::cross_site()}});
  }
  for (const bhttp::verb method : {bhttp::verb::get, bhttp::verb::post}) {
    router.add(method, "/api/auth/logout", Execution::kWorker,
               [this](const http::Request& r) { return logout(r); },
               {.summary = "Log out",
                .description = "Ends the session at once: its access token is refused on the "
                               "next request, its refresh token can never be used again.",
                .tag = "Auth",
                .credential = Credential::kAccessToken,
                .parameters = {kLogoutScope},
                .responses = {doc::with_session_cookies(
                                  doc::ok(200, "LogoutResponse",
                                          "Logged out; the cookies are cleared (scope session and "
                                          "global).")),
                              doc::cross_site(),
                              doc::ok(422, "HTTPValidationError",
                                      "scope is not one of "
                                      "session, others, global.")}});
  }
}

http::Response AuthApi::register_user(const http::Request& request) const {
  if (http::is_cross_site_request(request, origins_)) {
    return fail(Error{ErrorCode::kForbidden, "cross-site registration"}, "register");
  }
  http::BodyValidator body(request.message.body());
  http::BodyFields fields = body.read(register_body_);
  if (!body.ok()) return body.response();
  auto registered = accounts_.register_user(
      auth::NewAccount{.name = std::move(fields.at("name")),
                       .email_lower = lower_ascii(fields.at("email")),
                       .password = std::move(fields.at("password")),
                       .password_confirm = std::move(fields.at("passwordConfirm")),
                       .photo = std::move(fields.at("photo"))},
      client_info(request));
  if (!registered) return fail(registered.error(), "register");
  if (const auto* wait = std::get_if<std::chrono::seconds>(&*registered)) return too_many(*wait);
  return http::json_response(bhttp::status::created, user_json(std::get<store::User>(*registered)));
}

void AuthApi::set_session_cookies(http::Response& response,
                                  const auth::IssuedTokens& tokens) const {
  const auto now = clock_.now();
  http::CookieOptions readable = settings_.cookies;
  readable.http_only = false;
  response.header("Set-Cookie", http::set_cookie("access_token", tokens.access_token,
                                                 settings_.access_ttl, settings_.cookies, now));
  response.header("Set-Cookie", http::set_cookie("refresh_token", tokens.refresh_token,
                                                 settings_.refresh_ttl, settings_.cookies, now));
  response.header("Set-Cookie",
                  http::set_cookie("logged_in", "True", settings_.access_ttl, readable, now));
  response.no_store();
}

http::Response AuthApi::login(const http::Request& request) const {
  // Login CSRF: a foreign page must not sign the victim's browser into the attacker's account
  // (a cross-site form post needs no CORS preflight, and the cookies of its answer are kept).
  if (http::is_cross_site_request(request, origins_)) {
    return fail(Error{ErrorCode::kForbidden, "cross-site login"}, "login");
  }
  http::BodyValidator body(request.message.body());
  const http::BodyFields fields = body.read(login_body_);
  if (!body.ok()) return body.response();
  const std::string email_lower = lower_ascii(fields.at("email"));
  auto result = logins_.login({.email_lower = email_lower,
                               .password = fields.at("password"),
                               .device_cookie = request.cookie(auth::DeviceCookies::kName),
                               .client_ip = request.client_ip,
                               .user_agent = request.header(bhttp::field::user_agent)});
  if (!result) return fail(result.error(), "login");
  switch (result->outcome) {
    case auth::LoginOutcome::kThrottled:
      return too_many(result->retry_after);
    case auth::LoginOutcome::kUnknownAccount:
    case auth::LoginOutcome::kWrongPassword:
      return http::error_response(ErrorCode::kIncorrectCredentials);
    case auth::LoginOutcome::kUnverified:
      return http::error_response(ErrorCode::kEmailNotVerified);
    case auth::LoginOutcome::kDisabled:
      return http::error_response(ErrorCode::kAccountDisabled);
    case auth::LoginOutcome::kSuccess:
      break;
  }
  const auth::IssuedTokens& tokens = *result->tokens;
  http::Response response =
      http::json_response(bhttp::status::ok, json::object{{"status", "success"},
                                                          {"access_token", tokens.access_token},
                                                          {"refresh_token", tokens.refresh_token}});
  set_session_cookies(response, tokens);
  set_device_cookie(response, result->device_cookie);
  return response;
}

void AuthApi::set_device_cookie(http::Response& response, std::string_view value) const {
  http::CookieOptions options = settings_.cookies;
  options.http_only = true;
  options.path = "/api/auth/login";  // sent with logins only
  response.header("Set-Cookie", http::set_cookie(auth::DeviceCookies::kName, value,
                                                 kDeviceCookieLifetime, options, clock_.now()));
}

http::Response AuthApi::refresh(const http::Request& request) const {
  using Kind = http::ExtractedToken::Kind;
  const http::ExtractedToken token = http::extract_token(request, "refresh_token");
  if (token.kind == Kind::kMissing) return http::error_response(ErrorCode::kRefreshMissing);
  if (token.kind == Kind::kMalformedHeader || token.kind == Kind::kAmbiguousCookie) {
    return http::error_response(ErrorCode::kRefreshInvalid);
  }
  if (token.kind == Kind::kFromCookie && http::is_cross_site_request(request, origins_)) {
    return fail(Error{ErrorCode::kForbidden, "cross-site refresh with a cookie"}, "refresh");
  }
  auto tokens = sessions_.refresh(token.token, client_info(request));
  if (!tokens) return fail(tokens.error(), "refresh");
  if (!tokens->user.verified) return http::error_response(ErrorCode::kAccountNotVerified);

  http::Response response = http::json_response(
      bhttp::status::ok, json::object{{"access_token", tokens->access_token},
                                      {"refresh_token", tokens->refresh_token}});
  set_session_cookies(response, *tokens);
  return response;
}

http::Response AuthApi::clear_session_cookies(http::Response response) const {
  http::CookieOptions readable = settings_.cookies;
  readable.http_only = false;
  response.header("Set-Cookie", http::clear_cookie("access_token", settings_.cookies));
  response.header("Set-Cookie", http::clear_cookie("refresh_token", settings_.cookies));
  response.header("Set-Cookie", http::clear_cookie("logged_in", readable));
  response.no_store();
  return response;
}

http::Response AuthApi::logout(const http::Request& request) const {
  auto principal = authenticate_change(authenticator_, request, origins_);
  if (!principal) return fail(principal.error(), "logout");
  // ?scope=session (default): this login; others: every other login of the user, this one stays;
  // global: every login of the user, this one included.
  ParamReader params(request);
  const std::optional<std::string> scope = params.one_of(kLogoutScope);
  if (!params.ok()) return params.response();
  auth::LogoutScope logout_scope = auth::LogoutScope::kSession;
  if (scope == "others") {
    logout_scope = auth::LogoutScope::kOthers;
  } else if (scope == "global") {
    logout_scope = auth::LogoutScope::kGlobal;
  }
  auto ended = sessions_.logout(principal->user.id, principal->claims.sid, logout_scope,
                                client_info(request));
  if (!ended) return fail(ended.error(), "logout");
  if (logout_scope == auth::LogoutScope::kOthers) {
    return http::json_response(
        bhttp::status::ok,
        json::object{{"status", "success"}, {"sessions_ended", static_cast<std::int64_t>(*ended)}});
  }
  return clear_session_cookies(
      http::json_response(bhttp::status::ok, json::object{{"status", "success"}}));
}

}  // namespace gatehouse::api
