#include "api/sessions_api.hpp"

#include "api/api_schemas.hpp"
#include "api/api_support.hpp"

namespace gatehouse::api {

namespace bhttp = boost::beast::http;
namespace json = boost::json;

SessionsApi::SessionsApi(auth::SessionService& sessions, const auth::Authenticator& authenticator,
                         std::vector<std::string> client_origins)
    : sessions_(sessions), authenticator_(authenticator), origins_(std::move(client_origins)) {}

void SessionsApi::add_routes(http::Router& router) const {
  router.add(bhttp::verb::get, "/api/users/me/sessions", http::Execution::kWorker,
             [this](const http::Request& r) { return list(r); },
             {.summary = "List my sessions",
              .description = "The user's live sessions (logins), newest first.",
              .tag = "Sessions",
              .credential = http::Credential::kAccessToken,
              .responses = {doc::ok(200, "SessionList", "The live sessions.")}});
  router.add(
      bhttp::verb::delete_, "/api/users/me/sessions/{id}", http::Execution::kWorker,
      [this](const http::Request& r) { return remove(r); },
      {.summary = "End one of my sessions",
       .description = "Logs that device out at once: its tokens are refused from the next "
                      "request on.",
       .tag = "Sessions",
       .credential = http::Credential::kAccessToken,
       .parameters = {{.name = "id", .description = "A session id from the list."}},
       .responses = {doc::ok(200, "StatusResponse", "The session is ended."), doc::cross_site(),
                     doc::error(404, "Session not found (or not the user's).")}});
}

http::Response SessionsApi::list(const http::Request& request) const {
  auto principal = authenticator_.authenticate(request);
  if (!principal) return fail(principal.error(), "sessions");
  auto sessions = sessions_.list(principal->user.id);
  if (!sessions) return fail(sessions.error(), "sessions");
  json::array out;
  for (const store::Session& s : *sessions) {
    out.push_back(json::object{{"id", s.id},
                               {"created_at", iso8601_utc(s.created_at)},
                               {"last_used_at", iso8601_utc(s.last_used_at)},
                               {"expires_at", iso8601_utc(s.expires_at)},
                               {"user_agent", s.user_agent},
                               {"ip", s.ip},
                               {"current", s.id == principal->claims.sid}});
  }
  return http::json_response(bhttp::status::ok, json::object{{"sessions", std::move(out)}});
}

http::Response SessionsApi::remove(const http::Request& request) const {
  auto principal = authenticate_change(authenticator_, request, origins_);
  if (!principal) return fail(principal.error(), "end session");
  const std::string& sid = request.path_params.at(0);
  auto ended = sessions_.end_user_session(principal->user.id, sid, client_info(request));
  if (!ended) return fail(ended.error(), "end session");
  if (!*ended) return http::error_response(ErrorCode::kSessionNotFound);
  return http::json_response(bhttp::status::ok, json::object{{"status", "success"}});
}

}  // namespace gatehouse::api
