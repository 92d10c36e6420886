#pragma once

#include "http/cors.hpp"
#include "http/request.hpp"

namespace gatehouse::http {

// Requests that change a browser's login state (login, register, and the cookie-authenticated
// refresh, logout and ending a session) must come from the site itself or from a configured
// CLIENT_ORIGIN. A browser says where a request comes
// from in `Origin` (and, in newer browsers, `Sec-Fetch-Site`); a foreign one is refused with 403.
// Requests with neither header (curl, servers, old clients) and Bearer-authenticated requests are
// not affected: a cross-site attacker cannot make a browser send an Authorization header.
bool is_cross_site_request(const Request& request, const CorsPolicy& cors);

}  // namespace gatehouse::http
