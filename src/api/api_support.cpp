#include "api/api_support.hpp"

#include <boost/url/parse.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <ctime>
#include <limits>

#include "core/time_text.hpp"
#include "http/csrf_guard.hpp"
#include "http/error_table.hpp"

namespace gatehouse::api {

http::Response fail(const Error& error, std::string_view what) {
  const auto mapping = http::map_error(error.code);
  if (static_cast<unsigned>(mapping.status) >= 500) {
    spdlog::warn("{}: {} ({})", what, to_string(error.code), error.internal);
  } else if (!error.internal.empty()) {
    spdlog::debug("{}: {} ({})", what, to_string(error.code), error.internal);
  }
  return http::error_response(error);
}

std::string iso8601_utc(SysTime t) {
  return utc_date_time(t, 'T') + "+00:00";
}

boost::json::object user_json(const store::User& user) {
  boost::json::object o;
  o["name"] = user.name;
  o["email"] = user.email;
  if (user.photo) {
    o["photo"] = *user.photo;
  } else {
    o["photo"] = nullptr;
  }
  o["id"] = user.id;
  o["created_at"] = iso8601_utc(user.created_at);
  o["updated_at"] = iso8601_utc(user.updated_at);
  return o;
}

Result<auth::Principal> authenticate_change(const auth::Authenticator& authenticator,
                                            const http::Request& request,
                                            const http::CorsPolicy& origins) {
  auto principal = authenticator.authenticate(request);
  if (principal && principal->via_cookie && http::is_cross_site_request(request, origins)) {
    return Error{ErrorCode::kForbidden, "cross-site request with the access cookie"};
  }
  return principal;
}

std::optional<std::string> query_param(const http::Request& request, std::string_view name) {
  auto target = boost::urls::parse_origin_form(request.message.target());
  if (!target) return std::nullopt;
  auto it = target->params().find(name);
  if (it == target->params().end()) return std::nullopt;
  return std::string((*it).value);
}

namespace {

// A whole number in [min, max] written in full (no sign games, no trailing text); nullopt else.
std::optional<std::int64_t> whole_number(std::string_view text, std::int64_t min,
                                         std::int64_t max) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < min || value > max) {
    return std::nullopt;
  }
  return value;
}

std::string range_message(std::int64_t min, std::int64_t max) {
  return "value is not a whole number from " + std::to_string(min) + " to " + std::to_string(max);
}

}  // namespace

std::optional<std::int64_t> ParamReader::whole_number_in(std::string_view location,
                                                         std::string_view text,
                                                         const http::ParameterDoc& param) {
  const http::IntegerRange range = param.integer.value_or(http::IntegerRange{});
  if (auto value = whole_number(text, range.minimum, range.maximum)) return *value;
  issues_.push_back({{std::string(location), param.name},
                     range_message(range.minimum, range.maximum),
                     "value_error.number.not_in_range"});
  return std::nullopt;
}

std::optional<std::int64_t> ParamReader::integer(const http::ParameterDoc& param) {
  const std::optional<std::int64_t> fallback =
      param.integer.value_or(http::IntegerRange{}).fallback;
  const auto text = query_param(request_, param.name);
  if (!text) return fallback;
  auto value = whole_number_in("query", *text, param);
  return value ? value : fallback;
}

std::optional<std::string> ParamReader::one_of(const http::ParameterDoc& param) {
  auto text = query_param(request_, param.name);
  if (!text) {
    if (param.default_value.empty()) return std::nullopt;
    return param.default_value;
  }
  if (std::find(param.values.begin(), param.values.end(), *text) != param.values.end()) {
    return text;
  }
  std::string allowed;
  for (const std::string& v : param.values) allowed += (allowed.empty() ? "'" : ", '") + v + "'";
  refuse(param.name, "value is not one of " + allowed, "type_error.enum");
  return std::nullopt;
}

std::int64_t ParamReader::path_integer(std::size_t index, const http::ParameterDoc& param) {
  // A missing segment (a route that declares fewer) reads as empty: not a number, refused.
  const std::string_view text =
      index < request_.path_params.size() ? std::string_view(request_.path_params[index]) : "";
  return whole_number_in("path", text, param).value_or(0);
}

void ParamReader::refuse(std::string_view name, std::string msg, std::string type) {
  issues_.push_back({{"query", std::string(name)}, std::move(msg), std::move(type)});
}

auth::ClientInfo client_info(const http::Request& request) {
  return {request.client_ip, request.header(boost::beast::http::field::user_agent)};
}

http::Response too_many(std::chrono::seconds retry_after) {
  http::Response r = http::error_response(ErrorCode::kRateLimited);
  r.header("Retry-After", std::to_string(std::max<std::int64_t>(1, retry_after.count())));
  return r;
}

http::FieldSpec email_field(std::string description) {
  return {.name = "email",
          .rule = {.max_chars = kMaxColumnChars, .email = true},
          .description = std::move(description),
          .example = "jane@example.com"};
}

http::FieldSpec password_field(std::string name, std::size_t min_chars, std::size_t max_bytes,
                               std::string description) {
  return {.name = std::move(name),
          .rule = {.min_chars = min_chars, .max_bytes = max_bytes},
          .description = std::move(description),
          .example = "password123"};
}

std::string lower_ascii(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace gatehouse::api
