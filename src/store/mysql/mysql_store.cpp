#include "store/mysql/mysql_store.hpp"

#include <mysqld_error.h>

#include <array>
#include <chrono>
#include <type_traits>
#include <utility>

#include "store/mysql/mysql_connection.hpp"
#include "store/mysql/mysql_connection_pool.hpp"
#include "store/mysql/mysql_migration_target.hpp"
#include "store/sql_timestamp.hpp"

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
  kFindChildTokenSlot,
  kListSessionsSlot,
  kRevokeUserSessionsSlot,
  kRevokeUserSessionSlot,
  kSweepSessionsSlot,
  kSweepTokensSlot,
  kSweepThrottleSlot,
  kGetThrottleSlot,
  kLockThrottleSlot,
  kUpdateThrottleSlot,
  kSlotCount,
};

// A statement as written in this file: `{{prefix}}` still in it; substituted once at open().
// Each Query constant sits next to the function that runs it, and kAllQueries at the end lists
// them all for open(). Placeholders are positional ('?'), so a value used twice is bound twice.
struct Query {
  Slot slot;
  std::string_view name;  // for error messages
  std::string_view sql;
};

// A session's last_used_at is rewritten at most this often by access-token checks, so that most
// authenticated reads stay reads.
constexpr std::int64_t kTouchIntervalSeconds = 60;

constexpr std::string_view kRefreshReuseReason = "refresh_reuse";

// Index and constraint names are the prefix plus up to 31 characters, and MySQL allows 64.
constexpr std::size_t kMaxPrefixLength = 32;

// Migrations may run long DDL (an ALTER of a big table), which must not end in a read timeout
// while the server carries on: their connection waits this long for a reply.
constexpr std::chrono::seconds kMigrationTimeout{3600};

// Run after every pooled connect. UTC, because the tutorial's TIMESTAMP columns are read and
// written as UTC text; strict mode, so that a value too long for its column is an error and not
// silently cut (the server's default since MariaDB 10.2.4 and MySQL 5.7, not always configured).
std::string pool_session_sql(std::chrono::seconds lock_wait_timeout) {
  return "SET time_zone = '+00:00', innodb_lock_wait_timeout = " +
         std::to_string(lock_wait_timeout.count()) +
         ", sql_mode = CONCAT_WS(',', NULLIF(@@SESSION.sql_mode, ''), 'STRICT_TRANS_TABLES')";
}

// Prefixes become part of every statement's text: only identifier characters are allowed.
bool valid_prefix(std::string_view prefix) {
  if (prefix.size() > kMaxPrefixLength) return false;
  for (const char c : prefix) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

bool is_lock_conflict(unsigned error_number) {
  return error_number == ER_LOCK_DEADLOCK || error_number == ER_LOCK_WAIT_TIMEOUT;
}

Result<SysTime> read_timestamp(const MysqlStatement& st, int column, std::string_view name) {
  if (auto t = st.time(column)) return *t;
  return Error{ErrorCode::kInternal,
               "user." + std::string(name) + ": unreadable timestamp '" + st.text(column) + "'"};
}

// Reads the user columns, in the order every user query selects them:
//   u.id, u.name, u.email, u.password, u.photo, u.verified, u.role, u.created_at, u.updated_at
constexpr int kUserColumnCount = 9;
Result<User> read_user(const MysqlStatement& st, int first) {
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
Session read_session(const MysqlStatement& st, int first) {
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
class MysqlStore::Impl {
 public:
  Impl(MysqlOptions options, std::vector<std::string> sql,
       std::unique_ptr<MysqlConnectionPool> pool)
      : options_(std::move(options)), sql_(std::move(sql)), pool_(std::move(pool)) {}

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
    MysqlEndpoint endpoint = options_.endpoint;
    endpoint.read_timeout = kMigrationTimeout;
    endpoint.write_timeout = kMigrationTimeout;
    return MysqlMigrationTarget::open(std::move(endpoint), options_.prefix);
  }

 private:
  // Runs `op` (MysqlConnection& -> Result<T>) on a leased connection. When it fails with a
  // connection error quickly (within connect_timeout: a stale connection, not a server that stopped
  // answering) and nothing may have been committed, it runs once more on a freshly connected
  // handle. `op` must therefore be safe to repeat after a failure: reads, idempotent writes, and
  // transactions (whose uncommitted work the server rolled back with the lost session).
  template <class Op>
  std::invoke_result_t<Op&, MysqlConnection&> with_connection(Op&& op) {
    auto lease = pool_->acquire();
    if (!lease) return std::move(lease).error();
    MysqlConnection& conn = **lease;
    const auto started = std::chrono::steady_clock::now();
    auto result = op(conn);
    if (result || !conn.broken() || conn.commit_in_doubt() ||
        std::chrono::steady_clock::now() - started >= options_.endpoint.connect_timeout) {
      return result;
    }
    if (auto st = conn.reconnect(); !st) return std::move(st).error();
    return op(conn);
  }

  Result<MysqlStatement> statement(MysqlConnection& conn, const Query& query) {
    return conn.statement(query.slot, query.name, sql_[query.slot]);
  }
  Result<std::optional<User>> find_user(MysqlConnection& conn, const Query& query, MysqlParam key);
  // Runs `attempt` (a whole transaction) and, after a deadlock or a lock wait timeout, once more
  // from the start; a second conflict is kUnavailable (mysql_failure maps both).
  template <class Attempt>
  std::invoke_result_t<Attempt&> retry_lock_conflict(MysqlConnection& conn, Attempt&& attempt) {
    auto first = attempt();
    if (first || conn.broken() || !is_lock_conflict(conn.last_errno())) return first;
    return attempt();
  }

  Status insert_refresh_token(MysqlConnection& conn, std::string_view hash,
                              std::string_view session_id, SysTime now, SysTime expires_at,
                              std::string_view parent_hash, std::string_view sealed);
  Result<std::optional<ThrottleRecord>> read_throttle(MysqlConnection& conn, const Query& query,
                                                      std::string_view key);
  Result<ThrottleRecord> update_throttle_once(MysqlConnection& conn, std::string_view key,
                                              const std::function<void(ThrottleRecord&)>& mutate,
                                              SysTime now);
  Status revoke_session(MysqlConnection& conn, std::string_view sid, SysTime now,
                        std::string_view reason);
  Result<RotateResult> rotate_once(MysqlConnection& conn, const RotateRequest& request);

  const MysqlOptions options_;
  const std::vector<std::string> sql_;  // by Slot, prefix substituted
  const std::unique_ptr<MysqlConnectionPool> pool_;
};

// ---- users ----

constexpr Query kInsertUser{kInsertUserSlot, "insert_user", R"sql(
INSERT INTO {{prefix}}user (name, email, password, photo, verified, role, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
)sql"};

Result<User> MysqlStore::Impl::create_user(const NewUser& user) {
  // Stored to the second; the returned User says exactly what a later read will.
  const SysTime now = from_unix_seconds(unix_seconds(user.now));
  const std::string now_text = format_sql_timestamp(now);
  return with_connection([&](MysqlConnection& conn) -> Result<User> {
    // In a transaction of its own, so that a lost connection leaves no doubt: without a COMMIT
    // the row is gone with the session, and the INSERT is safe to repeat.
    auto tx = MysqlTransaction::begin(conn);
    if (!tx) return std::move(tx).error();
    std::int64_t id = 0;
    {
      auto st = statement(conn, kInsertUser);
      if (!st) return std::move(st).error();
      if (auto run = st->execute({user.name, user.email, user.password_hash, user.photo,
                                  user.verified, user.role, now_text, now_text});
          !run) {
        // The e-mail is the only UNIQUE column the INSERT sets. A concurrent registration of the
        // same address waits on the first one's index lock and ends here once it commits.
        // (utf8mb4_unicode_ci: the database also finds "Alice@x" and "alice@x" equal.)
        const unsigned number = conn.last_errno();
        if (number == ER_DUP_ENTRY || number == ER_DUP_ENTRY_WITH_KEY_NAME) {
          return Error{ErrorCode::kAccountExists, std::move(run).error().internal};
        }
        return std::move(run).error();
      }
      id = static_cast<std::int64_t>(st->insert_id());
    }
    if (auto st = tx->commit(); !st) return std::move(st).error();

    User out;
    out.id = id;
    out.name = user.name;
    out.email = user.email;
    out.password_hash = user.password_hash;
    out.photo = user.photo;
    out.verified = user.verified;
    out.role = user.role;
    out.created_at = now;
    out.updated_at = now;
    return out;
  });
}

Result<std::optional<User>> MysqlStore::Impl::find_user(MysqlConnection& conn, const Query& query,
                                                        MysqlParam key) {
  auto st = statement(conn, query);
  if (!st) return std::move(st).error();
  if (auto run = st->execute({key}); !run) return std::move(run).error();
  auto row = st->fetch();
  if (!row) return std::move(row).error();
  if (!*row) return std::optional<User>{};
  auto user = read_user(*st, 0);
  if (!user) return std::move(user).error();
  return std::optional<User>(std::move(*user));
}

constexpr Query kFindUserByEmail{kFindUserByEmailSlot, "find_user_by_email", R"sql(
SELECT u.id, u.name, u.email, u.password, u.photo, u.verified, u.role, u.created_at, u.updated_at
FROM {{prefix}}user AS u WHERE u.email = ?
)sql"};

Result<std::optional<User>> MysqlStore::Impl::find_user_by_email(std::string_view email_lower) {
  return with_connection(
      [&](MysqlConnection& conn) { return find_user(conn, kFindUserByEmail, email_lower); });
}

constexpr Query kFindUserById{kFindUserByIdSlot, "find_user_by_id", R"sql(
SELECT u.id, u.name, u.email, u.password, u.photo, u.verified, u.role, u.created_at, u.updated_at
FROM {{prefix}}user AS u WHERE u.id = ?
)sql"};

Result<std::optional<User>> MysqlStore::Impl::find_user_by_id(std::int64_t id) {
  return with_connection([&](MysqlConnection& conn) { return find_user(conn, kFindUserById, id); });
}

constexpr Query kUpdatePassword{kUpdatePasswordSlot, "update_password_hash", R"sql(
UPDATE {{prefix}}user SET password = ?, updated_at = ? WHERE id = ?
)sql"};

Status MysqlStore::Impl::update_password_hash(std::int64_t user_id, std::string_view hash,
                                              SysTime now) {
  const std::string now_text = format_sql_timestamp(now);
  // Idempotent, so safe to repeat after a lost connection even if the first one was applied.
  return with_connection([&](MysqlConnection& conn) -> Status {
    auto st = statement(conn, kUpdatePassword);
    if (!st) return std::move(st).error();
    if (auto run = st->execute({hash, now_text, user_id}); !run) return run;
    // Matched rows (CLIENT_FOUND_ROWS): writing the same hash again still finds the user.
    if (st->affected_rows() == 0) {
      return Error{ErrorCode::kUserGone,
                   "update_password_hash: no user " + std::to_string(user_id)};
    }
    return ok_status();
  });
}

// ---- sessions ----

constexpr Query kInsertSession{kInsertSessionSlot, "insert_session", R"sql(
INSERT INTO {{prefix}}session (id, user_id, created_at, last_used_at, expires_at, user_agent, ip)
VALUES (?, ?, ?, ?, ?, ?, ?)
)sql"};

constexpr Query kInsertRefreshToken{kInsertRefreshTokenSlot, "insert_refresh_token", R"sql(
INSERT INTO {{prefix}}refresh_token
  (token_hash, session_id, created_at, expires_at, parent_hash, sealed)
VALUES (?, ?, ?, ?, NULLIF(?, ''), NULLIF(?, ''))
)sql"};

Status MysqlStore::Impl::insert_refresh_token(MysqlConnection& conn, std::string_view hash,
                                              std::string_view session_id, SysTime now,
                                              SysTime expires_at, std::string_view parent_hash,
                                              std::string_view sealed) {
  auto st = statement(conn, kInsertRefreshToken);
  if (!st) return std::move(st).error();
  return st->execute(
      {hash, session_id, unix_seconds(now), unix_seconds(expires_at), parent_hash, sealed});
}

Status MysqlStore::Impl::create_session(const NewSession& session) {
  return with_connection([&](MysqlConnection& conn) -> Status {
    auto tx = MysqlTransaction::begin(conn);
    if (!tx) return std::move(tx).error();
    {
      auto st = statement(conn, kInsertSession);
      if (!st) return std::move(st).error();
      const std::int64_t now_s = unix_seconds(session.now);
      if (auto run =
              st->execute({session.id, session.user_id, now_s, now_s,
                           unix_seconds(session.expires_at), session.user_agent, session.ip});
          !run) {
        // The user was deleted between login and here.
        if (conn.last_errno() == ER_NO_REFERENCED_ROW_2 ||
            conn.last_errno() == ER_NO_REFERENCED_ROW) {
          return Error{ErrorCode::kUserGone, std::move(run).error().internal};
        }
        return run;
      }
    }
    if (auto st = insert_refresh_token(conn, session.refresh_hash, session.id, session.now,
                                       session.refresh_expires_at, {}, session.refresh_sealed);
        !st) {
      return st;
    }
    return tx->commit();
  });
}

// One round trip for an access-token check: the user, and whether `sid` is a live session of
// that user. The LEFT JOIN keeps the user row when the session is missing or someone else's.
constexpr Query kFindUserWithSession{kFindUserWithSessionSlot, "find_user_with_session", R"sql(
SELECT u.id, u.name, u.email, u.password, u.photo, u.verified, u.role, u.created_at, u.updated_at,
       s.id IS NOT NULL AND s.revoked_at IS NULL AND s.expires_at > ?,
       s.last_used_at
FROM {{prefix}}user AS u
LEFT JOIN {{prefix}}session AS s ON s.id = ? AND s.user_id = u.id
WHERE u.id = ?
)sql"};

// Only moves last_used_at forward, so a slow writer never moves it back (and a repeat is harmless).
constexpr Query kTouchSession{kTouchSessionSlot, "touch_session", R"sql(
UPDATE {{prefix}}session SET last_used_at = ? WHERE id = ? AND last_used_at < ?
)sql"};

Result<std::optional<UserWithSession>> MysqlStore::Impl::find_user_with_session(
    std::int64_t user_id, std::string_view sid, SysTime now) {
  const std::int64_t now_s = unix_seconds(now);
  return with_connection([&](MysqlConnection& conn) -> Result<std::optional<UserWithSession>> {
    UserWithSession out;
    bool touch = false;
    {
      auto st = statement(conn, kFindUserWithSession);
      if (!st) return std::move(st).error();
      if (auto run = st->execute({now_s, sid, user_id}); !run) return std::move(run).error();
      auto row = st->fetch();
      if (!row) return std::move(row).error();
      if (!*row) return std::optional<UserWithSession>{};
      auto user = read_user(*st, 0);
      if (!user) return std::move(user).error();
      out.user = std::move(*user);
      out.session_live = st->int64(kUserColumnCount) != 0;
      touch = out.session_live && now_s - st->int64(kUserColumnCount + 1) > kTouchIntervalSeconds;
    }
    if (touch) {
      auto st = statement(conn, kTouchSession);
      if (!st) return std::move(st).error();
      if (auto run = st->execute({now_s, sid, now_s}); !run) return std::move(run).error();
    }
    return std::optional<UserWithSession>(std::move(out));
  });
}

// The presented token with its session, both rows locked until the transaction ends: a concurrent
// rotation of the same token waits here and then sees this one's retirement (kReused).
constexpr Query kFindRefreshToken{kFindRefreshTokenSlot, "find_refresh_token", R"sql(
SELECT rt.retired_at, rt.expires_at,
       s.id, s.user_id, s.created_at, s.last_used_at, s.expires_at, s.revoked_at, s.user_agent, s.ip
FROM {{prefix}}refresh_token AS rt
JOIN {{prefix}}session AS s ON s.id = rt.session_id
WHERE rt.token_hash = ?
FOR UPDATE
)sql"};

// The token that replaced `parent` (there is at most one: a token is retired once).
constexpr Query kFindChildToken{kFindChildTokenSlot, "find_child_token", R"sql(
SELECT rt.retired_at, rt.sealed FROM {{prefix}}refresh_token AS rt WHERE rt.parent_hash = ?
)sql"};

constexpr Query kRetireRefreshToken{kRetireRefreshTokenSlot, "retire_refresh_token", R"sql(
UPDATE {{prefix}}refresh_token SET retired_at = ? WHERE token_hash = ? AND retired_at IS NULL
)sql"};

Result<RotateResult> MysqlStore::Impl::rotate_once(MysqlConnection& conn,
                                                   const RotateRequest& request) {
  const std::int64_t now_s = unix_seconds(request.now);
  auto tx = MysqlTransaction::begin(conn);
  if (!tx) return std::move(tx).error();

  Session session;
  bool retired = false;
  std::int64_t retired_s = 0;
  std::int64_t token_expires_s = 0;
  {
    auto st = statement(conn, kFindRefreshToken);
    if (!st) return std::move(st).error();
    if (auto run = st->execute({request.presented_hash}); !run) return std::move(run).error();
    auto row = st->fetch();
    if (!row) return std::move(row).error();
    if (!*row) return RotateResult::only(RotateOutcome::kUnknown);
    retired = !st->is_null(0);
    retired_s = st->int64(0);
    token_expires_s = st->int64(1);
    session = read_session(*st, 2);
  }

  // Read-only outcomes return without committing: the transaction guard rolls back (releasing
  // the row locks).
  if (session.revoked_at) return RotateResult::only(RotateOutcome::kRevoked);
  if (retired && now_s - retired_s < request.grace.count() &&
      unix_seconds(session.expires_at) > now_s) {
    // Two tabs refreshing at once, or a response lost on the way: if this token's replacement is
    // still the current one, answer with it instead of ending the session. (Its row was written
    // by a committed rotation that held the lock we hold now, so this read sees it.)
    std::optional<std::string> child_sealed;
    {
      auto st = statement(conn, kFindChildToken);
      if (!st) return std::move(st).error();
      if (auto run = st->execute({request.presented_hash}); !run) return std::move(run).error();
      auto row = st->fetch();
      if (!row) return std::move(row).error();
      if (*row && st->is_null(0) && !st->is_null(1)) child_sealed = st->text(1);
    }
    if (child_sealed) {
      auto user = find_user(conn, kFindUserById, session.user_id);
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
    if (auto st = revoke_session(conn, session.id, request.now, kRefreshReuseReason); !st) {
      return std::move(st).error();
    }
    if (auto st = tx->commit(); !st) return std::move(st).error();
    return RotateResult::only(RotateOutcome::kReused);
  }
  if (token_expires_s <= now_s || unix_seconds(session.expires_at) <= now_s) {
    return RotateResult::only(RotateOutcome::kExpired);
  }

  {
    auto st = statement(conn, kRetireRefreshToken);
    if (!st) return std::move(st).error();
    if (auto run = st->execute({now_s, request.presented_hash}); !run) {
      return std::move(run).error();
    }
  }
  if (auto st =
          insert_refresh_token(conn, request.new_hash, session.id, request.now,
                               request.new_expires_at, request.presented_hash, request.new_sealed);
      !st) {
    return std::move(st).error();
  }
  {
    auto st = statement(conn, kTouchSession);
    if (!st) return std::move(st).error();
    if (auto run = st->execute({now_s, session.id, now_s}); !run) return std::move(run).error();
    if (unix_seconds(session.last_used_at) < now_s) session.last_used_at = from_unix_seconds(now_s);
  }
  auto user = find_user(conn, kFindUserById, session.user_id);
  if (!user) return std::move(user).error();
  // Unreachable while the foreign keys hold (the session cascades with its user); roll back.
  if (!*user) return RotateResult::only(RotateOutcome::kUnknown);
  if (auto st = tx->commit(); !st) return std::move(st).error();
  RotateResult result;
  result.outcome = RotateOutcome::kRotated;
  result.session = std::move(session);
  result.user = std::move(**user);
  return result;
}

Result<RotateResult> MysqlStore::Impl::rotate_refresh_token(const RotateRequest& request) {
  return with_connection([&](MysqlConnection& conn) {
    // After a deadlock InnoDB has rolled the transaction back, after a lock wait timeout the
    // guard has: either way the attempt left nothing behind.
    return retry_lock_conflict(conn, [&] { return rotate_once(conn, request); });
  });
}

constexpr Query kFindSessionByRefreshHash{kFindSessionByRefreshHashSlot,
                                          "find_session_by_refresh_hash", R"sql(
SELECT s.id, s.user_id, s.created_at, s.last_used_at, s.expires_at, s.revoked_at, s.user_agent, s.ip
FROM {{prefix}}refresh_token AS rt
JOIN {{prefix}}session AS s ON s.id = rt.session_id
WHERE rt.token_hash = ?
)sql"};

Result<std::optional<Session>> MysqlStore::Impl::find_session_by_refresh_hash(
    std::string_view hash) {
  return with_connection([&](MysqlConnection& conn) -> Result<std::optional<Session>> {
    auto st = statement(conn, kFindSessionByRefreshHash);
    if (!st) return std::move(st).error();
    if (auto run = st->execute({hash}); !run) return std::move(run).error();
    auto row = st->fetch();
    if (!row) return std::move(row).error();
    if (!*row) return std::optional<Session>{};
    return std::optional<Session>(read_session(*st, 0));
  });
}

// The first revocation wins: its time and reason are kept (and a repeat changes nothing).
constexpr Query kRevokeSession{kRevokeSessionSlot, "revoke_session", R"sql(
UPDATE {{prefix}}session SET revoked_at = ?, revoke_reason = ?
WHERE id = ? AND revoked_at IS NULL
)sql"};

Status MysqlStore::Impl::revoke_session(MysqlConnection& conn, std::string_view sid, SysTime now,
                                        std::string_view reason) {
  auto st = statement(conn, kRevokeSession);
  if (!st) return std::move(st).error();
  return st->execute({unix_seconds(now), reason, sid});
}

Status MysqlStore::Impl::revoke_session(std::string_view sid, SysTime now,
                                        std::string_view reason) {
  return with_connection(
      [&](MysqlConnection& conn) { return revoke_session(conn, sid, now, reason); });
}

Status MysqlStore::Impl::ping() {
  return with_connection([](MysqlConnection& conn) { return conn.ping(); });
}

// ---- session management ----

// Both ids: an id alone is not enough, so one user can never list or end another's sessions.
constexpr Query kListSessions{kListSessionsSlot, "list_sessions", R"sql(
SELECT s.id, s.user_id, s.created_at, s.last_used_at, s.expires_at, s.revoked_at, s.user_agent, s.ip
FROM {{prefix}}session AS s
WHERE s.user_id = ? AND s.revoked_at IS NULL AND s.expires_at > ?
ORDER BY s.created_at DESC, s.id
)sql"};

Result<std::vector<Session>> MysqlStore::Impl::list_sessions(std::int64_t user_id, SysTime now) {
  return with_connection([&](MysqlConnection& conn) -> Result<std::vector<Session>> {
    auto st = statement(conn, kListSessions);
    if (!st) return std::move(st).error();
    if (auto run = st->execute({user_id, unix_seconds(now)}); !run) return std::move(run).error();
    std::vector<Session> out;
    while (true) {
      auto row = st->fetch();
      if (!row) return std::move(row).error();
      if (!*row) break;
      out.push_back(read_session(*st, 0));
    }
    return out;
  });
}

// Idempotent (only live sessions change), so safe to repeat; the count is of this call's changes.
constexpr Query kRevokeUserSessions{kRevokeUserSessionsSlot, "revoke_user_sessions", R"sql(
UPDATE {{prefix}}session SET revoked_at = ?, revoke_reason = ?
WHERE user_id = ? AND id <> ? AND revoked_at IS NULL AND expires_at > ?
)sql"};

Result<std::size_t> MysqlStore::Impl::revoke_user_sessions(std::int64_t user_id,
                                                           std::string_view keep_sid, SysTime now,
                                                           std::string_view reason) {
  const std::int64_t now_s = unix_seconds(now);
  return with_connection([&](MysqlConnection& conn) -> Result<std::size_t> {
    auto st = statement(conn, kRevokeUserSessions);
    if (!st) return std::move(st).error();
    if (auto run = st->execute({now_s, reason, user_id, keep_sid, now_s}); !run) {
      return std::move(run).error();
    }
    return static_cast<std::size_t>(st->affected_rows());
  });
}

constexpr Query kRevokeUserSession{kRevokeUserSessionSlot, "revoke_user_session", R"sql(
UPDATE {{prefix}}session SET revoked_at = ?, revoke_reason = ?
WHERE user_id = ? AND id = ? AND revoked_at IS NULL AND expires_at > ?
)sql"};

Result<bool> MysqlStore::Impl::revoke_user_session(std::int64_t user_id, std::string_view sid,
                                                   SysTime now, std::string_view reason) {
  const std::int64_t now_s = unix_seconds(now);
  return with_connection([&](MysqlConnection& conn) -> Result<bool> {
    auto st = statement(conn, kRevokeUserSession);
    if (!st) return std::move(st).error();
    if (auto run = st->execute({now_s, reason, user_id, sid, now_s}); !run) {
      return std::move(run).error();
    }
    return st->affected_rows() == 1;
  });
}

// Revoked sessions are kept for `retention` so a replayed token still reads as revoked. Their
// tokens go with them (ON DELETE CASCADE).
constexpr Query kSweepSessions{kSweepSessionsSlot, "sweep_sessions", R"sql(
DELETE FROM {{prefix}}session
WHERE expires_at < ? OR (revoked_at IS NOT NULL AND revoked_at < ?)
)sql"};

constexpr Query kSweepTokens{kSweepTokensSlot, "sweep_tokens", R"sql(
DELETE FROM {{prefix}}refresh_token WHERE retired_at IS NOT NULL AND expires_at < ?
)sql"};

constexpr Query kSweepThrottle{kSweepThrottleSlot, "sweep_throttle", R"sql(
DELETE FROM {{prefix}}throttle WHERE updated_at < ? AND blocked_until < ?
)sql"};

Result<std::size_t> MysqlStore::Impl::sweep(SysTime now, std::chrono::seconds retention) {
  const std::int64_t cutoff = unix_seconds(now - retention);
  const std::int64_t now_s = unix_seconds(now);
  // Each DELETE commits on its own; repeating one after a lost connection deletes what is left.
  return with_connection([&](MysqlConnection& conn) -> Result<std::size_t> {
    std::size_t deleted = 0;
    {
      auto st = statement(conn, kSweepSessions);
      if (!st) return std::move(st).error();
      if (auto run = st->execute({cutoff, cutoff}); !run) return std::move(run).error();
      deleted += static_cast<std::size_t>(st->affected_rows());
    }
    {
      auto st = statement(conn, kSweepTokens);
      if (!st) return std::move(st).error();
      if (auto run = st->execute({cutoff}); !run) return std::move(run).error();
      deleted += static_cast<std::size_t>(st->affected_rows());
    }
    {
      auto st = statement(conn, kSweepThrottle);
      if (!st) return std::move(st).error();
      if (auto run = st->execute({cutoff, now_s}); !run) return std::move(run).error();
      deleted += static_cast<std::size_t>(st->affected_rows());
    }
    return deleted;
  });
}

// ---- rate-limit counters ----

constexpr Query kGetThrottle{kGetThrottleSlot, "get_throttle", R"sql(
SELECT window_start, window_count, consecutive, blocked_until
FROM {{prefix}}throttle WHERE throttle_key = ?
)sql"};

// Creates the counter if missing and takes its row lock either way. Unlike SELECT ... FOR UPDATE
// on a missing key (a gap lock, which two callers can both hold and then deadlock inserting), the
// second caller for the same new key waits here for the first one's row.
constexpr Query kLockThrottle{kLockThrottleSlot, "lock_throttle", R"sql(
INSERT INTO {{prefix}}throttle
  (throttle_key, window_start, window_count, consecutive, blocked_until, updated_at)
VALUES (?, 0, 0, 0, 0, ?)
ON DUPLICATE KEY UPDATE throttle_key = throttle_key
)sql"};

constexpr Query kUpdateThrottle{kUpdateThrottleSlot, "update_throttle", R"sql(
UPDATE {{prefix}}throttle
SET window_start = ?, window_count = ?, consecutive = ?, blocked_until = ?, updated_at = ?
WHERE throttle_key = ?
)sql"};

Result<std::optional<ThrottleRecord>> MysqlStore::Impl::read_throttle(MysqlConnection& conn,
                                                                      const Query& query,
                                                                      std::string_view key) {
  auto st = statement(conn, query);
  if (!st) return std::move(st).error();
  if (auto run = st->execute({key}); !run) return std::move(run).error();
  auto row = st->fetch();
  if (!row) return std::move(row).error();
  if (!*row) return std::optional<ThrottleRecord>{};
  ThrottleRecord record;
  record.window_start = st->int64(0);
  record.window_count = st->int64(1);
  record.consecutive = st->int64(2);
  record.blocked_until = st->int64(3);
  return std::optional<ThrottleRecord>(record);
}

Result<std::optional<ThrottleRecord>> MysqlStore::Impl::get_throttle(std::string_view key) {
  return with_connection(
      [&](MysqlConnection& conn) { return read_throttle(conn, kGetThrottle, key); });
}

Result<ThrottleRecord> MysqlStore::Impl::update_throttle_once(
    MysqlConnection& conn, std::string_view key, const std::function<void(ThrottleRecord&)>& mutate,
    SysTime now) {
  const std::int64_t now_s = unix_seconds(now);
  auto tx = MysqlTransaction::begin(conn);
  if (!tx) return std::move(tx).error();
  {
    auto st = statement(conn, kLockThrottle);
    if (!st) return std::move(st).error();
    if (auto run = st->execute({key, now_s}); !run) return std::move(run).error();
  }
  // Locked by the statement above, so this read is the latest and stays so until COMMIT.
  auto current = read_throttle(conn, kGetThrottle, key);
  if (!current) return std::move(current).error();
  ThrottleRecord record = current->value_or(ThrottleRecord{});
  mutate(record);
  {
    auto st = statement(conn, kUpdateThrottle);
    if (!st) return std::move(st).error();
    if (auto run = st->execute({record.window_start, record.window_count, record.consecutive,
                                record.blocked_until, now_s, key});
        !run) {
      return std::move(run).error();
    }
  }
  if (auto st = tx->commit(); !st) return std::move(st).error();
  return record;
}

Result<ThrottleRecord> MysqlStore::Impl::update_throttle(
    std::string_view key, const std::function<void(ThrottleRecord&)>& mutate, SysTime now) {
  return with_connection([&](MysqlConnection& conn) {
    return retry_lock_conflict(conn, [&] { return update_throttle_once(conn, key, mutate, now); });
  });
}

// ---- opening ----

namespace {

constexpr std::array<const Query*, kSlotCount> kAllQueries{
    &kInsertUser,       &kFindUserById,       &kFindUserByEmail,     &kUpdatePassword,
    &kInsertSession,    &kInsertRefreshToken, &kFindUserWithSession, &kTouchSession,
    &kFindRefreshToken, &kRetireRefreshToken, &kRevokeSession,       &kFindSessionByRefreshHash,
    &kFindChildToken,   &kListSessions,       &kRevokeUserSessions,  &kRevokeUserSession,
    &kSweepSessions,    &kSweepTokens,        &kSweepThrottle,       &kGetThrottle,
    &kLockThrottle,     &kUpdateThrottle,
};

constexpr bool queries_match_slots() {
  for (std::size_t i = 0; i < kAllQueries.size(); ++i) {
    if (kAllQueries[i]->slot != i) return false;
  }
  return true;
}
static_assert(queries_match_slots(), "kAllQueries must list every Query in Slot order");

}  // namespace

Result<std::unique_ptr<MysqlStore>> MysqlStore::open(const MysqlOptions& options) {
  if (!valid_prefix(options.prefix)) {
    return Error{ErrorCode::kInternal,
                 "mysql: DATABASE_PREFIX may hold only letters, digits and '_', at most " +
                     std::to_string(kMaxPrefixLength) + " of them: '" + options.prefix + "'"};
  }
  if (options.endpoint.database.empty()) {
    return Error{ErrorCode::kInternal, "mysql: a database name is required"};
  }
  if (options.lock_wait_timeout.count() < 1) {
    return Error{ErrorCode::kInternal, "mysql: lock_wait_timeout must be at least 1 s"};
  }
  std::vector<std::string> sql;
  sql.reserve(kAllQueries.size());
  for (const Query* query : kAllQueries) sql.push_back(apply_prefix(query->sql, options.prefix));

  auto pool =
      MysqlConnectionPool::create(options.endpoint, pool_session_sql(options.lock_wait_timeout),
                                  options.pool_size, options.pool_wait, kSlotCount);
  if (!pool) return std::move(pool).error();
  return std::unique_ptr<MysqlStore>(
      new MysqlStore(std::make_unique<Impl>(options, std::move(sql), std::move(*pool))));
}

MysqlStore::MysqlStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MysqlStore::~MysqlStore() = default;

Result<User> MysqlStore::create_user(const NewUser& user) {
  return impl_->create_user(user);
}

Result<std::optional<User>> MysqlStore::find_user_by_email(std::string_view email_lower) {
  return impl_->find_user_by_email(email_lower);
}

Result<std::optional<User>> MysqlStore::find_user_by_id(std::int64_t id) {
  return impl_->find_user_by_id(id);
}

Status MysqlStore::update_password_hash(std::int64_t user_id, std::string_view hash, SysTime now) {
  return impl_->update_password_hash(user_id, hash, now);
}

Status MysqlStore::create_session(const NewSession& session) {
  return impl_->create_session(session);
}

Result<std::optional<UserWithSession>> MysqlStore::find_user_with_session(std::int64_t user_id,
                                                                          std::string_view sid,
                                                                          SysTime now) {
  return impl_->find_user_with_session(user_id, sid, now);
}

Result<RotateResult> MysqlStore::rotate_refresh_token(const RotateRequest& request) {
  return impl_->rotate_refresh_token(request);
}

Result<std::optional<Session>> MysqlStore::find_session_by_refresh_hash(std::string_view hash) {
  return impl_->find_session_by_refresh_hash(hash);
}

Status MysqlStore::revoke_session(std::string_view sid, SysTime now, std::string_view reason) {
  return impl_->revoke_session(sid, now, reason);
}

Status MysqlStore::ping() {
  return impl_->ping();
}

Result<std::vector<Session>> MysqlStore::list_sessions(std::int64_t user_id, SysTime now) {
  return impl_->list_sessions(user_id, now);
}

Result<std::size_t> MysqlStore::revoke_user_sessions(std::int64_t user_id,
                                                     std::string_view keep_sid, SysTime now,
                                                     std::string_view reason) {
  return impl_->revoke_user_sessions(user_id, keep_sid, now, reason);
}

Result<bool> MysqlStore::revoke_user_session(std::int64_t user_id, std::string_view sid,
                                             SysTime now, std::string_view reason) {
  return impl_->revoke_user_session(user_id, sid, now, reason);
}

Result<std::size_t> MysqlStore::sweep(SysTime now, std::chrono::seconds retention) {
  return impl_->sweep(now, retention);
}

Result<std::optional<ThrottleRecord>> MysqlStore::get_throttle(std::string_view key) {
  return impl_->get_throttle(key);
}

Result<ThrottleRecord> MysqlStore::update_throttle(
    std::string_view key, const std::function<void(ThrottleRecord&)>& mutate, SysTime now) {
  return impl_->update_throttle(key, mutate, now);
}

std::unique_ptr<MigrationTarget> MysqlStore::migration_target() {
  return impl_->migration_target();
}

}  // namespace gatehouse::store
