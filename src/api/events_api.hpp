#pragma once

#include <boost/json/object.hpp>

#include "auth/audit_trail.hpp"
#include "auth/authenticator.hpp"
#include "http/operation.hpp"
#include "http/request.hpp"
#include "http/response.hpp"
#include "http/router.hpp"

namespace gatehouse::api {

// GET /api/users/me/events: the security events of the caller's own account (auth::AuditTrail),
// newest first, a page at a time: `limit` (1 to 100, default 20) events older than event `before`
// (the previous page's `next_before`), optionally only those of one `event` type.
class EventsApi final {
 public:
  EventsApi(const auth::AuditTrail& audit, const auth::Authenticator& authenticator);

  void add_routes(http::Router& router) const;
  http::Response mine(const http::Request& request) const;

 private:
  const auth::AuditTrail& audit_;
  const auth::Authenticator& authenticator_;
  const http::ParameterDoc event_type_;
};

// The `event` query parameter of the audit trail's routes: one of the audit event types.
http::ParameterDoc event_type_parameter();

// One event as the API shows it (the AuditEvent schema).
boost::json::object event_json(const store::AuditEvent& event);

}  // namespace gatehouse::api
