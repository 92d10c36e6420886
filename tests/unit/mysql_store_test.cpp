// What only the MySQL/MariaDB backend does: its options, its time zones and column types, its
// result buffers, and its pool of server connections that break, get killed and are replaced.
// Every behaviour the backends share is tested once, on each of them, in store_contract_test.cpp.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <exception>
#include <latch>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "mysql_test_backend.hpp"
#include "mysql_test_support.hpp"
#include "store/mysql/mysql_database.hpp"
#include "store/sql/sql_store.hpp"
#include "store_backends.hpp"
#include "store_test_support.hpp"

namespace gatehouse::store {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

using testing::kT0;
using testing::make_rotation;
using testing::make_session;
using testing::make_user;
using testing::MysqlBackend;
using testing::RawConnection;
using testing::StoreSettings;
using testing::TestDatabase;

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

std::unique_ptr<sql::SqlStore> open_store(const MysqlOptions& options) {
  return testing::store_or_fail(MysqlBackend::open_store(options));
}

class MysqlStoreTest : public ::testing::Test {
 protected:
  static constexpr std::size_t kPoolSize = 6;

  void SetUp() override {
    if (auto why = backend_.create_database()) GTEST_SKIP() << *why;
    auto migrated = testing::migrate(backend_, "api_");
    ASSERT_TRUE(migrated) << migrated.error().internal;
    store_ = open_store(options());
    ASSERT_NE(store_, nullptr);
  }

  // The options of the test's store: `kPoolSize` connections.
  MysqlOptions options() const {
    StoreSettings settings;
    settings.pool_size = kPoolSize;
    return backend_.options(settings);
  }

  TestDatabase& db() { return backend_.database(); }
  User create(const std::string& email) { return testing::add_user(*store_, email); }
  Session session_of(const std::string& hash) { return testing::session_of(*store_, hash); }

  MysqlBackend backend_;  // declared first: its database is dropped after the stores are closed
  std::unique_ptr<sql::SqlStore> store_;
};

// A rotation on a store of one connection (the only one connected) that waits for a row lock the
// test holds, so that the test can kill its connection mid-request.
class MysqlLostConnectionTest : public MysqlStoreTest {
 protected:
  void SetUp() override {
    MysqlStoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    MysqlOptions o = options();
    o.pool_size = 1;
    single_ = open_store(o);
    ASSERT_NE(single_, nullptr);
    const User alice = create("alice@example.com");
    ASSERT_TRUE(store_->create_session(make_session(alice.id, "sid-a", "hash-1")));
    ASSERT_TRUE(single_->ping());
    store_.reset();  // only `single_` is connected now

    lock_ = backend_.hold_write_lock("api_refresh_token", "token_hash = 'hash-1'");
    rotating_ = std::jthread(
        [this] { result_ = testing::rotate(*single_, make_rotation("hash-1", "hash-2", kT0)); });
  }

  // The server id of the connection whose rotation waits for the lock, once it is not
  // `other_than`; "" when none shows up within 5 s.
  std::string waiting_connection(const std::string& other_than) {
    std::string id;
    const bool found = eventually([&] {
      id = db().locking_read();
      return !id.empty() && id != other_than;
    });
    return found ? id : "";
  }

  std::unique_ptr<sql::SqlStore> single_;
  std::optional<Result<RotateResult>> result_;
  std::jthread rotating_;                    // joined before the store and the result it uses go
  std::unique_ptr<testing::HeldLock> lock_;  // released first, so a failed test ends quickly
};

// ---- opening ----

TEST(MysqlStoreOpen, RefusesUnsafeOptions) {
  MysqlOptions options;
  options.endpoint.database = "gatehouse";
  options.prefix = "api; DROP TABLE x; --";
  EXPECT_FALSE(open_mysql_database(options));
  options.prefix = std::string(33, 'a');  // index names would pass MySQL's 64 characters
  EXPECT_FALSE(open_mysql_database(options));
  options.prefix = std::string(32, 'a');
  EXPECT_TRUE(open_mysql_database(options));
  options.prefix = "api_";
  options.pool_size = 0;
  EXPECT_FALSE(open_mysql_database(options));
  options.pool_size = 1;
  options.lock_wait_timeout = seconds(0);
  EXPECT_FALSE(open_mysql_database(options));
  options.lock_wait_timeout = seconds(1);
  options.endpoint.database = "";
  EXPECT_FALSE(open_mysql_database(options));
  options.endpoint.database = "gatehouse";
  // Nothing is connected yet, so this works without a server.
  auto opened = open_mysql_database(options);
  EXPECT_TRUE(opened) << opened.error().internal;
}

TEST(MysqlStoreOpen, UnreachableServerIsUnavailableQuickly) {
  MysqlOptions options;
  options.endpoint.host = "127.0.0.1";
  options.endpoint.port = testing::unused_local_port();
  options.endpoint.database = "gatehouse";
  options.endpoint.user = "gatehouse";
  options.endpoint.password = "secret-password";
  options.prefix = "api_";
  options.pool_size = 2;
  auto store = open_store(options);  // succeeds: connecting is lazy
  ASSERT_NE(store, nullptr);

  for (int i = 0; i < 3; ++i) {
    const auto started = std::chrono::steady_clock::now();
    auto ping = store->ping();
    auto user = store->find_user_by_email("alice@example.com");
    auto created = store->create_user(make_user("alice@example.com"));
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
  const testing::SilentServer silent;  // accepts TCP connections but never greets
  MysqlOptions options;
  options.endpoint.host = "127.0.0.1";
  options.endpoint.port = silent.port();
  options.endpoint.database = "gatehouse";
  options.endpoint.connect_timeout = seconds(1);
  options.pool_size = 1;
  auto store = open_store(options);
  ASSERT_NE(store, nullptr);
  const auto started = std::chrono::steady_clock::now();
  auto ping = store->ping();
  const auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(ping);
  EXPECT_EQ(ping.error().code, ErrorCode::kUnavailable);
  EXPECT_LT(elapsed, milliseconds(2500));
}

// ---- the user table's collation and TIMESTAMP columns ----

TEST_F(MysqlStoreTest, EmailsAreTakenWhateverTheirLetterCase) {
  create("alice@example.com");
  // The column's collation (utf8mb4_unicode_ci) makes the letter case irrelevant.
  auto upper = store_->create_user(make_user("ALICE@Example.COM"));
  ASSERT_FALSE(upper);
  EXPECT_EQ(upper.error().code, ErrorCode::kAccountExists);
  EXPECT_EQ(db().raw().scalar("SELECT COUNT(*) FROM api_user"), "1");
}

TEST_F(MysqlStoreTest, TimestampsAreUtcWhateverTheWritersTimeZone) {
  auto alice = store_->create_user(make_user("alice@example.com"));
  ASSERT_TRUE(alice) << alice.error().internal;
  // What the store wrote is kT0 in UTC.
  EXPECT_EQ(db().raw().scalar("SELECT UNIX_TIMESTAMP(created_at) FROM api_user"), "1700000000");

  // A row written by a client in another time zone means the same instants.
  auto cet = db().connect();
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
  RawConnection& raw = db().raw();
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
  auto lax = db().connect();
  lax->exec("SET SESSION sql_mode = ''");
  lax->exec(
      "INSERT INTO api_user (name, email, password, created_at, updated_at) VALUES "
      "('Bad', 'bad@example.com', 'x', '0000-00-00 00:00:00', '2023-11-14 22:13:20')");
  auto bad = store_->find_user_by_email("bad@example.com");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInternal);
  EXPECT_NE(bad.error().internal.find("created_at"), std::string::npos) << bad.error().internal;
}

// ---- result buffers and column sizes ----

TEST_F(MysqlStoreTest, LongValuesAreReadWhole) {
  NewUser input = make_user("long@example.com");
  input.name = std::string(255, 'n');
  input.password_hash = std::string(255, 'p');
  input.photo = std::string(250, 'x') + "😀";  // 251 characters, 250 + 4 bytes
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
  EXPECT_EQ(db().raw().scalar("SELECT COUNT(*) FROM api_session"), "0");
}

// ---- the pool of server connections ----

TEST_F(MysqlStoreTest, ExhaustedPoolIsUnavailable) {
  MysqlOptions o = options();
  o.pool_size = 1;
  o.pool_wait = milliseconds(200);
  auto small = open_store(o);
  ASSERT_NE(small, nullptr);
  const User alice = create("alice@example.com");
  ASSERT_TRUE(store_->create_session(make_session(alice.id, "sid-a", "hash-1")));
  ASSERT_TRUE(small->ping());

  auto lock = backend_.hold_write_lock("api_refresh_token", "token_hash = 'hash-1'");
  // The only connection waits for the row lock...
  std::jthread waiting([&] {
    auto rotated = testing::rotate(*small, make_rotation("hash-1", "hash-2", kT0));
    EXPECT_TRUE(rotated) << rotated.error().internal;
  });
  EXPECT_TRUE(eventually([&] { return !db().locking_read().empty(); }));
  // ...so another caller gets a quick, clear answer.
  const auto started = std::chrono::steady_clock::now();
  auto ping = small->ping();
  EXPECT_LT(std::chrono::steady_clock::now() - started, seconds(1));
  ASSERT_FALSE(ping);
  EXPECT_EQ(ping.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(ping.error().internal.find("database pool exhausted"), std::string::npos)
      << ping.error().internal;
  lock.reset();
  waiting.join();
  EXPECT_TRUE(small->ping());
}

TEST_F(MysqlStoreTest, KilledConnectionsAreReplacedWithoutFailingRequests) {
  // Every pooled connection has been used, then the server drops them all (as a restart would).
  const User alice = create("alice@example.com");
  ASSERT_TRUE(store_->create_session(make_session(alice.id, "sid-a", "hash-1")));
  {
    std::latch start(kPoolSize);
    std::vector<std::jthread> threads;
    for (std::size_t i = 0; i < kPoolSize; ++i) {
      threads.emplace_back([&] {
        start.arrive_and_wait();
        EXPECT_TRUE(store_->find_user_by_id(alice.id));
      });
    }
  }
  const std::set<std::string> before = db().store_connections();
  ASSERT_FALSE(before.empty());
  for (const std::string& id : before) db().raw().exec("KILL CONNECTION " + id);
  ASSERT_TRUE(eventually([&] { return db().store_connections().empty(); }));

  for (std::size_t i = 0; i < kPoolSize + 1; ++i) {
    auto found = store_->find_user_by_id(alice.id);
    ASSERT_TRUE(found) << found.error().internal;
    EXPECT_TRUE(*found);
  }
  auto created = store_->create_user(make_user("bob@example.com"));
  EXPECT_TRUE(created) << created.error().internal;
  auto rotated = testing::rotate(*store_, make_rotation("hash-1", "hash-2", kT0));
  ASSERT_TRUE(rotated) << rotated.error().internal;
  EXPECT_EQ(rotated->outcome, RotateOutcome::kRotated);
  EXPECT_TRUE(store_->ping());
  for (const std::string& id : db().store_connections()) EXPECT_FALSE(before.contains(id));
}

TEST_F(MysqlLostConnectionTest, ConnectionLostMidRequestIsRetriedOnceOnAFreshConnection) {
  // The rotation waits for the row lock inside its transaction; its connection dies there.
  const std::string first = waiting_connection("");
  ASSERT_FALSE(first.empty());
  db().raw().exec("KILL CONNECTION " + first);
  // It is tried again on a new connection, which waits for the same lock...
  EXPECT_FALSE(waiting_connection(first).empty());
  // ...and succeeds once the lock is gone.
  lock_.reset();
  rotating_.join();
  ASSERT_TRUE(result_);
  ASSERT_TRUE(*result_) << result_->error().internal;
  EXPECT_EQ((*result_)->outcome, RotateOutcome::kRotated);
  EXPECT_EQ(db().raw().scalar("SELECT COUNT(*) FROM api_refresh_token"), "2");
}

TEST_F(MysqlLostConnectionTest, ConnectionLostTwiceInOneRequestFails) {
  // Killed while waiting, tried again once on a fresh connection, killed again: it gives up.
  const std::string first = waiting_connection("");
  ASSERT_FALSE(first.empty());
  db().raw().exec("KILL CONNECTION " + first);
  const std::string second = waiting_connection(first);
  ASSERT_FALSE(second.empty()) << "not tried again";
  db().raw().exec("KILL CONNECTION " + second);
  rotating_.join();
  lock_.reset();
  ASSERT_TRUE(result_);
  ASSERT_FALSE(*result_);
  EXPECT_EQ(result_->error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(db().raw().scalar("SELECT COUNT(*) FROM api_refresh_token"), "1");
  // The next request gets a fresh connection.
  auto rotated = testing::rotate(*single_, make_rotation("hash-1", "hash-2", kT0));
  ASSERT_TRUE(rotated) << rotated.error().internal;
  EXPECT_EQ(rotated->outcome, RotateOutcome::kRotated);
}

}  // namespace
}  // namespace gatehouse::store
