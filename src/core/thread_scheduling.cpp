#include "core/thread_scheduling.hpp"

#include <pthread.h>
#include <sched.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace gatehouse {

void apply_to_this_thread(const ThreadScheduling& scheduling, std::string_view who) {
  if (scheduling.batch) {
    sched_param param{};
    param.sched_priority = 0;  // the only priority SCHED_BATCH has
    if (const int rc = ::pthread_setschedparam(::pthread_self(), SCHED_BATCH, &param); rc != 0) {
      spdlog::warn("{}: cannot use SCHED_BATCH: {}", who, std::strerror(rc));
    }
  }
  if (scheduling.nice != 0) {
    // On Linux a thread id is a process id for setpriority: this sets this thread only.
    const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
    if (::setpriority(PRIO_PROCESS, tid, scheduling.nice) != 0) {
      spdlog::warn("{}: cannot lower thread priority: {}", who, std::strerror(errno));
    }
  }
}

}  // namespace gatehouse
