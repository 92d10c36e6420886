#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace gatehouse::observability {

// What a log line knows about the request it is about. The server sets one for the time a request
// is handled on a thread (ScopedLogContext); the log formats read it, so every line a handler or a
// service writes about that request carries its id, route, client and, once the caller is
// authenticated, its user and session.
//
// Thread-local rather than passed along: the lines come from every layer (stores, services,
// handlers), and a handler runs start to end on one thread. This is the "mapped diagnostic
// context" of log4j and spdlog 1.14's mdc, bound to a scope so it never outlives its request.
struct LogContext {
  std::string_view request_id;
  std::string_view method;
  std::string_view route;  // the route template ("/api/users/me/sessions/{id}"), or the path
  std::string_view client;
  std::int64_t user_id = 0;  // 0: not known (yet)
  // The session, copied in by log_principal (the principal is gone when the access line is
  // written) into a buffer of its own, so that knowing it allocates nothing on /me.
  std::array<char, 48> session_id_buffer{};
  std::size_t session_id_size = 0;
  std::string_view session_id() const { return {session_id_buffer.data(), session_id_size}; }
  // Set only for the access log's line: the answer and the time it took.
  unsigned status = 0;
  double duration_seconds = -1;
};

// The calling thread's context; null outside a request.
LogContext* current_log_context();

// Makes `context` the calling thread's for its lifetime, and restores the one before after.
class ScopedLogContext {
 public:
  explicit ScopedLogContext(LogContext& context);
  ~ScopedLogContext();
  ScopedLogContext(const ScopedLogContext&) = delete;
  ScopedLogContext& operator=(const ScopedLogContext&) = delete;

 private:
  LogContext* previous_;
};

// The request being handled on this thread is by `user_id` in session `session_id` (called when
// its access token is accepted); nothing outside a request.
void log_principal(std::int64_t user_id, std::string_view session_id);

}  // namespace gatehouse::observability
