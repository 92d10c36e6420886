#include "core/periodic_thread.hpp"

#include "core/thread_name.hpp"

namespace gatehouse {

PeriodicThread::PeriodicThread(std::string name, std::chrono::milliseconds interval,
                               std::function<void()> tick, ThreadScheduling scheduling)
    : name_(std::move(name)),
      interval_(interval),
      tick_(std::move(tick)),
      scheduling_(scheduling) {}

PeriodicThread::~PeriodicThread() {
  stop();
}

void PeriodicThread::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  stopping_flag_ = false;
  thread_ = std::thread([this] {
    name_this_thread(name_);
    apply_to_this_thread(scheduling_, name_);
    loop();
  });
}

void PeriodicThread::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    stopping_flag_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void PeriodicThread::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  changed_.notify_all();
}

void PeriodicThread::loop() {
  std::unique_lock lock(mutex_);
  while (true) {
    changed_.wait_for(lock, interval_, [this] { return stopping_ || woken_; });
    if (stopping_) return;
    woken_ = false;
    lock.unlock();
    tick_();
    lock.lock();
  }
}

}  // namespace gatehouse
