#pragma once
// Rows and requests shared by the store tests of both backends (sqlite_store_test,
// mysql_store_test), so that the two suites feed their stores the same data.

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>

#include "store/sql_timestamp.hpp"
#include "store/store.hpp"

namespace gatehouse::store::testing {

// 2023-11-14 22:13:20 UTC.
inline const SysTime kT0 = from_unix_seconds(1'700'000'000);

inline NewUser make_user(std::string email, SysTime now = kT0) {
  NewUser user;
  user.name = "Alice";
  user.email = std::move(email);
  user.password_hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA";
  user.now = now;
  return user;
}

inline NewSession make_session(std::int64_t user_id, std::string id, std::string refresh_hash,
                               SysTime now = kT0) {
  using std::chrono::hours;
  NewSession s;
  s.id = std::move(id);
  s.user_id = user_id;
  s.refresh_hash = std::move(refresh_hash);
  s.now = now;
  s.expires_at = now + hours(24 * 7);
  s.refresh_expires_at = now + hours(1);
  s.user_agent = "curl/8.0";
  s.ip = "127.0.0.1";
  return s;
}

inline RotateRequest make_rotation(std::string presented, std::string next, SysTime now) {
  RotateRequest r;
  r.presented_hash = std::move(presented);
  r.new_hash = std::move(next);
  r.new_expires_at = now + std::chrono::hours(1);
  r.now = now;
  return r;
}

}  // namespace gatehouse::store::testing
