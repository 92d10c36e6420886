#include "observability/log_format.hpp"

#include <spdlog/details/log_msg.h>
#include <spdlog/pattern_formatter.h>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>

#include "observability/log_context.hpp"

namespace gatehouse::observability {

namespace {

// %& in the text pattern: " [request <id>]" on a line about a request.
class RequestIdFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg&, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const LogContext* context = current_log_context();
    if (context == nullptr || context->request_id.empty()) return;
    constexpr std::string_view kOpen = " [request ";
    dest.append(kOpen.data(), kOpen.data() + kOpen.size());
    dest.append(context->request_id.data(),
                context->request_id.data() + context->request_id.size());
    dest.push_back(']');
  }
  std::unique_ptr<spdlog::custom_flag_formatter> clone() const override {
    return std::make_unique<RequestIdFlag>();
  }
};

// "2026-12-03T17:40:01.123Z"
std::string rfc3339_utc(spdlog::log_clock::time_point time) {
  const auto since_epoch = time.time_since_epoch();
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds);
  const std::time_t t = seconds.count();
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(millis.count()));
  return buf;
}

class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    boost::json::object line;
    line["time"] = rfc3339_utc(msg.time);
    const auto level = spdlog::level::to_string_view(msg.level);
    line["level"] = std::string_view(level.data(), level.size());
    line["message"] = std::string_view(msg.payload.data(), msg.payload.size());
    if (const LogContext* c = current_log_context(); c != nullptr) {
      if (!c->request_id.empty()) line["request_id"] = c->request_id;
      if (!c->method.empty()) line["method"] = c->method;
      if (!c->route.empty()) line["route"] = c->route;
      if (!c->client.empty()) line["client"] = c->client;
      if (c->user_id != 0) line["user_id"] = c->user_id;
      if (!c->session_id().empty()) line["session_id"] = c->session_id();
      if (c->status != 0) line["status"] = c->status;
      if (c->duration_seconds >= 0) line["duration_ms"] = c->duration_seconds * 1000.0;
    }
    const std::string text = boost::json::serialize(line);
    dest.append(text.data(), text.data() + text.size());
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

}  // namespace

std::unique_ptr<spdlog::formatter> make_log_formatter(LogFormat format) {
  if (format == LogFormat::kJson) return std::make_unique<JsonFormatter>();
  auto text = std::make_unique<spdlog::pattern_formatter>();
  text->add_flag<RequestIdFlag>('&').set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%n] [%^%l%$] %v%&");
  return text;
}

}  // namespace gatehouse::observability
