// What only the SQLite backend does: its options, the forms its untyped columns hold in adopted
// databases, and its whole-database write lock. Every behaviour the backends share is tested once,
// on each of them, in store_contract_test.cpp.

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "sqlite_test_backend.hpp"
#include "store/sql/sql_store.hpp"
#include "store/sqlite/sqlite_database.hpp"
#include "store_backends.hpp"
#include "store_test_support.hpp"
#include "test_support.hpp"

namespace gatehouse::store {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;

using testing::kT0;
using testing::make_rotation;
using testing::make_session;
using testing::make_user;
using testing::SqliteBackend;
using testing::StoreSettings;

using gatehouse::testing::TempDir;

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto migrated = testing::migrate(backend_, "api_");
    ASSERT_TRUE(migrated) << migrated.error().internal;
    store_ = open_store(StoreSettings{});
    ASSERT_NE(store_, nullptr);
  }

  std::unique_ptr<sql::SqlStore> open_store(const StoreSettings& settings) {
    return testing::store_or_fail(backend_.open_store(settings));
  }

  SqliteBackend backend_;  // declared first: its file outlives the stores
  std::unique_ptr<sql::SqlStore> store_;
};

// ---- opening ----

TEST(SqliteStoreOpen, RefusesInMemoryDatabasesAndUnsafePrefixes) {
  TempDir dir;
  const auto db = (dir.path() / "x.db").string();
  EXPECT_FALSE(SqliteDatabase::open(SqliteOptions{":memory:", "api_", 2}));
  EXPECT_FALSE(SqliteDatabase::open(SqliteOptions{"", "api_", 2}));
  EXPECT_FALSE(SqliteDatabase::open(SqliteOptions{db, "api; DROP TABLE x; --", 2}));
  EXPECT_FALSE(SqliteDatabase::open(SqliteOptions{db, "api_", 0}));
  auto opened = SqliteDatabase::open(SqliteOptions{db, "", 1});
  EXPECT_TRUE(opened) << opened.error().internal;
}

TEST(SqliteStoreOpen, UnreachableFileIsUnavailable) {
  TempDir dir;
  auto opened =
      SqliteDatabase::open(SqliteOptions{(dir.path() / "no/such/dir/x.db").string(), "", 1});
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(opened.error().internal.find("no/such/dir/x.db"), std::string::npos)
      << opened.error().internal;
}

// ---- timestamps of the tutorial's user table ----

TEST_F(SqliteStoreTest, ReadsTimestampsOfAdoptedDatabases) {
  // Text as the tutorial's tools wrote it, with a fraction and a zone.
  backend_.exec(
      "INSERT INTO api_user (name, email, password, verified, created_at, updated_at) VALUES "
      "('Old', 'old@example.com', '$2b$12$abc', 1, '2023-11-14T22:13:20.123456Z', "
      "'2023-11-14 22:13:20+00:00')");
  // Integers of unix seconds: SQLite lets any column hold any type.
  backend_.exec(
      "INSERT INTO api_user (name, email, password, created_at, updated_at) VALUES "
      "('Int', 'int@example.com', 'x', 1700000000, 1700000061)");
  // CURRENT_TIMESTAMP defaults from rows inserted by other tools.
  backend_.exec(
      "INSERT INTO api_user (name, email, password) VALUES ('Default', 'def@example.com', 'x')");
  ASSERT_EQ(backend_.scalar("SELECT typeof(created_at) FROM api_user WHERE name = 'Int'"),
            "integer");

  auto old = store_->find_user_by_email("old@example.com");
  ASSERT_TRUE(old) << old.error().internal;
  ASSERT_TRUE(*old);
  EXPECT_EQ((*old)->created_at, kT0 + std::chrono::microseconds(123456));
  EXPECT_EQ((*old)->updated_at, kT0);
  EXPECT_EQ((*old)->password_hash, "$2b$12$abc");

  auto integer = store_->find_user_by_email("int@example.com");
  ASSERT_TRUE(integer) << integer.error().internal;
  ASSERT_TRUE(*integer);
  EXPECT_EQ((*integer)->created_at, kT0);
  EXPECT_EQ((*integer)->updated_at, kT0 + minutes(1) + std::chrono::seconds(1));

  auto defaulted = store_->find_user_by_email("def@example.com");
  ASSERT_TRUE(defaulted) << defaulted.error().internal;
  ASSERT_TRUE(*defaulted);
  EXPECT_LT(std::chrono::abs(std::chrono::system_clock::now() - (*defaulted)->created_at),
            minutes(1));
  EXPECT_FALSE((*defaulted)->verified);
  EXPECT_EQ((*defaulted)->role, "user");
}

TEST_F(SqliteStoreTest, UnreadableTimestampIsAnInternalError) {
  backend_.exec(
      "INSERT INTO api_user (name, email, password, created_at, updated_at) VALUES "
      "('Bad', 'bad@example.com', 'x', 'yesterday', '2023-11-14 22:13:20')");
  auto bad = store_->find_user_by_email("bad@example.com");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInternal);
  EXPECT_NE(bad.error().internal.find("created_at"), std::string::npos) << bad.error().internal;
  EXPECT_NE(bad.error().internal.find("yesterday"), std::string::npos) << bad.error().internal;

  // A NULL (no NOT NULL in a hand-made table) is no point in time either.
  backend_.exec(
      "CREATE TABLE other_user AS SELECT * FROM api_user WHERE 0;"
      "INSERT INTO other_user (id, name, email, password, verified, role, created_at, "
      "updated_at) VALUES (1, 'Null', 'null@example.com', 'x', 1, 'user', "
      "'2023-11-14 22:13:20', NULL);"
      "CREATE TABLE other_disabled_user AS SELECT * FROM api_disabled_user WHERE 0");
  StoreSettings settings;
  settings.prefix = "other_";
  auto other = open_store(settings);
  ASSERT_NE(other, nullptr);
  auto null = other->find_user_by_id(1);
  ASSERT_FALSE(null);
  EXPECT_EQ(null.error().code, ErrorCode::kInternal);
  EXPECT_NE(null.error().internal.find("updated_at"), std::string::npos) << null.error().internal;
}

// ---- the write lock ----

// SQLite has one lock for the whole database: while another process holds it, every write of the
// store waits out the busy timeout and fails, whatever rows it writes.
TEST_F(SqliteStoreTest, AnotherProcessHoldingTheWriteLockStopsEveryWrite) {
  StoreSettings settings;
  settings.lock_timeout = milliseconds(50);
  auto impatient = open_store(settings);
  ASSERT_NE(impatient, nullptr);
  const User alice = testing::add_user(*store_, "alice@example.com");
  ASSERT_TRUE(store_->create_session(make_session(alice.id, "sid-a", "hash-1")));

  {
    const auto lock = backend_.hold_write_lock("api_user", "1 = 1");
    auto user = impatient->create_user(make_user("bob@example.com"));
    ASSERT_FALSE(user);
    EXPECT_EQ(user.error().code, ErrorCode::kUnavailable);
    EXPECT_NE(user.error().internal.find("locked"), std::string::npos) << user.error().internal;
    auto throttled = impatient->update_throttle(
        "k", [](ThrottleRecord& rec) { ++rec.consecutive; }, kT0);
    ASSERT_FALSE(throttled);
    EXPECT_EQ(throttled.error().code, ErrorCode::kUnavailable);
    auto revoked = impatient->revoke_session("sid-a", {kT0 + minutes(1), "logout"});
    ASSERT_FALSE(revoked);
    EXPECT_EQ(revoked.error().code, ErrorCode::kUnavailable);
  }

  EXPECT_EQ(backend_.scalar("SELECT COUNT(*) FROM api_user"), "1");
  auto user = impatient->create_user(make_user("bob@example.com"));
  EXPECT_TRUE(user) << user.error().internal;
  auto rotated = testing::rotate(*impatient, make_rotation("hash-1", "hash-2", kT0 + minutes(1)));
  ASSERT_TRUE(rotated) << rotated.error().internal;
  EXPECT_EQ(rotated->outcome, RotateOutcome::kRotated);
}

}  // namespace
}  // namespace gatehouse::store
