#pragma once

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/thread_scheduling.hpp"

#include <atomic>
#include <cstddef>
#include <exception>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace gatehouse::net {

// A fixed set of threads for blocking work (database calls, RSA signing, password hashing), kept
// off the I/O threads. At most `queue_limit` jobs wait or run at once; beyond that `run` refuses
// at once (the caller answers 503 with Retry-After) instead of letting latency and memory grow.
// `name` appears in logs, `thread_name` on each thread (see name_this_thread); `scheduling` is
// applied to each of its threads (see thread_scheduling.hpp): the hashing pool runs
// at a lower priority than the workers, so saturated logins do not delay /me and refresh.
class BlockingPool {
 public:
  BlockingPool(std::string name, std::string_view thread_name, std::size_t threads,
               std::size_t queue_limit, ThreadScheduling scheduling = {});
  ~BlockingPool();
  BlockingPool(const BlockingPool&) = delete;
  BlockingPool& operator=(const BlockingPool&) = delete;

  // Runs `fn` on a pool thread and resumes the awaiting coroutine on its own executor with the
  // result; nullopt when the queue is full (fn not run). An exception from fn is rethrown in the
  // coroutine. `fn` must not capture references that die before it completes: the coroutine
  // awaits it, so references to the coroutine's locals are fine.
  template <class F>
  boost::asio::awaitable<std::optional<std::invoke_result_t<F&>>> run(F fn);

  void join();
  std::size_t pending() const { return pending_.load(std::memory_order_relaxed); }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  boost::asio::io_context pool_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> keep_running_;
  std::vector<std::thread> threads_;
  std::size_t limit_;
  std::atomic<std::size_t> pending_{0};
};

template <class F>
boost::asio::awaitable<std::optional<std::invoke_result_t<F&>>> BlockingPool::run(F fn) {
  using R = std::invoke_result_t<F&>;
  namespace asio = boost::asio;
  if (pending_.fetch_add(1, std::memory_order_acq_rel) >= limit_) {
    pending_.fetch_sub(1, std::memory_order_acq_rel);
    co_return std::nullopt;
  }
  std::optional<R> result =
      co_await asio::async_initiate<const asio::use_awaitable_t<>,
                                    void(std::exception_ptr, std::optional<R>)>(
          [this, &fn](auto handler) {
            // The work guard keeps the I/O context running while the job is away from it.
            auto work = asio::make_work_guard(asio::get_associated_executor(handler));
            asio::post(pool_,
                       [this, &fn, handler = std::move(handler), work = std::move(work)]() mutable {
                         std::exception_ptr error;
                         std::optional<R> value;
                         try {
                           value.emplace(fn());
                         } catch (...) {
                           error = std::current_exception();
                         }
                         pending_.fetch_sub(1, std::memory_order_acq_rel);
                         auto ex = work.get_executor();
                         asio::post(ex, [handler = std::move(handler), error,
                                         value = std::move(value)]() mutable {
                           std::move(handler)(error, std::move(value));
                         });
                       });
          },
          asio::use_awaitable);
  co_return result;
}

}  // namespace gatehouse::net
