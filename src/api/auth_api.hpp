#pragma once

#include <chrono>
#include <cstddef>

#include "auth/account_service.hpp"
#include "auth/authenticator.hpp"
#include "auth/login_service.hpp"
#include "auth/session_service.hpp"
#include "core/clock.hpp"
#include "http/body_validator.hpp"
#include "http/cors.hpp"
#include "http/request.hpp"
#include "http/response.hpp"
#include "http/router.hpp"

namespace gatehouse::api {

// How long a device stays known without logging in again (each login renews it).
inline constexpr std::chrono::seconds kDeviceCookieLifetime{365 * 24 * 3600};

struct AuthApiSettings {
  std::chrono::seconds access_ttl{15 * 60};
  std::chrono::seconds refresh_ttl{60 * 60};
  std::size_t password_max_bytes = 1024;
  http::CookieOptions cookies;
  std::vector<std::string> client_origins;  // CLIENT_ORIGIN: cookie requests from them are not CSRF
};

// /api/auth/*: the tutorial's register, login, refresh and logout, with server-side sessions
// behind them. Each handler translates the request into a call of its service (LoginService,
// SessionService, AccountService) and the outcome into the tutorial's answer and cookies; they
// block (database, hashing, signing) and are routed to the worker or hashing pool.
class AuthApi final {
 public:
  AuthApi(auth::LoginService& logins, auth::SessionService& sessions,
          const auth::Authenticator& authenticator, auth::AccountService& accounts,
          const Clock& clock, AuthApiSettings settings);

  void add_routes(http::Router& router) const;

  http::Response register_user(const http::Request& request) const;
  http::Response login(const http::Request& request) const;
  http::Response refresh(const http::Request& request) const;
  http::Response logout(const http::Request& request) const;

 private:
  void set_session_cookies(http::Response& response, const auth::IssuedTokens& tokens) const;
  http::Response clear_session_cookies(http::Response response) const;
  // The device cookie (auth/device_cookie.hpp): HttpOnly, sent to the login route only.
  void set_device_cookie(http::Response& response, std::string_view value) const;

  auth::LoginService& logins_;
  auth::SessionService& sessions_;
  const auth::Authenticator& authenticator_;
  auth::AccountService& accounts_;
  const Clock& clock_;
  AuthApiSettings settings_;
  http::CorsPolicy origins_;
  http::BodySchema register_body_;  // validated with and documented from these
  http::BodySchema login_body_;
};

}  // namespace gatehouse::api
