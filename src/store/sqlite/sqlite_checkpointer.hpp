#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "core/result.hpp"
#include "store/sql/database.hpp"
#include "store/sqlite/sqlite_connection.hpp"

namespace gatehouse::store {

struct SqliteCheckpointOptions {
  // A checkpoint starts as soon as a commit leaves at least this many pages in the WAL (16 MiB of
  // 4 KiB pages: four times SQLite's default, so that the step that holds writers back comes
  // rarely; the WAL of a busy server stays in the page cache either way)...
  int wal_pages = 4000;
  // ...and otherwise this long after the previous one.
  std::chrono::milliseconds interval{1000};
};

// Copies the WAL back into the database file on a thread of its own, so that no request runs a
// checkpoint (page copies and two fdatasyncs) after its commit. The pool's connections run with
// wal_autocheckpoint=0 and report the WAL's size after each commit to note_commit().
//
// A PASSIVE checkpoint runs beside the writers and copies most of the WAL, but under steady writes
// it never finishes (new frames keep coming), and SQLite only starts the WAL over from its
// beginning once every frame has been copied. So when the WAL has reached `wal_pages`, the frames
// that came in meanwhile are copied with this process's writers held back (the database's writer
// connection) by a RESTART checkpoint, which also waits for readers of old frames; the next commit
// then starts the WAL over. The WAL stays near `wal_pages` instead of growing without bound, and
// the writers wait only for that short remainder.
//
// Threading: note_commit() runs on committing threads (SQLite's WAL hook) and is lock-free unless
// it wakes the thread; start(), stop() and checkpoint_once() belong to the owner.
class SqliteCheckpointer {
 public:
  // `connection` is the checkpointer's own (not one of the pool's).
  SqliteCheckpointer(std::unique_ptr<SqliteConnection> connection, SqliteCheckpointOptions options);
  ~SqliteCheckpointer();  // stops and joins
  SqliteCheckpointer(const SqliteCheckpointer&) = delete;
  SqliteCheckpointer& operator=(const SqliteCheckpointer&) = delete;

  // Starts the thread. `writers` (whose writer the RESTART step holds) must outlive stop().
  void start(sql::Database& writers);
  // Wakes and joins the thread; a checkpoint under way finishes first. Idempotent.
  void stop();

  // After a commit that left `wal_pages` pages in the WAL.
  void note_commit(int wal_pages) noexcept;

  // One round now, as the thread runs it: PASSIVE, then the RESTART step if the WAL has reached
  // `wal_pages` and is not all copied. `writers` may be null (no RESTART step; tests). A WAL
  // locked by another process's checkpoint is not an error: the round is skipped.
  Status checkpoint_once(sql::Database* writers);

 private:
  void loop();

  const std::unique_ptr<SqliteConnection> connection_;  // used by one thread at a time
  const SqliteCheckpointOptions options_;
  sql::Database* writers_ = nullptr;
  std::atomic<bool> wanted_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace gatehouse::store
