#include "store/sqlite/sqlite_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <utility>

#include "store/sql_timestamp.hpp"
#include "store/sqlite/sqlite_connection.hpp"
#include "store/sqlite/sqlite_connection_pool.hpp"
#include "store/sqlite/sqlite_migration_target.hpp"

namespace gatehouse::store {

namespace {

// Every statement the store runs has a slot in each connection's statement cache.
enum Slot : std::size_t {
  kInsertUserSlot,
  kFindUserByIdSlot,
  kFindUserByEmailSlot,
  kUpdatePasswordSlot,
  kInsertSessionSlot,
  kInsertRefreshTokenSlot,
  kFindUserWithSessionSlot,
  kTouchSessionSlot,
  kFindRefreshTokenSlot,
  kRetireRefreshTokenSlot,
  kRevokeSessionSlot,
  kFindSessionByRefreshHashSlot,
  kPingSlot,
  kFindChildTokenSlot,
  kListSessionsSlot,
  kRevokeUserSessionsSlot,
  kRevokeUserSessionSlot,
  kSweepSessionsSlot,
  kSweepTokensSlot,
  kSweepThrottleSlot,
  kGetThrottleSlot,
  kPutThrottleSlot,
  kSlotCount,
};

// A statement as written in this file: `{{prefix}}` still in it; substituted once at open().
// Each Query constant sits next to the function that runs it (constexpr, so file-local), and
// kAllQueries at the end lists them all for open().
struct Query {
  Slot slot;
  std::string_view name;  // for error messages
  std::string_view sql;
};

// A session's last_used_at is rewritten at most this often by access-token checks, so that most
// authenticated reads stay reads.
constexpr std::int64_t kTouchIntervalSeconds = 60;

constexpr std::string_view kRefreshReuseReason = "refresh_reuse";

// How long the checkpointer waits for other processes' writers and readers while it holds this
// process's writers back: it gives up soon and tries again in its next round instead.
constexpr std::chrono::milliseconds kCheckpointWait{100};

// Prefixes become part of every statement's text: only identifier characters are allowed.
bool valid_prefix(std::string_view prefix) {
  for (const char c : prefix) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

// created_at/updated_at: text as the app and the tutorial write them; integers (unix seconds) are
// accepted too, since SQLite lets any column hold any type.
Result<SysTime> read_timestamp(const SqliteStatement& st, int column, std::string_view name) {
  if (st.type(column) == SQLITE_INTEGER) return from_unix_seconds(st.int64(column));
  const std::string text = st.text(column);
  if (st.type(column) == SQLITE_TEXT) {
    if (auto parsed = parse_sql_timestamp(text)) return *parsed;
  }
  return Error{ErrorCode::kInternal,
               "user." + std::string(name) + ": unreadable timestamp '" + text + "'"};
}

// Reads the user columns, in the order every user query selects them:
//   u.id, u.name, u.email, u.password, u.photo, u.verified, u.role, u.created_at, u.updated_at
constexpr int kUserColumnCount = 9;
Result<User> read_user(const SqliteStatement& st, int first) {
  User user;
  user.id = st.int64(first);
  user.name = st.text(first + 1);
  user.email = st.text(first + 2);
  user.password_hash = st.text(first + 3);
  user.photo = st.optional_text(first + 4);
  user.verified = st.int64(first + 5) != 0;
  user.role = st.text(first + 6);
  auto created = read_timestamp(st, first + 7, "created_at");
  if (!created) return std::move(created).error();
  auto updated = read_timestamp(st, first + 8, "updated_at");
  if (!updated) return std::move(updated).error();
  user.created_at = *created;
  user.updated_at = *updated;
  return user;
}

// Reads the session columns, in the order every session query selects them:
//   s.id, s.user_id, s.created_at, s.last_used_at, s.expires_at, s.revoked_at, s.user_agent, s.ip
Session read_session(const SqliteStatement& st, int first) {
  Session s;
  s.id = st.text(first);
  s.user_id = st.int64(first + 1);
  s.created_at = from_unix_seconds(st.int64(first + 2));
  s.last_used_at = from_unix_seconds(st.int64(first + 3));
  s.expires_at = from_unix_seconds(st.int64(first + 4));
  if (auto revoked = st.optional_int64(first + 5)) s.revoked_at = from_unix_seconds(*revoked);
  s.user_agent = st.text(first + 6);
  s.ip = st.text(first + 7);
  return s;
}

}  // namespace

// Holds the pool and the prefixed SQL. Threading: every method leases its own connection, so
// all of them may run concurrently; the pool bounds how many touch the database at once.
class SqliteStore::Impl {
 public:
  Impl(SqliteOptions options, std::vector<std::string> sql,
       std::unique_ptr<SqliteCheckpointer> checkpointer, std::unique_ptr<SqliteConnectionPool> pool)
      : options_(std::move(options)),
        sql_(std::move(sql)),
        checkpointer_(std::move(checkpointer)),
        pool_(std::move(pool)) {
    checkpointer_->start(*pool_);
  }
  // The checkpointer's thread holds the pool's writer at times: it stops before the pool goes,
  // and the pool's connections (whose WAL hooks point at it) close before it does.
  ~Impl() { checkpointer_->stop(); }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  Result<User> create_user(const NewUser& user);
  Result<std::optional<User>> find_user_by_email(std::string_view email_lower);
  Result<std::optional<User>> find_user_by_id(std::int64_t id);
  Status update_password_hash(std::int64_t user_id, std::string_view hash, SysTime now);
  Status create_session(const NewSession& session);
  Result<std::optional<UserWithSession>> find_user_with_session(std::int64_t user_id,
                                                                std::string_view sid, SysTime now);
  Result<RotateResult> rotate_refresh_token(const RotateRequest& request);
  Result<std::optional<Session>> find_session_by_refresh_hash(std::string_view hash);
  Status revoke_session(std::string_view sid, SysTime now, std::string_view reason);
  Status ping();
  Result<std::vector<Session>> list_sessions(std::int64_t user_id, SysTime now);
  Result<std::size_t> revoke_user_sessions(std::int64_t user_id, std::string_view keep_sid,
                                           SysTime now, std::string_view reason);
  Result<bool> revoke_user_session(std::int64_t user_id, std::string_view sid, SysTime now,
                                   std::string_view reason);
  Result<std::size_t> sweep(SysTime now, std::chrono::seconds retention);
  Result<std::optional<ThrottleRecord>> get_throttle(std::string_view key);
  Result<ThrottleRecord> update_throttle(std::string_view key,
                                         const std::function<void(ThrottleRecord&)>& mutate,
                                         SysTime now);

  std::unique_ptr<MigrationTarget> migration_target() {
    return SqliteMigrationTarget::open(options_.path, options_.busy_timeout, options_.prefix);
  }

 private:
  Result<SqliteStatement> statement(SqliteConnection& conn, const Query& query) {
    return conn.statement(query.slot, query.name, sql_[query.slot]);
  }
  Result<std::optional<User>> find_user_by_id(SqliteConnection& conn, std::int64_t id);
  Status insert_refresh_token(SqliteConnection& conn, std::string_view hash,
                              std::string_view session_id, SysTime now, SysTime expires_at,
                              std::string_view parent_hash, std::string_view sealed);
  Result<std::optional<ThrottleRecord>> get_throttle(SqliteConnection& conn, std::string_view key);
  Status revoke_session(SqliteConnection& conn, std::string_view sid, SysTime now,
                        std::string_view reason);

  const SqliteOptions options_;
  const std::vector<std::string> sql_;  // by Slot, prefix substituted
  const std::unique_ptr<SqliteCheckpointer> checkpointer_;
  const std::unique_ptr<SqliteConnectionPool> pool_;
};

// ---- users ----

constexpr Query kInsertUser{kInsertUserSlot, "insert_user", R"sql(
INSERT INTO {{prefix}}user (name, email, password, photo, verified, role, created_at, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)
)sql"};

Result<User> SqliteStore::Impl::create_user(const NewUser& user) {
  auto conn = pool_->acquire_writer();
  if (!conn) return std::move(conn).error();
  auto st = statement(**conn, kInsertUser);
  if (!st) return std::move(st).error();

  // Stored to the second; the returned User says exactly what a later read will.
  const SysTime now = from_unix_seconds(unix_seconds(user.now));
  const std::string now_text = format_sql_timestamp(now);
  st->bind(1, std::string_view(user.name));
  st->bind(2, std::string_view(user.email));
  st->bind(3, std::string_view(user.password_hash));
  st->bind_optional(4, user.photo);
  st->bind(5, std::int64_t{user.verified ? 1 : 0});
  st->bind(6, std::string_view(user.role));
  st->bind(7, std::string_view(now_text));
  if (auto run = st->run(); !run) {
    // The e-mail is the only UNIQUE column the INSERT sets; a race between two registrations
    // ends here too, because the second INSERT waits for the first one's write lock.
    if (st->last_rc() == SQLITE_CONSTRAINT_UNIQUE) {
      return Error{ErrorCode::kAccountExists, std::move(run).error().internal};
    }
    return std::move(run).error();
  }

  User out;
  out.id = (*conn)->last_insert_rowid();
  out.name = user.name;
  out.email = user.email;
  out.password_hash = user.password_hash;
  out.photo = user.photo;
  out.verified = user.verified;
  out.role = user.role;
  out.created_at = now;
  out.updated_at = now;
  return out;
}

constexpr Query kFindUserByEmail{kFindUserByEmailSlot, "find_user_by_email", R"sql(
SELECT u.id, u.name, u.email, u.password, u.photo, u.verified, u.role, u.created_at, u.updated_at
FROM {{prefix}}user AS u WHERE u.email = ?1
)sql"};

Result<std::optional<User>> SqliteStore::Impl::find_user_by_email(std::string_view email_lower) {
  auto conn = pool_->acquire();
  if (!conn) return std::move(conn).error();
  auto st = statement(**conn, kFindUserByEmail);
  if (!st) return std::move(st).error();
  st->bind(1, email_lower);
  auto row = st->step();
  if (!row) return std::move(row).error();
  if (!*row) return std::optional<User>{};
  auto user = read_user(*st, 0);
  if (!user) return std::move(user).error();
  return std::optional<User>(std::move(*user));
}

constexpr Query kFindUserById{kFindUserByIdSlot, "find_user_by_id", R"sql(
SELECT u.id, u.name, u.email, u.password, u.photo, u.verified, u.role, u.created_at, u.updated_at
FROM {{prefix}}user AS u WHERE u.id = ?1
)sql"};

Result<std::optional<User>> SqliteStore::Impl::find_user_by_id(SqliteConnection& conn,
                                                               std::int64_t id) {
  auto st = statement(conn, kFindUserById);
  if (!st) return std::move(st).error();
  st->bind(1, id);
  auto row = st->step();
  if (!row) return std::move(row).error();
  if (!*row) return std::optional<User>{};
  auto user = read_user(*st, 0);
  if (!user) return std::move(user).error();
  return std::optional<User>(std::move(*user));
}

Result<std::optional<User>> SqliteStore::Impl::find_user_by_id(std::int64_t id) {
  auto conn = pool_->acquire();
  if (!conn) return std::move(conn).error();
  return find_user_by_id(**conn, id);
}

constexpr Query kUpdatePassword{kUpdatePasswordSlot, "update_password_hash", R"sql(
UPDATE {{prefix}}user SET password = ?1, updated_at = ?2 WHERE id = ?3
)sql"};

Status SqliteStore::Impl::update_password_hash(std::int64_t user_id, std::string_view hash,
                                               SysTime now) {
  auto conn = pool_->acquire_writer();
  if (!conn) return std::move(conn).error();
  auto st = statement(**conn, kUpdatePassword);
  if (!st) return std::move(st).error();
  const std::string now_text = format_sql_timestamp(now);
  st->bind(1, hash);
  st->bind(2, std::string_view(now_text));
  st->bind(3, user_id);
  if (auto run = st->run(); !run) return run;
  if ((*conn)->changes() == 0) {
    return Error{ErrorCode::kUserGone, "update_password_hash: no user " + std::to_string(user_id)};
  }
  return ok_status();
}

// ---- sessions ----

constexpr Query kInsertSession{kInsertSessionSlot, "insert_session", R"sql(
INSERT INTO {{prefix}}session (id, user_id, created_at, last_used_at, expires_at, user_agent, ip)
VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6)
)sql"};

constexpr Query kInsertRefreshToken{kInsertRefreshTokenSlot, "insert_refresh_token", R"sql(
INSERT INTO {{prefix}}refresh_token (token_hash, session_id, created_at, expires_at, parent_hash, sealed)
VALUES (?1, ?2, ?3, ?4, NULLIF(?5, ''), NULLIF(?6, ''))
)sql"};

Status SqliteStore::Impl::insert_refresh_token(SqliteConnection& conn, std::string_view hash,
                                               std::string_view session_id, SysTime now,
                                               SysTime expires_at, std::string_view parent_hash,
                                               std::string_view sealed) {
  auto st = statement(conn, kInsertRefreshToken);
  if (!st) return std::move(st).error();
  st->bind(1, hash);
  st->bind(2, session_id);
  st->bind(3, unix_seconds(now));
  st->bind(4, unix_seconds(expires_at));
  st->bind(5, parent_hash);
  st->bind(6, sealed);
  return st->run();
}

Status SqliteStore::Impl::create_session(const NewSession& session) {
  auto conn = pool_->acquire_writer();
  if (!conn) return std::move(conn).error();
  auto tx = SqliteTransaction::begin(**conn);
  if (!tx) return std::move(tx).error();
  {
    auto st = statement(**conn, kInsertSession);
    if (!st) return std::move(st).error();
    st->bind(1, std::string_view(session.id));
    st->bind(2, session.user_id);
    st->bind(3, unix_seconds(session.now));
    st->bind(4, unix_seconds(session.expires_at));
    st->bind(5, std::string_view(session.user_agent));
    st->bind(6, std::string_view(session.ip));
    if (auto run = st->run(); !run) {
      // The user was deleted between login and here.
      if (st->last_rc() == SQLITE_CONSTRAINT_FOREIGNKEY) {
        return Error{ErrorCode::kUserGone, std::move(run).error().internal};
      }
      return run;
    }
  }
  if (auto st = insert_refresh_token(**conn, session.refresh_hash, session.id, session.now,
                                     session.refresh_expires_at, {}, session.refresh_sealed);
      !st) {
    return st;
  }
  return tx->commit();
}

// One round trip for an access-token check: the user, and whether `sid` is a live session of
// that user. The LEFT JOIN keeps the user row when the session is missing or someone else's.
constexpr Query kFindUserWithSession{kFindUserWithSessionSlot, "find_user_with_session", R"sql(
SELECT u.id, u.name, u.email, u.password, u.photo, u.verified, u.role, u.created_at, u.updated_at,
       s.id IS NOT NULL AND s.revoked_at IS NULL AND s.expires_at > ?3,
       s.last_used_at
FROM {{prefix}}user AS u
LEFT JOIN {{prefix}}session AS s ON s.id = ?2 AND s.user_id = u.id
WHERE u.id = ?1
)sql"};

// Only moves last_used_at forward, so a slow writer never moves it back.
constexpr Query kTouchSession{kTouchSessionSlot, "touch_session", R"sql(
UPDATE {{prefix}}session SET last_used_at = ?1 WHERE id = ?2 AND last_used_at < ?1
)sql"};

Result<std::optional<UserWithSession>> SqliteStore::Impl::find_user_with_session(
    std::int64_t user_id, std::string_view sid, SysTime now) {
  auto conn = pool_->acquire();
  if (!conn) return std::move(conn).error();
  const std::int64_t now_s = unix_seconds(now);

  UserWithSession out;
  bool touch = false;
  {
    auto st = statement(**conn, kFindUserWithSession);
    if (!st) return std::move(st).error();
    st->bind(1, user_id);
    st->bind(2, sid);
    st->bind(3, now_s);
    auto row = st->step();
    if (!row) return std::move(row).error();
    if (!*row) return std::optional<UserWithSession>{};
    auto user = read_user(*st, 0);
    if (!user) return std::move(user).error();
    out.user = std::move(*user);
    out.session_live = st->int64(kUserColumnCount) != 0;
    touch = out.session_live && now_s - st->int64(kUserColumnCount + 1) > kTouchIntervalSeconds;
  }  // the read is reset here, before the write below

  if (touch) {
    auto writer = pool_->acquire_writer();
    if (!writer) return std::move(writer).error();
    auto st = statement(**writer, kTouchSession);
    if (!st) return std::move(st).error();
    st->bind(1, now_s);
    st->bind(2, sid);
    if (auto run = st->run(); !run) return std::move(run).error();
  }
  return std::optional<UserWithSession>(std::move(out));
}

// The presented token with its session, read under the write lock.
constexpr Query kFindRefreshToken{kFindRefreshTokenSlot, "find_refresh_token", R"sql(
SELECT rt.retired_at, rt.expires_at,
       s.id, s.user_id, s.created_at, s.last_used_at, s.expires_at, s.revoked_at, s.user_agent, s.ip
FROM {{prefix}}refresh_token AS rt
JOIN {{prefix}}session AS s ON s.id = rt.session_id
WHERE rt.token_hash = ?1
)sql"};

// The token that replaced `parent` (there is at most one: a token is retired once).
constexpr Query kFindChildToken{kFindChildTokenSlot, "find_child_token", R"sql(
SELECT rt.retired_at, rt.sealed FROM {{prefix}}refresh_token AS rt WHERE rt.parent_hash = ?1
)sql"};

constexpr Query kRetireRefreshToken{kRetireRefreshTokenSlot, "retire_refresh_token", R"sql(
UPDATE {{prefix}}refresh_token SET retired_at = ?1 WHERE token_hash = ?2 AND retired_at IS NULL
)sql"};

Result<RotateResult> SqliteStore::Impl::rotate_refresh_token(const RotateRequest& request) {
  auto conn = pool_->acquire_writer();
  if (!conn) return std::move(conn).error();
  const std::int64_t now_s = unix_seconds(request.now);

  // BEGIN IMMEDIATE: the write lock is taken before the read, so two refreshes of one token are
  // serialised and the second one sees the first one's retirement (kReused), never a fork.
  auto tx = SqliteTransaction::begin(**conn);
  if (!tx) return std::move(tx).error();

  Session session;
  bool retired = false;
  std::int64_t retired_s = 0;
  std::int64_t token_expires_s = 0;
  {
    auto st = statement(**conn, kFindRefreshToken);
    if (!st) return std::move(st).error();
    st->bind(1, std::string_view(request.presented_hash));
    auto row = st->step();
    if (!row) return std::move(row).error();
    if (!*row) return RotateResult::only(RotateOutcome::kUnknown);
    retired = !st->is_null(0);
    retired_s = retired ? st->int64(0) : 0;
    token_expires_s = st->int64(1);
    session = read_session(*st, 2);
  }

  // Read-only outcomes return without committing: the transaction guard rolls back nothing.
  if (session.revoked_at) return RotateResult::only(RotateOutcome::kRevoked);
  if (retired && now_s - retired_s < request.grace.count() &&
      unix_seconds(session.expires_at) > now_s) {
    // Two tabs refreshing at once, or a response lost on the way: if this token's replacement is
    // still the current one, answer with it instead of ending the session.
    std::optional<std::string> child_sealed;
    {
      auto st = statement(**conn, kFindChildToken);
      if (!st) return std::move(st).error();
      st->bind(1, std::string_view(request.presented_hash));
      auto row = st->step();
      if (!row) return std::move(row).error();
      if (*row && st->is_null(0) && !st->is_null(1)) child_sealed = st->text(1);
    }
    if (child_sealed) {
      auto user = find_user_by_id(**conn, session.user_id);
      if (!user) return std::move(user).error();
      if (!*user) return RotateResult::only(RotateOutcome::kUnknown);
      RotateResult out;
      out.outcome = RotateOutcome::kGraceReplay;
      out.session = std::move(session);
      out.user = std::move(**user);
      out.current_sealed = std::move(*child_sealed);
      return out;
    }
  }
  if (retired) {
    // A retired token came back: it was stolen, or the client replayed it. Either way the whole
    // session is ended, and that must be committed even though the refresh itself fails.
    if (auto st = revoke_session(**conn, session.id, request.now, kRefreshReuseReason); !st) {
      return std::move(st).error();
    }
    if (auto st = tx->commit(); !st) return std::move(st).error();
    return RotateResult::only(RotateOutcome::kReused);
  }
  if (token_expires_s <= now_s || unix_seconds(session.expires_at) <= now_s) {
    return RotateResult::only(RotateOutcome::kExpired);
  }

  {
    auto st = statement(**conn, kRetireRefreshToken);
    if (!st) return std::move(st).error();
    st->bind(1, now_s);
    st->bind(2, std::string_view(request.presented_hash));
    if (auto run = st->run(); !run) return std::move(run).error();
  }
  if (auto st = insert_refresh_token(**conn, request.new_hash, session.id, request.now,
                                     request.new_expires_at, request.presented_hash,
                                     request.new_sealed);
      !st) {
    return std::move(st).error();
  }
  {
    auto st = statement(**conn, kTouchSession);
    if (!st) return std::move(st).error();
    st->bind(1, now_s);
    st->bind(2, std::string_view(session.id));
    if (auto run = st->run(); !run) return std::move(run).error();
    if (unix_seconds(session.last_used_at) < now_s) session.last_used_at = from_unix_seconds(now_s);
  }
  auto user = find_user_by_id(**conn, session.user_id);
  if (!user) return std::move(user).error();
  // Only reachable with foreign keys off (the session cascades with its user); roll back.
  if (!*user) return RotateResult::only(RotateOutcome::kUnknown);
  if (auto st = tx->commit(); !st) return std::move(st).error();
  RotateResult out;
  out.outcome = RotateOutcome::kRotated;
  out.session = std::move(session);
  out.user = std::move(**user);
  return out;
}

constexpr Query kFindSessionByRefreshHash{kFindSessionByRefreshHashSlot,
                                          "find_session_by_refresh_hash", R"sql(
SELECT s.id, s.user_id, s.created_at, s.last_used_at, s.expires_at, s.revoked_at, s.user_agent, s.ip
FROM {{prefix}}refresh_token AS rt
JOIN {{prefix}}session AS s ON s.id = rt.session_id
WHERE rt.token_hash = ?1
)sql"};

Result<std::optional<Session>> SqliteStore::Impl::find_session_by_refresh_hash(
    std::string_view hash) {
  auto conn = pool_->acquire();
  if (!conn) return std::move(conn).error();
  auto st = statement(**conn, kFindSessionByRefreshHash);
  if (!st) return std::move(st).error();
  st->bind(1, hash);
  auto row = st->step();
  if (!row) return std::move(row).error();
  if (!*row) return std::optional<Session>{};
  return std::optional<Session>(read_session(*st, 0));
}

// The first revocation wins: its time and reason are kept.
constexpr Query kRevokeSession{kRevokeSessionSlot, "revoke_session", R"sql(
UPDATE {{prefix}}session SET revoked_at = ?1, revoke_reason = ?2
WHERE id = ?3 AND revoked_at IS NULL
)sql"};

Status SqliteStore::Impl::revoke_session(SqliteConnection& conn, std::string_view sid, SysTime now,
                                         std::string_view reason) {
  auto st = statement(conn, kRevokeSession);
  if (!st) return std::move(st).error();
  st->bind(1, unix_seconds(now));
  st->bind(2, reason);
  st->bind(3, sid);
  return st->run();
}

Status SqliteStore::Impl::revoke_session(std::string_view sid, SysTime now,
                                         std::string_view reason) {
  auto conn = pool_->acquire_writer();
  if (!conn) return std::move(conn).error();
  return revoke_session(**conn, sid, now, reason);
}

constexpr Query kPing{kPingSlot, "ping", "SELECT 1"};

Status SqliteStore::Impl::ping() {
  auto conn = pool_->acquire();
  if (!conn) return std::move(conn).error();
  auto st = statement(**conn, kPing);
  if (!st) return std::move(st).error();
  auto row = st->step();
  if (!row) return std::move(row).error();
  if (!*row || st->int64(0) != 1) return Error{ErrorCode::kInternal, "sqlite ping: no row"};
  return ok_status();
}

// ---- session management ----

// Both ids: an id alone is not enough, so one user can never list or end another's sessions.
constexpr Query kListSessions{kListSessionsSlot, "list_sessions", R"sql(
SELECT s.id, s.user_id, s.created_at, s.last_used_at, s.expires_at, s.revoked_at, s.user_agent, s.ip
FROM {{prefix}}session AS s
WHERE s.user_id = ?1 AND s.revoked_at IS NULL AND s.expires_at > ?2
ORDER BY s.created_at DESC, s.id
)sql"};

Result<std::vector<Session>> SqliteStore::Impl::list_sessions(std::int64_t user_id, SysTime now) {
  auto conn = pool_->acquire();
  if (!conn) return std::move(conn).error();
  auto st = statement(**conn, kListSessions);
  if (!st) return std::move(st).error();
  st->bind(1, user_id);
  st->bind(2, unix_seconds(now));
  std::vector<Session> out;
  while (true) {
    auto row = st->step();
    if (!row) return std::move(row).error();
    if (!*row) break;
    out.push_back(read_session(*st, 0));
  }
  return out;
}

constexpr Query kRevokeUserSessions{kRevokeUserSessionsSlot, "revoke_user_sessions", R"sql(
UPDATE {{prefix}}session SET revoked_at = ?1, revoke_reason = ?2
WHERE user_id = ?3 AND id <> ?4 AND revoked_at IS NULL AND expires_at > ?1
)sql"};

Result<std::size_t> SqliteStore::Impl::revoke_user_sessions(std::int64_t user_id,
                                                            std::string_view keep_sid,
                                                            SysTime now,
                                                            std::string_view reason) {
  auto conn = pool_->acquire_writer();
  if (!conn) return std::move(conn).error();
  auto st = statement(**conn, kRevokeUserSessions);
  if (!st) return std::move(st).error();
  st->bind(1, unix_seconds(now));
  st->bind(2, reason);
  st->bind(3, user_id);
  st->bind(4, keep_sid);
  if (auto run = st->run(); !run) return std::move(run).error();
  return static_cast<std::size_t>((*conn)->changes());
}

constexpr Query kRevokeUserSession{kRevokeUserSessionSlot, "revoke_user_session", R"sql(
UPDATE {{prefix}}session SET revoked_at = ?1, revoke_reason = ?2
WHERE user_id = ?3 AND id = ?4 AND revoked_at IS NULL AND expires_at > ?1
)sql"};

Result<bool> SqliteStore::Impl::revoke_user_session(std::int64_t user_id, std::string_view sid,
                                                    SysTime now, std::string_view reason) {
  auto conn = pool_->acquire_writer();
  if (!conn) return std::move(conn).error();
  auto st = statement(**conn, kRevokeUserSession);
  if (!st) return std::move(st).error();
  st->bind(1, unix_seconds(now));
  st->bind(2, reason);
  st->bind(3, user_id);
  st->bind(4, sid);
  if (auto run = st->run(); !run) return std::move(run).error();
  return (*conn)->changes() == 1;
}

// Revoked sessions are kept for `retention` so a replayed token still reads as revoked.
constexpr Query kSweepSessions{kSweepSessionsSlot, "sweep_sessions", R"sql(
DELETE FROM {{prefix}}session
WHERE expires_at < ?1 OR (revoked_at IS NOT NULL AND revoked_at < ?1)
)sql"};

constexpr Query kSweepTokens{kSweepTokensSlot, "sweep_tokens", R"sql(
DELETE FROM {{prefix}}refresh_token WHERE retired_at IS NOT NULL AND expires_at < ?1
)sql"};

constexpr Query kSweepThrottle{kSweepThrottleSlot, "sweep_throttle", R"sql(
DELETE FROM {{prefix}}throttle WHERE updated_at < ?1 AND blocked_until < ?2
)sql"};

Result<std::size_t> SqliteStore::Impl::sweep(SysTime now, std::chrono::seconds retention) {
  auto conn = pool_->acquire_writer();
  if (!conn) return std::move(conn).error();
  const std::int64_t cutoff = unix_seconds(now - retention);
  std::size_t deleted = 0;
  for (const Query* query : {&kSweepSessions, &kSweepTokens, &kSweepThrottle}) {
    auto st = statement(**conn, *query);
    if (!st) return std::move(st).error();
    st->bind(1, cutoff);
    if (query == &kSweepThrottle) st->bind(2, unix_seconds(now));
    if (auto run = st->run(); !run) return std::move(run).error();
    deleted += static_cast<std::size_t>((*conn)->changes());
  }
  return deleted;
}

// ---- rate-limit counters ----

constexpr Query kGetThrottle{kGetThrottleSlot, "get_throttle", R"sql(
SELECT window_start, window_count, consecutive, blocked_until
FROM {{prefix}}throttle WHERE throttle_key = ?1
)sql"};

constexpr Query kPutThrottle{kPutThrottleSlot, "put_throttle", R"sql(
INSERT INTO {{prefix}}throttle
  (throttle_key, window_start, window_count, consecutive, blocked_until, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6)
ON CONFLICT (throttle_key) DO UPDATE SET
  window_start = excluded.window_start, window_count = excluded.window_count,
  consecutive = excluded.consecutive, blocked_until = excluded.blocked_until,
  updated_at = excluded.updated_at
)sql"};

Result<std::optional<ThrottleRecord>> SqliteStore::Impl::get_throttle(SqliteConnection& conn,
                                                                       std::string_view key) {
  auto st = statement(conn, kGetThrottle);
  if (!st) return std::move(st).error();
  st->bind(1, key);
  auto row = st->step();
  if (!row) return std::move(row).error();
  if (!*row) return std::optional<ThrottleRecord>{};
  return std::optional<ThrottleRecord>(
      ThrottleRecord{st->int64(0), st->int64(1), st->int64(2), st->int64(3)});
}

Result<std::optional<ThrottleRecord>> SqliteStore::Impl::get_throttle(std::string_view key) {
  auto conn = pool_->acquire();
  if (!conn) return std::move(conn).error();
  return get_throttle(**conn, key);
}

Result<ThrottleRecord> SqliteStore::Impl::update_throttle(
    std::string_view key, const std::function<void(ThrottleRecord&)>& mutate, SysTime now) {
  auto conn = pool_->acquire_writer();
  if (!conn) return std::move(conn).error();
  // The write lock first, so concurrent failures from several threads all count.
  auto tx = SqliteTransaction::begin(**conn);
  if (!tx) return std::move(tx).error();
  auto current = get_throttle(**conn, key);
  if (!current) return std::move(current).error();
  ThrottleRecord record = current->value_or(ThrottleRecord{});
  mutate(record);
  {
    auto st = statement(**conn, kPutThrottle);
    if (!st) return std::move(st).error();
    st->bind(1, key);
    st->bind(2, record.window_start);
    st->bind(3, record.window_count);
    st->bind(4, record.consecutive);
    st->bind(5, record.blocked_until);
    st->bind(6, unix_seconds(now));
    if (auto run = st->run(); !run) return std::move(run).error();
  }
  if (auto st = tx->commit(); !st) return std::move(st).error();
  return record;
}

// ---- opening ----

namespace {

constexpr std::array<const Query*, kSlotCount> kAllQueries{
    &kInsertUser,
    &kFindUserById,
    &kFindUserByEmail,
    &kUpdatePassword,
    &kInsertSession,
    &kInsertRefreshToken,
    &kFindUserWithSession,
    &kTouchSession,
    &kFindRefreshToken,
    &kRetireRefreshToken,
    &kRevokeSession,
    &kFindSessionByRefreshHash,
    &kPing,
    &kFindChildToken,
    &kListSessions,
    &kRevokeUserSessions,
    &kRevokeUserSession,
    &kSweepSessions,
    &kSweepTokens,
    &kSweepThrottle,
    &kGetThrottle,
    &kPutThrottle,
};

constexpr bool queries_match_slots() {
  for (std::size_t i = 0; i < kAllQueries.size(); ++i) {
    if (kAllQueries[i]->slot != i) return false;
  }
  return true;
}
static_assert(queries_match_slots(), "kAllQueries must list every Query in Slot order");

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const SqliteOptions& options) {
  if (options.path.empty() || options.path == ":memory:") {
    return Error{ErrorCode::kInternal,
                 "sqlite: a database file path is required (':memory:' would give every pooled "
                 "connection its own database)"};
  }
  if (!valid_prefix(options.prefix)) {
    return Error{
        ErrorCode::kInternal,
        "sqlite: DATABASE_PREFIX may hold only letters, digits and '_': '" + options.prefix + "'"};
  }
  std::vector<std::string> sql;
  sql.reserve(kAllQueries.size());
  for (const Query* query : kAllQueries) sql.push_back(apply_prefix(query->sql, options.prefix));

  auto own =
      SqliteConnection::open(options.path, std::min(options.busy_timeout, kCheckpointWait), 0);
  if (!own) return std::move(own).error();
  auto checkpointer = std::make_unique<SqliteCheckpointer>(std::move(*own), options.checkpoints);
  SqliteCheckpointer* const checkpoints = checkpointer.get();
  auto pool = SqliteConnectionPool::open(options.path, options.pool_size, options.busy_timeout,
                                         kSlotCount, [checkpoints](SqliteConnection& conn) {
                                           conn.hand_over_checkpoints([checkpoints](int wal_pages) {
                                             checkpoints->note_commit(wal_pages);
                                           });
                                           return ok_status();
                                         });
  if (!pool) return std::move(pool).error();
  return std::unique_ptr<SqliteStore>(new SqliteStore(
      std::make_unique<Impl>(options, std::move(sql), std::move(checkpointer), std::move(*pool))));
}

SqliteStore::SqliteStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqliteStore::~SqliteStore() = default;

Result<User> SqliteStore::create_user(const NewUser& user) {
  return impl_->create_user(user);
}

Result<std::optional<User>> SqliteStore::find_user_by_email(std::string_view email_lower) {
  return impl_->find_user_by_email(email_lower);
}

Result<std::optional<User>> SqliteStore::find_user_by_id(std::int64_t id) {
  return impl_->find_user_by_id(id);
}

Status SqliteStore::update_password_hash(std::int64_t user_id, std::string_view hash, SysTime now) {
  return impl_->update_password_hash(user_id, hash, now);
}

Status SqliteStore::create_session(const NewSession& session) {
  return impl_->create_session(session);
}

Result<std::optional<UserWithSession>> SqliteStore::find_user_with_session(std::int64_t user_id,
                                                                           std::string_view sid,
                                                                           SysTime now) {
  return impl_->find_user_with_session(user_id, sid, now);
}

Result<RotateResult> SqliteStore::rotate_refresh_token(const RotateRequest& request) {
  return impl_->rotate_refresh_token(request);
}

Result<std::optional<Session>> SqliteStore::find_session_by_refresh_hash(std::string_view hash) {
  return impl_->find_session_by_refresh_hash(hash);
}

Status SqliteStore::revoke_session(std::string_view sid, SysTime now, std::string_view reason) {
  return impl_->revoke_session(sid, now, reason);
}

Status SqliteStore::ping() {
  return impl_->ping();
}

Result<std::vector<Session>> SqliteStore::list_sessions(std::int64_t user_id, SysTime now) {
  return impl_->list_sessions(user_id, now);
}

Result<std::size_t> SqliteStore::revoke_user_sessions(std::int64_t user_id,
                                                      std::string_view keep_sid, SysTime now,
                                                      std::string_view reason) {
  return impl_->revoke_user_sessions(user_id, keep_sid, now, reason);
}

Result<bool> SqliteStore::revoke_user_session(std::int64_t user_id, std::string_view sid,
                                              SysTime now, std::string_view reason) {
  return impl_->revoke_user_session(user_id, sid, now, reason);
}

Result<std::size_t> SqliteStore::sweep(SysTime now, std::chrono::seconds retention) {
  return impl_->sweep(now, retention);
}

Result<std::optional<ThrottleRecord>> SqliteStore::get_throttle(std::string_view key) {
  return impl_->get_throttle(key);
}

Result<ThrottleRecord> SqliteStore::update_throttle(
    std::string_view key, const std::function<void(ThrottleRecord&)>& mutate, SysTime now) {
  return impl_->update_throttle(key, mutate, now);
}

std::unique_ptr<MigrationTarget> SqliteStore::migration_target() {
  return impl_->migration_target();
}

}  // namespace gatehouse::store
