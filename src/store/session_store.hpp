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

#include "store/audit_store.hpp"
#include "store/user_store.hpp"

namespace gatehouse::store {

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
  std::string refresh_sealed;      // the token encrypted by auth::TokenSealer (for the reuse grace)
  std::vector<AuditEvent> events;  // written in the same transaction (the login)
};

// What an access-token check needs, in one round trip: the user, and whether the token's session
// is still live (not revoked, not expired).
struct UserWithSession {
  User user;
  bool session_live = false;
  // When the session began: the time its password was entered (a refresh keeps it). Set when the
  // session exists, live or not.
  std::optional<SysTime> session_created_at;
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
  // Written in the same transaction when the outcome is kReused, each with the session's user_id
  // and session_id filled in (the refresh_reuse_detected event).
  std::vector<AuditEvent> reuse_events;
};

// One revocation of sessions: when, the reason stored with each, and the audit events that record
// it (written in the same transaction, and only when it ended something).
struct Revocation {
  SysTime now;
  std::string_view reason;
  std::vector<AuditEvent> events;
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

// What the store knows of a presented refresh token, read under the write lock.
struct PresentedRefreshToken {
  std::optional<SysTime> retired_at;  // set once a refresh has replaced it
  SysTime expires_at;                 // end of this token
  Session session;
  // The token that replaced this one is still the session's current one, and was stored sealed so
  // it can be handed out again. Only read for retired tokens.
  bool replacement_current = false;
};

// The rules that decide a refresh (auth::decide_rotation): from the presented token (nullopt when
// unknown), the request's time and grace, the outcome. The store carries the outcome out.
using RotationPolicy = RotateOutcome (*)(const std::optional<PresentedRefreshToken>& token,
                                         SysTime now, std::chrono::seconds grace);

struct RotateResult {
  RotateOutcome outcome = RotateOutcome::kUnknown;
  std::optional<Session> session;  // set for kRotated, kGraceReplay and kReused (as it was)
  std::optional<User> user;        // set for kRotated and kGraceReplay
  std::string current_sealed;      // set for kGraceReplay

  // A rotation that ends without a new token: only the outcome is set.
  static RotateResult only(RotateOutcome outcome) {
    RotateResult result;
    result.outcome = outcome;
    return result;
  }
};

// Logins, their refresh tokens and their rotation. Every method is thread-safe and blocking: call
// it from a worker thread, never from an I/O thread. Failures to reach the database are
// ErrorCode::kUnavailable.
class SessionStore {
 public:
  virtual ~SessionStore() = default;

  // kUserGone when the user was deleted meanwhile.
  virtual Status create_session(const NewSession& session) = 0;
  // The user `user_id` and whether session `sid` of that user is live at `now`; nullopt when the
  // user does not exist. Also refreshes the session's last-used time (cheaply, at most once a
  // minute).
  virtual Result<std::optional<UserWithSession>> find_user_with_session(std::int64_t user_id,
                                                                        std::string_view sid,
                                                                        SysTime now) = 0;
  // Reads the presented token under the write lock, lets `decide` judge it, and carries the
  // outcome out in the same transaction, so concurrent refreshes of one token never fork a
  // session: kRotated retires it and stores the replacement, kReused revokes the session, the
  // others change nothing.
  virtual Result<RotateResult> rotate_refresh_token(const RotateRequest& request,
                                                    RotationPolicy decide) = 0;
  // The session a refresh token belongs to (for logout by refresh cookie); nullopt when unknown.
  virtual Result<std::optional<Session>> find_session_by_refresh_hash(std::string_view hash) = 0;
  // Idempotent: revoking a revoked session succeeds (and writes no event).
  virtual Status revoke_session(std::string_view sid, const Revocation& revocation) = 0;
  // Live sessions (not revoked, not expired) of a user, newest first.
  virtual Result<std::vector<Session>> list_sessions(std::int64_t user_id, SysTime now) = 0;
  // Revokes every live session of the user except `keep_sid` (empty: all); returns how many. The
  // events are written even when none was live (a logout of the other sessions when there are
  // none is still a logout).
  virtual Result<std::size_t> revoke_user_sessions(std::int64_t user_id, std::string_view keep_sid,
                                                   const Revocation& revocation) = 0;
  // Revokes one live session of the user; false (and no event written) when `sid` is not a live
  // session of that user.
  virtual Result<bool> revoke_user_session(std::int64_t user_id, std::string_view sid,
                                           const Revocation& revocation) = 0;
};

}  // namespace gatehouse::store
