#pragma once

#include "auth/authenticator.hpp"
#include "http/request.hpp"
#include "http/response.hpp"
#include "http/router.hpp"

namespace gatehouse::api {

// /api/users/*: the tutorial's protected `me`.
class UsersApi final {
 public:
  explicit UsersApi(const auth::Authenticator& authenticator);

  void add_routes(http::Router& router) const;
  http::Response me(const http::Request& request) const;

 private:
  const auth::Authenticator& authenticator_;
};

}  // namespace gatehouse::api
