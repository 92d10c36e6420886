#pragma once

#include <vector>

#include "auth/authenticator.hpp"
#include "auth/session_service.hpp"
#include "http/cors.hpp"
#include "http/request.hpp"
#include "http/response.hpp"
#include "http/router.hpp"

namespace gatehouse::api {

// /api/users/me/sessions: a user's own logins, listed (the calling one marked `current`) and
// ended one by one. Ending a session revokes its refresh token and every access token of it at
// once.
class SessionsApi final {
 public:
  SessionsApi(auth::SessionService& sessions, const auth::Authenticator& authenticator,
              std::vector<std::string> client_origins);

  void add_routes(http::Router& router) const;
  http::Response list(const http::Request& request) const;
  http::Response remove(const http::Request& request) const;

 private:
  auth::SessionService& sessions_;
  const auth::Authenticator& authenticator_;
  http::CorsPolicy origins_;
};

}  // namespace gatehouse::api
