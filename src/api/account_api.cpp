#include "api/account_api.hpp"

#include "api/api_schemas.hpp"
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

http::FieldSpec token_field() {
  return {.name = "token",
          .rule = {.min_chars = 1, .max_chars = kMaxTokenChars},
          .description = "The token of the mail's link (after '#')."};
}

http::FieldSpec code_field() {
  return {.name = "code",
          .rule = {.min_chars = 1, .max_chars = 16},
          .description = "The code printed in the mail."};
}

std::vector<http::FieldSpec> new_password_fields(std::size_t max_bytes) {
  return {password_field("password", 8, max_bytes, "The new password."),
          password_field("passwordConfirm", 0, max_bytes, "Must equal password.")};
}

// A mail is proven by the token of its link or by the address and the code it printed; `rest`
// are the fields the request needs besides. The first schema is the token's.
std::vector<http::BodySchema> proof_schemas(std::string name, std::vector<http::FieldSpec> rest) {
  http::BodySchema by_token{.name = name + "WithToken", .fields = {token_field()}};
  http::BodySchema by_code{.name = name + "WithCode",
                           .fields = {email_field("The address the mail went to."), code_field()}};
  for (const http::FieldSpec& field : rest) {
    by_token.fields.push_back(field);
    by_code.fields.push_back(field);
  }
  return {std::move(by_token), std::move(by_code)};
}

// Reads the alternative of `schemas` (proof_schemas) that the body chose: the token's when it has
// a token or no e-mail. Issues go to `body`.
std::optional<auth::MailProof> read_proof(http::BodyValidator& body,
                                          const std::vector<http::BodySchema>& schemas,
                                          http::BodyFields& fields) {
  const bool by_token = body.has("token") || !body.has("email");
  fields = body.read(schemas.at(by_token ? 0 : 1));
  if (!body.ok()) return std::nullopt;
  auth::MailProof proof;
  if (by_token) {
    proof.token = std::move(fields.at("token"));
  } else {
    proof.email_lower = lower_ascii(std::move(fields.at("email")));
    proof.code = std::move(fields.at("code"));
  }
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
      origins_(std::move(client_origins)),
      email_body_{.name = "EmailSchema", .fields = {email_field("The account's address.")}},
      verify_body_(proof_schemas("VerifyEmail", {})),
      reset_body_(proof_schemas("ResetPassword", new_password_fields(password_max_bytes))),
      change_password_body_{
          .name = "ChangePasswordSchema",
          .fields = {password_field("current_password", 0, password_max_bytes, ""),
                     new_password_fields(password_max_bytes)[0],
                     new_password_fields(password_max_bytes)[1]}},
      change_email_body_{
          .name = "ChangeEmailSchema",
          .fields = {
              email_field("The new address: a link to confirm it goes there."),
              password_field("password", 0, password_max_bytes, "The account's password.")}} {}

void AccountApi::add_routes(http::Router& router) const {
  using http::Credential;
  using http::Execution;
  const auto accepted_doc = [](std::string what) {
    return doc::ok(202, "StatusResponse",
                   "Accepted: " + std::move(what) +
                       " The answer is the same for every address, so it reveals none.");
  };
  const auto done_doc = [](std::string what) {
    return doc::ok(200, "StatusResponse", std::move(what));
  };
  const auto invalid_code = [] {
    return doc::error(400, "Invalid or expired code (a token or code works once).");
  };
  router.add(bhttp::verb::post, "/api/auth/verify-email/send", Execution::kWorker,
             [this](const http::Request& r) { return send_verification(r); },
             {.summary = "Send a verification mail",
              .tag = "Account",
              .body = {email_body_},
              .responses = {accepted_doc("a mail goes out if the account exists unverified."),
                            doc::too_many("mails for this address or client")}});
  router.add(bhttp::verb::post, "/api/auth/verify-email", Execution::kWorker,
             [this](const http::Request& r) { return verify_email(r); },
             {.summary = "Verify an e-mail address",
              .description = "Proves the address with the mail's link token or its code. "
                             "Confirms a pending e-mail change the same way.",
              .tag = "Account",
              .body = verify_body_,
              .responses = {done_doc("The address is verified."), invalid_code()}});
  router.add(bhttp::verb::post, "/api/auth/password/forgot", Execution::kWorker,
             [this](const http::Request& r) { return forgot_password(r); },
             {.summary = "Ask for a password reset mail",
              .tag = "Account",
              .body = {email_body_},
              .responses = {accepted_doc("a reset mail goes out if the account exists."),
                            doc::too_many("mails for this address or client")}});
  router.add(bhttp::verb::post, "/api/auth/password/reset", Execution::kHashing,
             [this](const http::Request& r) { return reset_password(r); },
             {.summary = "Reset the password",
              .description = "Sets a new password with the reset mail's token or code, and ends "
                             "every session of the account.",
              .tag = "Account",
              .body = reset_body_,
              .responses = {done_doc("The password is changed; log in again."),
                            doc::error(400, "Passwords do not match / Invalid or expired code.")}});
  router.add(bhttp::verb::post, "/api/users/me/password", Execution::kHashing,
             [this](const http::Request& r) { return change_password(r); },
             {.summary = "Change the password",
              .description = "Needs the current password; ends every other session of the "
                             "account.",
              .tag = "Account",
              .body = {change_password_body_},
              .credential = Credential::kAccessToken,
              .responses = {done_doc("The password is changed."),
                            doc::error(400, "Incorrect password / Passwords do not match."),
                            doc::cross_site(), doc::too_many("wrong current passwords")}});
  router.add(bhttp::verb::post, "/api/users/me/email", Execution::kHashing,
             [this](const http::Request& r) { return change_email(r); },
             {.summary = "Change the e-mail address",
              .description = "Needs the password; the change takes effect when the link mailed "
                             "to the new address is used (POST /api/auth/verify-email).",
              .tag = "Account",
              .body = {change_email_body_},
              .credential = Credential::kAccessToken,
              .responses = {accepted_doc("a confirmation mail goes to the new address."),
                            doc::error(400,
                                       "Incorrect password / This is already the "
                                       "account's e-mail address."),
                            doc::cross_site(), doc::too_many("wrong passwords")}});
  // The pages a mail's link opens: HTML for people, not API operations.
  for (const std::string_view page :
       {"verify-email.html", "reset-password.html", "account.js", "account.css"}) {
    std::string path(page);
    if (path.ends_with(".html")) path.resize(path.size() - 5);
    router.add(bhttp::verb::get, "/auth/" + path, Execution::kInline,
               [page](const http::Request&) { return account_page(page); },
               {.summary = "Account page " + std::string(page), .in_document = false});
  }
}

http::Response AccountApi::send_verification(const http::Request& request) const {
  http::BodyValidator body(request.message.body());
  http::BodyFields fields = body.read(email_body_);
  if (!body.ok()) return body.response();
  return answer(
      accounts_.request_verification(lower_ascii(std::move(fields.at("email"))), request.client_ip),
      "verify-email/send", accepted());
}

http::Response AccountApi::verify_email(const http::Request& request) const {
  http::BodyValidator body(request.message.body());
  http::BodyFields fields;
  auto proof = read_proof(body, verify_body_, fields);
  if (!body.ok()) return body.response();
  if (auto st = accounts_.verify_email(*proof, client_info(request)); !st)
    return fail(st.error(), "verify-email");
  return success();
}

http::Response AccountApi::forgot_password(const http::Request& request) const {
  http::BodyValidator body(request.message.body());
  http::BodyFields fields = body.read(email_body_);
  if (!body.ok()) return body.response();
  return answer(accounts_.request_password_reset(lower_ascii(std::move(fields.at("email"))),
                                                 request.client_ip),
                "password/forgot", accepted());
}

http::Response AccountApi::reset_password(const http::Request& request) const {
  http::BodyValidator body(request.message.body());
  http::BodyFields fields;
  auto proof = read_proof(body, reset_body_, fields);
  if (!body.ok()) return body.response();
  const std::string& password = fields.at("password");
  if (password != fields.at("passwordConfirm")) {
    return http::error_response(ErrorCode::kPasswordsDoNotMatch);
  }
  if (auto st = accounts_.reset_password(*proof, password, client_info(request)); !st) {
    return fail(st.error(), "password/reset");
  }
  return success();
}

http::Response AccountApi::change_password(const http::Request& request) const {
  auto principal = authenticate_change(authenticator_, request, origins_);
  if (!principal) return fail(principal.error(), "me/password");
  http::BodyValidator body(request.message.body());
  const http::BodyFields fields = body.read(change_password_body_);
  if (!body.ok()) return body.response();
  const std::string& password = fields.at("password");
  if (password != fields.at("passwordConfirm")) {
    return http::error_response(ErrorCode::kPasswordsDoNotMatch);
  }
  return answer(accounts_.change_password(*principal, fields.at("current_password"), password,
                                          client_info(request)),
                "me/password", success());
}

http::Response AccountApi::change_email(const http::Request& request) const {
  auto principal = authenticate_change(authenticator_, request, origins_);
  if (!principal) return fail(principal.error(), "me/email");
  http::BodyValidator body(request.message.body());
  http::BodyFields fields = body.read(change_email_body_);
  if (!body.ok()) return body.response();
  return answer(
      accounts_.request_email_change(*principal, lower_ascii(std::move(fields.at("email"))),
                                     fields.at("password"), client_info(request)),
      "me/email", accepted());
}

}  // namespace gatehouse::api
