#include "store/sqlite/sqlite_store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <latch>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "store/migrations.hpp"
#include "test_support.hpp"
#include "store_test_support.hpp"
#include "store/sql_timestamp.hpp"

namespace gatehouse::store {
namespace {

namespace fs = std::filesystem;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

using testing::kT0;
using testing::make_rotation;
using testing::make_session;
using testing::make_user;

using gatehouse::testing::TempDir;

// A connection of the test's own, outside the store, to set up odd rows and to hold locks.
class RawDb {
 public:
  explicit RawDb(const fs::path& path) { EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK); }
  ~RawDb() { sqlite3_close(db_); }
  void exec(const std::string& sql) {
    char* message = nullptr;
    ASSERT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message), SQLITE_OK)
        << (message ? message : "") << " in: " << sql;
  }

 private:
  sqlite3* db_ = nullptr;
};

class SqliteStoreTest : public ::testing::Test {
 protected:
  static constexpr std::size_t kPoolSize = 6;

  void SetUp() override {
    db_path_ = dir_.path() / "gatehouse.db";
    store_ = open_store(milliseconds(5000));
    ASSERT_NE(store_, nullptr);
    auto target = store_->migration_target();
    Migrator migrator(*target, embedded_migrations("sqlite"), "api_");
    auto applied = migrator.up();
    ASSERT_TRUE(applied) << applied.error().internal;
  }

  std::unique_ptr<SqliteStore> open_store(milliseconds busy_timeout) {
    auto opened =
        SqliteStore::open(SqliteOptions{db_path_.string(), "api_", kPoolSize, busy_timeout});
    EXPECT_TRUE(opened) << opened.error().internal;
    return opened ? std::move(*opened) : nullptr;
  }

  User create(const std::string& email) {
    auto user = store_->create_user(make_user(email));
    EXPECT_TRUE(user) << user.error().internal;
    return user ? *user : User{};
  }

  Session session_of(const std::string& hash) {
    auto session = store_->find_session_by_refresh_hash(hash);
    EXPECT_TRUE(session && *session) << "no session for " << hash;
    return session && *session ? **session : Session{};
  }

  TempDir dir_;
  fs::path db_path_;
  std::unique_ptr<SqliteStore> store_;
};

// ---- timestamps ----

TEST(SqlTimestamp, FormatsUtcToTheSecond) {
  EXPECT_EQ(format_sql_timestamp(from_unix_seconds(0)), "1970-01-01 00:00:00");
  EXPECT_EQ(format_sql_timestamp(kT0 + milliseconds(999)), "2023-11-14 22:13:20");
  EXPECT_EQ(format_sql_timestamp(from_unix_seconds(951'782'400)), "2000-02-29 00:00:00");
}

TEST(SqlTimestamp, ParsesTheFormsAdoptedDatabasesHold) {
  const SysTime expected = kT0;
  for (const char* text :
       {"2023-11-14 22:13:20", "2023-11-14T22:13:20", "2023-11-14 22:13:20Z",
        "2023-11-14T22:13:20+00:00", "2023-11-15T00:13:20+02:00", "2023-11-14 20:13:20-02:00"}) {
    const auto parsed = parse_sql_timestamp(text);
    ASSERT_TRUE(parsed) << text;
    EXPECT_EQ(*parsed, expected) << text;
  }
  const auto micro = parse_sql_timestamp("2023-11-14 22:13:20.123456");
  ASSERT_TRUE(micro);
  EXPECT_EQ(*micro, expected + std::chrono::microseconds(123456));
  const auto fraction_zone = parse_sql_timestamp("2023-11-14T22:13:20.5Z");
  ASSERT_TRUE(fraction_zone);
  EXPECT_EQ(*fraction_zone, expected + milliseconds(500));
}

TEST(SqlTimestamp, RejectsAnythingElse) {
  for (const char* text :
       {"", "2023-11-14", "2023-11-14 22:13", "2023-02-30 00:00:00", "2023-13-01 00:00:00",
        "2023-11-14 24:00:00", "2023-11-14 22:13:20 ", "2023-11-14 22:13:20.",
        "2023-11-14x22:13:20", "2023-11-14 22:13:20+0200", "2023/11/14 22:13:20", "1700000000"}) {
    EXPECT_FALSE(parse_sql_timestamp(text)) << text;
  }
}

// ---- opening ----

TEST(SqliteStoreOpen, RefusesInMemoryDatabasesAndUnsafePrefixes) {
  TempDir dir;
  const auto db = (dir.path() / "x.db").string();
  EXPECT_FALSE(SqliteStore::open(SqliteOptions{":memory:", "api_", 2}));
  EXPECT_FALSE(SqliteStore::open(SqliteOptions{"", "api_", 2}));
  EXPECT_FALSE(SqliteStore::open(SqliteOptions{db, "api; DROP TABLE x; --", 2}));
  EXPECT_FALSE(SqliteStore::open(SqliteOptions{db, "api_", 0}));
  EXPECT_TRUE(SqliteStore::open(SqliteOptions{db, "", 1}));
}

TEST(SqliteStoreOpen, UnreachableFileIsUnavailable) {
  TempDir dir;
  auto opened = SqliteStore::open(SqliteOptions{(dir.path() / "no/such/dir/x.db").string(), "", 1});
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(opened.error().internal.find("no/such/dir/x.db"), std::string::npos)
      << opened.error().internal;
}

TEST(SqliteStoreOpen, UnmigratedDatabaseGivesInternalErrorNamingTheTable) {
  TempDir dir;
  auto opened = SqliteStore::open(SqliteOptions{(dir.path() / "x.db").string(), "api_", 1});
  ASSERT_TRUE(opened) << opened.error().internal;
  EXPECT_TRUE((*opened)->ping());
  auto user = (*opened)->find_user_by_id(1);
  ASSERT_FALSE(user);
  EXPECT_EQ(user.error().code, ErrorCode::kInternal);
  EXPECT_NE(user.error().internal.find("no such table: api_user"), std::string::npos)
      << user.error().internal;
}

// ---- users ----

TEST_F(SqliteStoreTest, CreateUserReturnsTheStoredRow) {
  NewUser input = make_user("alice@example.com", kT0 + milliseconds(750));
  input.photo = "alice.png";
  input.role = "admin";
  input.verified = false;
  auto created = store_->create_user(input);
  ASSERT_TRUE(created) << created.error().internal;
  EXPECT_GT(created->id, 0);
  EXPECT_EQ(created->created_at, kT0);  // stored to the second
  EXPECT_EQ(created->updated_at, kT0);

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
  EXPECT_NE(second->id, created->id);
  auto bob = store_->find_user_by_id(second->id);
  ASSERT_TRUE(bob && *bob);
  EXPECT_EQ((*bob)->photo, std::nullopt);
  EXPECT_TRUE((*bob)->verified);
  EXPECT_EQ((*bob)->role, "user");
}

TEST_F(SqliteStoreTest, MissingUsersAreNullopt) {
  auto by_email = store_->find_user_by_email("nobody@example.com");
  ASSERT_TRUE(by_email) << by_email.error().internal;
  EXPECT_FALSE(*by_email);
  auto by_id = store_->find_user_by_id(12345);
  ASSERT_TRUE(by_id) << by_id.error().internal;
  EXPECT_FALSE(*by_id);
}

TEST_F(SqliteStoreTest, DuplicateEmailIsAccountExists) {
  create("alice@example.com");
  auto again = store_->create_user(make_user("alice@example.com"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kAccountExists);
  EXPECT_NE(again.error().internal.find("UNIQUE"), std::string::npos) << again.error().internal;
  // The failed INSERT left the statement reusable.
  auto other = store_->create_user(make_user("carol@example.com"));
  EXPECT_TRUE(other) << other.error().internal;
}

TEST_F(SqliteStoreTest, ConcurrentDuplicateRegistrationsGiveExactlyOneAccount) {
  constexpr int kThreads = 6;
  std::latch start(kThreads);
  std::atomic<int> created{0};
  std::atomic<int> exists{0};
  std::atomic<int> other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      auto user = store_->create_user(make_user("race@example.com"));
      if (user) {
        ++created;
      } else if (user.error().code == ErrorCode::kAccountExists) {
        ++exists;
      } else {
        ++other;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(exists.load(), kThreads - 1);
  EXPECT_EQ(other.load(), 0);
}

TEST_F(SqliteStoreTest, UnicodeRoundTrips) {
  NewUser input = make_user("zoe@example.com");
  input.name = "Zoë Ångström 李小龙 🚀 \"quoted\" 'single'";
  input.photo = "фото/зоя.png";
  auto created = store_->create_user(input);
  ASSERT_TRUE(created) << created.error().internal;
  auto found = store_->find_user_by_id(created->id);
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->name, input.name);
  EXPECT_EQ((*found)->photo, input.photo);
}

TEST_F(SqliteStoreTest, ReadsTimestampsOfAdoptedDatabases) {
  RawDb raw(db_path_);
  raw.exec(
      "INSERT INTO api_user (name, email, password, verified, created_at, updated_at) VALUES "
      "('Old', 'old@example.com', '$2b$12$abc', 1, '2023-11-14T22:13:20.123456Z', "
      "'2023-11-14 22:13:20+00:00')");
  raw.exec(
      "INSERT INTO api_user (name, email, password) VALUES ('Default', 'def@example.com', 'x')");
  auto old = store_->find_user_by_email("old@example.com");
  ASSERT_TRUE(old) << old.error().internal;
  ASSERT_TRUE(*old);
  EXPECT_EQ((*old)->created_at, kT0 + std::chrono::microseconds(123456));
  EXPECT_EQ((*old)->updated_at, kT0);
  EXPECT_EQ((*old)->password_hash, "$2b$12$abc");

  // CURRENT_TIMESTAMP defaults from rows inserted by other tools.
  auto defaulted = store_->find_user_by_email("def@example.com");
  ASSERT_TRUE(defaulted) << defaulted.error().internal;
  ASSERT_TRUE(*defaulted);
  EXPECT_LT(std::chrono::abs(std::chrono::system_clock::now() - (*defaulted)->created_at),
            minutes(1));
  EXPECT_FALSE((*defaulted)->verified);
}

TEST_F(SqliteStoreTest, UnreadableTimestampIsAnInternalError) {
  RawDb raw(db_path_);
  raw.exec(
      "INSERT INTO api_user (name, email, password, created_at, updated_at) VALUES "
      "('Bad', 'bad@example.com', 'x', 'yesterday', '2023-11-14 22:13:20')");
  auto bad = store_->find_user_by_email("bad@example.com");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInternal);
  EXPECT_NE(bad.error().internal.find("created_at"), std::string::npos) << bad.error().internal;
  EXPECT_NE(bad.error().internal.find("yesterday"), std::string::npos) << bad.error().internal;
}

TEST_F(SqliteStoreTest, UpdatePasswordHashSetsUpdatedAt) {
  const User alice = create("alice@example.com");
  ASSERT_TRUE(store_->update_password_hash(alice.id, "$argon2id$new", kT0 + hours(2)));
  auto found = store_->find_user_by_id(alice.id);
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->password_hash, "$argon2id$new");
  EXPECT_EQ((*found)->updated_at, kT0 + hours(2));
  EXPECT_EQ((*found)->created_at, kT0);

  auto missing = store_->update_password_hash(alice.id + 100, "$argon2id$x", kT0);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kUserGone);
}

// ---- sessions ----

TEST_F(SqliteStoreTest, SessionLiveness) {
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

  ASSERT_TRUE(store_->revoke_session("sid-a", kT0 + minutes(5), "logout"));
  auto revoked = store_->find_user_with_session(alice.id, "sid-a", kT0 + minutes(6));
  ASSERT_TRUE(revoked && *revoked);
  EXPECT_FALSE((*revoked)->session_live);
}

TEST_F(SqliteStoreTest, LastUsedIsTouchedAtMostOncePerMinute) {
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
  ASSERT_TRUE(store_->revoke_session("sid-a", kT0 + seconds(200), "logout"));
  ASSERT_TRUE(store_->find_user_with_session(alice.id, "sid-a", kT0 + seconds(500)));
  EXPECT_EQ(session_of("hash-a").last_used_at, kT0 + seconds(61));
}

TEST_F(SqliteStoreTest, CreateSessionStoresEveryField) {
  const User alice = create("alice@example.com");
  const NewSession input = make_session(alice.id, "sid-a", "hash-a");
  ASSERT_TRUE(store_->create_session(input));
  const Session s = session_of("hash-a");
  EXPECT_EQ(s.id, "sid-a");
  EXPECT_EQ(s.user_id, alice.id);
  EXPECT_EQ(s.created_at, kT0);
  EXPECT_EQ(s.last_used_at, kT0);
  EXPECT_EQ(s.expires_at, input.expires_at);
  EXPECT_FALSE(s.revoked_at);
  EXPECT_EQ(s.user_agent, "curl/8.0");
  EXPECT_EQ(s.ip, "127.0.0.1");

  auto unknown = store_->find_session_by_refresh_hash("nope");
  ASSERT_TRUE(unknown) << unknown.error().internal;
  EXPECT_FALSE(*unknown);
}

TEST_F(SqliteStoreTest, CreateSessionIsAllOrNothing) {
  const User alice = create("alice@example.com");
  ASSERT_TRUE(store_->create_session(make_session(alice.id, "sid-a", "hash-a")));
  // Same refresh hash again: the session row of the failed call must not stay behind.
  auto clash = store_->create_session(make_session(alice.id, "sid-b", "hash-a"));
  ASSERT_FALSE(clash);
  auto b = store_->find_user_with_session(alice.id, "sid-b", kT0);
  ASSERT_TRUE(b && *b);
  EXPECT_FALSE((*b)->session_live) << "half a session was committed";

  auto gone = store_->create_session(make_session(alice.id + 100, "sid-c", "hash-c"));
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::kUserGone);
}

TEST_F(SqliteStoreTest, RevokeSessionIsIdempotentAndKeepsTheFirstRevocation) {
  const User alice = create("alice@example.com");
  ASSERT_TRUE(store_->create_session(make_session(alice.id, "sid-a", "hash-a")));
  ASSERT_TRUE(store_->revoke_session("sid-a", kT0 + minutes(1), "logout"));
  ASSERT_TRUE(store_->revoke_session("sid-a", kT0 + minutes(2), "logout"));
  ASSERT_TRUE(store_->revoke_session("no-such-session", kT0, "logout"));
  EXPECT_EQ(session_of("hash-a").revoked_at, std::optional<SysTime>(kT0 + minutes(1)));
}

// ---- refresh rotation ----

TEST_F(SqliteStoreTest, RotationReplacesTheToken) {
  const User alice = create("alice@example.com");
  ASSERT_TRUE(store_->create_session(make_session(alice.id, "sid-a", "hash-1")));

  const SysTime t1 = kT0 + minutes(10);
  auto rotated = store_->rotate_refresh_token(make_rotation("hash-1", "hash-2", t1));
  ASSERT_TRUE(rotated) << rotated.error().internal;
  ASSERT_EQ(rotated->outcome, RotateOutcome::kRotated);
  ASSERT_TRUE(rotated->session);
  ASSERT_TRUE(rotated->user);
  EXPECT_EQ(rotated->session->id, "sid-a");
  EXPECT_EQ(rotated->session->last_used_at, t1);
  EXPECT_EQ(rotated->user->id, alice.id);
  EXPECT_EQ(rotated->user->email, "alice@example.com");
  EXPECT_EQ(session_of("hash-2").last_used_at, t1);

  auto next = store_->rotate_refresh_token(make_rotation("hash-2", "hash-3", t1 + minutes(10)));
  ASSERT_TRUE(next) << next.error().internal;
  EXPECT_EQ(next->outcome, RotateOutcome::kRotated);
}

TEST_F(SqliteStoreTest, ReusingARetiredTokenRevokesTheSession) {
  const User alice = create("alice@example.com");
  ASSERT_TRUE(store_->create_session(make_session(alice.id, "sid-a", "hash-1")));
  auto rotated = store_->rotate_refresh_token(make_rotation("hash-1", "hash-2", kT0 + minutes(1)));
  ASSERT_TRUE(rotated) << rotated.error().internal;
  ASSERT_EQ(rotated->outcome, RotateOutcome::kRotated);

  // The attacker (or a confused client) presents the retired token.
  auto reused = store_->rotate_refresh_token(make_rotation("hash-1", "hash-x", kT0 + minutes(2)));
  ASSERT_TRUE(reused) << reused.error().internal;
  EXPECT_EQ(reused->outcome, RotateOutcome::kReused);
  EXPECT_FALSE(reused->session);
  EXPECT_FALSE(reused->user);

  // The revocation was committed: the session is over, for access tokens too.
  EXPECT_EQ(session_of("hash-2").revoked_at, std::optional<SysTime>(kT0 + minutes(2)));
  auto access = store_->find_user_with_session(alice.id, "sid-a", kT0 + minutes(3));
  ASSERT_TRUE(access && *access);
  EXPECT_FALSE((*access)->session_live);

  // The legitimate holder of the newest token is logged out as well.
  auto newest = store_->rotate_refresh_token(make_rotation("hash-2", "hash-3", kT0 + minutes(3)));
  ASSERT_TRUE(newest) << newest.error().internal;
  EXPECT_EQ(newest->outcome, RotateOutcome::kRevoked);
  // And the attacker's replacement hash was never stored.
  auto attacker = store_->find_session_by_refresh_hash("hash-x");
  ASSERT_TRUE(attacker);
  EXPECT_FALSE(*attacker);
}

TEST_F(SqliteStoreTest, UnknownTokenIsUnknown) {
  auto rotated = store_->rotate_refresh_token(make_rotation("nope", "next", kT0));
  ASSERT_TRUE(rotated) << rotated.error().internal;
  EXPECT_EQ(rotated->outcome, RotateOutcome::kUnknown);
}

TEST_F(SqliteStoreTest, ExpiredTokenOrSessionIsExpired) {
  const User alice = create("alice@example.com");
  ASSERT_TRUE(store_->create_session(make_session(alice.id, "sid-a", "hash-a")));
  // The refresh token lives an hour.
  auto late = store_->rotate_refresh_token(make_rotation("hash-a", "hash-a2", kT0 + hours(1)));
  ASSERT_TRUE(late) << late.error().internal;
  EXPECT_EQ(late->outcome, RotateOutcome::kExpired);
  // Nothing changed: the token is still current, and still usable within its lifetime.
  auto in_time =
      store_->rotate_refresh_token(make_rotation("hash-a", "hash-a3", kT0 + minutes(59)));
  ASSERT_TRUE(in_time) << in_time.error().internal;
  EXPECT_EQ(in_time->outcome, RotateOutcome::kRotated);

  // The session's absolute end wins over a fresher token.
  NewSession short_session = make_session(alice.id, "sid-b", "hash-b");
  short_session.expires_at = kT0 + minutes(30);
  ASSERT_TRUE(store_->create_session(short_session));
  auto over = store_->rotate_refresh_token(make_rotation("hash-b", "hash-b2", kT0 + minutes(30)));
  ASSERT_TRUE(over) << over.error().internal;
  EXPECT_EQ(over->outcome, RotateOutcome::kExpired);
}

TEST_F(SqliteStoreTest, ConcurrentRotationsOfOneTokenNeverFork) {
  const User alice = create("alice@example.com");
  constexpr int kRounds = 50;
  for (int round = 0; round < kRounds; ++round) {
    const std::string sid = "sid-" + std::to_string(round);
    const std::string hash = "hash-" + std::to_string(round);
    ASSERT_TRUE(store_->create_session(make_session(alice.id, sid, hash)));
    std::latch start(2);
    std::vector<Result<RotateResult>> results(2, Error{});
    std::vector<std::thread> threads;
    for (int i = 0; i < 2; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        results[i] = store_->rotate_refresh_token(
            make_rotation(hash, hash + "-next-" + std::to_string(i), kT0 + minutes(1)));
      });
    }
    for (auto& t : threads) t.join();
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

// ---- failures ----

TEST_F(SqliteStoreTest, HeldWriteLockIsUnavailableAndRollsBack) {
  auto impatient = open_store(milliseconds(50));
  ASSERT_NE(impatient, nullptr);
  const User alice = create("alice@example.com");
  ASSERT_TRUE(store_->create_session(make_session(alice.id, "sid-a", "hash-1")));

  {
    RawDb other(db_path_);
    other.exec("BEGIN IMMEDIATE");
    auto user = impatient->create_user(make_user("bob@example.com"));
    ASSERT_FALSE(user);
    EXPECT_EQ(user.error().code, ErrorCode::kUnavailable);
    EXPECT_NE(user.error().internal.find("locked"), std::string::npos) << user.error().internal;

    auto rotated =
        impatient->rotate_refresh_token(make_rotation("hash-1", "hash-2", kT0 + minutes(1)));
    ASSERT_FALSE(rotated);
    EXPECT_EQ(rotated.error().code, ErrorCode::kUnavailable);

    // Readers are not blocked by a writer in WAL mode.
    auto found = impatient->find_user_by_id(alice.id);
    EXPECT_TRUE(found && *found);
    other.exec("ROLLBACK");
  }

  // Nothing of the failed rotation stayed; the same connections work again.
  auto rotated =
      impatient->rotate_refresh_token(make_rotation("hash-1", "hash-2", kT0 + minutes(1)));
  ASSERT_TRUE(rotated) << rotated.error().internal;
  EXPECT_EQ(rotated->outcome, RotateOutcome::kRotated);
}

TEST_F(SqliteStoreTest, Ping) {
  EXPECT_TRUE(store_->ping());
  EXPECT_TRUE(store_->ping());
}

}  // namespace
}  // namespace gatehouse::store

// ---- session management, grace, sweep and throttle counters ----

namespace gatehouse::store {
namespace {

RotateRequest graced(std::string presented, std::string next, SysTime now, seconds grace) {
  RotateRequest r = make_rotation(std::move(presented), std::move(next), now);
  r.new_sealed = "sealed-" + r.new_hash;
  r.grace = grace;
  return r;
}

TEST_F(SqliteStoreTest, ParentWithinGraceGetsTheCurrentTokenAndNothingChanges) {
  const User user = create("grace@example.com");
  ASSERT_TRUE(store_->create_session(make_session(user.id, "s1", "h1")));
  auto first = store_->rotate_refresh_token(graced("h1", "h2", kT0 + seconds(10), seconds(5)));
  ASSERT_TRUE(first);
  ASSERT_EQ(first->outcome, RotateOutcome::kRotated);

  auto replay = store_->rotate_refresh_token(graced("h1", "h3", kT0 + seconds(12), seconds(5)));
  ASSERT_TRUE(replay);
  EXPECT_EQ(replay->outcome, RotateOutcome::kGraceReplay);
  EXPECT_EQ(replay->current_sealed, "sealed-h2");
  ASSERT_TRUE(replay->user);
  EXPECT_EQ(replay->user->id, user.id);
  // h3 was not stored and h2 is still current.
  EXPECT_EQ(store_->rotate_refresh_token(graced("h3", "h4", kT0 + seconds(13), seconds(5)))->outcome,
            RotateOutcome::kUnknown);
  EXPECT_EQ(store_->rotate_refresh_token(graced("h2", "h5", kT0 + seconds(13), seconds(5)))->outcome,
            RotateOutcome::kRotated);
  // h1 is now a grandparent: a replay is a reuse even inside the interval.
  EXPECT_EQ(store_->rotate_refresh_token(graced("h1", "h6", kT0 + seconds(14), seconds(5)))->outcome,
            RotateOutcome::kReused);
  EXPECT_EQ(store_->rotate_refresh_token(graced("h5", "h7", kT0 + seconds(14), seconds(5)))->outcome,
            RotateOutcome::kRevoked);
}

TEST_F(SqliteStoreTest, ParentAfterGraceIsAReuse) {
  const User user = create("late@example.com");
  ASSERT_TRUE(store_->create_session(make_session(user.id, "s1", "h1")));
  ASSERT_EQ(store_->rotate_refresh_token(graced("h1", "h2", kT0, seconds(5)))->outcome,
            RotateOutcome::kRotated);
  EXPECT_EQ(store_->rotate_refresh_token(graced("h1", "h3", kT0 + seconds(5), seconds(5)))->outcome,
            RotateOutcome::kReused);
  EXPECT_EQ(store_->rotate_refresh_token(graced("h2", "h4", kT0 + seconds(6), seconds(5)))->outcome,
            RotateOutcome::kRevoked);
}

TEST_F(SqliteStoreTest, ListAndRevokeSessionsOfOneUserOnly) {
  const User alice = create("alice@example.com");
  const User bob = create("bob@example.com");
  ASSERT_TRUE(store_->create_session(make_session(alice.id, "a1", "ha1", kT0)));
  ASSERT_TRUE(store_->create_session(make_session(alice.id, "a2", "ha2", kT0 + seconds(1))));
  ASSERT_TRUE(store_->create_session(make_session(alice.id, "a3", "ha3", kT0 + seconds(2))));
  ASSERT_TRUE(store_->create_session(make_session(bob.id, "b1", "hb1", kT0)));

  auto list = store_->list_sessions(alice.id, kT0 + seconds(5));
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].id, "a3") << "newest first";

  EXPECT_FALSE(*store_->revoke_user_session(bob.id, "a1", kT0 + seconds(5), "user"))
      << "not bob's session";
  EXPECT_TRUE(*store_->revoke_user_session(alice.id, "a1", kT0 + seconds(5), "user"));
  EXPECT_FALSE(*store_->revoke_user_session(alice.id, "a1", kT0 + seconds(6), "user"))
      << "already ended";

  auto others = store_->revoke_user_sessions(alice.id, "a3", kT0 + seconds(7), "logout_others");
  ASSERT_TRUE(others);
  EXPECT_EQ(*others, 1u);
  list = store_->list_sessions(alice.id, kT0 + seconds(8));
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].id, "a3");
  EXPECT_EQ(*store_->revoke_user_sessions(alice.id, "", kT0 + seconds(9), "logout_global"), 1u);
  EXPECT_TRUE(store_->list_sessions(alice.id, kT0 + seconds(10))->empty());
  EXPECT_EQ(store_->list_sessions(bob.id, kT0 + seconds(10))->size(), 1u);
}

TEST_F(SqliteStoreTest, SweepDeletesOnlyWhatNoCheckNeeds) {
  const User user = create("sweep@example.com");
  NewSession old = make_session(user.id, "old", "h-old", kT0);
  old.expires_at = kT0 + hours(1);
  ASSERT_TRUE(store_->create_session(old));
  ASSERT_TRUE(store_->create_session(make_session(user.id, "live", "h-live", kT0)));
  ASSERT_TRUE(store_->create_session(make_session(user.id, "revoked", "h-rev", kT0)));
  ASSERT_TRUE(store_->revoke_session("revoked", kT0 + hours(2), "logout"));

  // A day after the old session expired, within the retention of the revocation.
  auto swept = store_->sweep(kT0 + hours(26), hours(24));
  ASSERT_TRUE(swept) << swept.error().internal;
  EXPECT_EQ(*swept, 1u) << "the old session (its token goes with it, by cascade)";
  EXPECT_FALSE(*store_->find_session_by_refresh_hash("h-old"));
  EXPECT_TRUE(*store_->find_session_by_refresh_hash("h-rev"));
  EXPECT_TRUE(*store_->find_session_by_refresh_hash("h-live"));
}

TEST_F(SqliteStoreTest, ThrottleUpdatesFromManyThreadsAllCount) {
  constexpr int kThreads = 6;
  constexpr int kEach = 25;
  std::vector<std::thread> threads;
  std::atomic<int> errors{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        auto r = store_->update_throttle(
            "k1", [](ThrottleRecord& rec) { ++rec.window_count; }, kT0);
        if (!r) ++errors;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  auto rec = store_->get_throttle("k1");
  ASSERT_TRUE(rec && *rec);
  EXPECT_EQ((*rec)->window_count, kThreads * kEach);
  EXPECT_FALSE(*store_->get_throttle("k2"));
  // Idle counters are swept once they are a day old and not blocking.
  ASSERT_TRUE(store_->sweep(kT0 + hours(25), hours(24)));
  EXPECT_FALSE(*store_->get_throttle("k1"));
}

}  // namespace
}  // namespace gatehouse::store
