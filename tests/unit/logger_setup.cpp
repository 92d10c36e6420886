// The server sets up its logger in main(), before any thread starts. The unit tests do the same
// at load time: otherwise two test threads that log at once race to create spdlog's default
// logger (ThreadSanitizer sees it, as libspdlog's own guard is not instrumented).
#include <spdlog/spdlog.h>

namespace {
[[maybe_unused]] const spdlog::logger* const kDefaultLogger = spdlog::default_logger_raw();
}  // namespace
