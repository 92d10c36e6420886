#include "net/blocking_pool.hpp"

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace gatehouse::net {

BlockingPool::BlockingPool(std::string name, std::size_t threads, std::size_t queue_limit, int nice)
    : name_(std::move(name)), keep_running_(pool_.get_executor()), limit_(queue_limit) {
  threads_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) {
    threads_.emplace_back([this, nice] {
      if (nice != 0) {
        // On Linux a thread id is a process id for setpriority: this sets this thread only.
        const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
        if (::setpriority(PRIO_PROCESS, tid, nice) != 0) {
          spdlog::warn("{}: cannot lower thread priority: {}", name_, std::strerror(errno));
        }
      }
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
