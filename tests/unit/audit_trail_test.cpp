// The audit trail's service parts without HTTP: the event type names, the events a failed attempt
// writes (with the lockouts it started), the sweeper's retention, and the ages `gatehouse audit
// --since` reads.
#include <gtest/gtest.h>

#include <set>

#include "auth/audit_trail.hpp"
#include "auth/session_sweeper.hpp"
#include "core/time_text.hpp"
#include "store_test_support.hpp"
#include "test_support.hpp"

namespace gatehouse::auth {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

TEST(AuditEventTypes, EveryTypeHasOneNameThatParsesBack) {
  std::set<std::string_view> seen;
  for (AuditEventType type : audit_event_types()) {
    const std::string_view text = name(type);
    EXPECT_NE(text, "?");
    EXPECT_TRUE(seen.insert(text).second) << text << " twice";
    EXPECT_EQ(parse_audit_event_type(text), type) << text;
  }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(AuditEventType::kAdminLogout) + 1)
      << "a type missing from the table";
  EXPECT_FALSE(parse_audit_event_type("Login"));
  EXPECT_FALSE(parse_audit_event_type(""));
}

TEST(ParseAge, ReadsAWholeNumberAndAUnit) {
  EXPECT_EQ(parse_age("45s"), seconds(45));
  EXPECT_EQ(parse_age("90m"), seconds(5400));
  EXPECT_EQ(parse_age("24h"), hours(24));
  EXPECT_EQ(parse_age("7d"), hours(24 * 7));
  EXPECT_EQ(parse_age("0d"), seconds(0));
  for (const char* bad : {"", "d", "7", "7w", "-1d", "+1d", "1.5h", " 1h", "1h ", "99999999999d"}) {
    EXPECT_FALSE(parse_age(bad)) << bad;
  }
}

class AuditTrailTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = store::testing::migrated_sqlite_store(dir_.path() / "t.db");
    ASSERT_NE(store_, nullptr);
  }
  std::vector<store::AuditEvent> all() {
    auto found = store_->find_events({.limit = 100});
    EXPECT_TRUE(found) << found.error().internal;
    return found ? *found : std::vector<store::AuditEvent>{};
  }

  gatehouse::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  ManualClock clock_{from_unix_seconds(1'700'000'000)};
};

TEST_F(AuditTrailTest, AFailureIsWrittenWithALockoutForEachBlockItStarted) {
  AuditTrail trail(*store_, clock_);
  store::AuditEvent failure =
      trail.event(AuditEventType::kLoginFailed, {"192.0.2.1", "agent/1"}, 42);
  failure.email = "a@example.com";
  failure.detail = "wrong_password";
  trail.record_failure(failure, LoginAttempt{});
  ASSERT_EQ(all().size(), 1u) << "no block started: no lockout";

  LoginAttempt blocking;
  blocking.known_device = true;
  blocking.limited_block = seconds(4);
  blocking.ip_block = seconds(3600);
  trail.record_failure(failure, blocking);
  const auto events = all();
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].event, "lockout");
  EXPECT_EQ(events[0].detail, "address for 3600 s");
  EXPECT_EQ(events[1].event, "lockout");
  EXPECT_EQ(events[1].detail, "device for 4 s");
  EXPECT_EQ(events[2].event, "login_failed");
  for (const auto& e : events) {
    EXPECT_EQ(e.user_id, 42);
    EXPECT_EQ(e.email, "a@example.com");
    EXPECT_EQ(e.ip, "192.0.2.1");
    EXPECT_EQ(e.user_agent, "agent/1");
    EXPECT_EQ(e.at, clock_.now());
  }
}

// AUDIT_RETENTION_DAYS: the sweeper deletes older events; zero keeps them all.
TEST_F(AuditTrailTest, TheSweeperDeletesEventsPastTheirRetentionUnlessItIsZero) {
  AuditTrail trail(*store_, clock_);
  trail.record(trail.event(AuditEventType::kRegister, {"192.0.2.1", ""}, 1));
  clock_.advance(hours(24 * 2));
  trail.record(trail.event(AuditEventType::kLogin, {"192.0.2.1", ""}, 1));

  SessionSweeper keeping(*store_, clock_, seconds(600), seconds(0));
  ASSERT_TRUE(keeping.sweep_once());
  EXPECT_EQ(all().size(), 2u);

  SessionSweeper daily(*store_, clock_, seconds(600), hours(24));
  auto swept = daily.sweep_once();
  ASSERT_TRUE(swept) << swept.error().internal;
  EXPECT_EQ(*swept, 1u);
  const auto left = all();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].event, "login");
}

}  // namespace
}  // namespace gatehouse::auth
