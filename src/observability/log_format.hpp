#pragma once

#include <spdlog/formatter.h>

#include <memory>

namespace gatehouse::observability {

enum class LogFormat {
  // "[2026-12-03 17:40:01.123] [gatehouse] [info] message [request k3J9xQ2a-1f]": the request's
  // id ends every line about a request.
  kText,
  // One JSON object per line: time (RFC 3339, UTC), level, message, and for a line about a
  // request request_id, method, route, client, user_id and session_id once known; the access log's
  // lines add status and duration_ms.
  kJson,
};

// The formatter of `format`, reading the thread's LogContext.
std::unique_ptr<spdlog::formatter> make_log_formatter(LogFormat format);

}  // namespace gatehouse::observability
