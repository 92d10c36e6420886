#pragma once
// Rows and requests shared by the store tests (store_contract_test and the backend-specific
// sqlite_store_test and mysql_store_test), so that every suite feeds its stores the same data.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>

#include "auth/rotation_policy.hpp"
#include "core/result.hpp"
#include "store/migrations.hpp"
#include "store/sql_timestamp.hpp"
#include "store/store.hpp"
#include "store/store_factory.hpp"

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

// A refresh of `presented` with a reuse grace: the replacement is stored sealed as
// "sealed-<next>", so a grace replay can be told to hand out exactly that.
inline RotateRequest make_graced_rotation(std::string presented, std::string next, SysTime now,
                                          std::chrono::seconds grace) {
  RotateRequest r = make_rotation(std::move(presented), std::move(next), now);
  r.new_sealed = "sealed-" + r.new_hash;
  r.grace = grace;
  return r;
}

// A store over a new SQLite database in `file`, migrated to the latest version and opened as the
// server opens it; null (and a test failure) when that fails.
inline std::unique_ptr<Store> migrated_sqlite_store(const std::filesystem::path& file) {
  config::DatabaseSettings database;
  database.sqlite_path = file.string();
  auto opened = open_store(database, 4);
  EXPECT_TRUE(opened) << opened.error().internal;
  if (!opened) return nullptr;
  Migrator migrator(*opened->migrations, embedded_migrations("sqlite"), "api_");
  auto migrated = migrator.up();
  EXPECT_TRUE(migrated) << migrated.error().internal;
  if (!migrated) return nullptr;
  return std::move(opened->store);
}

// The user `email`, created in `store`; a test failure (and an empty User) when that fails.
inline User add_user(Store& store, const std::string& email) {
  auto user = store.create_user(make_user(email));
  EXPECT_TRUE(user) << user.error().internal;
  return user ? *user : User{};
}

// The session that refresh token `hash` belongs to; a test failure (and an empty Session) when
// there is none.
inline Session session_of(Store& store, const std::string& hash) {
  auto session = store.find_session_by_refresh_hash(hash);
  EXPECT_TRUE(session) << session.error().internal;
  EXPECT_TRUE(session && *session) << "no session for " << hash;
  return session && *session ? **session : Session{};
}

// A refresh as the server runs it: under the rules of auth::decide_rotation.
inline Result<RotateResult> rotate(Store& store, const RotateRequest& request) {
  return store.rotate_refresh_token(request, auth::decide_rotation);
}

}  // namespace gatehouse::store::testing
