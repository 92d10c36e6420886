#include "api/events_api.hpp"

#include <limits>
#include <string>
#include <vector>

#include "api/api_schemas.hpp"
#include "api/api_support.hpp"

namespace gatehouse::api {

namespace bhttp = boost::beast::http;
namespace json = boost::json;

namespace {

constexpr std::int64_t kDefaultLimit = 20;
constexpr std::int64_t kMaxLimit = 100;

json::value optional_int(const std::optional<std::int64_t>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}

}  // namespace

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
    : audit_(audit), authenticator_(authenticator) {}

void EventsApi::add_routes(http::Router& router) const {
  std::vector<std::string> types;
  for (auth::AuditEventType t : auth::audit_event_types()) types.emplace_back(auth::name(t));
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
       .parameters = {{.name = "limit",
                       .in = "query",
                       .description = "Events per page, 1 to 100 (default 20)."},
                      {.name = "before",
                       .in = "query",
                       .description = "Only events older than this event id (paging)."},
                      {.name = "event",
                       .in = "query",
                       .description = "Only events of this type.",
                       .values = std::move(types)}},
       .responses = {doc::ok(200, "AuditEventPage", "A page of events."),
                     doc::ok(422, "HTTPValidationError",
                             "A query parameter is out of range or not a known event type.")}});
}

http::Response EventsApi::mine(const http::Request& request) const {
  auto principal = authenticator_.authenticate(request);
  if (!principal) return fail(principal.error(), "me/events");
  ParamReader params(request);
  const std::int64_t limit = params.bounded_int("limit", 1, kMaxLimit, kDefaultLimit);
  const std::int64_t before =
      params.bounded_int("before", 1, std::numeric_limits<std::int64_t>::max(), std::int64_t{0});
  store::AuditQuery query;
  query.user_id = principal->user.id;
  if (auto event = params.text("event")) {
    if (!auth::parse_audit_event_type(*event)) {
      params.refuse("event", "value is not a known event type", "type_error.enum");
    }
    query.event = std::move(*event);
  }
  if (!params.ok()) return params.response();
  if (before > 0) query.before_id = before;
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
