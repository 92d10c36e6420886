#include "auth/login_throttle.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "store_test_support.hpp"
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

TEST(ThrottlePolicy, TakeBackUndoesOneCountInItsOwnWindowOnly) {
  store::ThrottleRecord r;
  count_in_window(r, kNow, 2);
  count_in_window(r, kNow + 1, 2);
  ASSERT_TRUE(retry_after(r, kNow + 1)) << "the second count reached the cap";
  take_back(r, kNow, 2);
  EXPECT_EQ(r.window_count, 1);
  EXPECT_FALSE(retry_after(r, kNow + 1)) << "the block the count started goes with it";
  store::ThrottleRecord later;
  count_in_window(later, kNow + 4000, 2);
  take_back(later, kNow, 2);  // counted in a window that is over
  EXPECT_EQ(later.window_count, 1);
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

TEST(ThrottlePolicy, MailToOneAddressIsSpacedAndCappedPerHour) {
  store::ThrottleRecord r;
  count_spaced(r, kNow, 3, std::chrono::seconds(60));
  ASSERT_TRUE(retry_after(r, kNow + 1));
  EXPECT_EQ(retry_after(r, kNow + 1)->count(), 59) << "the interval";
  EXPECT_FALSE(retry_after(r, kNow + 60));
  count_spaced(r, kNow + 60, 3, std::chrono::seconds(60));
  count_spaced(r, kNow + 120, 3, std::chrono::seconds(60));
  ASSERT_TRUE(retry_after(r, kNow + 180));
  EXPECT_EQ(retry_after(r, kNow + 180)->count(), 3600 - 180) << "the hourly cap";
  store::ThrottleRecord no_interval;
  count_spaced(no_interval, kNow, 3, std::chrono::seconds(0));
  EXPECT_FALSE(retry_after(no_interval, kNow));
  EXPECT_FALSE(retry_after(no_interval, kNow - 1)) << "counted at a second rounded up";
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
    store_ = store::testing::migrated_sqlite_store(dir_.path() / "t.db");
    ASSERT_NE(store_, nullptr);
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
  auto first = throttle.begin_login("a@example.com", "192.0.2.1", std::nullopt);  // 10.999 s
  ASSERT_TRUE(first);
  ASSERT_TRUE(std::holds_alternative<LoginAttempt>(*first));  // a wrong password: nothing more
  for (int ms : {2, 500, 999}) {
    clock.set(from_unix_seconds(1'700'000'011) + milliseconds(ms));
    auto next = throttle.begin_login("a@example.com", "192.0.2.1", std::nullopt);
    ASSERT_TRUE(next);
    ASSERT_TRUE(std::holds_alternative<seconds>(*next)) << "free again " << ms + 2 << " ms after";
    EXPECT_GE(std::get<seconds>(*next), seconds(1));
  }
  clock.set(from_unix_seconds(1'700'000'012));  // a full second (and a millisecond) later
  auto next = throttle.begin_login("a@example.com", "192.0.2.1", std::nullopt);
  ASSERT_TRUE(next);
  EXPECT_TRUE(std::holds_alternative<LoginAttempt>(*next));
}

// The check and the count are one step: of N concurrent attempts against an account whose next
// failure starts a delay, one goes on to the password check and the others wait.
TEST_F(LoginThrottleClockTest, ConcurrentAttemptsPastTheFreeFailuresLetOneThrough) {
  ManualClock clock(from_unix_seconds(1'700'000'000));
  auto l = limits();
  l.login_free_failures = 3;
  LoginThrottle throttle(*store_, clock, l);
  for (int i = 0; i < 2; ++i) {  // two failures: the third attempt starts the delay
    auto a = throttle.begin_login("race@example.com", "192.0.2.1", std::nullopt);
    ASSERT_TRUE(a && std::holds_alternative<LoginAttempt>(*a));
  }
  constexpr int kThreads = 8;
  std::atomic<int> through{0};
  std::atomic<int> waiting{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      auto a = throttle.begin_login("race@example.com", "192.0.2.1", std::nullopt);
      ASSERT_TRUE(a) << a.error().internal;
      (std::holds_alternative<LoginAttempt>(*a) ? through : waiting).fetch_add(1);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(through.load(), 1);
  EXPECT_EQ(waiting.load(), kThreads - 1);
}

// A right password takes its count back: successful logins never add up to a block, neither on
// the account nor on the address.
TEST_F(LoginThrottleClockTest, ASuccessTakesItsCountBack) {
  ManualClock clock(from_unix_seconds(1'700'000'000));
  auto l = limits();
  l.login_free_failures = 2;
  l.login_failures_per_hour = 3;
  l.ip_failed_logins_per_hour = 3;
  LoginThrottle throttle(*store_, clock, l);
  for (int i = 0; i < 10; ++i) {
    auto a = throttle.begin_login("ok@example.com", "192.0.2.9", std::nullopt);
    ASSERT_TRUE(a);
    ASSERT_TRUE(std::holds_alternative<LoginAttempt>(*a)) << "login " << i << " refused";
    ASSERT_TRUE(throttle.login_succeeded(std::get<LoginAttempt>(*a)));
  }
  auto record = store_->get_throttle(
      std::get<LoginAttempt>(*throttle.begin_login("ok@example.com", "192.0.2.9", std::nullopt))
          .limited_key);
  ASSERT_TRUE(record && *record);
  EXPECT_EQ((*record)->window_count, 1) << "only the attempt still open counts";
}

// Device cookies: failures from elsewhere delay the account for unknown devices only; a known
// device is limited on its own counter.
TEST_F(LoginThrottleClockTest, AKnownDeviceHasItsOwnCounter) {
  ManualClock clock(from_unix_seconds(1'700'000'000));
  auto l = limits();
  l.login_free_failures = 2;
  l.login_max_delay = seconds(900);
  LoginThrottle throttle(*store_, clock, l);
  for (int i = 0; i < 3; ++i) {  // an attacker, from several addresses
    (void)throttle.begin_login("owner@example.com", "203.0.113." + std::to_string(i), std::nullopt);
  }
  auto attacker = throttle.begin_login("owner@example.com", "203.0.113.9", std::nullopt);
  ASSERT_TRUE(attacker);
  EXPECT_TRUE(std::holds_alternative<seconds>(*attacker)) << "unknown devices wait";
  auto owner = throttle.begin_login("owner@example.com", "198.51.100.1", "device-of-the-owner");
  ASSERT_TRUE(owner);
  ASSERT_TRUE(std::holds_alternative<LoginAttempt>(*owner)) << "the owner's device goes on";
  EXPECT_TRUE(std::get<LoginAttempt>(*owner).known_device);
  // A stolen device cookie used for guessing is limited too, on its own counter.
  for (int i = 0; i < 2; ++i) {
    (void)throttle.begin_login("owner@example.com", "198.51.100.1", "device-of-the-owner");
  }
  auto again = throttle.begin_login("owner@example.com", "198.51.100.1", "device-of-the-owner");
  ASSERT_TRUE(again);
  EXPECT_TRUE(std::holds_alternative<seconds>(*again));
  auto other = throttle.begin_login("owner@example.com", "198.51.100.2", "another-device");
  ASSERT_TRUE(other);
  EXPECT_TRUE(std::holds_alternative<LoginAttempt>(*other));
}

// An attempt says which blocks its count started (the audit trail's lockout events): none while
// failures are free, the account's when its delay begins, the address's when its hourly cap is
// reached; attempts after that are refused and start nothing.
TEST_F(LoginThrottleClockTest, AnAttemptSaysWhichBlocksItsCountStarted) {
  ManualClock clock(from_unix_seconds(1'700'000'000));
  auto l = limits();
  l.login_free_failures = 2;
  l.login_base_delay = seconds(4);
  l.ip_failed_logins_per_hour = 3;
  LoginThrottle throttle(*store_, clock, l);
  auto first = throttle.begin_login("a@example.com", "192.0.2.1", std::nullopt);
  ASSERT_TRUE(first && std::holds_alternative<LoginAttempt>(*first));
  EXPECT_FALSE(std::get<LoginAttempt>(*first).limited_block) << "the first failure is free";
  EXPECT_FALSE(std::get<LoginAttempt>(*first).ip_block);

  auto second = throttle.begin_login("a@example.com", "192.0.2.1", std::nullopt);
  ASSERT_TRUE(second && std::holds_alternative<LoginAttempt>(*second));
  EXPECT_EQ(std::get<LoginAttempt>(*second).limited_block, seconds(4)) << "the second starts one";
  EXPECT_FALSE(std::get<LoginAttempt>(*second).ip_block);

  clock.advance(seconds(10));
  auto third = throttle.begin_login("b@example.com", "192.0.2.1", std::nullopt);
  ASSERT_TRUE(third && std::holds_alternative<LoginAttempt>(*third));
  EXPECT_FALSE(std::get<LoginAttempt>(*third).limited_block) << "b's first failure is free";
  ASSERT_TRUE(std::get<LoginAttempt>(*third).ip_block) << "the address's third in the hour";
  EXPECT_GT(*std::get<LoginAttempt>(*third).ip_block, seconds(3000));

  auto refused = throttle.begin_login("c@example.com", "192.0.2.1", std::nullopt);
  ASSERT_TRUE(refused);
  EXPECT_TRUE(std::holds_alternative<seconds>(*refused));
}

}  // namespace
}  // namespace gatehouse::auth
