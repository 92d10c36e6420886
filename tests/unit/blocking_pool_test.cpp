#include "net/blocking_pool.hpp"

#include <gtest/gtest.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <algorithm>
#include <stdexcept>
#include <thread>

namespace gatehouse::net {
namespace {

namespace asio = boost::asio;

int this_thread_nice() {
  return ::getpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)));
}

struct ThreadState {
  int policy = -1;
  int nice = -100;
  std::thread::id id;
};

ThreadState this_thread_state() {
  ThreadState out;
  out.policy = ::sched_getscheduler(0);
  out.nice = this_thread_nice();
  out.id = std::this_thread::get_id();
  return out;
}

// Runs `fn` on `pool` from a coroutine on its own I/O context, as the HTTP sessions do.
template <class F>
auto run_on(BlockingPool& pool, F fn) {
  asio::io_context io;
  auto future = asio::co_spawn(io, pool.run(std::move(fn)), asio::use_future);
  io.run();
  return future.get();
}

TEST(BlockingPoolTest, RunsJobsOnItsThreadsWithItsScheduling) {
  const int caller_policy = ::sched_getscheduler(0);
  const int nice = lowered_nice(this_thread_nice(), 5);
  BlockingPool pool("test pool", "test-pool", 2, 8,
                    ThreadScheduling{.batch = true, .nice_increment = 5});
  const auto state = run_on(pool, [] { return this_thread_state(); });
  ASSERT_TRUE(state.has_value());
  EXPECT_NE(state->id, std::this_thread::get_id());
  EXPECT_EQ(state->policy, SCHED_BATCH);
  EXPECT_EQ(state->nice, nice);

  // The caller's own thread is left as it was.
  EXPECT_EQ(::sched_getscheduler(0), caller_policy);
}

TEST(BlockingPoolTest, DefaultSchedulingIsUntouched) {
  BlockingPool pool("plain pool", "plain-pool", 1, 8);
  const ThreadState caller = this_thread_state();
  const auto state = run_on(pool, [] { return this_thread_state(); });
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ(state->policy, caller.policy);  // inherited from the thread that made the pool
  EXPECT_EQ(state->nice, caller.nice);
}

TEST(BlockingPoolTest, ExceptionsReachTheAwaitingCoroutine) {
  BlockingPool pool("throwing pool", "throwing-pool", 1, 8);
  EXPECT_THROW(run_on(pool, []() -> int { throw std::runtime_error("job failed"); }),
               std::runtime_error);
}

TEST(BlockingPoolTest, ApplyToThisThreadSetsOnlyTheCallingThread) {
  const int caller_policy = ::sched_getscheduler(0);
  const int nice = lowered_nice(this_thread_nice(), 2);
  ThreadState inside;
  std::thread t([&] {
    apply_to_this_thread(ThreadScheduling{.batch = true, .nice_increment = 2}, "test thread");
    inside = this_thread_state();
  });
  t.join();
  EXPECT_EQ(inside.policy, SCHED_BATCH);
  EXPECT_EQ(inside.nice, nice);
  EXPECT_EQ(::sched_getscheduler(0), caller_policy);
}

TEST(BlockingPoolTest, LoweringAddsToTheNiceValueTheThreadStartsWith) {
  // A server started with `nice -n 12` must keep its background threads below its request
  // threads: 12 + 10 (clamped to 19), not an absolute 10 that would raise them above the rest.
  int before = -100;
  int after = -100;
  std::thread t([&] {
    const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
    // Raising one's own nice value needs no privilege.
    ASSERT_EQ(::setpriority(PRIO_PROCESS, tid, std::max(12, this_thread_nice())), 0);
    before = this_thread_nice();
    apply_to_this_thread(ThreadScheduling{.nice_increment = 3}, "test thread");
    after = this_thread_nice();
  });
  t.join();
  ASSERT_GE(before, 12);
  EXPECT_EQ(after, std::min(19, before + 3));
}

TEST(ThreadSchedulingTest, LoweredNiceAddsWithinLinuxRange) {
  EXPECT_EQ(lowered_nice(0, 10), 10);
  EXPECT_EQ(lowered_nice(5, 10), 15);
  EXPECT_EQ(lowered_nice(12, 10), 19) << "clamped to the lowest priority";
  EXPECT_EQ(lowered_nice(-5, 10), 5);
  EXPECT_EQ(lowered_nice(7, 0), 7) << "0 keeps the thread's value";
  EXPECT_EQ(lowered_nice(-15, -10), -20) << "clamped to the highest priority";
}

}  // namespace
}  // namespace gatehouse::net
