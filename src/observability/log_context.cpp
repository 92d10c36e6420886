#include "observability/log_context.hpp"

namespace gatehouse::observability {

namespace {
thread_local LogContext* current = nullptr;
}  // namespace

LogContext* current_log_context() {
  return current;
}

ScopedLogContext::ScopedLogContext(LogContext& context) : previous_(current) {
  current = &context;
}

ScopedLogContext::~ScopedLogContext() {
  current = previous_;
}

void log_principal(std::int64_t user_id, std::string_view session_id) {
  if (current == nullptr) return;
  current->user_id = user_id;
  const std::string_view kept = session_id.substr(0, current->session_id_buffer.size());
  kept.copy(current->session_id_buffer.data(), kept.size());
  current->session_id_size = kept.size();
}

}  // namespace gatehouse::observability
