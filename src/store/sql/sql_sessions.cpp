// SqlStore: sessions (`{prefix}session`) and their refresh tokens (`{prefix}refresh_token`).

#include <utility>

#include "store/sql/sql_rows.hpp"
#include "store/sql/sql_store.hpp"

namespace gatehouse::store::sql {

namespace {

// A session's last_used_at is rewritten at most this often by access-token checks, so that most
// authenticated reads stay reads.
constexpr std::int64_t kTouchIntervalSeconds = 60;

constexpr std::string_view kRefreshReuseReason = "refresh_reuse";

}  // namespace

constexpr Query kInsertSession{.name = "insert_session", .sql = R"sql(
INSERT INTO {{prefix}}session (id, user_id, created_at, last_used_at, expires_at, user_agent, ip)
VALUES (?, ?, ?, ?, ?, ?, ?)
)sql"};

constexpr Query kInsertRefreshToken{.name = "insert_refresh_token", .sql = R"sql(
INSERT INTO {{prefix}}refresh_token
  (token_hash, session_id, created_at, expires_at, parent_hash, sealed)
VALUES (?, ?, ?, ?, NULLIF(?, ''), NULLIF(?, ''))
)sql"};

Status SqlStore::insert_refresh_token(Connection& conn, std::string_view hash,
                                      std::string_view session_id, SysTime now, SysTime expires_at,
                                      std::string_view parent_hash, std::string_view sealed) {
  auto inserted = conn.run(kInsertRefreshToken, {hash, session_id, unix_seconds(now),
                                                 unix_seconds(expires_at), parent_hash, sealed});
  if (!inserted) return std::move(inserted).error();
  return ok_status();
}

Status SqlStore::create_session(const NewSession& session) {
  const std::int64_t now_s = unix_seconds(session.now);
  return db_->transaction([&](Connection& conn) -> Status {
    auto inserted = conn.run(kInsertSession,
                             {session.id, session.user_id, now_s, now_s,
                              unix_seconds(session.expires_at), session.user_agent, session.ip});
    if (!inserted) {
      // The user was deleted between login and here.
      if (conn.last_failure() == FailureKind::kForeignKeyViolation) {
        return Error{ErrorCode::kUserGone, std::move(inserted).error().internal};
      }
      return std::move(inserted).error();
    }
    if (auto st = insert_refresh_token(conn, session.refresh_hash, session.id, session.now,
                                       session.refresh_expires_at, {}, session.refresh_sealed);
        !st) {
      return st;
    }
    return insert_events(conn, session.events);
  });
}

// One round trip for an access-token check: the user, and whether `sid` is a live session of
// that user. The LEFT JOIN keeps the user row when the session is missing or someone else's.
constexpr Query kFindUserWithSession{.name = "find_user_with_session", .sql = R"sql(
SELECT u.id, u.name, u.email, u.password, u.photo, u.verified, u.role, u.created_at, u.updated_at,
       d.disabled_at,
       s.id IS NOT NULL AND s.revoked_at IS NULL AND s.expires_at > ?,
       s.last_used_at, s.created_at
FROM {{prefix}}user AS u
LEFT JOIN {{prefix}}disabled_user AS d ON d.user_id = u.id
LEFT JOIN {{prefix}}session AS s ON s.id = ? AND s.user_id = u.id
WHERE u.id = ?
)sql"};

// Only moves last_used_at forward, so a slow writer never moves it back (and a repeat is harmless).
constexpr Query kTouchSession{.name = "touch_session", .sql = R"sql(
UPDATE {{prefix}}session SET last_used_at = ? WHERE id = ? AND last_used_at < ?
)sql"};

Result<std::optional<UserWithSession>> SqlStore::find_user_with_session(std::int64_t user_id,
                                                                        std::string_view sid,
                                                                        SysTime now) {
  const std::int64_t now_s = unix_seconds(now);
  bool touch = false;
  auto found = db_->read([&](Connection& conn) {
    return first_row(conn, kFindUserWithSession, {now_s, sid, user_id},
                     [&](const Cursor& row) -> Result<UserWithSession> {
                       auto user = read_user(row, 0);
                       if (!user) return std::move(user).error();
                       UserWithSession out;
                       out.user = std::move(*user);
                       out.session_live = row.int64(kUserColumnCount) != 0;
                       if (!row.is_null(kUserColumnCount + 2)) {
                         out.session_created_at =
                             from_unix_seconds(row.int64(kUserColumnCount + 2));
                       }
                       touch = out.session_live &&
                               now_s - row.int64(kUserColumnCount + 1) > kTouchIntervalSeconds;
                       return out;
                     });
  });
  if (!found || !touch) return found;
  // After the read is over: on SQLite the write goes through the one writer connection.
  auto touched = db_->write([&](Connection& conn) -> Status {
    auto updated = conn.run(kTouchSession, {now_s, sid, now_s});
    if (!updated) return std::move(updated).error();
    return ok_status();
  });
  if (!touched) return std::move(touched).error();
  return found;
}

// The presented token with its session, both rows locked until the transaction ends: a concurrent
// rotation of the same token waits here and then sees this one's retirement.
constexpr Query kFindRefreshToken{
    .name = "find_refresh_token",
    .sql = R"sql(
SELECT rt.retired_at, rt.expires_at,
       s.id, s.user_id, s.created_at, s.last_used_at, s.expires_at, s.revoked_at, s.user_agent, s.ip
FROM {{prefix}}refresh_token AS rt
JOIN {{prefix}}session AS s ON s.id = rt.session_id
WHERE rt.token_hash = ?
)sql",
    .locks = "rt, s",
};

// The token that replaced `parent` (there is at most one: a token is retired once). Its row was
// written by a committed rotation that held the lock held now, so this read sees it.
constexpr Query kFindChildToken{.name = "find_child_token", .sql = R"sql(
SELECT rt.retired_at, rt.sealed FROM {{prefix}}refresh_token AS rt WHERE rt.parent_hash = ?
)sql"};

constexpr Query kRetireRefreshToken{.name = "retire_refresh_token", .sql = R"sql(
UPDATE {{prefix}}refresh_token SET retired_at = ? WHERE token_hash = ? AND retired_at IS NULL
)sql"};

namespace {

// The presented token as the rotation policy sees it, and its replacement's sealed text (for a
// grace replay).
struct Presented {
  PresentedRefreshToken token;
  std::string replacement_sealed;
};

Result<std::optional<Presented>> read_presented(Connection& conn, std::string_view hash) {
  auto presented = first_row(conn, kFindRefreshToken, {hash}, [](const Cursor& row) {
    Presented p;
    if (auto retired = row.optional_int64(0)) p.token.retired_at = from_unix_seconds(*retired);
    p.token.expires_at = from_unix_seconds(row.int64(1));
    p.token.session = read_session(row, 2);
    return p;
  });
  if (!presented || !*presented || !(*presented)->token.retired_at) return presented;
  auto child = first_row(conn, kFindChildToken, {hash}, [](const Cursor& row) {
    return std::optional<std::string>(
        row.is_null(0) && !row.is_null(1) ? std::optional<std::string>(row.text(1)) : std::nullopt);
  });
  if (!child) return std::move(child).error();
  if (*child && **child) {
    (*presented)->token.replacement_current = true;
    (*presented)->replacement_sealed = std::move(***child);
  }
  return presented;
}

}  // namespace

Result<RotateResult> SqlStore::rotate_refresh_token(const RotateRequest& request,
                                                    RotationPolicy decide) {
  const std::int64_t now_s = unix_seconds(request.now);
  // One transaction, which the database may run again after a lock conflict (a deadlock or a
  // certification failure undid it), so everything is read again each time.
  return db_->transaction([&](Connection& conn) -> Result<RotateResult> {
    auto presented = read_presented(conn, request.presented_hash);
    if (!presented) return std::move(presented).error();
    std::optional<PresentedRefreshToken> token;
    if (*presented) token = (*presented)->token;
    const RotateOutcome outcome = decide(token, request.now, request.grace);
    switch (outcome) {
      case RotateOutcome::kUnknown:
      case RotateOutcome::kExpired:
      case RotateOutcome::kRevoked:
        return RotateResult::only(outcome);
      case RotateOutcome::kReused:
        // Stolen or replayed: the whole session ends, committed although the refresh fails.
        if (auto revoked =
                revoke_session(conn, token->session.id, request.now, kRefreshReuseReason);
            !revoked) {
          return std::move(revoked).error();
        }
        if (auto st = insert_events(conn, request.reuse_events, token->session.user_id,
                                    token->session.id);
            !st) {
          return std::move(st).error();
        }
        {
          RotateResult reused = RotateResult::only(outcome);
          reused.session = std::move(token->session);  // for the log: which session ended
          return reused;
        }
      case RotateOutcome::kGraceReplay:
      case RotateOutcome::kRotated:
        break;
    }
    Session session = std::move(token->session);
    // The user before any write: missing (only with foreign keys off), nothing is changed.
    auto user = find_user(conn, find_user_by_id_query(), session.user_id);
    if (!user) return std::move(user).error();
    if (!*user) return RotateResult::only(RotateOutcome::kUnknown);

    RotateResult out;
    out.outcome = outcome;
    out.user = std::move(**user);
    if (outcome == RotateOutcome::kGraceReplay) {
      out.current_sealed = std::move((*presented)->replacement_sealed);
      out.session = std::move(session);
      return out;
    }
    auto retired = conn.run(kRetireRefreshToken, {now_s, request.presented_hash});
    if (!retired) return std::move(retired).error();
    if (auto st = insert_refresh_token(conn, request.new_hash, session.id, request.now,
                                       request.new_expires_at, request.presented_hash,
                                       request.new_sealed);
        !st) {
      return std::move(st).error();
    }
    auto touched = conn.run(kTouchSession, {now_s, session.id, now_s});
    if (!touched) return std::move(touched).error();
    if (unix_seconds(session.last_used_at) < now_s) session.last_used_at = from_unix_seconds(now_s);
    out.session = std::move(session);
    return out;
  });
}

constexpr Query kFindSessionByRefreshHash{.name = "find_session_by_refresh_hash", .sql = R"sql(
SELECT s.id, s.user_id, s.created_at, s.last_used_at, s.expires_at, s.revoked_at, s.user_agent, s.ip
FROM {{prefix}}refresh_token AS rt
JOIN {{prefix}}session AS s ON s.id = rt.session_id
WHERE rt.token_hash = ?
)sql"};

Result<std::optional<Session>> SqlStore::find_session_by_refresh_hash(std::string_view hash) {
  return db_->read([&](Connection& conn) {
    return first_row(conn, kFindSessionByRefreshHash, {hash},
                     [](const Cursor& row) { return read_session(row, 0); });
  });
}

// The first revocation wins: its time and reason are kept (and a repeat changes nothing).
constexpr Query kRevokeSession{.name = "revoke_session", .sql = R"sql(
UPDATE {{prefix}}session SET revoked_at = ?, revoke_reason = ?
WHERE id = ? AND revoked_at IS NULL
)sql"};

Result<bool> SqlStore::revoke_session(Connection& conn, std::string_view sid, SysTime now,
                                      std::string_view reason) {
  auto updated = conn.run(kRevokeSession, {unix_seconds(now), reason, sid});
  if (!updated) return std::move(updated).error();
  return updated->rows_affected() == 1;
}

Status SqlStore::revoke_session(std::string_view sid, const Revocation& r) {
  // A transaction: the events commit with the revocation, and a repeat after a lost connection
  // (surely undone) writes them once.
  return db_->transaction([&](Connection& conn) -> Status {
    auto revoked = revoke_session(conn, sid, r.now, r.reason);
    if (!revoked) return std::move(revoked).error();
    if (!*revoked) return ok_status();
    return insert_events(conn, r.events);
  });
}

// Both ids: an id alone is not enough, so one user can never list or end another's sessions.
// Live sessions only: not revoked, within their lifetime, and holding a refresh token that can
// still be used (a session whose client stayed away past REFRESH_TOKEN_EXPIRES_IN is dead even
// before the sweeper deletes it, and showing it would offer to "log out" nothing).
constexpr Query kListSessions{.name = "list_sessions", .sql = R"sql(
SELECT s.id, s.user_id, s.created_at, s.last_used_at, s.expires_at, s.revoked_at, s.user_agent, s.ip
FROM {{prefix}}session AS s
WHERE s.user_id = ? AND s.revoked_at IS NULL AND s.expires_at > ?
  AND EXISTS (SELECT 1 FROM {{prefix}}refresh_token AS r
              WHERE r.session_id = s.id AND r.retired_at IS NULL AND r.expires_at > ?)
ORDER BY s.created_at DESC, s.id
)sql"};

Result<std::vector<Session>> SqlStore::list_sessions(std::int64_t user_id, SysTime now) {
  return db_->read([&](Connection& conn) -> Result<std::vector<Session>> {
    auto rows = conn.run(kListSessions, {user_id, unix_seconds(now), unix_seconds(now)});
    if (!rows) return std::move(rows).error();
    std::vector<Session> out;
    while (true) {
      auto row = rows->next();
      if (!row) return std::move(row).error();
      if (!*row) break;
      out.push_back(read_session(*rows, 0));
    }
    return out;
  });
}

// Idempotent (only live sessions change), so safe to repeat; the count is of this call's changes.
constexpr Query kRevokeUserSessions{.name = "revoke_user_sessions", .sql = R"sql(
UPDATE {{prefix}}session SET revoked_at = ?, revoke_reason = ?
WHERE user_id = ? AND id <> ? AND revoked_at IS NULL AND expires_at > ?
)sql"};

Result<std::size_t> SqlStore::revoke_user_sessions(Connection& conn, std::int64_t user_id,
                                                   std::string_view keep_sid, SysTime now,
                                                   std::string_view reason) {
  const std::int64_t now_s = unix_seconds(now);
  auto updated = conn.run(kRevokeUserSessions, {now_s, reason, user_id, keep_sid, now_s});
  if (!updated) return std::move(updated).error();
  return static_cast<std::size_t>(updated->rows_affected());
}

Result<std::size_t> SqlStore::revoke_user_sessions(std::int64_t user_id, std::string_view keep_sid,
                                                   const Revocation& r) {
  return db_->transaction([&](Connection& conn) -> Result<std::size_t> {
    auto ended = revoke_user_sessions(conn, user_id, keep_sid, r.now, r.reason);
    if (!ended) return ended;
    if (auto st = insert_events(conn, r.events); !st) return std::move(st).error();
    return ended;
  });
}

constexpr Query kRevokeUserSession{.name = "revoke_user_session", .sql = R"sql(
UPDATE {{prefix}}session SET revoked_at = ?, revoke_reason = ?
WHERE user_id = ? AND id = ? AND revoked_at IS NULL AND expires_at > ?
)sql"};

Result<bool> SqlStore::revoke_user_session(std::int64_t user_id, std::string_view sid,
                                           const Revocation& r) {
  const std::int64_t now_s = unix_seconds(r.now);
  return db_->transaction([&](Connection& conn) -> Result<bool> {
    auto updated = conn.run(kRevokeUserSession, {now_s, r.reason, user_id, sid, now_s});
    if (!updated) return std::move(updated).error();
    if (updated->rows_affected() != 1) return false;
    if (auto st = insert_events(conn, r.events); !st) return std::move(st).error();
    return true;
  });
}

}  // namespace gatehouse::store::sql
