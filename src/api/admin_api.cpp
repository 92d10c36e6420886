#include "api/admin_api.hpp"

#include <utility>

#include "api/api_schemas.hpp"
#include "api/api_support.hpp"
#include "api/events_api.hpp"

namespace gatehouse::api {

namespace bhttp = boost::beast::http;
namespace json = boost::json;

namespace {

// Pages past 100,000 are refused rather than asking the database for a huge OFFSET.
const http::ParameterDoc kPage{
    .name = "page",
    .in = "query",
    .description = "The page, from 1.",
    .integer = http::IntegerRange{.minimum = 1, .maximum = 100000, .fallback = 1}};
const http::ParameterDoc kPerPage{
    .name = "per_page",
    .in = "query",
    .description = "Entries per page.",
    .integer = http::IntegerRange{.minimum = 1, .maximum = 100, .fallback = 20}};
const http::ParameterDoc kUserId{
    .name = "user_id",
    .in = "query",
    .description = "Only this account's events.",
    .integer = http::IntegerRange{.minimum = 1, .maximum = store::kMaxUserId}};
const http::ParameterDoc kAccountId{
    .name = "id",
    .description = "The account's id.",
    .integer = http::IntegerRange{.minimum = 1, .maximum = store::kMaxUserId}};

http::BodySchema patch_schema() {
  return {
      .name = "AdminUserPatch",
      .description =
          "The fields to change; the others are left alone. A role change or a "
          "disabling ends every session of the account at once.",
      .fields = {{.name = "name",
                  .rule = {.min_chars = 1, .max_chars = kMaxColumnChars},
                  .optional = true},
                 {.name = "role",
                  .optional = true,
                  .values = {std::string(admin::kUserRole), std::string(admin::kAdminRole)},
                  .description = "A role change ends the account's sessions: no token "
                                 "carries the old role."},
                 {.name = "verified", .type = http::FieldType::kBoolean, .optional = true},
                 {.name = "disabled",
                  .type = http::FieldType::kBoolean,
                  .optional = true,
                  .description = "A disabled account cannot log in; its sessions end at once."}}};
}

std::vector<http::ParameterDoc> id_parameter() {
  return {kAccountId};
}

std::vector<http::ResponseDoc> admin_answers(std::vector<http::ResponseDoc> own) {
  own.push_back(doc::error(403,
                           "Admin role required / Please log in again (the session's password "
                           "is older than ADMIN_FRESH_MINUTES) / sent with a cookie from another "
                           "site (CSRF) / this account is disabled."));
  return own;
}

json::object session_json(const store::Session& s) {
  return json::object{{"id", s.id},
                      {"created_at", iso8601_utc(s.created_at)},
                      {"last_used_at", iso8601_utc(s.last_used_at)},
                      {"expires_at", iso8601_utc(s.expires_at)},
                      {"user_agent", s.user_agent},
                      {"ip", s.ip}};
}

http::Response private_json(json::object body) {
  http::Response response = http::json_response(bhttp::status::ok, std::move(body));
  response.no_store();
  return response;
}

}  // namespace

json::object admin_user_json(const store::User& user) {
  json::object o = user_json(user);
  o["role"] = user.role;
  o["verified"] = user.verified;
  o["disabled"] = user.disabled();
  o["disabled_at"] = user.disabled_at ? json::value(iso8601_utc(*user.disabled_at)) : nullptr;
  return o;
}

AdminApi::AdminApi(admin::AdminService& admin, const auth::Authenticator& authenticator,
                   const Clock& clock, std::vector<std::string> client_origins)
    : admin_(admin),
      authenticator_(authenticator),
      clock_(clock),
      origins_(std::move(client_origins)),
      patch_body_(patch_schema()),
      event_type_(event_type_parameter()) {}

void AdminApi::add_routes(http::Router& router) const {
  using http::Execution;
  const auto route = [&](bhttp::verb method, std::string path,
                         http::Response (AdminApi::*handler)(const http::Request&) const,
                         http::Operation op) {
    op.tag = "Admin";
    op.credential = http::Credential::kAccessToken;
    op.responses = admin_answers(std::move(op.responses));
    router.add(
        method, std::move(path), Execution::kWorker,
        [this, handler](const http::Request& r) { return (this->*handler)(r); }, std::move(op));
  };
  const auto paging = [](std::vector<http::ParameterDoc> more) {
    more.push_back(kPage);
    more.push_back(kPerPage);
    return more;
  };
  const auto bad_param = [](std::string what) {
    return doc::ok(422, "HTTPValidationError", std::move(what));
  };
  const std::string bad_id =
      "The id is not a whole number from 1 to " + std::to_string(store::kMaxUserId) + ".";
  route(bhttp::verb::get, "/api/admin/users", &AdminApi::list_users,
        {.summary = "Search accounts",
         .description = "Accounts whose e-mail or name contains `query` (all when empty), by id, "
                        "a page at a time, with the total.",
         .parameters = paging({{.name = "query",
                                .in = "query",
                                .description = "Part of an e-mail or a name (case-insensitive)."}}),
         .responses = {doc::ok(200, "AdminUserPage", "A page of accounts."),
                       bad_param("page or per_page out of range.")}});
  route(bhttp::verb::get, "/api/admin/users/{id}", &AdminApi::get_user,
        {.summary = "Read an account",
         .parameters = id_parameter(),
         .responses = {doc::ok(200, "AdminUser", "The account."),
                       doc::error(404, "User not found."), bad_param(bad_id)}});
  route(bhttp::verb::patch, "/api/admin/users/{id}", &AdminApi::patch_user,
        {.summary = "Change an account",
         .description = "Name, role, verified, disabled. A role change or a disabling ends every "
                        "session of the account in the same transaction: its access tokens are "
                        "refused from the next request on. The last admin cannot be demoted or "
                        "disabled, and an admin cannot disable their own account (409).",
         .body = {patch_body_},
         .parameters = id_parameter(),
         .responses = {doc::ok(200, "AdminUser", "The account as it is now."),
                       doc::error(404, "User not found."),
                       doc::error(409,
                                  "The last admin cannot be demoted or disabled / an admin cannot "
                                  "disable their own account.")}});
  route(bhttp::verb::delete_, "/api/admin/users/{id}", &AdminApi::delete_user,
        {.summary = "Delete an account",
         .description = "The account, its sessions and tokens are deleted; its audit events stay. "
                        "Not the last admin, nor the caller's own account (409).",
         .parameters = id_parameter(),
         .responses = {doc::ok(200, "StatusResponse", "The account is deleted."),
                       doc::error(404, "User not found."),
                       doc::error(409,
                                  "The last admin cannot be deleted / an admin cannot delete their "
                                  "own account."),
                       bad_param(bad_id)}});
  route(bhttp::verb::get, "/api/admin/users/{id}/sessions", &AdminApi::user_sessions,
        {.summary = "List an account's sessions",
         .description = "The account's live sessions, newest first.",
         .parameters = id_parameter(),
         .responses = {doc::ok(200, "AdminSessionList", "The live sessions."),
                       doc::error(404, "User not found."), bad_param(bad_id)}});
  route(bhttp::verb::post, "/api/admin/users/{id}/logout", &AdminApi::logout_user,
        {.summary = "End every session of an account",
         .description = "Every session ends at once: refresh tokens and access tokens alike are "
                        "refused from the next request on.",
         .parameters = id_parameter(),
         .responses = {doc::ok(200, "AdminLogoutResponse", "The sessions are ended."),
                       doc::error(404, "User not found."), bad_param(bad_id)}});
  route(bhttp::verb::get, "/api/admin/events", &AdminApi::events,
        {.summary = "Search the audit trail",
         .description = "Security events of every account, newest first, a page at a time.",
         .parameters = paging({kUserId,
                               event_type_,
                               {.name = "since",
                                .in = "query",
                                .description = "Only events at or after this: an age (90m, 24h, "
                                               "7d), a date (2026-12-01) or a date and time "
                                               "(2026-12-01T10:00:00Z)."}}),
         .responses = {doc::ok(200, "AdminEventPage", "A page of events."),
                       bad_param("A query parameter is out of range or not understood.")}});
}

Result<auth::Principal> AdminApi::caller(const http::Request& request, bool changes) const {
  auto principal = changes ? authenticate_change(authenticator_, request, origins_)
                           : authenticator_.authenticate(request);
  if (!principal) return principal;
  if (auto allowed = admin_.check_access(*principal); !allowed) return std::move(allowed).error();
  return principal;
}

http::Response AdminApi::list_users(const http::Request& request) const {
  auto principal = caller(request, false);
  if (!principal) return fail(principal.error(), "admin users");
  ParamReader params(request);
  const std::int64_t page = *params.integer(kPage);
  const std::int64_t per_page = *params.integer(kPerPage);
  if (!params.ok()) return params.response();
  store::UserSearch search;
  search.text = params.text("query").value_or("");
  search.limit = static_cast<std::size_t>(per_page);
  search.offset = static_cast<std::size_t>((page - 1) * per_page);
  auto found = admin_.search(search);
  if (!found) return fail(found.error(), "admin users");
  json::array users;
  for (const store::User& user : found->users) users.push_back(admin_user_json(user));
  return private_json(json::object{{"users", std::move(users)},
                                   {"page", page},
                                   {"per_page", per_page},
                                   {"total", found->total}});
}

http::Response AdminApi::get_user(const http::Request& request) const {
  auto principal = caller(request, false);
  if (!principal) return fail(principal.error(), "admin user");
  ParamReader params(request);
  const std::int64_t id = params.path_integer(0, kAccountId);
  if (!params.ok()) return params.response();
  auto user = admin_.user(id);
  if (!user) return fail(user.error(), "admin user");
  return private_json(admin_user_json(*user));
}

http::Response AdminApi::patch_user(const http::Request& request) const {
  auto principal = caller(request, true);
  if (!principal) return fail(principal.error(), "admin change");
  ParamReader params(request);
  const std::int64_t id = params.path_integer(0, kAccountId);
  if (!params.ok()) return params.response();
  http::BodyValidator body(request.message.body());
  http::BodyFields fields = body.read(patch_body_);
  if (!body.ok()) return body.response();
  store::UserChange change;
  const auto text = [&](const char* name) -> std::optional<std::string> {
    auto it = fields.find(name);
    if (it == fields.end()) return std::nullopt;
    return it->second;
  };
  const auto flag = [&](const char* name) -> std::optional<bool> {
    auto value = text(name);
    if (!value) return std::nullopt;
    return *value == "true";
  };
  change.name = text("name");
  change.role = text("role");
  change.verified = flag("verified");
  change.disabled = flag("disabled");
  auto changed = admin_.change({principal->user.id, client_info(request)}, id, change);
  if (!changed) return fail(changed.error(), "admin change");
  return private_json(admin_user_json(changed->user));
}

http::Response AdminApi::delete_user(const http::Request& request) const {
  auto principal = caller(request, true);
  if (!principal) return fail(principal.error(), "admin delete");
  ParamReader params(request);
  const std::int64_t id = params.path_integer(0, kAccountId);
  if (!params.ok()) return params.response();
  auto removed = admin_.remove({principal->user.id, client_info(request)}, id);
  if (!removed) return fail(removed.error(), "admin delete");
  return private_json(json::object{{"status", "success"}});
}

http::Response AdminApi::user_sessions(const http::Request& request) const {
  auto principal = caller(request, false);
  if (!principal) return fail(principal.error(), "admin sessions");
  ParamReader params(request);
  const std::int64_t id = params.path_integer(0, kAccountId);
  if (!params.ok()) return params.response();
  auto sessions = admin_.sessions(id);
  if (!sessions) return fail(sessions.error(), "admin sessions");
  json::array out;
  for (const store::Session& s : *sessions) out.push_back(session_json(s));
  return private_json(json::object{{"sessions", std::move(out)}});
}

http::Response AdminApi::logout_user(const http::Request& request) const {
  auto principal = caller(request, true);
  if (!principal) return fail(principal.error(), "admin logout");
  ParamReader params(request);
  const std::int64_t id = params.path_integer(0, kAccountId);
  if (!params.ok()) return params.response();
  auto ended = admin_.logout({principal->user.id, client_info(request)}, id);
  if (!ended) return fail(ended.error(), "admin logout");
  return private_json(json::object{{"status", "success"}, {"sessions_ended", *ended}});
}

http::Response AdminApi::events(const http::Request& request) const {
  auto principal = caller(request, false);
  if (!principal) return fail(principal.error(), "admin events");
  ParamReader params(request);
  const std::int64_t page = *params.integer(kPage);
  const std::int64_t per_page = *params.integer(kPerPage);
  store::AuditQuery query;
  query.user_id = params.integer(kUserId);
  query.event = params.one_of(event_type_).value_or("");
  if (auto since = params.text("since")) {
    query.since = auth::parse_since(*since, clock_.now());
    if (!query.since) {
      params.refuse("since",
                    "value is not an age (90m, 24h, 7d), a date (2026-12-01) or a date and time "
                    "(2026-12-01T10:00:00Z)",
                    "value_error.datetime");
    }
  }
  if (!params.ok()) return params.response();
  query.offset = static_cast<std::size_t>((page - 1) * per_page);
  // One more than the page: whether there is a next page is known without counting.
  query.limit = static_cast<std::size_t>(per_page) + 1;
  auto found = admin_.events(query);
  if (!found) return fail(found.error(), "admin events");
  const bool has_more = found->size() > static_cast<std::size_t>(per_page);
  if (has_more) found->pop_back();
  json::array out;
  for (const store::AuditEvent& e : *found) out.push_back(event_json(e));
  return private_json(json::object{
      {"events", std::move(out)}, {"page", page}, {"per_page", per_page}, {"has_more", has_more}});
}

}  // namespace gatehouse::api
