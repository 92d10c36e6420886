#include "core/thread_scheduling.hpp"

#include <pthread.h>
#include <sched.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace gatehouse {

int lowered_nice(int current, int increment) {
  constexpr int kHighest = -20;
  constexpr int kLowest = 19;
  return std::clamp(current + increment, kHighest, kLowest);
}

void apply_to_this_thread(const ThreadScheduling& scheduling, std::string_view who) {
  if (scheduling.batch) {
    sched_param param{};
    param.sched_priority = 0;  // the only priority SCHED_BATCH has
    if (const int rc = ::pthread_setschedparam(::pthread_self(), SCHED_BATCH, &param); rc != 0) {
      spdlog::warn("{}: cannot use SCHED_BATCH: {}", who, std::strerror(rc));
    }
  }
  if (scheduling.nice_increment != 0) {
    // On Linux a thread id is a process id for get/setpriority: this reads and sets this thread
    // only. getpriority may return -1 as a value, so only errno tells a failure.
    const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
    errno = 0;
    const int current = ::getpriority(PRIO_PROCESS, tid);
    if (errno != 0) {
      spdlog::warn("{}: cannot read thread priority: {}", who, std::strerror(errno));
    } else if (::setpriority(PRIO_PROCESS, tid, lowered_nice(current, scheduling.nice_increment)) !=
               0) {
      spdlog::warn("{}: cannot lower thread priority: {}", who, std::strerror(errno));
    }
  }
}

}  // namespace gatehouse
