#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "store/audit_store.hpp"
#include "store/outbox_store.hpp"

namespace gatehouse::store {

// Account ids are the tutorial's INT column, 32 bits on every backend. A larger id names no
// account, and PostgreSQL refuses to compare an int4 column with one (an error, not a miss), so
// callers refuse it before it reaches a query.
inline constexpr std::int64_t kMaxUserId = std::numeric_limits<std::int32_t>::max();

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
  // Not a column of the tutorial's table: set while `{prefix}disabled_user` holds a row for the
  // account (an admin disabled it). A disabled account cannot log in and its tokens are refused.
  std::optional<SysTime> disabled_at;

  bool disabled() const { return disabled_at.has_value(); }
};

struct NewUser {
  std::string name;
  std::string email;  // lower-case
  std::string password_hash;
  std::optional<std::string> photo;
  bool verified = true;  // the tutorial marks new users verified at registration
  std::string role = "user";
  SysTime now;  // becomes created_at and updated_at (stored to the second)
  // Queued in the same transaction (a verification mail), each with user_id set to the new id.
  std::vector<NewMail> mails;
  // Written in the same transaction (the registration), each with user_id set to the new id.
  std::vector<AuditEvent> events;
};

// The user table. Every method is thread-safe and blocking: call it from a worker thread, never
// from an I/O thread. Failures to reach the database are ErrorCode::kUnavailable.
class UserStore {
 public:
  virtual ~UserStore() = default;

  // kAccountExists when the e-mail is taken (also when two registrations race).
  virtual Result<User> create_user(const NewUser& user) = 0;
  virtual Result<std::optional<User>> find_user_by_email(std::string_view email_lower) = 0;
  virtual Result<std::optional<User>> find_user_by_id(std::int64_t id) = 0;
  // kUserGone when there is no such user.
  virtual Status update_password_hash(std::int64_t user_id, std::string_view hash, SysTime now) = 0;
};

}  // namespace gatehouse::store
