#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "core/thread_scheduling.hpp"

namespace gatehouse {

// A thread of its own that runs `tick` every `interval`, or at once when woken, until stopped:
// the background work of the server (the session sweep, the mail outbox), never on an I/O thread.
// A tick that runs when stop() is called finishes first; stop() then joins. Thread-safe.
class PeriodicThread {
 public:
  // `name` is the thread's (name_this_thread, at most 15 characters); the thread runs with
  // `scheduling` (background work by default: below the threads that answer requests).
  PeriodicThread(std::string name, std::chrono::milliseconds interval, std::function<void()> tick,
                 ThreadScheduling scheduling = kBackgroundThreads);
  ~PeriodicThread();  // stops and joins
  PeriodicThread(const PeriodicThread&) = delete;
  PeriodicThread& operator=(const PeriodicThread&) = delete;

  void start();
  void stop();
  // Runs the next tick now instead of at the end of the interval (a tick that is running finishes
  // first; one more follows it).
  void wake();
  // True once stop() was called: a long tick should end early.
  bool stopping() const { return stopping_flag_.load(std::memory_order_relaxed); }

 private:
  void loop();

  const std::string name_;
  const std::chrono::milliseconds interval_;
  const std::function<void()> tick_;
  const ThreadScheduling scheduling_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool stopping_ = false;
  bool woken_ = false;
  std::atomic<bool> stopping_flag_ = false;  // stopping_, readable without the mutex
  std::thread thread_;
};

}  // namespace gatehouse
