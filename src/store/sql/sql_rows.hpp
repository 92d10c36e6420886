#pragma once
// Readers of the rows every store query selects in the same column order. Internal to sql_*.cpp.

#include <initializer_list>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "store/sql/connection.hpp"
#include "store/store.hpp"

namespace gatehouse::store::sql {

// At most `bytes` bytes of `text`, never ending inside a UTF-8 sequence (a server refuses text
// that is not UTF-8); the columns that hold notes are VARCHAR(255).
inline std::string clip_utf8(std::string_view text, std::size_t bytes = 255) {
  if (text.size() <= bytes) return std::string(text);
  std::size_t end = bytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return std::string(text.substr(0, end));
}

// The user columns, in the order every user query selects them (kUserColumns), from `{prefix}user
// AS u` joined with its `{prefix}disabled_user` row (kUserFrom):
//   u.id, u.name, u.email, u.password, u.photo, u.verified, u.role, u.created_at, u.updated_at,
//   d.disabled_at
inline constexpr int kUserColumnCount = 10;

inline Result<SysTime> read_timestamp(const Cursor& row, int column, std::string_view name) {
  if (auto t = row.time(column)) return *t;
  return Error{ErrorCode::kInternal,
               "user." + std::string(name) + ": unreadable timestamp '" + row.text(column) + "'"};
}

inline Result<User> read_user(const Cursor& row, int first) {
  User user;
  user.id = row.int64(first);
  user.name = row.text(first + 1);
  user.email = row.text(first + 2);
  user.password_hash = row.text(first + 3);
  user.photo = row.optional_text(first + 4);
  user.verified = row.int64(first + 5) != 0;
  user.role = row.text(first + 6);
  auto created = read_timestamp(row, first + 7, "created_at");
  if (!created) return std::move(created).error();
  auto updated = read_timestamp(row, first + 8, "updated_at");
  if (!updated) return std::move(updated).error();
  user.created_at = *created;
  user.updated_at = *updated;
  if (!row.is_null(first + 9)) user.disabled_at = from_unix_seconds(row.int64(first + 9));
  return user;
}

// The session columns, in the order every session query selects them:
//   s.id, s.user_id, s.created_at, s.last_used_at, s.expires_at, s.revoked_at, s.user_agent, s.ip
inline Session read_session(const Cursor& row, int first) {
  Session s;
  s.id = row.text(first);
  s.user_id = row.int64(first + 1);
  s.created_at = from_unix_seconds(row.int64(first + 2));
  s.last_used_at = from_unix_seconds(row.int64(first + 3));
  s.expires_at = from_unix_seconds(row.int64(first + 4));
  if (auto revoked = row.optional_int64(first + 5)) s.revoked_at = from_unix_seconds(*revoked);
  s.user_agent = row.text(first + 6);
  s.ip = row.text(first + 7);
  return s;
}

}  // namespace gatehouse::store::sql

namespace gatehouse::store::sql {

// Runs `query` and reads its first row with `read` (const Cursor& -> T or Result<T>); nullopt when
// it returns no row.
template <class T>
struct ResultValue {
  using type = T;
};
template <class T>
struct ResultValue<Result<T>> {
  using type = T;
};

template <class Read>
auto first_row(Connection& conn, const Query& query, std::initializer_list<Param> params,
               Read&& read) {
  using T = typename ResultValue<std::invoke_result_t<Read&, const Cursor&>>::type;
  using Out = Result<std::optional<T>>;
  auto rows = conn.run(query, params);
  if (!rows) return Out(std::move(rows).error());
  auto row = rows->next();
  if (!row) return Out(std::move(row).error());
  if (!*row) return Out(std::optional<T>{});
  Result<T> value = read(*rows);
  if (!value) return Out(std::move(value).error());
  return Out(std::optional<T>(std::move(*value)));
}

// Runs `query` and reads every row with `read` (const Cursor& -> T).
template <class Read>
auto all_rows(Connection& conn, const Query& query, std::initializer_list<Param> params,
              Read&& read) {
  using T = std::invoke_result_t<Read&, const Cursor&>;
  using Out = Result<std::vector<T>>;
  auto rows = conn.run(query, params);
  if (!rows) return Out(std::move(rows).error());
  std::vector<T> out;
  while (true) {
    auto row = rows->next();
    if (!row) return Out(std::move(row).error());
    if (!*row) return Out(std::move(out));
    out.push_back(read(*rows));
  }
}

}  // namespace gatehouse::store::sql
