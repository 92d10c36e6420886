#include "api/events_api.hpp"

#include <string>
#include <vector>

#include "api/api_schemas.hpp"
#include "api/api_support.hpp"

namespace gatehouse::api {

namespace bhttp = boost::beast::http;
namespace json = boost::json;

namespace {

const http::ParameterDoc kLimit{
    .name = "limit",
    .in = "query",
    .description = "Events per page.",
    .integer = http::IntegerRange{.minimum = 1, .maximum = 100, .fallback = 20}};
const http::ParameterDoc kBefore{.name = "before",
                                 .in = "query",
                                 .description = "Only events older than this event id (paging).",
                                 .integer = http::IntegerRange{}};

json::value optional_int(const std::optional<std::int64_t>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}

}  // namespace

http::ParameterDoc event_type_parameter() {
  http::ParameterDoc param{
      .name = "event", .in = "query", .description = "Only events of this type."};
  for (auth::AuditEventType t : auth::audit_event_types()) param.values.emplace_back(auth::name(t));
  return param;
}

json::object event_json(const store::AuditEvent& e) {
  return json::object{
      {"id", e.id},
      {"at", iso8601_utc(e.at)},
      {"event", e.event},
      {"user_id", optional_int(e.user_id)},
      {"session_id", e.session_id.empty() ? json::value(nullptr) : json::value(e.session_id)},
      {"email", e.email.empty() ? json::value(nullptr) : json::value(e.email)},
      {"ip", e.ip},
      {"user_agent", e.user_agent},
      {"detail", e.detail},
      {"actor_id", optional_int(e.actor_id)},
  };
}

EventsApi::EventsApi(const auth::AuditTrail& audit, const auth::Authenticator& authenticator)
    : audit_(audit), authenticator_(authenticator), event_type_(event_type_parameter()) {}

void EventsApi::add_routes(http::Router& router) const {
  router.add(
      bhttp::verb::get, "/api/users/me/events", http::Execution::kWorker,
      [this](const http::Request& r) { return mine(r); },
      {.summary = "List my account's security events",
       .description = "The audit trail of the caller's account, newest first: registration, "
                      "logins and failed attempts, lockouts, refresh-token reuse, logouts, "
                      "password and e-mail changes. Paged: pass the answer's `next_before` as "
                      "`before` for the next page (null: no more).",
       .tag = "Users",
       .credential = http::Credential::kAccessToken,
       .parameters = {kLimit, kBefore, event_type_},
       .responses = {doc::ok(200, "AuditEventPage", "A page of events."),
                     doc::ok(422, "HTTPValidationError",
                             "A query parameter is out of range or not a known event type.")}});
}

http::Response EventsApi::mine(const http::Request& request) const {
  auto principal = authenticator_.authenticate(request);
  if (!principal) return fail(principal.error(), "me/events");
  ParamReader params(request);
  const std::int64_t limit = *params.integer(kLimit);
  store::AuditQuery query;
  query.user_id = principal->user.id;
  query.before_id = params.integer(kBefore);
  query.event = params.one_of(event_type_).value_or("");
  if (!params.ok()) return params.response();
  // One more than the page: whether there is a next page is known without another request.
  query.limit = static_cast<std::size_t>(limit) + 1;
  auto events = audit_.find(query);
  if (!events) return fail(events.error(), "me/events");
  json::array out;
  json::value next = nullptr;
  for (const store::AuditEvent& e : *events) {
    if (static_cast<std::int64_t>(out.size()) == limit) {
      next = out.back().as_object().at("id");
      break;
    }
    out.push_back(event_json(e));
  }
  http::Response response = http::json_response(
      bhttp::status::ok, json::object{{"events", std::move(out)}, {"next_before", next}});
  response.no_store();
  return response;
}

}  // namespace gatehouse::api
