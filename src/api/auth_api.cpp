#include "api/auth_api.hpp"

#include <spdlog/spdlog.h>

#include <boost/url/parse.hpp>

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

const std::vector<http::ParameterDoc> kLogoutScope{
    {.name = "scope",
     .in = "query",
     .description = "session (default): this login; others: every other login of the user (this "
                    "one stays); global: every login of the user.",
     .values = {"session", "others", "global"}}};

}  // namespace

AuthApi::AuthApi(store::Store& store, const auth::PasswordHasher& passwords,
                 auth::SessionService& sessions, const auth::Authenticator& authenticator,
                 auth::LoginThrottle& throttle, const auth::DeviceCookies& devices,
                 const auth::AccountService& accounts, const Clock& clock, AuthApiSettings settings)
    : store_(store),
      passwords_(passwords),
      sessions_(sessions),
      authenticator_(authenticator),
      throttle_(throttle),
      devices_(devices),
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
                .parameters = kLogoutScope,
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
  const std::string& email = fields.at("email");
  const std::string& password = fields.at("password");

  auto limited = throttle_.registration_attempt(request.client_ip);
  if (!limited) return fail(limited.error(), "register: rate limit");
  if (*limited) return too_many(**limited);

  // The tutorial's order: a taken e-mail is reported before a password mismatch.
  const std::string email_lower = lower_ascii(email);
  auto existing = store_.find_user_by_email(email_lower);
  if (!existing) return fail(existing.error(), "register");
  if (existing->has_value()) return http::error_response(ErrorCode::kAccountExists);
  if (password != fields.at("passwordConfirm")) {
    return http::error_response(ErrorCode::kPasswordsDoNotMatch);
  }

  auto hash = passwords_.hash(password);
  if (!hash) return fail(hash.error(), "register: hash");

  store::NewUser user;
  user.name = std::move(fields.at("name"));
  user.email = email_lower;
  user.password_hash = std::move(*hash);
  user.photo = std::move(fields.at("photo"));
  // The tutorial marks new users verified; with REQUIRE_EMAIL_VERIFICATION the account starts
  // unverified and its verification mail is queued with it.
  user.verified = accounts_.new_users_verified();
  user.mails = accounts_.registration_mails(email_lower);
  user.now = clock_.now();
  auto created = store_.create_user(user);
  if (!created) return fail(created.error(), "register: insert");  // a lost race gives 409
  if (!user.mails.empty()) accounts_.mail_queued();
  return http::json_response(bhttp::status::created, user_json(*created));
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
  const std::string& password = fields.at("password");

  const std::string email_lower = lower_ascii(fields.at("email"));
  // A device cookie issued to this browser for this account: limited on its own counter.
  const auto device_cookie = request.cookie(auth::DeviceCookies::kName);
  std::optional<std::string> device;
  if (device_cookie) device = devices_.verify(*device_cookie, email_lower);
  // Counted as a failure before any password work (blocked attempts are refused and count
  // nowhere); a right password takes the count back below.
  auto gate = throttle_.begin_login(email_lower, request.client_ip, device);
  if (!gate) return fail(gate.error(), "login: rate limit");
  if (const auto* wait = std::get_if<std::chrono::seconds>(&*gate)) return too_many(*wait);
  const auth::LoginAttempt& attempt = std::get<auth::LoginAttempt>(*gate);

  // Unknown e-mails cost and count like wrong passwords: neither the limits nor the time reveal
  // which accounts exist.
  auto found = store_.find_user_by_email(email_lower);
  if (!found) return fail(found.error(), "login");
  if (!found->has_value()) {
    passwords_.burn(password);
    return http::error_response(ErrorCode::kIncorrectCredentials);
  }
  const store::User& user = **found;
  const auto verdict = passwords_.verify(password, user.password_hash);
  if (verdict == auth::PasswordVerdict::kMismatch) {
    return http::error_response(ErrorCode::kIncorrectCredentials);
  }
  if (auto st = throttle_.login_succeeded(attempt); !st) {
    spdlog::warn("login: could not take back the attempt's count: {}", st.error().internal);
  }
  // Checked after the password (the tutorial checks before), so the answer reveals nothing about
  // an account to someone who does not know its password.
  if (!user.verified) return http::error_response(ErrorCode::kEmailNotVerified);

  if (verdict == auth::PasswordVerdict::kMatchNeedsRehash) {
    // A legacy bcrypt hash (or old argon2 parameters): upgrade it now that we know the password.
    if (auto rehash = passwords_.hash(password); rehash) {
      if (auto st = store_.update_password_hash(user.id, *rehash, clock_.now()); !st) {
        spdlog::warn("login: could not store the rehashed password of user {}: {}", user.id,
                     st.error().internal);
      }
    }
  }

  auto tokens = sessions_.start(user, request.header(bhttp::field::user_agent), request.client_ip);
  if (!tokens) return fail(tokens.error(), "login: session");
  http::Response response = http::json_response(
      bhttp::status::ok, json::object{{"status", "success"},
                                      {"access_token", tokens->access_token},
                                      {"refresh_token", tokens->refresh_token}});
  set_session_cookies(response, *tokens);
  // A known device keeps its id (its counter stays its own) for another full lifetime.
  set_device_cookie(response, device ? std::string(*device_cookie) : devices_.issue(email_lower));
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
  auto tokens = sessions_.refresh(token.token, request.client_ip);
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
  std::string scope = "session";
  if (auto target = boost::urls::parse_origin_form(request.message.target()); target) {
    if (auto it = target->params().find("scope"); it != target->params().end()) {
      scope = (*it).value;
    }
  }
  const SysTime now = clock_.now();
  if (scope == "session") {
    if (auto st = sessions_.end(principal->claims.sid); !st) return fail(st.error(), "logout");
  } else if (scope == "others" || scope == "global") {
    const std::string_view keep = scope == "others" ? principal->claims.sid : std::string_view{};
    auto ended = store_.revoke_user_sessions(principal->user.id, keep, now, "logout_" + scope);
    if (!ended) return fail(ended.error(), "logout");
    if (scope == "others") {
      return http::json_response(
          bhttp::status::ok, json::object{{"status", "success"},
                                          {"sessions_ended", static_cast<std::int64_t>(*ended)}});
    }
  } else {
    return http::validation_response({{{"query", "scope"},
                                       "value is not one of 'session', 'others', 'global'",
                                       "type_error.enum"}});
  }
  return clear_session_cookies(
      http::json_response(bhttp::status::ok, json::object{{"status", "success"}}));
}

}  // namespace gatehouse::api
