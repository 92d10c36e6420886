#include "net/blocking_pool.hpp"

#include "core/thread_name.hpp"

namespace gatehouse::net {

BlockingPool::BlockingPool(std::string name, std::string_view thread_name, std::size_t threads,
                           std::size_t queue_limit, ThreadScheduling scheduling)
    : name_(std::move(name)), keep_running_(pool_.get_executor()), limit_(queue_limit) {
  threads_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) {
    threads_.emplace_back([this, scheduling, thread_name = std::string(thread_name)] {
      name_this_thread(thread_name);
      apply_to_this_thread(scheduling, name_);
      pool_.run();
    });
  }
}

BlockingPool::~BlockingPool() {
  join();
}

void BlockingPool::join() {
  keep_running_.reset();  // run() returns once the queued jobs are done
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

}  // namespace gatehouse::net
