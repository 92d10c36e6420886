// SqlStore: administration (search the user table, change or delete an account under the rules
// an auth::AdminService decides, `{prefix}disabled_user`).

#include <string>
#include <utility>

#include "store/sql/sql_rows.hpp"
#include "store/sql/sql_store.hpp"
#include "store/sql_timestamp.hpp"

namespace gatehouse::store::sql {

namespace {

// `text` as a LIKE pattern that matches it anywhere, with LIKE's own characters escaped by '!'
// (not '\', which MySQL's string literals would swallow).
std::string contains_pattern(std::string_view text) {
  std::string out = "%";
  for (char c : text) {
    char lower = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    if (lower == '%' || lower == '_' || lower == '!') out += '!';
    out += lower;
  }
  out += '%';
  return out;
}

}  // namespace

// E-mails are stored lower-case; names are lowered here (ASCII on SQLite, as LOWER() there).
constexpr Query kSearchUsers{.name = "search_users", .sql = R"sql(
SELECT u.id, u.name, u.email, u.password, u.photo, u.verified, u.role, u.created_at, u.updated_at,
       d.disabled_at
FROM {{prefix}}user AS u
LEFT JOIN {{prefix}}disabled_user AS d ON d.user_id = u.id
WHERE ? = '' OR u.email LIKE ? ESCAPE '!' OR LOWER(u.name) LIKE ? ESCAPE '!'
ORDER BY u.id LIMIT ? OFFSET ?
)sql"};

constexpr Query kCountUsers{.name = "count_users", .sql = R"sql(
SELECT COUNT(*) FROM {{prefix}}user AS u
WHERE ? = '' OR u.email LIKE ? ESCAPE '!' OR LOWER(u.name) LIKE ? ESCAPE '!'
)sql"};

Result<UserPage> SqlStore::search_users(const UserSearch& search) {
  const std::string pattern = contains_pattern(search.text);
  const auto limit = static_cast<std::int64_t>(search.limit);
  const auto offset = static_cast<std::int64_t>(search.offset);
  return db_->read([&](Connection& conn) -> Result<UserPage> {
    UserPage page;
    auto rows = all_rows(conn, kSearchUsers, {search.text, pattern, pattern, limit, offset},
                         [](const Cursor& row) { return read_user(row, 0); });
    if (!rows) return std::move(rows).error();
    for (Result<User>& user : *rows) {
      if (!user) return std::move(user).error();
      page.users.push_back(std::move(*user));
    }
    auto total = first_row(conn, kCountUsers, {search.text, pattern, pattern},
                           [](const Cursor& row) { return row.int64(0); });
    if (!total) return std::move(total).error();
    page.total = static_cast<std::size_t>(total->value_or(0));
    return page;
  });
}

// The account, its row locked until the transaction ends.
constexpr Query kLockUser{
    .name = "lock_user",
    .sql = R"sql(
SELECT u.id, u.name, u.email, u.password, u.photo, u.verified, u.role, u.created_at, u.updated_at,
       d.disabled_at
FROM {{prefix}}user AS u
LEFT JOIN {{prefix}}disabled_user AS d ON d.user_id = u.id
WHERE u.id = ?
)sql",
    .locks = "u",
};

// The active admins, their rows locked: a concurrent change of another admin waits here and then
// counts what that one committed.
constexpr Query kLockActiveAdmins{
    .name = "lock_active_admins",
    .sql = R"sql(
SELECT u.id FROM {{prefix}}user AS u
LEFT JOIN {{prefix}}disabled_user AS d ON d.user_id = u.id
WHERE u.role = 'admin' AND d.user_id IS NULL
)sql",
    .locks = "u",
};

Result<std::pair<User, ChangePlan>> SqlStore::decide_change(Connection& conn, std::int64_t user_id,
                                                            const ChangeDecision& decide) {
  auto before = find_user(conn, kLockUser, user_id);
  if (!before) return std::move(before).error();
  if (!*before) return Error{ErrorCode::kUserGone, "no user " + std::to_string(user_id)};
  auto admins =
      all_rows(conn, kLockActiveAdmins, {}, [](const Cursor& row) { return row.int64(0); });
  if (!admins) return std::move(admins).error();
  auto plan = decide(**before, admins->size());
  if (!plan) return std::move(plan).error();
  return std::pair{std::move(**before), std::move(*plan)};
}

// A NULL parameter keeps the column.
constexpr Query kChangeUser{.name = "change_user", .sql = R"sql(
UPDATE {{prefix}}user
SET name = COALESCE(?, name), role = COALESCE(?, role), verified = COALESCE(?, verified),
    updated_at = ?
WHERE id = ?
)sql"};

constexpr Query kDisableUser{.name = "disable_user", .sql = R"sql(
INSERT INTO {{prefix}}disabled_user (user_id, disabled_at, disabled_by) VALUES (?, ?, ?)
)sql"};

constexpr Query kEnableUser{.name = "enable_user", .sql = R"sql(
DELETE FROM {{prefix}}disabled_user WHERE user_id = ?
)sql"};

Result<UpdatedAccount> SqlStore::change_user(std::int64_t user_id, const UserChange& change,
                                             const ChangeDecision& decide) {
  return db_->transaction([&](Connection& conn) -> Result<UpdatedAccount> {
    auto decided = decide_change(conn, user_id, decide);
    if (!decided) return std::move(decided).error();
    const auto& [before, plan] = *decided;
    std::optional<std::int64_t> verified;
    if (change.verified) verified = *change.verified ? 1 : 0;
    if (change.name || change.role || change.verified) {
      auto updated = conn.run(kChangeUser, {change.name, change.role, verified,
                                            format_sql_timestamp(change.now), user_id});
      if (!updated) return std::move(updated).error();
    }
    if (change.disabled && *change.disabled != before.disabled()) {
      auto marked =
          *change.disabled
              ? conn.run(kDisableUser, {user_id, unix_seconds(change.now), change.actor_id})
              : conn.run(kEnableUser, {user_id});
      if (!marked) return std::move(marked).error();
    }
    UpdatedAccount out;
    if (plan.end_sessions) {
      auto ended = revoke_user_sessions(conn, user_id, {}, change.now, plan.revoke_reason);
      if (!ended) return std::move(ended).error();
      out.sessions_ended = *ended;
    }
    if (auto st = insert_events(conn, plan.events, user_id); !st) return std::move(st).error();
    auto after = find_user(conn, find_user_by_id_query(), user_id);
    if (!after) return std::move(after).error();
    if (!*after) return Error{ErrorCode::kUserGone, "no user " + std::to_string(user_id)};
    out.user = std::move(**after);
    return out;
  });
}

constexpr Query kDeleteUser{.name = "delete_user", .sql = R"sql(
DELETE FROM {{prefix}}user WHERE id = ?
)sql"};

Result<User> SqlStore::delete_user(std::int64_t user_id, const ChangeDecision& decide) {
  return db_->transaction([&](Connection& conn) -> Result<User> {
    auto decided = decide_change(conn, user_id, decide);
    if (!decided) return std::move(decided).error();
    auto& [before, plan] = *decided;
    // The sessions, refresh and account tokens and the disabled mark cascade; the audit events
    // have no foreign key and stay.
    auto deleted = conn.run(kDeleteUser, {user_id});
    if (!deleted) return std::move(deleted).error();
    if (auto st = insert_events(conn, plan.events, user_id); !st) return std::move(st).error();
    return std::move(before);
  });
}

}  // namespace gatehouse::store::sql
