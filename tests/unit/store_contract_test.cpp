// The store's contract: every behaviour of sql::SqlStore, written once and run on every backend in
// all_backends() (test_backend_table.hpp). What only one backend does (its options, its column
// types, its connections) is tested in that backend's own suite (sqlite_store_test.cpp,
// mysql_store_test.cpp).

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <latch>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store/sql/sql_store.hpp"
#include "store_backends.hpp"
#include "store_contract_fixture.hpp"
#include "store_test_support.hpp"
#include "test_backend_table.hpp"

namespace gatehouse::store {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

using testing::kT0;
using testing::make_graced_rotation;
using testing::make_rotation;
using testing::make_session;
using testing::make_user;
using testing::StoreSettings;
using testing::TestBackend;

class StoreContractTest : public testing::StoreContractFixture {
 protected:
  Session session_of(const std::string& hash) { return testing::session_of(*store_, hash); }
  Result<RotateResult> rotate(const RotateRequest& request) {
    return testing::rotate(*store_, request);
  }

  // Runs `requests` at once, one thread each; their results, in the same order.
  std::vector<Result<RotateResult>> rotate_at_once(const std::vector<RotateRequest>& requests) {
    std::latch start(static_cast<std::ptrdiff_t>(requests.size()));
    std::vector<Result<RotateResult>> results(requests.size(), Error{});
    std::vector<std::jthread> threads;
    for (std::size_t i = 0; i < requests.size(); ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        results[i] = rotate(requests[i]);
      });
    }
    threads.clear();  // joins
    return results;
  }

  RotateOutcome outcome_of(const RotateRequest& request) {
    auto r = rotate(request);
    EXPECT_TRUE(r) << r.error().internal;
    return r ? r->outcome : RotateOutcome::kUnknown;
  }
};

INSTANTIATE_TEST_SUITE_P(Backends, StoreContractTest, ::testing::ValuesIn(testing::all_backends()),
                         testing::backend_test_name);

// ---- users ----

TEST_P(StoreContractTest, CreateUserReturnsTheStoredRow) {
  NewUser input = make_user("alice@example.com", kT0 + milliseconds(750));
  input.photo = "alice.png";
  input.role = "admin";
  input.verified = false;
  auto created = store_->create_user(input);
  ASSERT_TRUE(created) << created.error().internal;
  EXPECT_GT(created->id, 0);
  EXPECT_EQ(created->created_at, kT0);  // stored to the second
  EXPECT_EQ(created->updated_at, kT0);
  EXPECT_EQ(backend().scalar("SELECT MAX(id) FROM api_user"), std::to_string(created->id));

  auto by_email = store_->find_user_by_email("alice@example.com");
  ASSERT_TRUE(by_email) << by_email.error().internal;
  ASSERT_TRUE(*by_email);
  auto by_id = store_->find_user_by_id(created->id);
  ASSERT_TRUE(by_id) << by_id.error().internal;
  ASSERT_TRUE(*by_id);
  for (const User& u : {**by_email, **by_id}) {
    EXPECT_EQ(u.id, created->id);
    EXPECT_EQ(u.name, "Alice");
    EXPECT_EQ(u.email, "alice@example.com");
    EXPECT_EQ(u.password_hash, input.password_hash);
    EXPECT_EQ(u.photo, std::optional<std::string>("alice.png"));
    EXPECT_FALSE(u.verified);
    EXPECT_EQ(u.role, "admin");
    EXPECT_EQ(u.created_at, kT0);
    EXPECT_EQ(u.updated_at, kT0);
  }

  auto second = store_->create_user(make_user("bob@example.com"));
  ASSERT_TRUE(second) << second.error().internal;
  EXPECT_EQ(second->id, created->id + 1);
  auto bob = store_->find_user_by_id(second->id);
  ASSERT_TRUE(bob && *bob);
  EXPECT_EQ((*bob)->photo, std::nullopt);
  EXPECT_TRUE((*bob)->verified);
  EXPECT_EQ((*bob)->role, "user");
}

TEST_P(StoreContractTest, MissingUsersAreNullopt) {
  auto by_email = store_->find_user_by_email("nobody@example.com");
  ASSERT_TRUE(by_email) << by_email.error().internal;
  EXPECT_FALSE(*by_email);
  auto by_id = store_->find_user_by_id(12345);
  ASSERT_TRUE(by_id) << by_id.error().internal;
  EXPECT_FALSE(*by_id);
}

TEST_P(StoreContractTest, DuplicateEmailIsAccountExists) {
  create("alice@example.com");
  auto again = store_->create_user(make_user("alice@example.com"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kAccountExists);
  EXPECT_NE(again.error().internal.find(backend().says_duplicate()), std::string::npos)
      << again.error().internal;
  // The failed INSERT left the statement and the connections usable, and nothing behind.
  auto other = store_->create_user(make_user("carol@example.com"));
  EXPECT_TRUE(other) << other.error().internal;
  EXPECT_EQ(backend().scalar("SELECT COUNT(*) FROM api_user"), "2");
}

TEST_P(StoreContractTest, ConcurrentDuplicateRegistrationsGiveExactlyOneAccount) {
  constexpr int kThreads = 6;
  constexpr int kRounds = 5;
  for (int round = 0; round < kRounds; ++round) {
    const std::string email = "race" + std::to_string(round) + "@example.com";
    std::latch start(kThreads);
    std::atomic<int> created{0};
    std::atomic<int> exists{0};
    std::atomic<int> other{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&] {
        start.arrive_and_wait();
        auto user = store_->create_user(make_user(email));
        if (user) {
          ++created;
        } else if (user.error().code == ErrorCode::kAccountExists) {
          ++exists;
        } else {
          ++other;
          ADD_FAILURE() << user.error().internal;
        }
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(created.load(), 1) << "round " << round;
    EXPECT_EQ(exists.load(), kThreads - 1) << "round " << round;
    EXPECT_EQ(other.load(), 0) << "round " << round;
  }
  EXPECT_EQ(backend().scalar("SELECT COUNT(*) FROM api_user"), std::to_string(kRounds));
}

TEST_P(StoreContractTest, UnicodeRoundTrips) {
  NewUser input = make_user("zoe@example.com");
  input.name = "张三 Zoë ✓ 😀 \"quoted\" 'single' back\\slash";
  input.photo = "фото/зоя.png";
  auto created = store_->create_user(input);
  ASSERT_TRUE(created) << created.error().internal;
  auto found = store_->find_user_by_id(created->id);
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->name, input.name);
  EXPECT_EQ((*found)->photo, input.photo);
  // Stored as characters, not as mis-decoded bytes: the emoji is the tenth character, of four
  // bytes, and the name is 39 characters long.
  const std::string hex_of_emoji =
      backend().dialect() == sql::Dialect::kPostgres
          ? "SELECT UPPER(ENCODE(CONVERT_TO(SUBSTR(name, 10, 1), 'UTF8'), 'hex')) FROM api_user"
          : "SELECT HEX(SUBSTR(name, 10, 1)) FROM api_user";
  EXPECT_EQ(backend().scalar(hex_of_emoji), "F09F9880");
  EXPECT_EQ(backend().scalar("SELECT SUBSTR(name, 38) FROM api_user"), "sh");
}

TEST_P(StoreContractTest, UpdatePasswordHashSetsUpdatedAt) {
  const User alice = create("alice@example.com");
  ASSERT_TRUE(store_->update_password_hash(alice.id, "$argon2id$new", kT0 + hours(2)));
  auto found = store_->find_user_by_id(alice.id);
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->password_hash, "$argon2id$new");
  EXPECT_EQ((*found)->updated_at, kT0 + hours(2));
  EXPECT_EQ((*found)->created_at, kT0);

  // The same values again change nothing, and the user still exists (matched rows count).
  EXPECT_TRUE(store_->update_password_hash(alice.id, "$argon2id$new", kT0 + hours(2)));

  auto missing = store_->update_password_hash(alice.id + 100, "$argon2id$x", kT0);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kUserGone);
}

// ---- sessions ----

TEST_P(StoreContractTest, SessionLiveness) {
  const User alice = create("alice@example.com");
  const User bob = create("bob@example.com");
  ASSERT_TRUE(store_->create_session(make_session(alice.id, "sid-a", "hash-a")));

  auto live = store_->find_user_with_session(alice.id, "sid-a", kT0 + minutes(1));
  ASSERT_TRUE(live) << live.error().internal;
  ASSERT_TRUE(*live);
  EXPECT_TRUE((*live)->session_live);
  EXPECT_EQ((*live)->user.email, "alice@example.com");

  // Someone else's session id does not make a session live, but the user is still found.
  auto foreign = store_->find_user_with_session(bob.id, "sid-a", kT0);
  ASSERT_TRUE(foreign && *foreign);
  EXPECT_FALSE((*foreign)->session_live);
  EXPECT_EQ((*foreign)->user.id, bob.id);

  auto unknown_sid = store_->find_user_with_session(alice.id, "nope", kT0);
  ASSERT_TRUE(unknown_sid && *unknown_sid);
  EXPECT_FALSE((*unknown_sid)->session_live);

  // Session ids are base64url: letter case matters.
  auto other_case = store_->find_user_with_session(alice.id, "SID-A", kT0);
  ASSERT_TRUE(other_case && *other_case);
  EXPECT_FALSE((*other_case)->session_live);

  auto unknown_user = store_->find_user_with_session(9999, "sid-a", kT0);
  ASSERT_TRUE(unknown_user) << unknown_user.error().internal;
  EXPECT_FALSE(*unknown_user);

  // Expired: expires_at is the first second at which the session is over.
  auto at_end = store_->find_user_with_session(alice.id, "sid-a", kT0 + hours(24 * 7));
  ASSERT_TRUE(at_end && *at_end);
  EXPECT_FALSE((*at_end)->session_live);
  auto before_end =
      store_->find_user_with_session(alice.id, "sid-a", kT0 + hours(24 * 7) - seconds(1));
  ASSERT_TRUE(before_end && *before_end);
  EXPECT_TRUE((*before_end)->session_live);

  ASSERT_TRUE(store_->revoke_session("sid-a", {kT0 + minutes(5), "logout"}));
  auto revoked = store_->find_user_with_session(alice.id, "sid-a", kT0 + minutes(6));
  ASSERT_TRUE(revoked && *revoked);
  EXPECT_FALSE((*revoked)->session_live);
}

TEST_P(StoreContractTest, LastUsedIsTouchedAtMostOncePerMinute) {
  const User alice = create("alice@example.com");
  ASSERT_TRUE(store_->create_session(make_session(alice.id, "sid-a", "hash-a")));
  EXPECT_EQ(session_of("hash-a").last_used_at, kT0);

  ASSERT_TRUE(store_->find_user_with_session(alice.id, "sid-a", kT0 + seconds(60)));
  EXPECT_EQ(session_of("hash-a").last_used_at, kT0);
  ASSERT_TRUE(store_->find_user_with_session(alice.id, "sid-a", kT0 + seconds(61)));
  EXPECT_EQ(session_of("hash-a").last_used_at, kT0 + seconds(61));
  ASSERT_TRUE(store_->find_user_with_session(alice.id, "sid-a", kT0 + seconds(100)));
  EXPECT_EQ(session_of("hash-a").last_used_at, kT0 + seconds(61));

  // A revoked session is not touched.
  ASSERT_TRUE(store_->revoke_session("sid-a", {kT0 + seconds(200), "logout"}));
  ASSERT_TRUE(store_->find_user_with_session(alice.id, "sid-a", kT0 + seconds(500)));
  EXPECT_EQ(session_of("hash-a").last_used_at, kT0 + seconds(61));
}

TEST_P(StoreContractTest, CreateSessionStoresEveryField) {
  const User alice = create("alice@example.com");
  NewSession input = make_session(alice.id, "sid-a", "hash-a");
  input.user_agent = "Mozilla/5.0 (X11; Linux) — ünïcode";
  input.refresh_sealed = "sealed-hash-a";
  ASSERT_TRUE(store_->create_session(input));
  const Session s = session_of("hash-a");
  EXPECT_EQ(s.id, "sid-a");
  EXPECT_EQ(s.user_id, alice.id);
  EXPECT_EQ(s.created_at, kT0);
  EXPECT_EQ(s.last_used_at, kT0);
  EXPECT_EQ(s.expires_at, input.expires_at);
  EXPECT_FALSE(s.revoked_at);
  EXPECT_EQ(s.user_agent, input.user_agent);
  EXPECT_EQ(s.ip, "127.0.0.1");
  // The refresh token's own row: its lifetime, sealed text and no parent.
  EXPECT_EQ(backend().scalar("SELECT expires_at FROM api_refresh_token"),
            std::to_string(unix_seconds(input.refresh_expires_at)));
  EXPECT_EQ(backend().scalar("SELECT sealed FROM api_refresh_token"), "sealed-hash-a");
  EXPECT_EQ(backend().scalar("SELECT parent_hash FROM api_refresh_token"), "NULL");
  EXPECT_EQ(backend().scalar("SELECT retired_at FROM api_refresh_token"), "NULL");

  auto unknown = store_->find_session_by_refresh_hash("nope");
  ASSERT_TRUE(unknown) << unknown.error().internal;
  EXPECT_FALSE(*unknown);
  // Token hashes compare byte for byte.
  auto other_case = store_->find_session_by_refresh_hash("HASH-A");
  ASSERT_TRUE(other_case) << other_case.error().internal;
  EXPECT_FALSE(*other_case);
}

TEST_P(StoreContractTest, CreateSessionIsAllOrNothing) {
  const User alice = create("alice@example.com");
  ASSERT_TRUE(store_->create_session(make_session(alice.id, "sid-a", "hash-a")));
  // Same refresh hash again: the session row of the failed call must not stay behind.
  auto clash = store_->create_session(make_session(alice.id, "sid-b", "hash-a"));
  ASSERT_FALSE(clash);
  EXPECT_EQ(clash.error().code, ErrorCode::kInternal);
  auto b = store_->find_user_with_session(alice.id, "sid-b", kT0);
  ASSERT_TRUE(b && *b);
  EXPECT_FALSE((*b)->session_live) << "half a session was committed";
  EXPECT_EQ(backend().scalar("SELECT COUNT(*) FROM api_session"), "1");

  auto gone = store_->create_session(make_session(alice.id + 100, "sid-c", "hash-c"));
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::kUserGone);
  EXPECT_EQ(backend().scalar("SELECT COUNT(*) FROM api_session"), "1");
}

TEST_P(StoreContractTest, RevokeSessionIsIdempotentAndKeepsTheFirstRevocation) {
  const User alice = create("alice@example.com");
  ASSERT_TRUE(store_->create_session(make_session(alice.id, "sid-a", "hash-a")));
  ASSERT_TRUE(store_->revoke_session("sid-a", {kT0 + minutes(1), "logout"}));
  ASSERT_TRUE(store_->revoke_session("sid-a", {kT0 + minutes(2), "other"}));
  ASSERT_TRUE(store_->revoke_session("no-such-session", {kT0, "logout"}));
  EXPECT_EQ(session_of("hash-a").revoked_at, std::optional<SysTime>(kT0 + minutes(1)));
  EXPECT_EQ(backend().scalar("SELECT revoke_reason FROM api_session"), "logout");
}

TEST_P(StoreContractTest, DeletingAUserCascadesToItsSessions) {
  const User alice = create("alice@example.com");
  ASSERT_TRUE(store_->create_session(make_session(alice.id, "sid-a", "hash-a")));
  backend().exec("DELETE FROM api_user WHERE id = " + std::to_string(alice.id));
  auto session = store_->find_session_by_refresh_hash("hash-a");
  ASSERT_TRUE(session) << session.error().internal;
  EXPECT_FALSE(*session);
  EXPECT_EQ(backend().scalar("SELECT COUNT(*) FROM api_session"), "0");
  EXPECT_EQ(backend().scalar("SELECT COUNT(*) FROM api_refresh_token"), "0");
}

// ---- refresh rotation ----

TEST_P(StoreContractTest, RotationReplacesTheToken) {
  const User alice = create("alice@example.com");
  ASSERT_TRUE(store_->create_session(make_session(alice.id, "sid-a", "hash-1")));

  const SysTime t1 = kT0 + minutes(10);
  RotateRequest request = make_rotation("hash-1", "hash-2", t1);
  request.new_sealed = "sealed-hash-2";
  auto rotated = rotate(request);
  ASSERT_TRUE(rotated) << rotated.error().internal;
  ASSERT_EQ(rotated->outcome, RotateOutcome::kRotated);
  ASSERT_TRUE(rotated->session);
  ASSERT_TRUE(rotated->user);
  EXPECT_EQ(rotated->session->id, "sid-a");
  EXPECT_EQ(rotated->session->last_used_at, t1);
  EXPECT_EQ(rotated->user->id, alice.id);
  EXPECT_EQ(rotated->user->email, "alice@example.com");
  EXPECT_EQ(session_of("hash-2").last_used_at, t1);
  // The presented token is retired now, and the replacement remembers it as its parent.
  EXPECT_EQ(backend().scalar("SELECT retired_at FROM api_refresh_token WHERE token_hash = "
                             "'hash-1'"),
            std::to_string(unix_seconds(t1)));
  EXPECT_EQ(backend().scalar("SELECT parent_hash FROM api_refresh_token WHERE token_hash = "
                             "'hash-2'"),
            "hash-1");
  EXPECT_EQ(backend().scalar("SELECT sealed FROM api_refresh_token WHERE token_hash = 'hash-2'"),
            "sealed-hash-2");
  EXPECT_EQ(backend().scalar("SELECT expires_at FROM api_refresh_token WHERE token_hash = "
                             "'hash-2'"),
            std::to_string(unix_seconds(request.new_expires_at)));

  auto next = rotate(make_rotation("hash-2", "hash-3", t1 + minutes(10)));
  ASSERT_TRUE(next) << next.error().internal;
  EXPECT_EQ(next->outcome, RotateOutcome::kRotated);
}

TEST_P(StoreContractTest, ReusingARetiredTokenRevokesTheSession) {
  const User alice = create("alice@example.com");
  ASSERT_TRUE(store_->create_session(make_session(alice.id, "sid-a", "hash-1")));
  auto rotated = rotate(make_rotation("hash-1", "hash-2", kT0 + minutes(1)));
  ASSERT_TRUE(rotated) << rotated.error().internal;
  ASSERT_EQ(rotated->outcome, RotateOutcome::kRotated);

  // The attacker (or a confused client) presents the retired token.
  auto reused = rotate(make_rotation("hash-1", "hash-x", kT0 + minutes(2)));
  ASSERT_TRUE(reused) << reused.error().internal;
  EXPECT_EQ(reused->outcome, RotateOutcome::kReused);
  ASSERT_TRUE(reused->session) << "named in the reuse warning";
  EXPECT_EQ(reused->session->id, "sid-a");
  EXPECT_EQ(reused->session->user_id, alice.id);
  EXPECT_FALSE(reused->user);

  // The revocation was committed: the session is over, for access tokens too.
  EXPECT_EQ(session_of("hash-2").revoked_at, std::optional<SysTime>(kT0 + minutes(2)));
  EXPECT_EQ(backend().scalar("SELECT revoke_reason FROM api_session"), "refresh_reuse");
  auto access = store_->find_user_with_session(alice.id, "sid-a", kT0 + minutes(3));
  ASSERT_TRUE(access && *access);
  EXPECT_FALSE((*access)->session_live);

  // The legitimate holder of the newest token is logged out as well.
  auto newest = rotate(make_rotation("hash-2", "hash-3", kT0 + minutes(3)));
  ASSERT_TRUE(newest) << newest.error().internal;
  EXPECT_EQ(newest->outcome, RotateOutcome::kRevoked);
  // And the attacker's replacement hash was never stored.
  auto attacker = store_->find_session_by_refresh_hash("hash-x");
  ASSERT_TRUE(attacker);
  EXPECT_FALSE(*attacker);
}

TEST_P(StoreContractTest, UnknownTokenIsUnknown) {
  auto rotated = rotate(make_rotation("nope", "next", kT0));
  ASSERT_TRUE(rotated) << rotated.error().internal;
  EXPECT_EQ(rotated->outcome, RotateOutcome::kUnknown);
  EXPECT_EQ(backend().scalar("SELECT COUNT(*) FROM api_refresh_token"), "0");
}

TEST_P(StoreContractTest, ExpiredTokenOrSessionIsExpired) {
  const User alice = create("alice@example.com");
  ASSERT_TRUE(store_->create_session(make_session(alice.id, "sid-a", "hash-a")));
  // The refresh token lives an hour.
  auto late = rotate(make_rotation("hash-a", "hash-a2", kT0 + hours(1)));
  ASSERT_TRUE(late) << late.error().internal;
  EXPECT_EQ(late->outcome, RotateOutcome::kExpired);
  // Nothing changed: the token is still current, and still usable within its lifetime.
  auto in_time = rotate(make_rotation("hash-a", "hash-a3", kT0 + minutes(59)));
  ASSERT_TRUE(in_time) << in_time.error().internal;
  EXPECT_EQ(in_time->outcome, RotateOutcome::kRotated);
  EXPECT_FALSE(*store_->find_session_by_refresh_hash("hash-a2"));

  // The session's absolute end wins over a fresher token.
  NewSession short_session = make_session(alice.id, "sid-b", "hash-b");
  short_session.expires_at = kT0 + minutes(30);
  ASSERT_TRUE(store_->create_session(short_session));
  auto over = rotate(make_rotation("hash-b", "hash-b2", kT0 + minutes(30)));
  ASSERT_TRUE(over) << over.error().internal;
  EXPECT_EQ(over->outcome, RotateOutcome::kExpired);
  EXPECT_FALSE(session_of("hash-b").revoked_at);
}

TEST_P(StoreContractTest, ConcurrentRotationsOfOneTokenNeverFork) {
  const User alice = create("alice@example.com");
  constexpr int kRounds = 50;
  for (int round = 0; round < kRounds; ++round) {
    const std::string sid = "sid-" + std::to_string(round);
    const std::string hash = "hash-" + std::to_string(round);
    ASSERT_TRUE(store_->create_session(make_session(alice.id, sid, hash)));
    const auto results = rotate_at_once({make_rotation(hash, hash + "-next-0", kT0 + minutes(1)),
                                         make_rotation(hash, hash + "-next-1", kT0 + minutes(1))});
    int rotated = 0;
    int reused = 0;
    for (const auto& r : results) {
      ASSERT_TRUE(r) << r.error().internal;
      rotated += r->outcome == RotateOutcome::kRotated;
      reused += r->outcome == RotateOutcome::kReused;
    }
    EXPECT_EQ(rotated, 1) << "round " << round;
    EXPECT_EQ(reused, 1) << "round " << round;
    EXPECT_TRUE(session_of(hash).revoked_at) << "round " << round;
  }
}

TEST_P(StoreContractTest, ParentWithinGraceGetsTheCurrentTokenAndNothingChanges) {
  const User user = create("grace@example.com");
  NewSession session = make_session(user.id, "s1", "h1");
  session.refresh_sealed = "sealed-h1";
  ASSERT_TRUE(store_->create_session(session));
  ASSERT_EQ(outcome_of(make_graced_rotation("h1", "h2", kT0 + seconds(10), seconds(5))),
            RotateOutcome::kRotated);

  auto replay = rotate(make_graced_rotation("h1", "h3", kT0 + seconds(12), seconds(5)));
  ASSERT_TRUE(replay) << replay.error().internal;
  ASSERT_EQ(replay->outcome, RotateOutcome::kGraceReplay);
  EXPECT_EQ(replay->current_sealed, "sealed-h2");
  ASSERT_TRUE(replay->user);
  EXPECT_EQ(replay->user->id, user.id);
  ASSERT_TRUE(replay->session);
  EXPECT_EQ(replay->session->id, "s1");
  // h3 was not stored and h2 is still current.
  EXPECT_EQ(outcome_of(make_graced_rotation("h3", "h4", kT0 + seconds(13), seconds(5))),
            RotateOutcome::kUnknown);
  EXPECT_EQ(outcome_of(make_graced_rotation("h2", "h5", kT0 + seconds(13), seconds(5))),
            RotateOutcome::kRotated);
  // h1 is now a grandparent: a replay is a reuse even inside the interval.
  EXPECT_EQ(outcome_of(make_graced_rotation("h1", "h6", kT0 + seconds(14), seconds(5))),
            RotateOutcome::kReused);
  EXPECT_EQ(outcome_of(make_graced_rotation("h5", "h7", kT0 + seconds(14), seconds(5))),
            RotateOutcome::kRevoked);
  EXPECT_EQ(backend().scalar("SELECT parent_hash FROM api_refresh_token WHERE token_hash = 'h5'"),
            "h2");
  EXPECT_EQ(backend().scalar("SELECT sealed FROM api_refresh_token WHERE token_hash = 'h1'"),
            "sealed-h1");
}

TEST_P(StoreContractTest, ParentAfterGraceIsAReuse) {
  const User user = create("late@example.com");
  ASSERT_TRUE(store_->create_session(make_session(user.id, "s1", "h1")));
  ASSERT_EQ(outcome_of(make_graced_rotation("h1", "h2", kT0, seconds(5))), RotateOutcome::kRotated);
  EXPECT_EQ(outcome_of(make_graced_rotation("h1", "h3", kT0 + seconds(5), seconds(5))),
            RotateOutcome::kReused);
  EXPECT_EQ(outcome_of(make_graced_rotation("h2", "h4", kT0 + seconds(6), seconds(5))),
            RotateOutcome::kRevoked);
}

TEST_P(StoreContractTest, ConcurrentRefreshesWithinGraceBothSucceed) {
  const User alice = create("alice@example.com");
  for (int round = 0; round < 20; ++round) {
    const std::string hash = "g-" + std::to_string(round);
    ASSERT_TRUE(
        store_->create_session(make_session(alice.id, "gs-" + std::to_string(round), hash)));
    const auto results = rotate_at_once(
        {make_graced_rotation(hash, hash + "-next-0", kT0 + minutes(1), seconds(10)),
         make_graced_rotation(hash, hash + "-next-1", kT0 + minutes(1), seconds(10))});
    std::multiset<RotateOutcome> outcomes;
    for (const auto& r : results) {
      ASSERT_TRUE(r) << r.error().internal;
      outcomes.insert(r->outcome);
    }
    EXPECT_EQ(outcomes,
              (std::multiset<RotateOutcome>{RotateOutcome::kRotated, RotateOutcome::kGraceReplay}))
        << "round " << round;
    // The replay is handed the token the rotation made, now the current one.
    const int winner = results[0]->outcome == RotateOutcome::kRotated ? 0 : 1;
    EXPECT_EQ(results[1 - winner]->current_sealed,
              "sealed-" + hash + "-next-" + std::to_string(winner))
        << "round " << round;
    EXPECT_FALSE(session_of(hash).revoked_at) << "round " << round;
  }
}

// ---- session management ----

// A session whose refresh token expired (its client stayed away) is dead before the sweeper
// deletes it: the list leaves it out.
TEST_P(StoreContractTest, ListLeavesOutSessionsWhoseRefreshTokenExpired) {
  const User alice = create("idle@example.com");
  ASSERT_TRUE(store_->create_session(make_session(alice.id, "idle", "hidle", kT0)));
  ASSERT_TRUE(store_->create_session(make_session(alice.id, "busy", "hbusy", kT0)));
  // The busy client refreshes just before its first token expires; the idle one never comes back.
  auto rotated = rotate(make_rotation("hbusy", "hbusy2", kT0 + std::chrono::minutes(59)));
  ASSERT_TRUE(rotated && rotated->outcome == RotateOutcome::kRotated);
  auto list = store_->list_sessions(alice.id, kT0 + std::chrono::minutes(61));
  ASSERT_TRUE(list) << list.error().internal;
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].id, "busy");
}

TEST_P(StoreContractTest, ListAndRevokeSessionsOfOneUserOnly) {
  const User alice = create("alice@example.com");
  const User bob = create("bob@example.com");
  ASSERT_TRUE(store_->create_session(make_session(alice.id, "a1", "ha1", kT0)));
  ASSERT_TRUE(store_->create_session(make_session(alice.id, "a2", "ha2", kT0 + seconds(1))));
  ASSERT_TRUE(store_->create_session(make_session(alice.id, "a3", "ha3", kT0 + seconds(2))));
  ASSERT_TRUE(store_->create_session(make_session(bob.id, "b1", "hb1", kT0)));

  auto list = store_->list_sessions(alice.id, kT0 + seconds(5));
  ASSERT_TRUE(list) << list.error().internal;
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].id, "a3") << "newest first";
  EXPECT_EQ((*list)[1].id, "a2");
  EXPECT_EQ((*list)[2].id, "a1");
  EXPECT_EQ((*list)[2].user_agent, "curl/8.0");

  auto not_bobs = store_->revoke_user_session(bob.id, "a1", {kT0 + seconds(5), "user"});
  ASSERT_TRUE(not_bobs) << not_bobs.error().internal;
  EXPECT_FALSE(*not_bobs) << "not bob's session";
  EXPECT_TRUE(*store_->revoke_user_session(alice.id, "a1", {kT0 + seconds(5), "user"}));
  EXPECT_FALSE(*store_->revoke_user_session(alice.id, "a1", {kT0 + seconds(6), "user"}))
      << "already ended";

  auto others = store_->revoke_user_sessions(alice.id, "a3", {kT0 + seconds(7), "logout_others"});
  ASSERT_TRUE(others) << others.error().internal;
  EXPECT_EQ(*others, 1u);
  list = store_->list_sessions(alice.id, kT0 + seconds(8));
  ASSERT_TRUE(list) << list.error().internal;
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].id, "a3");
  EXPECT_EQ(*store_->revoke_user_sessions(alice.id, "", {kT0 + seconds(9), "logout_global"}), 1u);
  EXPECT_TRUE(store_->list_sessions(alice.id, kT0 + seconds(10))->empty());
  EXPECT_EQ(store_->list_sessions(bob.id, kT0 + seconds(10))->size(), 1u);
}

TEST_P(StoreContractTest, SweepDeletesOnlyWhatNoCheckNeeds) {
  const User user = create("sweep@example.com");
  NewSession old = make_session(user.id, "old", "h-old", kT0);
  old.expires_at = kT0 + hours(1);
  ASSERT_TRUE(store_->create_session(old));
  ASSERT_TRUE(store_->create_session(make_session(user.id, "live", "h-live", kT0)));
  ASSERT_TRUE(store_->create_session(make_session(user.id, "revoked", "h-rev", kT0)));
  ASSERT_TRUE(store_->revoke_session("revoked", {kT0 + hours(2), "logout"}));

  // A day after the old session expired, within the retention of the revocation.
  auto swept = store_->sweep(kT0 + hours(26), hours(24));
  ASSERT_TRUE(swept) << swept.error().internal;
  EXPECT_EQ(*swept, 1u) << "the old session (its token goes with it, by cascade)";
  EXPECT_FALSE(*store_->find_session_by_refresh_hash("h-old"));
  EXPECT_TRUE(*store_->find_session_by_refresh_hash("h-rev"));
  EXPECT_TRUE(*store_->find_session_by_refresh_hash("h-live"));
  EXPECT_EQ(backend().scalar("SELECT COUNT(*) FROM api_refresh_token"), "2");

  // Past the retention of the revocation, the revoked session goes too.
  swept = store_->sweep(kT0 + hours(27), hours(24));
  ASSERT_TRUE(swept) << swept.error().internal;
  EXPECT_EQ(*swept, 1u);
  EXPECT_FALSE(*store_->find_session_by_refresh_hash("h-rev"));
  EXPECT_TRUE(*store_->find_session_by_refresh_hash("h-live"));
}

// ---- rate-limit counters ----

TEST_P(StoreContractTest, ThrottleUpdatesFromManyThreadsAllCount) {
  constexpr int kThreads = 6;
  constexpr int kEach = 25;
  std::atomic<int> errors{0};
  {
    std::latch start(kThreads);
    std::vector<std::jthread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        start.arrive_and_wait();
        for (int i = 0; i < kEach; ++i) {
          // One shared counter, and one new counter per round that all threads create at once.
          for (const std::string& key : {std::string("k1"), "fresh-" + std::to_string(i)}) {
            auto r = store_->update_throttle(
                key, [](ThrottleRecord& rec) { ++rec.window_count; }, kT0);
            if (!r) {
              ++errors;
              ADD_FAILURE() << "thread " << t << ": " << r.error().internal;
            }
          }
        }
      });
    }
  }
  EXPECT_EQ(errors.load(), 0);
  auto rec = store_->get_throttle("k1");
  ASSERT_TRUE(rec && *rec);
  EXPECT_EQ((*rec)->window_count, kThreads * kEach);
  auto fresh = store_->get_throttle("fresh-7");
  ASSERT_TRUE(fresh && *fresh);
  EXPECT_EQ((*fresh)->window_count, kThreads);
  EXPECT_FALSE(*store_->get_throttle("k2"));
  // Idle counters are swept once they are a day old and not blocking.
  ASSERT_TRUE(store_->sweep(kT0 + hours(25), hours(24)));
  EXPECT_FALSE(*store_->get_throttle("k1"));
}

TEST_P(StoreContractTest, ThrottleRecordsEveryField) {
  auto r = store_->update_throttle(
      "acct:abc",
      [](ThrottleRecord& rec) {
        rec.window_start = 100;
        rec.window_count = 2;
        rec.consecutive = 3;
        rec.blocked_until = 4'000'000'000;
      },
      kT0);
  ASSERT_TRUE(r) << r.error().internal;
  EXPECT_EQ(r->window_count, 2);
  auto rec = store_->get_throttle("acct:abc");
  ASSERT_TRUE(rec && *rec);
  EXPECT_EQ((*rec)->window_start, 100);
  EXPECT_EQ((*rec)->window_count, 2);
  EXPECT_EQ((*rec)->consecutive, 3);
  EXPECT_EQ((*rec)->blocked_until, 4'000'000'000);
  // The next update starts from what was stored.
  auto next = store_->update_throttle(
      "acct:abc", [](ThrottleRecord& stored) { ++stored.consecutive; }, kT0 + seconds(1));
  ASSERT_TRUE(next) << next.error().internal;
  EXPECT_EQ(next->consecutive, 4);
  EXPECT_EQ(next->blocked_until, 4'000'000'000);
  // Blocking counters outlive the sweep.
  ASSERT_TRUE(store_->sweep(kT0 + hours(48), hours(24)));
  EXPECT_TRUE(*store_->get_throttle("acct:abc"));
}

// ---- the whole store ----

TEST_P(StoreContractTest, Ping) {
  EXPECT_TRUE(store_->ping());
  EXPECT_TRUE(store_->ping());
}

TEST_P(StoreContractTest, UnmigratedDatabaseGivesInternalErrorNamingTheTable) {
  StoreSettings settings;
  settings.prefix = "nothing_";
  settings.pool_size = 1;
  auto other = open_store(settings);
  ASSERT_NE(other, nullptr);
  EXPECT_TRUE(other->ping());
  auto user = other->find_user_by_id(1);
  ASSERT_FALSE(user);
  EXPECT_EQ(user.error().code, ErrorCode::kInternal);
  EXPECT_NE(user.error().internal.find(backend().says_missing_table("nothing_user")),
            std::string::npos)
      << user.error().internal;
  // A failed prepare leaves the connection usable.
  EXPECT_TRUE(other->ping());
}

TEST_P(StoreContractTest, HeldWriteLockIsUnavailableAndRollsBack) {
  StoreSettings settings;
  settings.lock_timeout = backend().shortest_lock_timeout();
  auto impatient = open_store(settings);
  ASSERT_NE(impatient, nullptr);
  const User alice = create("alice@example.com");
  ASSERT_TRUE(store_->create_session(make_session(alice.id, "sid-a", "hash-1")));

  {
    const auto lock = backend().hold_write_lock("api_session", "id = 'sid-a'");
    const auto started = std::chrono::steady_clock::now();
    auto rotated = testing::rotate(*impatient, make_rotation("hash-1", "hash-2", kT0 + minutes(1)));
    const auto elapsed = std::chrono::steady_clock::now() - started;
    ASSERT_FALSE(rotated);
    EXPECT_EQ(rotated.error().code, ErrorCode::kUnavailable);
    EXPECT_NE(rotated.error().internal.find(backend().says_lock_timeout()), std::string::npos)
        << rotated.error().internal;
    // Each attempt waited the lock timeout out, and no longer (never a read timeout).
    const auto waited = backend().lock_attempts() * *settings.lock_timeout;
    EXPECT_GE(elapsed, waited - waited / 20);
    EXPECT_LT(elapsed, waited + milliseconds(2500));

    // Plain reads do not wait for the writer.
    auto found = impatient->find_user_by_id(alice.id);
    ASSERT_TRUE(found) << found.error().internal;
    EXPECT_TRUE(*found);
  }

  // Nothing of the failed rotation stayed; the same connections work again.
  EXPECT_EQ(backend().scalar("SELECT COUNT(*) FROM api_refresh_token"), "1");
  EXPECT_EQ(backend().scalar("SELECT retired_at FROM api_refresh_token"), "NULL");
  auto rotated = testing::rotate(*impatient, make_rotation("hash-1", "hash-2", kT0 + minutes(1)));
  ASSERT_TRUE(rotated) << rotated.error().internal;
  EXPECT_EQ(rotated->outcome, RotateOutcome::kRotated);
}

}  // namespace
// ---- managed signing keys ----

TEST_P(StoreContractTest, SigningKeysListInGenerationOrderAndAGenerationIsTakenOnce) {
  auto empty = store_->list_signing_keys();
  ASSERT_TRUE(empty) << empty.error().internal;
  EXPECT_TRUE(empty->empty());
  auto row = [](std::int64_t generation, const std::string& kid) {
    SigningKeyRow key;
    key.generation = generation;
    key.kid = kid;
    key.algorithm = "RS256";
    key.public_pem = "-----BEGIN PUBLIC KEY-----\n" + std::string(600, 'A') + "\n";
    key.private_sealed = std::string(3000, 'b');  // an RSA-4096 key, sealed, is this long
    key.created_at = kT0;
    key.signs_from = kT0 + seconds(400);
    return key;
  };
  ASSERT_EQ(store_->insert_signing_key(row(2, "kid-two")).value(), true);
  ASSERT_EQ(store_->insert_signing_key(row(1, "kid-one")).value(), true);
  // Two processes rotating at once: the second insert of a generation loses and says so.
  auto lost = store_->insert_signing_key(row(2, "kid-other"));
  ASSERT_TRUE(lost) << lost.error().internal;
  EXPECT_FALSE(*lost);
  auto keys = store_->list_signing_keys();
  ASSERT_TRUE(keys) << keys.error().internal;
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[0].kid, "kid-one");
  EXPECT_EQ((*keys)[1].kid, "kid-two");
  EXPECT_EQ((*keys)[1].public_pem, row(2, "").public_pem);
  EXPECT_EQ((*keys)[1].private_sealed.size(), 3000u);
  EXPECT_EQ((*keys)[1].created_at, kT0);
  EXPECT_EQ((*keys)[1].signs_from, kT0 + seconds(400));
  ASSERT_TRUE(store_->delete_signing_key(1));
  ASSERT_TRUE(store_->delete_signing_key(1));  // gone already: still fine
  EXPECT_EQ(store_->list_signing_keys()->size(), 1u);
}

}  // namespace gatehouse::store
