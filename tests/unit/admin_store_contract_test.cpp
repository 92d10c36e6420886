// The store's contract for administration: accounts searched by e-mail or name and paged with
// their total; a change or a deletion decided inside its transaction on the account as it is (and
// the count of active admins), committed with its audit events and the end of the account's
// sessions, or not at all. Run on every backend like store_contract_test.cpp.

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "store_contract_fixture.hpp"
#include "store_test_support.hpp"

namespace gatehouse::store {
namespace {

using std::chrono::minutes;
using testing::kT0;
using testing::make_session;
using testing::make_user;

class AdminStoreContractTest : public testing::StoreContractFixture {
 protected:
  User create_named(const std::string& email, const std::string& name,
                    const std::string& role = "user") {
    NewUser row = make_user(email);
    row.name = name;
    row.role = role;
    auto user = store_->create_user(row);
    EXPECT_TRUE(user) << user.error().internal;
    return user ? *user : User{};
  }
  std::vector<std::string> emails(const UserSearch& search, std::size_t* total = nullptr) {
    auto page = store_->search_users(search);
    EXPECT_TRUE(page) << page.error().internal;
    std::vector<std::string> out;
    if (!page) return out;
    if (total != nullptr) *total = page->total;
    for (const User& u : page->users) out.push_back(u.email);
    return out;
  }
  // A decision that plans `plan` and remembers what it was shown.
  ChangeDecision planning(ChangePlan plan) {
    return [this, plan](const User& before, std::size_t admins) -> Result<ChangePlan> {
      seen_ = before;
      seen_admins_ = admins;
      return plan;
    };
  }
  std::size_t live_sessions(std::int64_t user_id) {
    auto sessions = store_->list_sessions(user_id, kT0 + minutes(1));
    EXPECT_TRUE(sessions);
    return sessions ? sessions->size() : 0;
  }
  std::size_t events_of(std::int64_t user_id) {
    auto found = store_->find_events({.user_id = user_id});
    EXPECT_TRUE(found);
    return found ? found->size() : 0;
  }

  User seen_;
  std::size_t seen_admins_ = 0;
};

INSTANTIATE_TEST_SUITE_P(Backends, AdminStoreContractTest,
                         ::testing::ValuesIn(testing::all_backends()), testing::backend_test_name);

TEST_P(AdminStoreContractTest, SearchMatchesEmailOrNameAnyCaseAndPagesWithTheTotal) {
  create_named("alice@example.com", "Alice Liddell");
  create_named("bob@example.com", "Bob 100%_sure");
  create_named("carol@example.org", "Carol");
  std::size_t total = 0;
  EXPECT_EQ(emails({.text = "ALICE"}, &total), (std::vector<std::string>{"alice@example.com"}));
  EXPECT_EQ(total, 1u);
  EXPECT_EQ(emails({.text = "liddell"}), (std::vector<std::string>{"alice@example.com"}));
  EXPECT_EQ(emails({.text = "example.com"}, &total),
            (std::vector<std::string>{"alice@example.com", "bob@example.com"}));
  // LIKE's wildcards and its escape character are matched as themselves.
  EXPECT_EQ(emails({.text = "%_"}), (std::vector<std::string>{"bob@example.com"}));
  EXPECT_TRUE(emails({.text = "_x"}).empty());
  EXPECT_TRUE(emails({.text = "!"}).empty());
  // Pages by id; the total counts every match.
  EXPECT_EQ(emails({.text = "", .offset = 1, .limit = 1}, &total),
            (std::vector<std::string>{"bob@example.com"}));
  EXPECT_EQ(total, 3u);
  EXPECT_TRUE(emails({.text = "", .offset = 3, .limit = 10}, &total).empty());
  EXPECT_EQ(total, 3u);
}

TEST_P(AdminStoreContractTest, AChangeCommitsWithItsEventsAndEndsTheSessionsItPlans) {
  const User alice = create_named("alice@example.com", "Alice");
  ASSERT_TRUE(store_->create_session(make_session(alice.id, "sid-1", "hash-1")));
  ASSERT_TRUE(store_->create_session(make_session(alice.id, "sid-2", "hash-2")));
  ASSERT_EQ(live_sessions(alice.id), 2u);

  ChangePlan plan;
  plan.events.push_back(AuditEvent{.at = kT0, .event = "account_disabled", .actor_id = 42});
  plan.end_sessions = true;
  plan.revoke_reason = "account_disabled";
  UserChange change{.name = "Alice B",
                    .role = "admin",
                    .disabled = true,
                    .actor_id = 42,
                    .now = kT0 + minutes(1)};
  auto changed = store_->change_user(alice.id, change, planning(plan));
  ASSERT_TRUE(changed) << changed.error().internal;
  EXPECT_EQ(seen_.email, "alice@example.com");  // the decision saw the account as it was
  EXPECT_FALSE(seen_.disabled());
  EXPECT_EQ(seen_admins_, 0u);
  EXPECT_EQ(changed->sessions_ended, 2u);
  EXPECT_EQ(changed->user.name, "Alice B");
  EXPECT_EQ(changed->user.role, "admin");
  ASSERT_TRUE(changed->user.disabled_at);
  EXPECT_EQ(*changed->user.disabled_at, kT0 + minutes(1));
  EXPECT_EQ(live_sessions(alice.id), 0u);
  auto events = store_->find_events({.user_id = alice.id});
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ(events->front().actor_id, 42);
  // Read back by every lookup, disabled.
  auto by_email = store_->find_user_by_email("alice@example.com");
  ASSERT_TRUE(by_email && *by_email);
  EXPECT_TRUE((*by_email)->disabled());
  auto by_id = store_->find_user_by_id(alice.id);
  ASSERT_TRUE(by_id && *by_id);
  EXPECT_TRUE((*by_id)->disabled());

  // A disabled admin is not an active one; enabling clears the mark.
  auto enabled =
      store_->change_user(alice.id, {.disabled = false, .now = kT0 + minutes(2)}, planning({}));
  ASSERT_TRUE(enabled) << enabled.error().internal;
  EXPECT_EQ(seen_admins_, 0u);
  EXPECT_FALSE(enabled->user.disabled());
  EXPECT_EQ(enabled->sessions_ended, 0u);
  ASSERT_TRUE(store_->change_user(alice.id, {.now = kT0 + minutes(3)}, planning({})));
  EXPECT_EQ(seen_admins_, 1u);
}

TEST_P(AdminStoreContractTest, ARefusedDecisionOrAnUnknownIdChangesNothing) {
  const User alice = create_named("alice@example.com", "Alice", "admin");
  ASSERT_TRUE(store_->create_session(make_session(alice.id, "sid-1", "hash-1")));
  const ChangeDecision refuse = [](const User&, std::size_t) -> Result<ChangePlan> {
    return Error{ErrorCode::kLastAdmin, "the last admin"};
  };
  auto refused = store_->change_user(
      alice.id, {.role = "user", .disabled = true, .now = kT0 + minutes(1)}, refuse);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kLastAdmin);
  auto deleted = store_->delete_user(alice.id, refuse);
  ASSERT_FALSE(deleted);
  EXPECT_EQ(deleted.error().code, ErrorCode::kLastAdmin);
  auto still = store_->find_user_by_id(alice.id);
  ASSERT_TRUE(still && *still);
  EXPECT_EQ((*still)->role, "admin");
  EXPECT_FALSE((*still)->disabled());
  EXPECT_EQ(live_sessions(alice.id), 1u);
  EXPECT_EQ(events_of(alice.id), 0u);

  EXPECT_EQ(store_->change_user(9999, {.now = kT0}, planning({})).error().code,
            ErrorCode::kUserGone);
  EXPECT_EQ(store_->delete_user(9999, planning({})).error().code, ErrorCode::kUserGone);
}

TEST_P(AdminStoreContractTest, ADeletionTakesTheSessionsAndTheMarkAndKeepsTheEvents) {
  const User root = create_named("root@example.com", "Root", "admin");
  const User alice = create_named("alice@example.com", "Alice", "admin");
  ASSERT_TRUE(store_->create_session(make_session(alice.id, "sid-1", "hash-1")));
  ASSERT_TRUE(store_->change_user(alice.id, {.disabled = true, .now = kT0}, planning({})));
  ChangePlan plan;
  plan.events.push_back(AuditEvent{.at = kT0, .event = "user_deleted", .actor_id = root.id});
  auto removed = store_->delete_user(alice.id, planning(plan));
  ASSERT_TRUE(removed) << removed.error().internal;
  EXPECT_EQ(removed->email, "alice@example.com");
  EXPECT_EQ(seen_admins_, 1u);  // root; alice is disabled
  auto gone = store_->find_user_by_id(alice.id);
  ASSERT_TRUE(gone);
  EXPECT_FALSE(*gone);
  EXPECT_EQ(live_sessions(alice.id), 0u);
  EXPECT_EQ(events_of(alice.id), 1u);
  // The address is free again, and a new account there is not disabled.
  const User again = create_named("alice@example.com", "Alice again");
  EXPECT_FALSE(again.disabled());
}

}  // namespace
}  // namespace gatehouse::store
