// The store's contract for the audit trail: events kept with every field, read newest first by
// user or by an operator's filters, paged, and deleted past their retention; run on every backend
// like store_contract_test.cpp.

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "store_contract_fixture.hpp"
#include "store_test_support.hpp"

namespace gatehouse::store {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using testing::kT0;
using testing::make_rotation;
using testing::make_session;
using testing::make_user;

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

  Result<RotateResult> rotate(const RotateRequest& request) {
    return testing::rotate(*store_, request);
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

// Events that record a change are written by the method that makes it, in its transaction: with
// the change, or not at all.
TEST_P(AuditStoreContractTest, EventsCommitWithTheChangeTheyRecordAndOnlyThen) {
  NewUser alice_row = make_user("alice@example.com");
  alice_row.events.push_back(AuditEvent{.at = kT0, .event = "register"});
  auto alice = store_->create_user(alice_row);
  ASSERT_TRUE(alice) << alice.error().internal;
  auto registered = store_->find_events({.user_id = alice->id});
  ASSERT_TRUE(registered);
  ASSERT_EQ(registered->size(), 1u);
  EXPECT_EQ(registered->front().user_id, alice->id) << "the new user's id is filled in";
  // A registration refused for a taken address writes nothing.
  EXPECT_EQ(store_->create_user(alice_row).error().code, ErrorCode::kAccountExists);
  EXPECT_EQ(names({}), (std::vector<std::string>{"register"}));

  NewSession login = make_session(alice->id, "sid-a", "hash-1");
  login.events.push_back(
      AuditEvent{.at = kT0, .event = "login", .user_id = alice->id, .session_id = "sid-a"});
  ASSERT_TRUE(store_->create_session(login));
  NewSession gone = make_session(9999, "sid-x", "hash-x");  // no such user: nothing written
  gone.events.push_back(AuditEvent{.at = kT0, .event = "login", .user_id = 9999});
  EXPECT_FALSE(store_->create_session(gone));
  EXPECT_EQ(names({}), (std::vector<std::string>{"login", "register"}));

  // A retired token presented again ends the session; the event names its user and session.
  ASSERT_EQ(rotate(make_rotation("hash-1", "hash-2", kT0 + minutes(1)))->outcome,
            RotateOutcome::kRotated);
  RotateRequest replay = make_rotation("hash-1", "hash-3", kT0 + minutes(2));
  replay.reuse_events.push_back(
      AuditEvent{.at = kT0 + minutes(2), .event = "refresh_reuse_detected", .ip = "203.0.113.9"});
  ASSERT_EQ(rotate(replay)->outcome, RotateOutcome::kReused);
  auto reuse = store_->find_events({.event = "refresh_reuse_detected"});
  ASSERT_TRUE(reuse);
  ASSERT_EQ(reuse->size(), 1u);
  EXPECT_EQ(reuse->front().user_id, alice->id);
  EXPECT_EQ(reuse->front().session_id, "sid-a");
  EXPECT_EQ(reuse->front().ip, "203.0.113.9");
  // A rotation that ends otherwise (here: the session is revoked now) writes none.
  ASSERT_EQ(rotate(replay)->outcome, RotateOutcome::kRevoked);
  EXPECT_EQ(names({.event = "refresh_reuse_detected"}).size(), 1u);

  // Revocations: an event only when a session ended, except a logout of the others (a logout
  // even when there were none).
  const auto ended = [&](std::string what) {
    return Revocation{.now = kT0 + minutes(3),
                      .reason = "logout",
                      .events = {AuditEvent{
                          .at = kT0 + minutes(3), .event = std::move(what), .user_id = alice->id}}};
  };
  ASSERT_TRUE(store_->create_session(make_session(alice->id, "sid-b", "hash-b")));
  ASSERT_TRUE(store_->create_session(make_session(alice->id, "sid-c", "hash-c")));
  EXPECT_TRUE(store_->revoke_session("sid-a", ended("already_revoked")));
  EXPECT_FALSE(*store_->revoke_user_session(alice->id, "sid-x", ended("no_such_session")));
  EXPECT_TRUE(store_->revoke_session("sid-b", ended("logout")));
  EXPECT_TRUE(*store_->revoke_user_session(alice->id, "sid-c", ended("session_revoked")));
  EXPECT_EQ(*store_->revoke_user_sessions(alice->id, "", ended("logout_global")), 0u);
  EXPECT_EQ(names({.user_id = alice->id, .limit = 3}),
            (std::vector<std::string>{"logout_global", "session_revoked", "logout"}));

  // An account update writes its events; one refused (another account has the address) none.
  const User bob = create("bob@example.com");
  AccountUpdate update;
  update.email = "carol@example.com";
  update.events.push_back(AuditEvent{.at = kT0 + minutes(4), .event = "email_changed"});
  auto changed = store_->update_account(alice->id, update, kT0 + minutes(4));
  ASSERT_TRUE(changed) << changed.error().internal;
  AccountUpdate taken;
  taken.email = "carol@example.com";
  taken.events.push_back(AuditEvent{.at = kT0 + minutes(5), .event = "email_changed"});
  EXPECT_EQ(store_->update_account(bob.id, taken, kT0 + minutes(5)).error().code,
            ErrorCode::kAccountExists);
  auto changes = store_->find_events({.event = "email_changed"});
  ASSERT_TRUE(changes);
  ASSERT_EQ(changes->size(), 1u);
  EXPECT_EQ(changes->front().user_id, alice->id) << "the account's id is filled in";
}

}  // namespace
}  // namespace gatehouse::store
