#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"

namespace gatehouse::store {

// A row of `{prefix}user`: the tutorial's table, unchanged, so a tutorial database is adopted in
// place.
struct User {
  std::int64_t id = 0;
  std::string name;
  std::string email;          // always lower-case
  std::string password_hash;  // $argon2id$... or a legacy $2b$ bcrypt hash from the tutorial
  std::optional<std::string> photo;
  bool verified = false;
  std::string role = "user";
  SysTime created_at;
  SysTime updated_at;
};

struct NewUser {
  std::string name;
  std::string email;  // lower-case
  std::string password_hash;
  std::optional<std::string> photo;
  bool verified = true;  // the tutorial marks new users verified at registration
  std::string role = "user";
  SysTime now;  // becomes created_at and updated_at (stored to the second)
};

// A login: one row of `{prefix}session`. Access tokens carry its id as `sid`.
struct Session {
  std::string id;  // 128 random bits, base64url
  std::int64_t user_id = 0;
  SysTime created_at;
  SysTime last_used_at;
  SysTime expires_at;  // absolute end of the session
  std::optional<SysTime> revoked_at;
  std::string user_agent;
  std::string ip;
};

struct NewSession {
  std::string id;
  std::int64_t user_id = 0;
  std::string refresh_hash;  // SHA-256 of the refresh token, hex; the token itself is never stored
  SysTime now;
  SysTime expires_at;          // absolute end of the session
  SysTime refresh_expires_at;  // end of this refresh token (REFRESH_TOKEN_EXPIRES_IN)
  std::string user_agent;
  std::string ip;
  std::string refresh_sealed;  // the token encrypted by auth::TokenSealer (for the reuse grace)
};

// What an access-token check needs, in one round trip: the user, and whether the token's session
// is still live (not revoked, not expired).
struct UserWithSession {
  User user;
  bool session_live = false;
};

// Input of one refresh: the presented token's hash and the replacement's hash.
struct RotateRequest {
  std::string presented_hash;
  std::string new_hash;
  SysTime new_expires_at;  // end of the replacement token
  SysTime now;
  std::string new_sealed;  // the replacement encrypted by auth::TokenSealer
  // A retired token that is the direct parent of the session's current one, retired less than
  // this long ago, is a concurrent refresh (two tabs, a lost response), not a theft: kGraceReplay.
  // Times are whole seconds, so the interval honoured is between grace - 1 s and grace.
  std::chrono::seconds grace{0};
};

enum class RotateOutcome {
  kRotated,      // presented token was current: it is retired and new_hash is now current
  kUnknown,      // no such token
  kExpired,      // the token's or the session's lifetime is over
  kRevoked,      // the session was ended (logout, reuse)
  kReused,       // presented token was already retired: the whole session is now revoked
  kGraceReplay,  // the parent of the current token within the grace interval: nothing changed;
                 // current_sealed holds the current token, session and user are set
};

struct RotateResult {
  RotateOutcome outcome = RotateOutcome::kUnknown;
  std::optional<Session> session;  // set for kRotated
  std::optional<User> user;        // set for kRotated and kGraceReplay
  std::string current_sealed;      // set for kGraceReplay

  // A rotation that ends without a new token: only the outcome is set.
  static RotateResult only(RotateOutcome outcome) {
    RotateResult result;
    result.outcome = outcome;
    return result;
  }
};

// One rate-limit counter (`{prefix}throttle`), keyed by a hash of what it limits (an account, a
// client address). Times are unix seconds. The policy that reads and moves it is
// auth::LoginThrottle.
struct ThrottleRecord {
  std::int64_t window_start = 0;   // start of the current one-hour window
  std::int64_t window_count = 0;   // failures (or attempts) in that window
  std::int64_t consecutive = 0;    // failures since the last success
  std::int64_t blocked_until = 0;  // no attempt is allowed before this
};

// The storage interface. One implementation per backend (sqlite/, mysql/); handlers never know
// which one runs. Every method is thread-safe and blocking: call it from a worker thread, never
// from an I/O thread. Failures to reach the database are ErrorCode::kUnavailable.
class Store {
 public:
  virtual ~Store() = default;

  // kAccountExists when the e-mail is taken (also when two registrations race).
  virtual Result<User> create_user(const NewUser& user) = 0;
  virtual Result<std::optional<User>> find_user_by_email(std::string_view email_lower) = 0;
  virtual Result<std::optional<User>> find_user_by_id(std::int64_t id) = 0;
  virtual Status update_password_hash(std::int64_t user_id, std::string_view hash, SysTime now) = 0;

  virtual Status create_session(const NewSession& session) = 0;
  // The user `user_id` and whether session `sid` of that user is live at `now`; nullopt when the
  // user does not exist. Also refreshes the session's last-used time (cheaply, at most once a
  // minute).
  virtual Result<std::optional<UserWithSession>> find_user_with_session(std::int64_t user_id,
                                                                        std::string_view sid,
                                                                        SysTime now) = 0;
  // Check-and-rotate in one transaction under the write lock, so concurrent refreshes of one
  // token never fork a session.
  virtual Result<RotateResult> rotate_refresh_token(const RotateRequest& request) = 0;
  // The session a refresh token belongs to (for logout by refresh cookie); nullopt when unknown.
  virtual Result<std::optional<Session>> find_session_by_refresh_hash(std::string_view hash) = 0;
  // Idempotent: revoking a revoked session succeeds.
  virtual Status revoke_session(std::string_view sid, SysTime now, std::string_view reason) = 0;

  // A cheap round trip, for readiness checks.
  virtual Status ping() = 0;

  // ---- session management and rate limits ----
  // Live sessions (not revoked, not expired) of a user, newest first.
  virtual Result<std::vector<Session>> list_sessions(std::int64_t user_id, SysTime now) = 0;
  // Revokes every live session of the user except `keep_sid` (empty: all); returns how many.
  virtual Result<std::size_t> revoke_user_sessions(std::int64_t user_id, std::string_view keep_sid,
                                                   SysTime now, std::string_view reason) = 0;
  // Revokes one live session of the user; false when `sid` is not a live session of that user.
  virtual Result<bool> revoke_user_session(std::int64_t user_id, std::string_view sid, SysTime now,
                                           std::string_view reason) = 0;
  // Deletes what no check needs any more: sessions (with their tokens) expired or revoked more
  // than `retention` ago, retired tokens past their expiry, idle rate-limit counters. Returns the
  // number of rows deleted.
  virtual Result<std::size_t> sweep(SysTime now, std::chrono::seconds retention) = 0;
  virtual Result<std::optional<ThrottleRecord>> get_throttle(std::string_view key) = 0;
  // Read-modify-write of one counter under the write lock (a zeroed record when absent), so
  // concurrent failures from several threads all count. `mutate` may run more than once (a
  // backend retries after a lock conflict): it must only compute from the record it is given.
  virtual Result<ThrottleRecord> update_throttle(std::string_view key,
                                                 const std::function<void(ThrottleRecord&)>& mutate,
                                                 SysTime now) = 0;
};

}  // namespace gatehouse::store
