#include "core/periodic_thread.hpp"

#include <gtest/gtest.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

namespace gatehouse {
namespace {

using namespace std::chrono_literals;

bool eventually(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

TEST(PeriodicThread, TicksAtTheIntervalAndAtOnceWhenWoken) {
  std::atomic<int> ticks = 0;
  PeriodicThread thread("gh-test", 1h, [&] { ++ticks; });
  thread.start();
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(ticks, 0) << "the first tick waits for the interval";
  thread.wake();
  EXPECT_TRUE(eventually([&] { return ticks == 1; })) << "woken: a tick now";
  thread.wake();
  EXPECT_TRUE(eventually([&] { return ticks == 2; }));
  thread.stop();
  EXPECT_TRUE(thread.stopping());
  thread.wake();
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(ticks, 2) << "no tick after stop";

  std::atomic<int> fast = 0;
  PeriodicThread often("gh-test", 5ms, [&] { ++fast; });
  often.start();
  EXPECT_TRUE(eventually([&] { return fast >= 3; }));
}

int this_thread_nice() {
  return ::getpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)));
}

TEST(PeriodicThread, RunsBelowTheThreadsThatAnswerRequests) {
  // Background work is batch scheduled and lowered by default, so that a request that wakes it
  // (a queued mail) is answered before the work runs (core/thread_scheduling.hpp).
  const int caller_policy = ::sched_getscheduler(0);
  std::atomic<int> policy = -1;
  std::atomic<int> nice = -100;
  PeriodicThread thread("gh-test", 1h, [&] {
    nice = this_thread_nice();
    policy = ::sched_getscheduler(0);
  });
  thread.start();
  thread.wake();
  ASSERT_TRUE(eventually([&] { return policy != -1; }));
  EXPECT_EQ(policy, SCHED_BATCH);
  // Lowered from the value it inherits from the thread that started it (the caller's).
  EXPECT_EQ(nice, lowered_nice(this_thread_nice(), kBackgroundThreads.nice_increment));
  EXPECT_GT(kBackgroundThreads.nice_increment, 0);
  EXPECT_EQ(::sched_getscheduler(0), caller_policy) << "the caller's thread is left alone";
}

TEST(PeriodicThread, StopWaitsForARunningTick) {
  std::atomic<bool> in_tick = false;
  std::atomic<bool> finished = false;
  PeriodicThread thread("gh-test", 1ms, [&] {
    in_tick = true;
    std::this_thread::sleep_for(100ms);
    finished = true;
  });
  thread.start();
  ASSERT_TRUE(eventually([&] { return in_tick.load(); }));
  thread.stop();
  EXPECT_TRUE(finished) << "stop() joins after the tick";
}

}  // namespace
}  // namespace gatehouse
