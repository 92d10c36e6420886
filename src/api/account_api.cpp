#include "api/account_api.hpp"

#include "api/api_support.hpp"
#include "core/embedded_files.hpp"
#include "http/body_validator.hpp"

namespace gatehouse::api {

namespace bhttp = boost::beast::http;
namespace json = boost::json;

namespace {

constexpr std::size_t kMaxTokenChars = 128;  // a link token is 43 characters

// What a request for mail answers, whatever became of it: the same for every address.
http::Response accepted() {
  return http::json_response(bhttp::status::accepted, json::object{{"status", "success"}});
}

http::Response success() {
  return http::json_response(bhttp::status::ok, json::object{{"status", "success"}});
}

// {"token"} or {"email", "code"}: the proof of a mail. Issues go to `body`.
std::optional<auth::MailProof> read_proof(http::BodyValidator& body) {
  auth::MailProof proof;
  if (body.has("token") || !body.has("email")) {
    auto token = body.string_field("token", {.min_chars = 1, .max_chars = kMaxTokenChars});
    if (!token) return std::nullopt;
    proof.token = std::move(*token);
    return proof;
  }
  auto email = body.string_field("email", {.max_chars = kMaxColumnChars, .email = true});
  auto code = body.string_field("code", {.min_chars = 1, .max_chars = 16});
  if (!email || !code) return std::nullopt;
  proof.email_lower = lower_ascii(std::move(*email));
  proof.code = std::move(*code);
  return proof;
}

// The answer of a service call that may be refused by a limit.
http::Response answer(const Result<std::optional<std::chrono::seconds>>& r, std::string_view what,
                      http::Response done) {
  if (!r) return fail(r.error(), what);
  if (r->has_value()) return too_many(**r);
  return done;
}

struct Asset {
  std::string_view name;
  std::string_view content_type;
};
constexpr Asset kAssets[] = {
    {"verify-email.html", "text/html; charset=utf-8"},
    {"reset-password.html", "text/html; charset=utf-8"},
    {"account.js", "text/javascript; charset=utf-8"},
    {"account.css", "text/css; charset=utf-8"},
};

}  // namespace

http::Response account_page(std::string_view name) {
  for (const Asset& asset : kAssets) {
    if (asset.name != name) continue;
    for (const embedded::EmbeddedFile& file : embedded::account_page_files()) {
      if (file.filename != name) continue;
      http::Response r(bhttp::status::ok, std::string(file.content));
      r.header("Content-Type", asset.content_type);
      // Only Gatehouse's own script, style and API; no frames, no forms posted elsewhere, no
      // Referer (the page's URL holds the token after '#', which browsers never send, but a
      // typed-in URL might hold it elsewhere).
      r.header("Content-Security-Policy",
               "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
               "form-action 'none'; frame-ancestors 'none'; base-uri 'none'");
      r.header("Referrer-Policy", "no-referrer");
      r.header("X-Content-Type-Options", "nosniff");
      r.header("Cache-Control", "no-cache");
      return r;
    }
  }
  return http::error_response(ErrorCode::kNotFound);
}

AccountApi::AccountApi(auth::AccountService& accounts, const auth::Authenticator& authenticator,
                       std::size_t password_max_bytes, std::vector<std::string> client_origins)
    : accounts_(accounts),
      authenticator_(authenticator),
      password_max_bytes_(password_max_bytes),
      origins_(std::move(client_origins)) {}

void AccountApi::add_routes(http::Router& router) const {
  using http::Body;
  using http::Execution;
  router.add(
      bhttp::verb::post, "/api/auth/verify-email/send", Execution::kWorker,
      [this](const http::Request& r) { return send_verification(r); }, Body::kJson);
  router.add(
      bhttp::verb::post, "/api/auth/verify-email", Execution::kWorker,
      [this](const http::Request& r) { return verify_email(r); }, Body::kJson);
  router.add(
      bhttp::verb::post, "/api/auth/password/forgot", Execution::kWorker,
      [this](const http::Request& r) { return forgot_password(r); }, Body::kJson);
  router.add(
      bhttp::verb::post, "/api/auth/password/reset", Execution::kHashing,
      [this](const http::Request& r) { return reset_password(r); }, Body::kJson);
  router.add(
      bhttp::verb::post, "/api/users/me/password", Execution::kHashing,
      [this](const http::Request& r) { return change_password(r); }, Body::kJson);
  router.add(
      bhttp::verb::post, "/api/users/me/email", Execution::kHashing,
      [this](const http::Request& r) { return change_email(r); }, Body::kJson);
  router.add(bhttp::verb::get, "/auth/verify-email", Execution::kInline,
             [](const http::Request&) { return account_page("verify-email.html"); });
  router.add(bhttp::verb::get, "/auth/reset-password", Execution::kInline,
             [](const http::Request&) { return account_page("reset-password.html"); });
  router.add(bhttp::verb::get, "/auth/account.js", Execution::kInline,
             [](const http::Request&) { return account_page("account.js"); });
  router.add(bhttp::verb::get, "/auth/account.css", Execution::kInline,
             [](const http::Request&) { return account_page("account.css"); });
}

http::Response AccountApi::send_verification(const http::Request& request) const {
  http::BodyValidator body(request.message.body());
  auto email = body.string_field("email", {.max_chars = kMaxColumnChars, .email = true});
  if (!body.ok()) return body.response();
  return answer(accounts_.request_verification(lower_ascii(std::move(*email)), request.client_ip),
                "verify-email/send", accepted());
}

http::Response AccountApi::verify_email(const http::Request& request) const {
  http::BodyValidator body(request.message.body());
  auto proof = read_proof(body);
  if (!body.ok()) return body.response();
  if (auto st = accounts_.verify_email(*proof); !st) return fail(st.error(), "verify-email");
  return success();
}

http::Response AccountApi::forgot_password(const http::Request& request) const {
  http::BodyValidator body(request.message.body());
  auto email = body.string_field("email", {.max_chars = kMaxColumnChars, .email = true});
  if (!body.ok()) return body.response();
  return answer(accounts_.request_password_reset(lower_ascii(std::move(*email)), request.client_ip),
                "password/forgot", accepted());
}

http::Response AccountApi::reset_password(const http::Request& request) const {
  http::BodyValidator body(request.message.body());
  auto proof = read_proof(body);
  auto password = body.string_field("password", {.min_chars = 8, .max_bytes = password_max_bytes_});
  auto confirm = body.string_field("passwordConfirm", {.max_bytes = password_max_bytes_});
  if (!body.ok()) return body.response();
  if (*password != *confirm) return http::error_response(ErrorCode::kPasswordsDoNotMatch);
  if (auto st = accounts_.reset_password(*proof, *password); !st) {
    return fail(st.error(), "password/reset");
  }
  return success();
}

http::Response AccountApi::change_password(const http::Request& request) const {
  auto principal = authenticate_change(authenticator_, request, origins_);
  if (!principal) return fail(principal.error(), "me/password");
  http::BodyValidator body(request.message.body());
  auto current = body.string_field("current_password", {.max_bytes = password_max_bytes_});
  auto password = body.string_field("password", {.min_chars = 8, .max_bytes = password_max_bytes_});
  auto confirm = body.string_field("passwordConfirm", {.max_bytes = password_max_bytes_});
  if (!body.ok()) return body.response();
  if (*password != *confirm) return http::error_response(ErrorCode::kPasswordsDoNotMatch);
  return answer(accounts_.change_password(*principal, *current, *password, request.client_ip),
                "me/password", success());
}

http::Response AccountApi::change_email(const http::Request& request) const {
  auto principal = authenticate_change(authenticator_, request, origins_);
  if (!principal) return fail(principal.error(), "me/email");
  http::BodyValidator body(request.message.body());
  auto email = body.string_field("email", {.max_chars = kMaxColumnChars, .email = true});
  auto password = body.string_field("password", {.max_bytes = password_max_bytes_});
  if (!body.ok()) return body.response();
  return answer(accounts_.request_email_change(*principal, lower_ascii(std::move(*email)),
                                               *password, request.client_ip),
                "me/email", accepted());
}

}  // namespace gatehouse::api
