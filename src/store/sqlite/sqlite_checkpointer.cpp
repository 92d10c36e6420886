#include "store/sqlite/sqlite_checkpointer.hpp"

#include <spdlog/spdlog.h>

#include <sqlite3.h>
#include "core/thread_name.hpp"

#include <utility>

namespace gatehouse::store {

SqliteCheckpointer::SqliteCheckpointer(std::unique_ptr<SqliteConnection> connection,
                                       SqliteCheckpointOptions options)
    : connection_(std::move(connection)), options_(options) {}

SqliteCheckpointer::~SqliteCheckpointer() {
  stop();
}

void SqliteCheckpointer::start(sql::Database& writers) {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  writers_ = &writers;
  stopping_ = false;
  thread_ = std::thread([this] {
    name_this_thread("gh-checkpoint");
    loop();
  });
}

void SqliteCheckpointer::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SqliteCheckpointer::note_commit(int wal_pages) noexcept {
  if (wal_pages < options_.wal_pages) return;
  // Only the commit that raises the flag pays for the wake-up; the others see it set.
  if (wanted_.exchange(true, std::memory_order_acq_rel)) return;
  // Taking the mutex orders this after the thread's check of the flag or after its wait began, so
  // the wake-up cannot fall in between.
  { std::lock_guard lock(mutex_); }
  wake_.notify_one();
}

Status SqliteCheckpointer::checkpoint_once(sql::Database* writers) {
  sqlite3* db = connection_->handle();
  int wal = 0;
  int copied = 0;
  const auto checkpoint = [&](int mode) {
    const int rc = sqlite3_wal_checkpoint_v2(db, nullptr, mode, &wal, &copied);
    // BUSY: another process is checkpointing, or (RESTART) its writer or reader held on past the
    // short busy timeout; the next round tries again.
    if (rc == SQLITE_OK || rc == SQLITE_BUSY) return ok_status();
    return Status(sqlite_error(
        rc, db,
        mode == SQLITE_CHECKPOINT_PASSIVE ? "wal_checkpoint(PASSIVE)" : "wal_checkpoint(RESTART)"));
  };
  if (auto st = checkpoint(SQLITE_CHECKPOINT_PASSIVE); !st) return st;
  // Even when everything was copied, a writer that began its transaction before the copy ended
  // appends to the WAL instead of starting it over; only with no writer in flight does the next
  // one start over.
  if (writers == nullptr || wal < options_.wal_pages) return ok_status();
  // What was committed during the first copy, still beside the writers, so that little is left
  // for the step that holds them back (it also waits for two fdatasyncs).
  if (auto st = checkpoint(SQLITE_CHECKPOINT_PASSIVE); !st) return st;
  auto writing = writers->acquire(sql::Access::kWrite);
  if (!writing) return ok_status();  // a long write; the next round tries again
  return checkpoint(SQLITE_CHECKPOINT_RESTART);
}

void SqliteCheckpointer::loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, options_.interval,
                   [this] { return stopping_ || wanted_.load(std::memory_order_acquire); });
    if (stopping_) break;
    lock.unlock();
    if (auto st = checkpoint_once(writers_); !st) {
      spdlog::warn("sqlite checkpoint failed: {}", st.error().internal);
    }
    // Commits during the round saw the WAL before it started over; they need no second round.
    wanted_.store(false, std::memory_order_release);
    lock.lock();
  }
}

}  // namespace gatehouse::store
