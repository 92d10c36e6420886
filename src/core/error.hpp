#pragma once

#include <string>
#include <string_view>

namespace gatehouse {

// Every expected failure of the service. The HTTP status and the message a client sees for each
// live in one table (src/http/error_table.cpp); a unit test checks that every value is mapped.
// Add a value here only together with its row in that table.
enum class ErrorCode {
  kNotFound,              // no such route
  kMethodNotAllowed,      // route exists, method does not
  kBadRequest,            // malformed HTTP or request line
  kValidation,            // request body failed validation (422, FastAPI's list shape)
  kPayloadTooLarge,       // body over the configured limit
  kUnsupportedMediaType,  // a body that must be JSON came with another Content-Type (415)
  kAccountExists,         // register: e-mail already taken
  kPasswordsDoNotMatch,   // register: password != passwordConfirm
  kIncorrectCredentials,  // login: unknown e-mail or wrong password (never says which)
  kEmailNotVerified,      // login: account exists but is not verified
  kNotLoggedIn,           // protected route without any access token
  kTokenInvalid,          // access token bad, expired, revoked, wrong type or wrong key
  kUserGone,              // token valid but its user no longer exists
  kAccountNotVerified,    // protected route, user not verified
  kRefreshMissing,        // refresh without a refresh token
  kRefreshInvalid,        // refresh token unknown, expired, revoked or reused
  kForbidden,             // authenticated but not allowed (e.g. cross-site cookie request)
  kSessionNotFound,       // DELETE of a session that is not the caller's
  kInvalidCode,           // a mail's link or code: unknown, used, expired or tried too often
  kWrongPassword,         // the signed-in user's current password was wrong
  kEmailUnchanged,        // an e-mail change to the address the account already has
  kAccountDisabled,       // login or token of an account an admin disabled
  kAdminRequired,         // an admin route called by a user without the admin role
  kReauthenticate,        // an admin route on a session whose password is not recent enough
  kUserNotFound,          // an admin route naming a user id that does not exist
  kLastAdmin,             // would leave no active admin (demote, disable or delete the last one)
  kOwnAccount,            // an admin disabling or deleting their own account
  kRateLimited,           // too many attempts (429 + Retry-After)
  kOverloaded,            // a bounded queue is full (503 + Retry-After)
  kUnavailable,           // the database cannot be reached (503)
  kInternal,              // a bug or an unexpected failure (500, logged with the real reason)
};

// An expected failure: the code decides what the client sees; `internal` is only logged.
// Example:
//   return Error{ErrorCode::kUnavailable, "sqlite: database is locked"};
struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string internal;  // the real reason, for the log; never sent to the client
};

std::string_view to_string(ErrorCode code);

}  // namespace gatehouse
