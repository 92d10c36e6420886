#pragma once

#include <boost/json/object.hpp>

#include <string>
#include <vector>

#include "admin/admin_service.hpp"
#include "auth/authenticator.hpp"
#include "core/clock.hpp"
#include "http/body_validator.hpp"
#include "http/cors.hpp"
#include "http/request.hpp"
#include "http/response.hpp"
#include "http/router.hpp"

namespace gatehouse::api {

// /api/admin/...: the administration of accounts (admin::AdminService) for callers with the
// admin role on a session whose password was entered within ADMIN_FRESH_MINUTES; anyone else gets
// 403 (kAdminRequired, kReauthenticate). Changes follow the CSRF rules of every cookie-borne
// change. Answers are no-store: they describe other people's accounts.
class AdminApi final {
 public:
  AdminApi(admin::AdminService& admin, const auth::Authenticator& authenticator, const Clock& clock,
           std::vector<std::string> client_origins);

  void add_routes(http::Router& router) const;

  http::Response list_users(const http::Request& request) const;
  http::Response get_user(const http::Request& request) const;
  http::Response patch_user(const http::Request& request) const;
  http::Response delete_user(const http::Request& request) const;
  http::Response user_sessions(const http::Request& request) const;
  http::Response logout_user(const http::Request& request) const;
  http::Response events(const http::Request& request) const;

 private:
  // The admin behind `request` (`changes`: a route that changes something, so CSRF rules apply).
  Result<auth::Principal> caller(const http::Request& request, bool changes) const;

  admin::AdminService& admin_;
  const auth::Authenticator& authenticator_;
  const Clock& clock_;  // `since` ages count back from now
  http::CorsPolicy origins_;
  http::BodySchema patch_body_;
  http::ParameterDoc event_type_;
};

// An account as the admin API shows it (the AdminUser schema).
boost::json::object admin_user_json(const store::User& user);

}  // namespace gatehouse::api
