#include "net/blocking_pool.hpp"

namespace gatehouse::net {

BlockingPool::BlockingPool(std::string name, std::size_t threads, std::size_t queue_limit,
                           ThreadScheduling scheduling)
    : name_(std::move(name)), keep_running_(pool_.get_executor()), limit_(queue_limit) {
  threads_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) {
    threads_.emplace_back([this, scheduling] {
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
