#include "store/mysql/mysql_store.hpp"

#include <gtest/gtest.h>
#include <mysql.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <latch>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "config/settings.hpp"
#include "store/migrations.hpp"
#include "mysql_test_support.hpp"
#include "store_test_support.hpp"

namespace gatehouse::store {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using testing::RawConnection;
using testing::Row;
using testing::TestDatabase;
using testing::kUrlVariable;
using testing::test_server;

using testing::kT0;
using testing::make_rotation;
using testing::make_session;
using testing::make_user;


// Polls `done` every 10 ms for up to 5 s; true once it held.
template <class Predicate>
bool eventually(Predicate done) {
  const auto deadline = std::chrono::steady_clock::now() + seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return done();
}

class MysqlStoreTest : public ::testing::Test {
 protected:
  static constexpr std::size_t kPoolSize = 6;

  void SetUp() override {
    const auto server = test_server();
    if (!server) {
      GTEST_SKIP() << kUrlVariable
                   << " is not set: these tests need a MariaDB/MySQL server "
                      "(scripts/test.sh starts a private one and sets it)";
    }
    db_ = std::make_unique<TestDatabase>(*server);
    store_ = open_store(options());
    ASSERT_NE(store_, nullptr);
    auto target = store_->migration_target();
    Migrator migrator(*target, embedded_migrations("mysql"), "api_");
    auto applied = migrator.up();
    ASSERT_TRUE(applied) << applied.error().internal;
  }

  MysqlOptions options() const {
    MysqlOptions o;
    o.endpoint = db_->endpoint();
    o.prefix = "api_";
    o.pool_size = kPoolSize;
    return o;
  }

  static std::unique_ptr<MysqlStore> open_store(const MysqlOptions& options) {
    auto opened = MysqlStore::open(options);
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

  std::unique_ptr<TestDatabase> db_;  // declared first: dropped after the store is closed
  std::unique_ptr<MysqlStore> store_;
};

// ---- opening ----

TEST(MysqlStoreOpen, RefusesUnsafeOptions) {
  MysqlOptions options;
  options.endpoint.database = "gatehouse";
  options.prefix = "api; DROP TABLE x; --";
  EXPECT_FALSE(MysqlStore::open(options));
  options.prefix = std::string(33, 'a');  // index names would pass MySQL's 64 characters
  EXPECT_FALSE(MysqlStore::open(options));
  options.prefix = "api_";
  options.pool_size = 0;
  EXPECT_FALSE(MysqlStore::open(options));
  options.pool_size = 1;
  options.endpoint.database = "";
  EXPECT_FALSE(MysqlStore::open(options));
  options.endpoint.database = "gatehouse";
  // Nothing is connected yet, so this works without a server.
  EXPECT_TRUE(MysqlStore::open(options));
}

// A TCP port on 127.0.0.1 where nothing listens (bound, then released).
std::uint16_t closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

TEST(MysqlStoreOpen, UnreachableServerIsUnavailableQuickly) {
  MysqlOptions options;
  options.endpoint.host = "127.0.0.1";
  options.endpoint.port = closed_port();
  options.endpoint.database = "gatehouse";
  options.endpoint.user = "gatehouse";
  options.endpoint.password = "secret-password";
  options.prefix = "api_";
  options.pool_size = 2;
  auto store = MysqlStore::open(options);  // succeeds: connecting is lazy
  ASSERT_TRUE(store) << store.error().internal;

  for (int i = 0; i < 3; ++i) {
    const auto started = std::chrono::steady_clock::now();
    auto ping = (*store)->ping();
    auto user = (*store)->find_user_by_email("alice@example.com");
    auto created = (*store)->create_user(make_user("alice@example.com"));
    const auto elapsed = std::chrono::steady_clock::now() - started;
    EXPECT_LT(elapsed, seconds(3));
    ASSERT_FALSE(ping);
    EXPECT_EQ(ping.error().code, ErrorCode::kUnavailable);
    EXPECT_NE(ping.error().internal.find("127.0.0.1:" + std::to_string(options.endpoint.port)),
              std::string::npos)
        << ping.error().internal;
    EXPECT_EQ(ping.error().internal.find("secret-password"), std::string::npos);
    ASSERT_FALSE(user);
    EXPECT_EQ(user.error().code, ErrorCode::kUnavailable);
    ASSERT_FALSE(created);
    EXPECT_EQ(created.error().code, ErrorCode::kUnavailable);
  }
}

TEST(MysqlStoreOpen, SilentServerIsUnavailableWithinTheConnectTimeout) {
  // Accepts TCP connections (the kernel does, from the backlog) but never greets.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 16), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);

  MysqlOptions options;
  options.endpoint.host = "127.0.0.1";
  options.endpoint.port = ntohs(addr.sin_port);
  options.endpoint.database = "gatehouse";
  options.endpoint.connect_timeout = seconds(1);
  options.pool_size = 1;
  auto store = MysqlStore::open(options);
  ASSERT_TRUE(store) << store.error().internal;
  const auto started = std::chrono::steady_clock::now();
  auto ping = (*store)->ping();
  const auto elapsed = std::chrono::steady_clock::now() - started;
  ::close(fd);
  ASSERT_FALSE(ping);
  EXPECT_EQ(ping.error().code, ErrorCode::kUnavailable);
  EXPECT_LT(elapsed, milliseconds(2500));
}

TEST_F(MysqlStoreTest, UnmigratedPrefixGivesInternalErrorNamingTheTable) {
  MysqlOptions o = options();
  o.prefix = "nothing_";
  auto other = open_store(o);
  ASSERT_NE(other, nullptr);
  EXPECT_TRUE(other->ping());
  auto user = other->find_user_by_id(1);
  ASSERT_FALSE(user);
  EXPECT_EQ(user.error().code, ErrorCode::kInternal);
  EXPECT_NE(user.error().internal.find("nothing_user' doesn't exist"), std::string::npos)
      << user.error().internal;
  // A failed prepare leaves the connection usable.
  EXPECT_TRUE(other->ping());
}

// ---- users ----

TEST_F(MysqlStoreTest, CreateUserReturnsTheStoredRow) {
  NewUser input = make_user("alice@example.com", kT0 + milliseconds(750));
  input.photo = "alice.png";
  input.role = "admin";
  input.verified = false;
  auto created = store_->create_user(input);
  ASSERT_TRUE(created) << created.error().internal;
  EXPECT_GT(created->id, 0);
  EXPECT_EQ(created->created_at, kT0);  // stored to the second
  EXPECT_EQ(created->updated_at, kT0);
  EXPECT_EQ(db_->raw().scalar("SELECT MAX(id) FROM api_user"), std::to_string(created->id));

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

TEST_F(MysqlStoreTest, MissingUsersAreNullopt) {
  auto by_email = store_->find_user_by_email("nobody@example.com");
  ASSERT_TRUE(by_email) << by_email.error().internal;
  EXPECT_FALSE(*by_email);
  auto by_id = store_->find_user_by_id(12345);
  ASSERT_TRUE(by_id) << by_id.error().internal;
  EXPECT_FALSE(*by_id);
}

TEST_F(MysqlStoreTest, DuplicateEmailIsAccountExists) {
  create("alice@example.com");
  auto again = store_->create_user(make_user("alice@example.com"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kAccountExists);
  EXPECT_NE(again.error().internal.find("Duplicate entry"), std::string::npos)
      << again.error().internal;
  // The column's collation (utf8mb4_unicode_ci) makes the letter case irrelevant.
  auto upper = store_->create_user(make_user("ALICE@Example.COM"));
  ASSERT_FALSE(upper);
  EXPECT_EQ(upper.error().code, ErrorCode::kAccountExists);
  // The failed INSERTs left the statement and the connections usable, and nothing behind.
  auto other = store_->create_user(make_user("carol@example.com"));
  EXPECT_TRUE(other) << other.error().internal;
  EXPECT_EQ(db_->raw().scalar("SELECT COUNT(*) FROM api_user"), "2");
}

TEST_F(MysqlStoreTest, ConcurrentDuplicateRegistrationsGiveExactlyOneAccount) {
  constexpr int kThreads = 6;
  for (int round = 0; round < 5; ++round) {
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
  EXPECT_EQ(db_->raw().scalar("SELECT COUNT(*) FROM api_user"), "5");
}

TEST_F(MysqlStoreTest, UnicodeRoundTrips) {
  NewUser input = make_user("zoe@example.com");
  input.name = "张三 Zoë ✓ 😀 \"quoted\" 'single' back\\slash";
  input.photo = "фото/зоя.png";
  auto created = store_->create_user(input);
  ASSERT_TRUE(created) << created.error().internal;
  auto found = store_->find_user_by_id(created->id);
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->name, input.name);
  EXPECT_EQ((*found)->photo, input.photo);
  // Stored as characters, not as mis-decoded bytes: the emoji is one 4-byte character.
  EXPECT_EQ(db_->raw().scalar("SELECT CHAR_LENGTH(name) FROM api_user WHERE email = "
                              "'zoe@example.com'"),
            "39");
  EXPECT_EQ(db_->raw().scalar("SELECT HEX(SUBSTRING(name, 10, 1)) FROM api_user"), "F09F9880");
}

TEST_F(MysqlStoreTest, TimestampsAreUtcWhateverTheWritersTimeZone) {
  auto alice = store_->create_user(make_user("alice@example.com"));
  ASSERT_TRUE(alice) << alice.error().internal;
  // What the store wrote is kT0 in UTC.
  EXPECT_EQ(db_->raw().scalar("SELECT UNIX_TIMESTAMP(created_at) FROM api_user"), "1700000000");

  // A row written by a client in another time zone means the same instants.
  auto cet = db_->connect();
  cet->exec("SET time_zone = '+02:00'");
  cet->exec(
      "INSERT INTO api_user (name, email, password, verified, created_at, updated_at) VALUES "
      "('Old', 'old@example.com', '$2b$12$abc', 1, '2023-11-15 00:13:20', "
      "'2023-11-15 00:13:21')");
  cet->exec(
      "INSERT INTO api_user (name, email, password) VALUES ('Default', 'def@example.com', 'x')");
  auto old = store_->find_user_by_email("old@example.com");
  ASSERT_TRUE(old) << old.error().internal;
  ASSERT_TRUE(*old);
  EXPECT_EQ((*old)->created_at, kT0);
  EXPECT_EQ((*old)->updated_at, kT0 + seconds(1));

  // CURRENT_TIMESTAMP defaults from rows inserted by other tools.
  auto defaulted = store_->find_user_by_email("def@example.com");
  ASSERT_TRUE(defaulted) << defaulted.error().internal;
  ASSERT_TRUE(*defaulted);
  EXPECT_LT(std::chrono::abs(std::chrono::system_clock::now() - (*defaulted)->created_at),
            minutes(1));
  EXPECT_FALSE((*defaulted)->verified);
  EXPECT_EQ((*defaulted)->role, "user");
}

TEST_F(MysqlStoreTest, SessionsRunInUtcWhateverTheServersTimeZone) {
  // A new connection starts in the server's time zone: make it far from UTC while the store
  // connects (briefly: the store and the tests' own connections all set their zone).
  RawConnection& raw = db_->raw();
  const std::string previous = raw.scalar("SELECT @@GLOBAL.time_zone");
  try {
    raw.exec("SET GLOBAL time_zone = '-07:00'");
  } catch (const std::exception& e) {
    GTEST_SKIP() << "cannot change the server's time zone: " << e.what();
  }
  MysqlOptions o = options();
  o.pool_size = 1;
  auto store = open_store(o);
  const auto ping = store->ping();  // connects now
  raw.exec("SET GLOBAL time_zone = '" + previous + "'");
  ASSERT_TRUE(ping) << ping.error().internal;

  auto created = store->create_user(make_user("alice@example.com"));
  ASSERT_TRUE(created) << created.error().internal;
  EXPECT_EQ(raw.scalar("SELECT UNIX_TIMESTAMP(created_at) FROM api_user"), "1700000000");
  auto found = store->find_user_by_email("alice@example.com");
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->created_at, kT0);
}

TEST_F(MysqlStoreTest, ZeroDateIsAnInternalError) {
  auto lax = db_->connect();
  lax->exec("SET SESSION sql_mode = ''");
  lax->exec(
      "INSERT INTO api_user (name, email, password, created_at, updated_at) VALUES "
      "('Bad', 'bad@example.com', 'x', '0000-00-00 00:00:00', '2023-11-14 22:13:20')");
  auto bad = store_->find_user_by_email("bad@example.com");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInternal);
  EXPECT_NE(bad.error().internal.find("created_at"), std::string::npos) << bad.error().internal;
}

TEST_F(MysqlStoreTest, LongValuesAreReadWhole) {
  NewUser input = make_user("long@example.com");
  input.name = std::string(255, 'n');
  input.password_hash = std::string(255, 'p');
  input.photo = std::string(250, 'x') + "😀";  // 254 characters, 254 + 3 bytes
  auto created = store_->create_user(input);
  ASSERT_TRUE(created) << created.error().internal;
  auto found = store_->find_user_by_id(created->id);
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->name, input.name);
  EXPECT_EQ((*found)->password_hash, input.password_hash);
  EXPECT_EQ((*found)->photo, input.photo);
}

TEST_F(MysqlStoreTest, ValuesLongerThanTheFirstBufferAreReadWhole) {
  // user_agent is VARCHAR(512): up to 2048 bytes, more than a column buffer starts with, so these
  // are read again into a grown buffer, which later rows and later executions then reuse.
  const User alice = create("alice@example.com");
  std::string long_agent;
  for (int i = 0; i < 512; ++i) long_agent += "€";  // 1536 bytes
  NewSession first = make_session(alice.id, "s1", "h1", kT0);
  first.user_agent = long_agent;
  NewSession second = make_session(alice.id, "s2", "h2", kT0 + seconds(1));
  second.user_agent = "short";
  NewSession third = make_session(alice.id, "s3", "h3", kT0 + seconds(2));
  for (int i = 0; i < 400; ++i) third.user_agent += "😀";  // 1600 bytes
  for (const auto& s : {first, second, third}) {
    auto created = store_->create_session(s);
    ASSERT_TRUE(created) << created.error().internal;
  }

  for (int round = 0; round < 2; ++round) {
    auto list = store_->list_sessions(alice.id, kT0 + seconds(5));
    ASSERT_TRUE(list) << list.error().internal;
    ASSERT_EQ(list->size(), 3u);
    EXPECT_EQ((*list)[0].user_agent, third.user_agent);
    EXPECT_EQ((*list)[1].user_agent, "short");
    EXPECT_EQ((*list)[2].user_agent, long_agent);
    EXPECT_EQ((*list)[2].ip, "127.0.0.1");
  }
  EXPECT_EQ(session_of("h1").user_agent, long_agent);
}

TEST_F(MysqlStoreTest, TooLongValueIsAnErrorNotCutShort) {
  const User alice = create("alice@example.com");
  NewSession session = make_session(alice.id, "s1", "h1");
  session.user_agent = std::string(513, 'a');  // VARCHAR(512)
  auto created = store_->create_session(session);
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code, ErrorCode::kInternal);
  EXPECT_NE(created.error().internal.find("Data too long"), std::string::npos)
      << created.error().internal;
  EXPECT_EQ(db_->raw().scalar("SELECT COUNT(*) FROM api_session"), "0");
}

TEST_F(MysqlStoreTest, UpdatePasswordHashSetsUpdatedAt) {
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

TEST_F(MysqlStoreTest, SessionLiveness) {
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

  ASSERT_TRUE(store_->revoke_session("sid-a", kT0 + minutes(5), "logout"));
  auto revoked = store_->find_user_with_session(alice.id, "sid-a", kT0 + minutes(6));
  ASSERT_TRUE(revoked && *revoked);
  EXPECT_FALSE((*revoked)->session_live);
}

TEST_F(MysqlStoreTest, LastUsedIsTouchedAtMostOncePerMinute) {
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

TEST_F(MysqlStoreTest, CreateSessionStoresEveryField) {
  const User alice = create("alice@example.com");
  NewSession input = make_session(alice.id, "sid-a", "hash-a");
  input.user_agent = "Mozilla/5.0 (X11; Linux) — ünïcode";
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

  auto unknown = store_->find_session_by_refresh_hash("nope");
  ASSERT_TRUE(unknown) << unknown.error().internal;
  EXPECT_FALSE(*unknown);
  // Token hashes compare byte for byte.
  auto other_case = store_->find_session_by_refresh_hash("HASH-A");
  ASSERT_TRUE(other_case) << other_case.error().internal;
  EXPECT_FALSE(*other_case);
}

TEST_F(MysqlStoreTest, CreateSessionIsAllOrNothing) {
  const User alice = create("alice@example.com");
  ASSERT_TRUE(store_->create_session(make_session(alice.id, "sid-a", "hash-a")));
  // Same refresh hash again: the session row of the failed call must not stay behind.
  auto clash = store_->create_session(make_session(alice.id, "sid-b", "hash-a"));
  ASSERT_FALSE(clash);
  EXPECT_EQ(clash.error().code, ErrorCode::kInternal);
  auto b = store_->find_user_with_session(alice.id, "sid-b", kT0);
  ASSERT_TRUE(b && *b);
  EXPECT_FALSE((*b)->session_live) << "half a session was committed";
  EXPECT_EQ(db_->raw().scalar("SELECT COUNT(*) FROM api_session"), "1");

  auto gone = store_->create_session(make_session(alice.id + 100, "sid-c", "hash-c"));
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::kUserGone);
}

TEST_F(MysqlStoreTest, RevokeSessionIsIdempotentAndKeepsTheFirstRevocation) {
  const User alice = create("alice@example.com");
  ASSERT_TRUE(store_->create_session(make_session(alice.id, "sid-a", "hash-a")));
  ASSERT_TRUE(store_->revoke_session("sid-a", kT0 + minutes(1), "logout"));
  ASSERT_TRUE(store_->revoke_session("sid-a", kT0 + minutes(2), "other"));
  ASSERT_TRUE(store_->revoke_session("no-such-session", kT0, "logout"));
  EXPECT_EQ(session_of("hash-a").revoked_at, std::optional<SysTime>(kT0 + minutes(1)));
  EXPECT_EQ(db_->raw().scalar("SELECT revoke_reason FROM api_session"), "logout");
}

TEST_F(MysqlStoreTest, DeletingAUserCascadesToItsSessions) {
  const User alice = create("alice@example.com");
  ASSERT_TRUE(store_->create_session(make_session(alice.id, "sid-a", "hash-a")));
  db_->raw().exec("DELETE FROM api_user WHERE id = " + std::to_string(alice.id));
  auto session = store_->find_session_by_refresh_hash("hash-a");
  ASSERT_TRUE(session) << session.error().internal;
  EXPECT_FALSE(*session);
  EXPECT_EQ(db_->raw().scalar("SELECT COUNT(*) FROM api_refresh_token"), "0");
}

// ---- refresh rotation ----

TEST_F(MysqlStoreTest, RotationReplacesTheToken) {
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

TEST_F(MysqlStoreTest, ReusingARetiredTokenRevokesTheSession) {
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
  EXPECT_EQ(db_->raw().scalar("SELECT revoke_reason FROM api_session"), "refresh_reuse");
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

TEST_F(MysqlStoreTest, UnknownTokenIsUnknown) {
  auto rotated = store_->rotate_refresh_token(make_rotation("nope", "next", kT0));
  ASSERT_TRUE(rotated) << rotated.error().internal;
  EXPECT_EQ(rotated->outcome, RotateOutcome::kUnknown);
}

TEST_F(MysqlStoreTest, ExpiredTokenOrSessionIsExpired) {
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

TEST_F(MysqlStoreTest, ConcurrentRotationsOfOneTokenNeverFork) {
  const User alice = create("alice@example.com");
  constexpr int kRounds = 30;
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

TEST_F(MysqlStoreTest, Ping) {
  EXPECT_TRUE(store_->ping());
  EXPECT_TRUE(store_->ping());
}

// ---- failures ----

TEST_F(MysqlStoreTest, HeldRowLockIsUnavailableAndRollsBack) {
  MysqlOptions o = options();
  o.lock_wait_timeout = seconds(1);
  auto impatient = open_store(o);
  ASSERT_NE(impatient, nullptr);
  const User alice = create("alice@example.com");
  ASSERT_TRUE(store_->create_session(make_session(alice.id, "sid-a", "hash-1")));

  {
    auto other = db_->connect();
    other->exec("START TRANSACTION");
    other->exec("SELECT * FROM api_session WHERE id = 'sid-a' FOR UPDATE");
    const auto started = std::chrono::steady_clock::now();
    auto rotated =
        impatient->rotate_refresh_token(make_rotation("hash-1", "hash-2", kT0 + minutes(1)));
    const auto elapsed = std::chrono::steady_clock::now() - started;
    ASSERT_FALSE(rotated);
    EXPECT_EQ(rotated.error().code, ErrorCode::kUnavailable);
    EXPECT_NE(rotated.error().internal.find("Lock wait timeout"), std::string::npos)
        << rotated.error().internal;
    // Tried twice, each waiting lock_wait_timeout; never the 5 s read timeout.
    EXPECT_GE(elapsed, milliseconds(1900));
    EXPECT_LT(elapsed, milliseconds(4500));

    // Plain reads do not wait for row locks.
    auto found = impatient->find_user_by_id(alice.id);
    EXPECT_TRUE(found && *found);
    other->exec("ROLLBACK");
  }

  // Nothing of the failed rotation stayed; the same connections work again.
  EXPECT_EQ(db_->raw().scalar("SELECT COUNT(*) FROM api_refresh_token"), "1");
  auto rotated =
      impatient->rotate_refresh_token(make_rotation("hash-1", "hash-2", kT0 + minutes(1)));
  ASSERT_TRUE(rotated) << rotated.error().internal;
  EXPECT_EQ(rotated->outcome, RotateOutcome::kRotated);
}

TEST_F(MysqlStoreTest, ExhaustedPoolIsUnavailable) {
  MysqlOptions o = options();
  o.pool_size = 1;
  o.pool_wait = milliseconds(200);
  auto small = open_store(o);
  ASSERT_NE(small, nullptr);
  const User alice = create("alice@example.com");
  ASSERT_TRUE(store_->create_session(make_session(alice.id, "sid-a", "hash-1")));
  ASSERT_TRUE(small->ping());

  auto other = db_->connect();
  other->exec("START TRANSACTION");
  other->exec("SELECT * FROM api_refresh_token WHERE token_hash = 'hash-1' FOR UPDATE");
  // The only connection waits for the row lock...
  std::jthread waiting([&] {
    auto rotated = small->rotate_refresh_token(make_rotation("hash-1", "hash-2", kT0));
    EXPECT_TRUE(rotated) << rotated.error().internal;
  });
  EXPECT_TRUE(eventually([&] { return !db_->locking_read().empty(); }));
  // ...so another caller gets a quick, clear answer.
  const auto started = std::chrono::steady_clock::now();
  auto ping = small->ping();
  EXPECT_LT(std::chrono::steady_clock::now() - started, seconds(1));
  ASSERT_FALSE(ping);
  EXPECT_EQ(ping.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(ping.error().internal.find("database pool exhausted"), std::string::npos)
      << ping.error().internal;
  other->exec("ROLLBACK");
  waiting.join();
  EXPECT_TRUE(small->ping());
}

TEST_F(MysqlStoreTest, KilledConnectionsAreReplacedWithoutFailingRequests) {
  // Every pooled connection has been used, then the server drops them all (as a restart would).
  const User alice = create("alice@example.com");
  ASSERT_TRUE(store_->create_session(make_session(alice.id, "sid-a", "hash-1")));
  {
    std::latch start(kPoolSize);
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < kPoolSize; ++i) {
      threads.emplace_back([&] {
        start.arrive_and_wait();
        EXPECT_TRUE(store_->find_user_by_id(alice.id));
      });
    }
    for (auto& t : threads) t.join();
  }
  const std::set<std::string> before = db_->store_connections();
  ASSERT_FALSE(before.empty());
  for (const std::string& id : before) db_->raw().exec("KILL CONNECTION " + id);
  ASSERT_TRUE(eventually([&] { return db_->store_connections().empty(); }));

  for (std::size_t i = 0; i < kPoolSize + 1; ++i) {
    auto found = store_->find_user_by_id(alice.id);
    ASSERT_TRUE(found) << found.error().internal;
    EXPECT_TRUE(*found);
  }
  auto created = store_->create_user(make_user("bob@example.com"));
  EXPECT_TRUE(created) << created.error().internal;
  auto rotated = store_->rotate_refresh_token(make_rotation("hash-1", "hash-2", kT0));
  ASSERT_TRUE(rotated) << rotated.error().internal;
  EXPECT_EQ(rotated->outcome, RotateOutcome::kRotated);
  EXPECT_TRUE(store_->ping());
  for (const std::string& id : db_->store_connections()) EXPECT_FALSE(before.contains(id));
}

TEST_F(MysqlStoreTest, ConnectionLostMidRequestIsRetriedOnceOnAFreshConnection) {
  MysqlOptions o = options();
  o.pool_size = 1;
  auto single = open_store(o);
  ASSERT_NE(single, nullptr);
  const User alice = create("alice@example.com");
  ASSERT_TRUE(store_->create_session(make_session(alice.id, "sid-a", "hash-1")));
  ASSERT_TRUE(single->ping());
  store_.reset();  // only `single` is connected now

  auto other = db_->connect();
  other->exec("START TRANSACTION");
  other->exec("SELECT * FROM api_refresh_token WHERE token_hash = 'hash-1' FOR UPDATE");
  std::optional<Result<RotateResult>> result;
  std::jthread rotating(
      [&] { result = single->rotate_refresh_token(make_rotation("hash-1", "hash-2", kT0)); });

  // The rotation waits for the row lock inside its transaction; its connection dies there.
  std::string first;
  ASSERT_TRUE(eventually([&] { return !(first = db_->locking_read()).empty(); }));
  db_->raw().exec("KILL CONNECTION " + first);
  // It is tried again on a new connection, which waits for the same lock...
  std::string second;
  EXPECT_TRUE(eventually([&] {
    second = db_->locking_read();
    return !second.empty() && second != first;
  }));
  // ...and succeeds once the lock is gone.
  other->exec("ROLLBACK");
  rotating.join();
  ASSERT_TRUE(result);
  ASSERT_TRUE(*result) << (*result).error().internal;
  EXPECT_EQ((*result)->outcome, RotateOutcome::kRotated);
}

// ---- grace replay, session management, sweep and throttle counters ----

RotateRequest graced(std::string presented, std::string next, SysTime now, seconds grace) {
  RotateRequest r = make_rotation(std::move(presented), std::move(next), now);
  r.new_sealed = "sealed-" + r.new_hash;
  r.grace = grace;
  return r;
}

RotateOutcome outcome_of(const Result<RotateResult>& r) {
  EXPECT_TRUE(r) << r.error().internal;
  return r ? r->outcome : RotateOutcome::kUnknown;
}

TEST_F(MysqlStoreTest, ParentWithinGraceGetsTheCurrentTokenAndNothingChanges) {
  const User user = create("grace@example.com");
  NewSession session = make_session(user.id, "s1", "h1");
  session.refresh_sealed = "sealed-h1";
  ASSERT_TRUE(store_->create_session(session));
  auto first = store_->rotate_refresh_token(graced("h1", "h2", kT0 + seconds(10), seconds(5)));
  ASSERT_EQ(outcome_of(first), RotateOutcome::kRotated);

  auto replay = store_->rotate_refresh_token(graced("h1", "h3", kT0 + seconds(12), seconds(5)));
  ASSERT_EQ(outcome_of(replay), RotateOutcome::kGraceReplay);
  EXPECT_EQ(replay->current_sealed, "sealed-h2");
  ASSERT_TRUE(replay->user);
  EXPECT_EQ(replay->user->id, user.id);
  ASSERT_TRUE(replay->session);
  EXPECT_EQ(replay->session->id, "s1");
  // h3 was not stored and h2 is still current.
  EXPECT_EQ(
      outcome_of(store_->rotate_refresh_token(graced("h3", "h4", kT0 + seconds(13), seconds(5)))),
      RotateOutcome::kUnknown);
  EXPECT_EQ(
      outcome_of(store_->rotate_refresh_token(graced("h2", "h5", kT0 + seconds(13), seconds(5)))),
      RotateOutcome::kRotated);
  // h1 is now a grandparent: a replay is a reuse even inside the interval.
  EXPECT_EQ(
      outcome_of(store_->rotate_refresh_token(graced("h1", "h6", kT0 + seconds(14), seconds(5)))),
      RotateOutcome::kReused);
  EXPECT_EQ(
      outcome_of(store_->rotate_refresh_token(graced("h5", "h7", kT0 + seconds(14), seconds(5)))),
      RotateOutcome::kRevoked);
  EXPECT_EQ(db_->raw().scalar("SELECT parent_hash FROM api_refresh_token WHERE token_hash = 'h5'"),
            "h2");
  EXPECT_EQ(db_->raw().scalar("SELECT sealed FROM api_refresh_token WHERE token_hash = 'h1'"),
            "sealed-h1");
}

TEST_F(MysqlStoreTest, ParentAfterGraceIsAReuse) {
  const User user = create("late@example.com");
  ASSERT_TRUE(store_->create_session(make_session(user.id, "s1", "h1")));
  ASSERT_EQ(outcome_of(store_->rotate_refresh_token(graced("h1", "h2", kT0, seconds(5)))),
            RotateOutcome::kRotated);
  EXPECT_EQ(
      outcome_of(store_->rotate_refresh_token(graced("h1", "h3", kT0 + seconds(5), seconds(5)))),
      RotateOutcome::kReused);
  EXPECT_EQ(
      outcome_of(store_->rotate_refresh_token(graced("h2", "h4", kT0 + seconds(6), seconds(5)))),
      RotateOutcome::kRevoked);
}

TEST_F(MysqlStoreTest, ConcurrentRefreshesWithinGraceBothSucceed) {
  const User alice = create("alice@example.com");
  for (int round = 0; round < 20; ++round) {
    const std::string hash = "g-" + std::to_string(round);
    ASSERT_TRUE(
        store_->create_session(make_session(alice.id, "gs-" + std::to_string(round), hash)));
    std::latch start(2);
    std::vector<Result<RotateResult>> results(2, Error{});
    {
      std::vector<std::jthread> threads;
      for (int i = 0; i < 2; ++i) {
        threads.emplace_back([&, i] {
          start.arrive_and_wait();
          results[i] = store_->rotate_refresh_token(
              graced(hash, hash + "-next-" + std::to_string(i), kT0 + minutes(1), seconds(10)));
        });
      }
    }
    std::multiset<RotateOutcome> outcomes;
    for (const auto& r : results) outcomes.insert(outcome_of(r));
    EXPECT_EQ(outcomes,
              (std::multiset<RotateOutcome>{RotateOutcome::kRotated, RotateOutcome::kGraceReplay}))
        << "round " << round;
    EXPECT_FALSE(session_of(hash).revoked_at) << "round " << round;
  }
}

TEST_F(MysqlStoreTest, ListAndRevokeSessionsOfOneUserOnly) {
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
  EXPECT_EQ((*list)[2].user_agent, "curl/8.0");

  auto not_bobs = store_->revoke_user_session(bob.id, "a1", kT0 + seconds(5), "user");
  ASSERT_TRUE(not_bobs) << not_bobs.error().internal;
  EXPECT_FALSE(*not_bobs) << "not bob's session";
  EXPECT_TRUE(*store_->revoke_user_session(alice.id, "a1", kT0 + seconds(5), "user"));
  EXPECT_FALSE(*store_->revoke_user_session(alice.id, "a1", kT0 + seconds(6), "user"))
      << "already ended";

  auto others = store_->revoke_user_sessions(alice.id, "a3", kT0 + seconds(7), "logout_others");
  ASSERT_TRUE(others) << others.error().internal;
  EXPECT_EQ(*others, 1u);
  list = store_->list_sessions(alice.id, kT0 + seconds(8));
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].id, "a3");
  EXPECT_EQ(*store_->revoke_user_sessions(alice.id, "", kT0 + seconds(9), "logout_global"), 1u);
  EXPECT_TRUE(store_->list_sessions(alice.id, kT0 + seconds(10))->empty());
  EXPECT_EQ(store_->list_sessions(bob.id, kT0 + seconds(10))->size(), 1u);
}

TEST_F(MysqlStoreTest, SweepDeletesOnlyWhatNoCheckNeeds) {
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
  EXPECT_EQ(db_->raw().scalar("SELECT COUNT(*) FROM api_refresh_token"), "2");
}

TEST_F(MysqlStoreTest, ThrottleUpdatesFromManyThreadsAllCount) {
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

TEST_F(MysqlStoreTest, ThrottleRecordsEveryField) {
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
  auto rec = store_->get_throttle("acct:abc");
  ASSERT_TRUE(rec && *rec);
  EXPECT_EQ((*rec)->window_start, 100);
  EXPECT_EQ((*rec)->window_count, 2);
  EXPECT_EQ((*rec)->consecutive, 3);
  EXPECT_EQ((*rec)->blocked_until, 4'000'000'000);
  // Blocking counters outlive the sweep.
  ASSERT_TRUE(store_->sweep(kT0 + hours(48), hours(24)));
  EXPECT_TRUE(*store_->get_throttle("acct:abc"));
}

}  // namespace
}  // namespace gatehouse::store
