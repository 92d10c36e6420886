#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "store/account_store.hpp"
#include "store/audit_store.hpp"
#include "store/user_store.hpp"

namespace gatehouse::store {

// A page of the user table, searched by e-mail or name.
struct UserSearch {
  // Matched as a substring of the e-mail or of the name, case-insensitively (ASCII); empty: all.
  std::string text;
  std::size_t offset = 0;
  std::size_t limit = 20;
};

struct UserPage {
  std::vector<User> users;  // ordered by id
  std::size_t total = 0;    // how many users match, across every page
};

// What an administrator changes in an account; what is unset is left alone.
struct UserChange {
  std::optional<std::string> name;
  std::optional<std::string> role;
  std::optional<bool> verified;
  std::optional<bool> disabled;
  std::optional<std::int64_t> actor_id;  // the acting admin (stored with a disabling)
  SysTime now;
};

// What a change writes besides the fields, decided on the account as it is (ChangeDecision).
struct ChangePlan {
  std::vector<AuditEvent> events;  // written with the change, user_id filled in by the store
  bool end_sessions = false;       // revoke every live session of the account
  std::string revoke_reason;       // stored with each revoked session
};

// Judges a change inside its transaction: `before` is the account as it is, locked;
// `active_admins` the accounts with role "admin" that are not disabled, counted with their rows
// locked, so two admins demoting each other at once cannot leave none. An error refuses the
// change (nothing is written) and is returned as is.
using ChangeDecision =
    std::function<Result<ChangePlan>(const User& before, std::size_t active_admins)>;

// The writes of administration. Thread-safe and blocking, like every store; failures to reach the
// database are ErrorCode::kUnavailable.
class AdminStore {
 public:
  virtual ~AdminStore() = default;

  virtual Result<UserPage> search_users(const UserSearch& search) = 0;
  // Applies `change` to user `user_id` in one transaction with what `decide` plans; the account
  // afterwards and how many sessions ended. kUserGone when there is no such user.
  virtual Result<UpdatedAccount> change_user(std::int64_t user_id, const UserChange& change,
                                             const ChangeDecision& decide) = 0;
  // Deletes user `user_id` (its sessions, tokens and disabled mark go with it; its audit events
  // stay) in one transaction with the events `decide` plans; the account as it was. kUserGone
  // when there is no such user.
  virtual Result<User> delete_user(std::int64_t user_id, const ChangeDecision& decide) = 0;
};

}  // namespace gatehouse::store
