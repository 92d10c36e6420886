#include "core/thread_name.hpp"

#include <pthread.h>

#include <string>

namespace gatehouse {

void name_this_thread(std::string_view name) {
  const std::string cut(name.substr(0, 15));
  // Only an over-long name can fail, and it was cut: the result needs no handling.
  (void)::pthread_setname_np(::pthread_self(), cut.c_str());
}

}  // namespace gatehouse
