// The store's contract for the audit trail: events kept with every field, read newest first by
// user or by an operator's filters, paged, and deleted past their retention; run on every backend
// like store_contract_test.cpp.

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "store_contract_fixture.hpp"

namespace gatehouse::store {
namespace {

using std::chrono::hours;
using std::chrono::seconds;
using testing::kT0;

class AuditStoreContractTest : public testing::StoreContractFixture {
 protected:
  AuditEvent event(std::string name, std::optional<std::int64_t> user_id, SysTime at,
                   std::string email = "a@example.com") {
    return AuditEvent{.at = at,
                      .event = std::move(name),
                      .user_id = user_id,
                      .session_id = "sid-1",
                      .email = std::move(email),
                      .ip = "192.0.2.7",
                      .user_agent = "Mozilla/5.0",
                      .detail = "wrong_password"};
  }

  std::vector<std::string> names(const AuditQuery& query) {
    auto found = store_->find_events(query);
    EXPECT_TRUE(found) << found.error().internal;
    std::vector<std::string> out;
    if (!found) return out;
    for (const AuditEvent& e : *found) out.push_back(e.event);
    return out;
  }
};

INSTANTIATE_TEST_SUITE_P(Backends, AuditStoreContractTest,
                         ::testing::ValuesIn(testing::all_backends()), testing::backend_test_name);

TEST_P(AuditStoreContractTest, AnEventKeepsEveryField) {
  AuditEvent e = event("login_failed", 7, kT0 + std::chrono::milliseconds(900));
  e.actor_id = 3;
  e.user_agent = std::string(600, 'u');  // longer than the column: clipped, not refused
  ASSERT_TRUE(store_->record_event(e));
  auto found = store_->find_events({});
  ASSERT_TRUE(found) << found.error().internal;
  ASSERT_EQ(found->size(), 1u);
  const AuditEvent& read = found->front();
  EXPECT_GT(read.id, 0);
  EXPECT_EQ(read.at, kT0) << "stored to the second";
  EXPECT_EQ(read.event, "login_failed");
  EXPECT_EQ(read.user_id, 7);
  EXPECT_EQ(read.session_id, "sid-1");
  EXPECT_EQ(read.email, "a@example.com");
  EXPECT_EQ(read.ip, "192.0.2.7");
  EXPECT_EQ(read.user_agent, std::string(512, 'u'));
  EXPECT_EQ(read.detail, "wrong_password");
  EXPECT_EQ(read.actor_id, 3);

  // Unset fields read back unset.
  ASSERT_TRUE(store_->record_event(AuditEvent{.at = kT0, .event = "lockout"}));
  auto both = store_->find_events({});
  ASSERT_TRUE(both);
  ASSERT_EQ(both->size(), 2u);
  EXPECT_EQ(both->front().event, "lockout");
  EXPECT_FALSE(both->front().user_id);
  EXPECT_FALSE(both->front().actor_id);
  EXPECT_TRUE(both->front().session_id.empty());
  EXPECT_TRUE(both->front().email.empty());
}

TEST_P(AuditStoreContractTest, EventsAreReadNewestFirstByUserOrByFiltersAndPaged) {
  ASSERT_TRUE(store_->record_event(event("register", 1, kT0, "one@example.com")));
  ASSERT_TRUE(store_->record_event(event("login", 1, kT0 + seconds(10), "one@example.com")));
  ASSERT_TRUE(store_->record_event(event("login", 2, kT0 + seconds(20), "two@example.com")));
  ASSERT_TRUE(store_->record_event(event("logout", 1, kT0 + seconds(30), "one@example.com")));
  ASSERT_TRUE(store_->record_event(
      event("login_failed", std::nullopt, kT0 + seconds(40), "x@example.com")));

  EXPECT_EQ(names({}),
            (std::vector<std::string>{"login_failed", "logout", "login", "login", "register"}));
  EXPECT_EQ(names({.user_id = 1}), (std::vector<std::string>{"logout", "login", "register"}));
  EXPECT_EQ(names({.user_id = 1, .event = "login"}), (std::vector<std::string>{"login"}));
  EXPECT_EQ(names({.event = "login"}), (std::vector<std::string>{"login", "login"}));
  EXPECT_EQ(names({.email = "x@example.com"}), (std::vector<std::string>{"login_failed"}));
  EXPECT_EQ(names({.since = kT0 + seconds(20)}),
            (std::vector<std::string>{"login_failed", "logout", "login"}));
  EXPECT_EQ(names({.user_id = 1, .since = kT0 + seconds(10)}),
            (std::vector<std::string>{"logout", "login"}));

  // Paging: a page, then the events older than its last one.
  auto first = store_->find_events({.user_id = 1, .limit = 2});
  ASSERT_TRUE(first);
  ASSERT_EQ(first->size(), 2u);
  auto next = store_->find_events({.user_id = 1, .before_id = first->back().id, .limit = 2});
  ASSERT_TRUE(next);
  ASSERT_EQ(next->size(), 1u);
  EXPECT_EQ(next->front().event, "register");
  EXPECT_EQ(names({.user_id = 3}), std::vector<std::string>{});
}

TEST_P(AuditStoreContractTest, EventsPastTheRetentionAreDeleted) {
  ASSERT_TRUE(store_->record_event(event("old", 1, kT0)));
  ASSERT_TRUE(store_->record_event(event("recent", 1, kT0 + hours(48))));
  auto deleted = store_->delete_events_before(kT0 + hours(24));
  ASSERT_TRUE(deleted) << deleted.error().internal;
  EXPECT_EQ(*deleted, 1u);
  EXPECT_EQ(names({}), (std::vector<std::string>{"recent"}));
  auto again = store_->delete_events_before(kT0 + hours(24));
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 0u);
}

}  // namespace
}  // namespace gatehouse::store
