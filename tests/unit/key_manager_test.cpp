// Managed signing keys: the schedule as a pure function, and the KeyManager on a real (SQLite)
// store with an injected clock, two managers standing for two server processes.
#include "keys/key_manager.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sodium.h>

#include <algorithm>

#include "keys/key_schedule.hpp"
#include "store_test_support.hpp"
#include "test_support.hpp"

namespace gatehouse::keys {
namespace {

using std::chrono::seconds;
using ::testing::HasSubstr;

const SysTime kT0 = from_unix_seconds(1'700'000'000);
// 300 s JWKS cache + 2 × 30 s polls + 5 s leeway; 15 min tokens; rotation every 90 days.
const KeySchedule kSchedule =
    make_schedule(seconds(300), seconds(30), seconds(5), seconds(900), seconds(90 * 86400));

TEST(KeySchedule, PublishAheadAndKeepAfterCoverCachesPollsAndSkew) {
  EXPECT_EQ(kSchedule.publish_ahead, seconds(365));
  EXPECT_EQ(kSchedule.keep_after, seconds(965));
}

TEST(KeySchedule, StatesFollowTheTimesOfTheRows) {
  EXPECT_FALSE(plan_keys({}, kT0, kSchedule).active);
  // Key 1 signs from kT0; key 2 was added at kT0 + 1 h and signs 365 s later.
  const SysTime second_starts = kT0 + std::chrono::hours(1) + seconds(365);
  const std::vector<ScheduledKey> keys{{1, kT0}, {2, second_starts}};
  auto at = [&](SysTime now) { return plan_keys(keys, now, kSchedule); };

  auto before = at(second_starts - seconds(1));
  EXPECT_EQ(before.active, 0u);
  EXPECT_EQ(before.states, (std::vector<KeyState>{KeyState::kActive, KeyState::kNext}));
  EXPECT_FALSE(before.rotation_due);  // a next key is waiting

  auto switched = at(second_starts);
  EXPECT_EQ(switched.active, 1u);
  EXPECT_EQ(switched.states, (std::vector<KeyState>{KeyState::kPrevious, KeyState::kActive}));
  EXPECT_EQ(switched.verifies_until[0], second_starts + seconds(965));

  EXPECT_EQ(at(second_starts + seconds(964)).states[0], KeyState::kPrevious);
  EXPECT_EQ(at(second_starts + seconds(965)).states[0], KeyState::kExpired);

  EXPECT_FALSE(at(second_starts + seconds(90 * 86400 - 1)).rotation_due);
  EXPECT_TRUE(at(second_starts + seconds(90 * 86400)).rotation_due);
}

TEST(KeySchedule, ASetWhoseKeysAllStartLaterStillHasASigner) {
  const auto plan = plan_keys({{1, kT0 + seconds(10)}, {2, kT0 + seconds(20)}}, kT0, kSchedule);
  EXPECT_EQ(plan.active, 0u);
  EXPECT_EQ(plan.states[1], KeyState::kNext);
}

class KeyManagerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_GE(sodium_init(), 0); }
  void SetUp() override {
    store_ = store::testing::migrated_sqlite_store(dir_.path() / "keys.db");
    ASSERT_NE(store_, nullptr);
  }
  std::unique_ptr<KeyManager> manager(std::string_view secret = kSecret) {
    return std::make_unique<KeyManager>(
        *store_, clock_, secret,
        ManagedKeySettings{.algorithm = auth::JwsAlgorithm::kES256, .schedule = kSchedule});
  }

  static constexpr std::string_view kSecret = "a-secret-of-at-least-32-characters!!";
  gatehouse::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  ManualClock clock_{kT0};
};

// Two processes on one database: a rotation on one is published by both before either signs
// with it, both switch at the same moment, and the old key keeps verifying, then is dropped.
TEST_F(KeyManagerTest, TwoProcessesFollowOneRotation) {
  auto a = manager();
  auto b = manager();
  auto first = a->load(std::nullopt);
  ASSERT_TRUE(first) << first.error().internal;
  auto same = b->load(std::nullopt);
  ASSERT_TRUE(same) << same.error().internal;
  const std::string k1 = (*first)->signing_kid();
  EXPECT_EQ((*same)->signing_kid(), k1);  // b found a's key and made none
  EXPECT_EQ(store_->list_signing_keys()->size(), 1u);
  const std::string old_token = (*first)->sign(R"({"sub":"1"})");

  clock_.advance(std::chrono::hours(1));
  auto added = b->rotate();
  ASSERT_TRUE(added) << added.error().internal;
  const std::string k2 = added->kid;
  EXPECT_TRUE(added->private_sealed.empty());
  EXPECT_GE(added->signs_from, clock_.now() + kSchedule.publish_ahead);
  EXPECT_THAT(b->rotate().error().internal, HasSubstr("already waiting"));

  // The next poll: both publish k2, both still sign with k1.
  for (auto* m : {a.get(), b.get()}) {
    auto set = m->refresh();
    ASSERT_TRUE(set) << set.error().internal;
    EXPECT_EQ((*set)->signing_kid(), k1);
    EXPECT_EQ((*set)->kids(), (std::vector<std::string>{k1, k2}));
  }
  clock_.set(added->signs_from);
  for (auto* m : {a.get(), b.get()}) {
    auto set = m->refresh();
    ASSERT_TRUE(set) << set.error().internal;
    EXPECT_EQ((*set)->signing_kid(), k2);
    EXPECT_EQ((*set)->kids(), (std::vector<std::string>{k2, k1}));
    EXPECT_TRUE((*set)->verify(old_token).ok());
  }
  clock_.advance(kSchedule.keep_after);
  auto after = a->refresh();
  ASSERT_TRUE(after) << after.error().internal;
  EXPECT_EQ((*after)->kids(), (std::vector<std::string>{k2}));
  EXPECT_FALSE((*after)->verify(old_token).ok());
  EXPECT_EQ(store_->list_signing_keys()->size(), 1u);  // dropped from the database too
  const auto listed = b->list();
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].state, KeyState::kActive);
}

TEST_F(KeyManagerTest, RotatesByItselfWhenTheIntervalHasPassed) {
  // JWT_KEY_ROTATION_DAYS becomes KeySchedule::rotation_interval (server_app.cpp), here 90 days on
  // the injected clock: one second short adds nothing, the interval adds the next key.
  auto m = manager();
  ASSERT_TRUE(m->load(std::nullopt));
  clock_.advance(kSchedule.rotation_interval - seconds(1));
  ASSERT_TRUE(m->refresh());
  EXPECT_EQ(store_->list_signing_keys()->size(), 1u);
  clock_.advance(seconds(1));
  auto set = m->refresh();
  ASSERT_TRUE(set) << set.error().internal;
  EXPECT_EQ((*set)->kids().size(), 2u);  // published as next
  EXPECT_EQ(store_->list_signing_keys()->size(), 2u);
}

TEST_F(KeyManagerTest, PrivateKeysAreSealedAndTheSecretIsChecked) {
  ASSERT_TRUE(manager()->load(std::nullopt));
  const auto rows = store_->list_signing_keys();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].private_sealed.find("PRIVATE"), std::string::npos);
  EXPECT_EQ((*rows)[0].private_sealed.find("-----"), std::string::npos);
  auto wrong = manager("another-secret-of-at-least-32-characters")->load(std::nullopt);
  ASSERT_FALSE(wrong);
  EXPECT_THAT(wrong.error().internal, HasSubstr("KEYS_ENCRYPTION_SECRET does not open"));
}

TEST_F(KeyManagerTest, TheEnvPairIsImportedAsTheFirstKey) {
  auto pems = auth::generate_key_pair(auth::JwsAlgorithm::kRS256);
  ASSERT_TRUE(pems);
  auto pair = auth::load_key_pair(auth::JwsAlgorithm::kRS256, pems->private_pem, pems->public_pem);
  ASSERT_TRUE(pair);
  auto static_set = KeySet::create(*pair, {});
  ASSERT_TRUE(static_set);
  auto set = manager()->load(*pair);
  ASSERT_TRUE(set) << set.error().internal;
  EXPECT_EQ((*set)->signing_kid(), (*static_set)->signing_kid());
  EXPECT_EQ((*set)->signing_algorithm(), auth::JwsAlgorithm::kRS256);
}

}  // namespace
}  // namespace gatehouse::keys
