#include "auth/session_sweeper.hpp"

#include <spdlog/spdlog.h>

#include "core/thread_name.hpp"

namespace gatehouse::auth {

SessionSweeper::SessionSweeper(store::Store& store, const Clock& clock,
                               std::chrono::seconds interval, std::chrono::seconds retention)
    : store_(store), clock_(clock), interval_(interval), retention_(retention) {}

SessionSweeper::~SessionSweeper() {
  stop();
}

void SessionSweeper::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] {
    name_this_thread("gh-sweeper");
    loop();
  });
}

void SessionSweeper::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Result<std::size_t> SessionSweeper::sweep_once() {
  return store_.sweep(clock_.now(), retention_);
}

void SessionSweeper::loop() {
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
    lock.unlock();
    auto swept = sweep_once();
    if (!swept) {
      spdlog::warn("session sweep failed: {}", swept.error().internal);
    } else if (*swept > 0) {
      spdlog::info("session sweep: {} expired row(s) deleted", *swept);
    }
    lock.lock();
  }
}

}  // namespace gatehouse::auth
