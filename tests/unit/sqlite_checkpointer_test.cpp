#include "store/sqlite/sqlite_checkpointer.hpp"

#include <gtest/gtest.h>

#include <thread>

#include <chrono>
#include <memory>
#include <string>

#include "store/sqlite/sqlite_connection.hpp"
#include "store/sqlite/sqlite_database.hpp"
#include "test_support.hpp"

namespace gatehouse::store {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;

constexpr int kThresholdPages = 20;

// A pool whose connections hand their checkpoints to a checkpointer that the test drives by hand
// (its thread is never started, so nothing happens behind the test's back).
class SqliteCheckpointerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string path = (dir_.path() / "wal.db").string();
    auto own = SqliteConnection::open(path, milliseconds(5000));
    ASSERT_TRUE(own) << own.error().internal;
    checkpointer_ = std::make_unique<SqliteCheckpointer>(
        std::move(*own), SqliteCheckpointOptions{kThresholdPages, hours(1)});
    auto pool =
        SqliteDatabase::open(path, 2, milliseconds(5000), "", [this](SqliteConnection& conn) {
          conn.hand_over_checkpoints([this](int pages) {
            wal_pages_ = pages;
            checkpointer_->note_commit(pages);
          });
          return ok_status();
        });
    ASSERT_TRUE(pool) << pool.error().internal;
    pool_ = std::move(*pool);
    write("CREATE TABLE t (x BLOB)");
  }

  void write(const std::string& sql) {
    auto conn = pool_->acquire(sql::Access::kWrite);
    ASSERT_TRUE(conn);
    ASSERT_TRUE((*conn)->begin_write());
    ASSERT_TRUE((*conn)->execute_script(sql, "test write"));
    ASSERT_TRUE((*conn)->commit());
  }

  // One commit that adds about one page of data to the WAL.
  void write_a_page() { write("INSERT INTO t (x) VALUES (randomblob(3000))"); }

  gatehouse::testing::TempDir dir_;
  std::unique_ptr<SqliteCheckpointer> checkpointer_;
  std::unique_ptr<SqliteDatabase> pool_;
  int wal_pages_ = 0;  // as the last commit reported it
};

TEST_F(SqliteCheckpointerTest, CommitsNeverCheckpointThemselves) {
  // SQLite's own checkpoint would have reset the WAL after 1000 pages.
  for (int i = 0; i < 1100; ++i) write_a_page();
  EXPECT_GT(wal_pages_, 1100);
}

TEST_F(SqliteCheckpointerTest, WalStartsOverAfterARoundPastTheThreshold) {
  for (int i = 0; i < 2 * kThresholdPages; ++i) write_a_page();
  const int grown = wal_pages_;
  ASSERT_GE(grown, 2 * kThresholdPages);

  ASSERT_TRUE(checkpointer_->checkpoint_once(pool_.get()));
  write_a_page();
  EXPECT_LT(wal_pages_, kThresholdPages) << "the WAL did not start over";
}

TEST_F(SqliteCheckpointerTest, CopiedWalStartsOverWithoutHoldingWriters) {
  for (int i = 0; i < 5; ++i) write_a_page();
  const int grown = wal_pages_;
  // Nothing writes during the PASSIVE round, so it copies everything and the WAL can start over.
  ASSERT_TRUE(checkpointer_->checkpoint_once(nullptr));
  write_a_page();
  EXPECT_LT(wal_pages_, grown);
}

TEST_F(SqliteCheckpointerTest, TheThreadCheckpointsUntilStoppedAndStopIsIdempotent) {
  checkpointer_->start(*pool_);
  // Running: a commit past the threshold wakes the thread, and the WAL starts over.
  for (int i = 0; i < kThresholdPages + 2; ++i) write_a_page();
  bool started_over = false;
  for (int i = 0; i < 500 && !started_over; ++i) {
    std::this_thread::sleep_for(milliseconds(10));
    write_a_page();
    started_over = wal_pages_ < kThresholdPages;
  }
  ASSERT_TRUE(started_over) << "the running checkpointer never checkpointed";

  checkpointer_->stop();
  checkpointer_->stop();
  // Stopped: commits are still noted, but nothing checkpoints any more.
  for (int i = 0; i < 2 * kThresholdPages; ++i) write_a_page();
  std::this_thread::sleep_for(milliseconds(200));
  write_a_page();
  EXPECT_GT(wal_pages_, 2 * kThresholdPages) << "a stopped checkpointer still checkpointed";
}

}  // namespace
}  // namespace gatehouse::store
