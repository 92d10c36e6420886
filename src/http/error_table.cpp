#include "http/error_table.hpp"

namespace gatehouse {

std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::kNotFound:
      return "not_found";
    case ErrorCode::kMethodNotAllowed:
      return "method_not_allowed";
    case ErrorCode::kBadRequest:
      return "bad_request";
    case ErrorCode::kValidation:
      return "validation";
    case ErrorCode::kPayloadTooLarge:
      return "payload_too_large";
    case ErrorCode::kUnsupportedMediaType:
      return "unsupported_media_type";
    case ErrorCode::kAccountExists:
      return "account_exists";
    case ErrorCode::kPasswordsDoNotMatch:
      return "passwords_do_not_match";
    case ErrorCode::kIncorrectCredentials:
      return "incorrect_credentials";
    case ErrorCode::kEmailNotVerified:
      return "email_not_verified";
    case ErrorCode::kNotLoggedIn:
      return "not_logged_in";
    case ErrorCode::kTokenInvalid:
      return "token_invalid";
    case ErrorCode::kUserGone:
      return "user_gone";
    case ErrorCode::kAccountNotVerified:
      return "account_not_verified";
    case ErrorCode::kRefreshMissing:
      return "refresh_missing";
    case ErrorCode::kRefreshInvalid:
      return "refresh_invalid";
    case ErrorCode::kForbidden:
      return "forbidden";
    case ErrorCode::kSessionNotFound:
      return "session_not_found";
    case ErrorCode::kInvalidCode:
      return "invalid_code";
    case ErrorCode::kWrongPassword:
      return "wrong_password";
    case ErrorCode::kEmailUnchanged:
      return "email_unchanged";
    case ErrorCode::kAccountDisabled:
      return "account_disabled";
    case ErrorCode::kAdminRequired:
      return "admin_required";
    case ErrorCode::kReauthenticate:
      return "reauthenticate";
    case ErrorCode::kUserNotFound:
      return "user_not_found";
    case ErrorCode::kLastAdmin:
      return "last_admin";
    case ErrorCode::kOwnAccount:
      return "own_account";
    case ErrorCode::kRateLimited:
      return "rate_limited";
    case ErrorCode::kOverloaded:
      return "overloaded";
    case ErrorCode::kUnavailable:
      return "unavailable";
    case ErrorCode::kInternal:
      return "internal";
  }
  return "unknown";
}

namespace http {

ErrorMapping map_error(ErrorCode code) {
  using S = boost::beast::http::status;
  switch (code) {
    case ErrorCode::kNotFound:
      return {S::not_found, "Not Found"};
    case ErrorCode::kMethodNotAllowed:
      return {S::method_not_allowed, "Method Not Allowed"};
    case ErrorCode::kBadRequest:
      return {S::bad_request, "Bad Request"};
    case ErrorCode::kValidation:
      return {S::unprocessable_entity, "Unprocessable Entity"};
    case ErrorCode::kPayloadTooLarge:
      return {S::payload_too_large, "Request body too large"};
    case ErrorCode::kUnsupportedMediaType:
      return {S::unsupported_media_type,
              "The request body must be JSON (Content-Type: application/json)"};
    case ErrorCode::kAccountExists:
      return {S::conflict, "Account already exist"};
    case ErrorCode::kPasswordsDoNotMatch:
      return {S::bad_request, "Passwords do not match"};
    case ErrorCode::kIncorrectCredentials:
      return {S::bad_request, "Incorrect Email or Password"};
    case ErrorCode::kEmailNotVerified:
      return {S::unauthorized, "Please verify your email address"};
    case ErrorCode::kNotLoggedIn:
      return {S::unauthorized, "You are not logged in"};
    case ErrorCode::kTokenInvalid:
      return {S::unauthorized, "Token is invalid or has expired"};
    case ErrorCode::kUserGone:
      return {S::unauthorized, "User no longer exist"};
    case ErrorCode::kAccountNotVerified:
      return {S::unauthorized, "Please verify your account"};
    case ErrorCode::kRefreshMissing:
      return {S::bad_request, "Please provide refresh token"};
    // The tutorial answers 400 to every bad refresh token; its clients expect that status.
    case ErrorCode::kRefreshInvalid:
      return {S::bad_request, "Could not refresh access token"};
    case ErrorCode::kForbidden:
      return {S::forbidden, "Forbidden"};
    case ErrorCode::kSessionNotFound:
      return {S::not_found, "Session not found"};
    case ErrorCode::kInvalidCode:
      return {S::bad_request, "Invalid or expired code"};
    case ErrorCode::kWrongPassword:
      return {S::bad_request, "Incorrect password"};
    case ErrorCode::kEmailUnchanged:
      return {S::bad_request, "This is already the account's e-mail address"};
    case ErrorCode::kAccountDisabled:
      return {S::forbidden, "This account is disabled"};
    case ErrorCode::kAdminRequired:
      return {S::forbidden, "Admin role required"};
    case ErrorCode::kReauthenticate:
      return {S::forbidden,
              "Please log in again: the admin API needs a session whose password was entered "
              "recently"};
    case ErrorCode::kUserNotFound:
      return {S::not_found, "User not found"};
    case ErrorCode::kLastAdmin:
      return {S::conflict, "The last admin cannot be demoted, disabled or deleted"};
    case ErrorCode::kOwnAccount:
      return {S::conflict, "An admin cannot disable or delete their own account"};
    case ErrorCode::kRateLimited:
      return {S::too_many_requests, "Too many requests"};
    case ErrorCode::kOverloaded:
      return {S::service_unavailable, "Server busy, retry later"};
    case ErrorCode::kUnavailable:
      return {S::service_unavailable, "Service unavailable"};
    case ErrorCode::kInternal:
      return {S::internal_server_error, "Internal Server Error"};
  }
  return {S::internal_server_error, "Internal Server Error"};
}

}  // namespace http
}  // namespace gatehouse
