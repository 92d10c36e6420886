// SqlStore: the user table (the tutorial's, unchanged, so a tutorial database is adopted in place).

#include <utility>

#include "store/sql/sql_rows.hpp"
#include "store/sql/sql_store.hpp"
#include "store/sql_timestamp.hpp"

namespace gatehouse::store::sql {

// PostgreSQL has no "last insert id" of the connection: the new row's id comes back as a row.
constexpr Query kInsertUser{
    .name = "insert_user",
    .sql = R"sql(
INSERT INTO {{prefix}}user (name, email, password, photo, verified, role, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
)sql",
    .postgres = R"sql(
INSERT INTO {{prefix}}user (name, email, password, photo, verified, role, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
)sql",
};

Result<User> SqlStore::create_user(const NewUser& user) {
  // Stored to the second; the returned User says exactly what a later read will.
  const SysTime now = from_unix_seconds(unix_seconds(user.now));
  const std::string now_text = format_sql_timestamp(now);
  // In a transaction, so that a lost connection leaves no doubt: without a COMMIT the row is gone
  // with the session, and the INSERT is safe to repeat.
  return db_->transaction([&](Connection& conn) -> Result<User> {
    auto inserted = conn.run(kInsertUser, {user.name, user.email, user.password_hash, user.photo,
                                           user.verified, user.role, now_text, now_text});
    if (!inserted) {
      // The e-mail is the only UNIQUE column the INSERT sets. A concurrent registration of the
      // same address waits for the first one's lock and ends here once that one commits.
      if (conn.last_failure() == FailureKind::kUniqueViolation) {
        return Error{ErrorCode::kAccountExists, std::move(inserted).error().internal};
      }
      return std::move(inserted).error();
    }
    const std::int64_t id = inserted->new_id();
    for (NewMail mail : user.mails) {
      mail.user_id = id;
      if (auto queued = insert_mail(conn, mail); !queued) return std::move(queued).error();
    }
    if (auto st = insert_events(conn, user.events, id); !st) return std::move(st).error();
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

Result<std::optional<User>> SqlStore::find_user(Connection& conn, const Query& query, Param key) {
  return first_row(conn, query, {key}, [](const Cursor& row) { return read_user(row, 0); });
}

constexpr Query kFindUserByEmail{.name = "find_user_by_email", .sql = R"sql(
SELECT u.id, u.name, u.email, u.password, u.photo, u.verified, u.role, u.created_at, u.updated_at,
       d.disabled_at
FROM {{prefix}}user AS u
LEFT JOIN {{prefix}}disabled_user AS d ON d.user_id = u.id
WHERE u.email = ?
)sql"};

Result<std::optional<User>> SqlStore::find_user_by_email(std::string_view email_lower) {
  return db_->read(
      [&](Connection& conn) { return find_user(conn, kFindUserByEmail, email_lower); });
}

constexpr Query kFindUserById{.name = "find_user_by_id", .sql = R"sql(
SELECT u.id, u.name, u.email, u.password, u.photo, u.verified, u.role, u.created_at, u.updated_at,
       d.disabled_at
FROM {{prefix}}user AS u
LEFT JOIN {{prefix}}disabled_user AS d ON d.user_id = u.id
WHERE u.id = ?
)sql"};

Result<std::optional<User>> SqlStore::find_user_by_id(std::int64_t id) {
  return db_->read([&](Connection& conn) { return find_user(conn, kFindUserById, id); });
}

const Query& SqlStore::find_user_by_id_query() {
  return kFindUserById;
}

constexpr Query kUpdatePassword{.name = "update_password_hash", .sql = R"sql(
UPDATE {{prefix}}user SET password = ?, updated_at = ? WHERE id = ?
)sql"};

Status SqlStore::update_password_hash(std::int64_t user_id, std::string_view hash, SysTime now) {
  const std::string now_text = format_sql_timestamp(now);
  // Idempotent, so safe to repeat after a lost connection even if the first one was applied.
  return db_->write([&](Connection& conn) -> Status {
    auto updated = conn.run(kUpdatePassword, {hash, now_text, user_id});
    if (!updated) return std::move(updated).error();
    // Matched rows: writing the same hash again still finds the user.
    if (updated->rows_affected() == 0) {
      return Error{ErrorCode::kUserGone,
                   "update_password_hash: no user " + std::to_string(user_id)};
    }
    return ok_status();
  });
}

}  // namespace gatehouse::store::sql
