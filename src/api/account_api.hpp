#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "auth/account_service.hpp"
#include "auth/authenticator.hpp"
#include "http/body_validator.hpp"
#include "http/cors.hpp"
#include "http/request.hpp"
#include "http/response.hpp"
#include "http/router.hpp"

namespace gatehouse::api {

// The account lifecycle over mail (auth::AccountService): e-mail verification, forgotten and reset
// passwords, password and e-mail change; and the two pages a mail's link opens when it points at
// Gatehouse (/auth/verify-email, /auth/reset-password), whose GET changes nothing.
class AccountApi final {
 public:
  AccountApi(auth::AccountService& accounts, const auth::Authenticator& authenticator,
             std::size_t password_max_bytes, std::vector<std::string> client_origins);

  void add_routes(http::Router& router) const;

  http::Response send_verification(const http::Request& request) const;
  http::Response verify_email(const http::Request& request) const;
  http::Response forgot_password(const http::Request& request) const;
  http::Response reset_password(const http::Request& request) const;
  http::Response change_password(const http::Request& request) const;
  http::Response change_email(const http::Request& request) const;

 private:
  auth::AccountService& accounts_;
  const auth::Authenticator& authenticator_;
  http::CorsPolicy origins_;
  // Validated with and documented from these. Proofs of a mail: the token's schema, the code's.
  http::BodySchema email_body_;
  std::vector<http::BodySchema> verify_body_;
  std::vector<http::BodySchema> reset_body_;
  http::BodySchema change_password_body_;
  http::BodySchema change_email_body_;
};

// The page or asset embedded as web/auth/`name` (verify-email.html, account.js...), with a
// Content-Security-Policy that allows only Gatehouse's own script, style and API.
http::Response account_page(std::string_view name);

}  // namespace gatehouse::api
