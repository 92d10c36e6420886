#include "api/auth_api.hpp"

#include <spdlog/spdlog.h>

#include <boost/url/parse.hpp>

#include "api/api_support.hpp"
#include "http/body_validator.hpp"
#include "http/csrf_guard.hpp"

namespace gatehouse::api {

namespace bhttp = boost::beast::http;
namespace json = boost::json;

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
      origins_(settings_.client_origins) {}

void AuthApi::add_routes(http::Router& router) const {
  using http::Execution;
  router.add(
      bhttp::verb::post, "/api/auth/register", Execution::kHashing,
      [this](const http::Request& r) { return register_user(r); }, http::Body::kJson);
  router.add(
      bhttp::verb::post, "/api/auth/login", Execution::kHashing,
      [this](const http::Request& r) { return login(r); }, http::Body::kJson);
  router.add(bhttp::verb::get, "/api/auth/refresh", Execution::kWorker,
             [this](const http::Request& r) { return refresh(r); });
  router.add(bhttp::verb::post, "/api/auth/refresh", Execution::kWorker,
             [this](const http::Request& r) { return refresh(r); });
  router.add(bhttp::verb::get, "/api/auth/logout", Execution::kWorker,
             [this](const http::Request& r) { return logout(r); });
  router.add(bhttp::verb::post, "/api/auth/logout", Execution::kWorker,
             [this](const http::Request& r) { return logout(r); });
}

http::Response AuthApi::register_user(const http::Request& request) const {
  if (http::is_cross_site_request(request, origins_)) {
    return fail(Error{ErrorCode::kForbidden, "cross-site registration"}, "register");
  }
  http::BodyValidator body(request.message.body());
  auto name = body.string_field("name", {.max_chars = kMaxColumnChars});
  auto email = body.string_field("email", {.max_chars = kMaxColumnChars, .email = true});
  auto photo = body.string_field("photo", {.max_chars = kMaxColumnChars});
  auto password =
      body.string_field("password", {.min_chars = 8, .max_bytes = settings_.password_max_bytes});
  auto confirm = body.string_field("passwordConfirm", {.max_bytes = settings_.password_max_bytes});
  if (!body.ok()) return body.response();

  auto limited = throttle_.registration_attempt(request.client_ip);
  if (!limited) return fail(limited.error(), "register: rate limit");
  if (*limited) return too_many(**limited);

  // The tutorial's order: a taken e-mail is reported before a password mismatch.
  const std::string email_lower = lower_ascii(*email);
  auto existing = store_.find_user_by_email(email_lower);
  if (!existing) return fail(existing.error(), "register");
  if (existing->has_value()) return http::error_response(ErrorCode::kAccountExists);
  if (*password != *confirm) return http::error_response(ErrorCode::kPasswordsDoNotMatch);

  auto hash = passwords_.hash(*password);
  if (!hash) return fail(hash.error(), "register: hash");

  store::NewUser user;
  user.name = std::move(*name);
  user.email = email_lower;
  user.password_hash = std::move(*hash);
  user.photo = std::move(*photo);
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
  auto email = body.string_field("email", {.email = true});
  auto password =
      body.string_field("password", {.min_chars = 8, .max_bytes = settings_.password_max_bytes});
  if (!body.ok()) return body.response();

  const std::string email_lower = lower_ascii(*email);
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
    passwords_.burn(*password);
    return http::error_response(ErrorCode::kIncorrectCredentials);
  }
  const store::User& user = **found;
  const auto verdict = passwords_.verify(*password, user.password_hash);
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
    if (auto rehash = passwords_.hash(*password); rehash) {
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
