#include "auth/login_throttle.hpp"

#include <gtest/gtest.h>

#include "core/clock.hpp"
#include "store/migrations.hpp"
#include "store/store_factory.hpp"
#include "test_support.hpp"

namespace gatehouse::auth::throttle_policy {
namespace {

using std::chrono::seconds;
constexpr std::int64_t kNow = 1'700'000'000;

config::RateLimitSettings limits() {
  config::RateLimitSettings l;
  l.login_free_failures = 5;
  l.login_base_delay = seconds(1);
  l.login_max_delay = seconds(60);
  l.login_failures_per_hour = 100;
  return l;
}

TEST(ThrottlePolicy, FirstFailuresAreFreeThenTheDelayDoublesUpToTheCap) {
  store::ThrottleRecord r;
  for (int i = 0; i < 4; ++i) {
    account_failure(r, kNow, limits());
    EXPECT_FALSE(retry_after(r, kNow)) << "failure " << i + 1;
  }
  std::int64_t t = kNow;
  const std::int64_t expected[] = {1, 2, 4, 8, 16, 32, 60, 60};
  for (std::int64_t want : expected) {
    account_failure(r, t, limits());
    ASSERT_TRUE(retry_after(r, t));
    EXPECT_EQ(retry_after(r, t)->count(), want);
    t = r.blocked_until;  // the next attempt comes once allowed
    EXPECT_FALSE(retry_after(r, t));
  }
}

TEST(ThrottlePolicy, AnIpv6ClientIsCountedByItsSlash64) {
  using throttle_policy::address_bucket;
  EXPECT_EQ(address_bucket("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
  EXPECT_EQ(address_bucket("2001:db8:1:2:ffff:ffff:ffff:ffff"), "2001:db8:1:2::/64");
  EXPECT_NE(address_bucket("2001:db8:1:3::1"), address_bucket("2001:db8:1:2::1"));
  EXPECT_EQ(address_bucket("1.2.3.4"), "1.2.3.4");
  EXPECT_EQ(address_bucket("1.2.3.5"), "1.2.3.5");
}

TEST(ThrottlePolicy, SuccessResetsTheRunButNotTheHour) {
  store::ThrottleRecord r;
  for (int i = 0; i < 7; ++i) account_failure(r, kNow, limits());
  EXPECT_TRUE(retry_after(r, kNow));
  account_success(r);
  EXPECT_FALSE(retry_after(r, kNow));
  EXPECT_EQ(r.consecutive, 0);
  EXPECT_EQ(r.window_count, 7);
}

TEST(ThrottlePolicy, AtMostAHundredFailuresAnHourThenWaitForTheWindow) {
  auto l = limits();
  l.login_free_failures = 1000;  // isolate the hourly cap
  store::ThrottleRecord r;
  for (int i = 0; i < 99; ++i) account_failure(r, kNow + i, l);
  EXPECT_FALSE(retry_after(r, kNow + 99));
  account_failure(r, kNow + 99, l);
  ASSERT_TRUE(retry_after(r, kNow + 99));
  EXPECT_EQ(retry_after(r, kNow + 99)->count(), 3600 - 99);
  EXPECT_FALSE(retry_after(r, kNow + 3600)) << "never permanent";
  account_failure(r, kNow + 3600, l);
  EXPECT_EQ(r.window_count, 1) << "a new window";
}

TEST(ThrottlePolicy, CountInWindowBlocksForTheRestOfTheHour) {
  store::ThrottleRecord r;
  count_in_window(r, kNow, 3);
  count_in_window(r, kNow + 10, 3);
  EXPECT_FALSE(retry_after(r, kNow + 10));
  count_in_window(r, kNow + 20, 3);
  ASSERT_TRUE(retry_after(r, kNow + 20));
  EXPECT_EQ(retry_after(r, kNow + 20)->count(), 3580);
}

}  // namespace
}  // namespace gatehouse::auth::throttle_policy

namespace gatehouse::auth {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// The throttle as the server runs it: a real SQLite store and a clock the test moves.
class LoginThrottleClockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config::DatabaseSettings database;
    database.sqlite_path = (dir_.path() / "t.db").string();
    auto opened = store::open_store(database, 2);
    ASSERT_TRUE(opened) << opened.error().internal;
    store::Migrator migrator(*opened->migrations, store::embedded_migrations("sqlite"), "api_");
    ASSERT_TRUE(migrator.up());
    store_ = std::move(opened->store);
  }

  config::RateLimitSettings limits() const {
    config::RateLimitSettings l;
    l.login_free_failures = 1;
    l.login_base_delay = seconds(1);
    l.login_max_delay = seconds(60);
    return l;
  }

  gatehouse::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
};

// A failure in the last millisecond of a second starts a delay that still lasts a whole second:
// stored times are whole seconds, so the start is rounded up, never truncated.
TEST_F(LoginThrottleClockTest, ADelayStartedAtTheEndOfASecondLastsItsFullLength) {
  ManualClock clock(from_unix_seconds(1'700'000'010) + milliseconds(999));
  LoginThrottle throttle(*store_, clock, limits());
  ASSERT_TRUE(throttle.login_failed("a@example.com", "192.0.2.1"));  // 10.999 s: 1 s delay
  for (int ms : {2, 500, 999}) {
    clock.set(from_unix_seconds(1'700'000'011) + milliseconds(ms));
    auto blocked = throttle.check_login("a@example.com", "192.0.2.1");
    ASSERT_TRUE(blocked);
    ASSERT_TRUE(blocked->has_value()) << "free again " << ms + 2 << " ms after the failure";
    EXPECT_GE(**blocked, seconds(1));
  }
  clock.set(from_unix_seconds(1'700'000'012));  // a full second (and a millisecond) later
  auto blocked = throttle.check_login("a@example.com", "192.0.2.1");
  ASSERT_TRUE(blocked);
  EXPECT_FALSE(blocked->has_value());
}

}  // namespace
}  // namespace gatehouse::auth
