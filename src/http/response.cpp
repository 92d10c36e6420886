#include "http/response.hpp"

#include <boost/json/serialize.hpp>

#include <boost/beast/core/string.hpp>

#include <ctime>

#include "http/error_table.hpp"
#include "http/whitespace.hpp"

namespace gatehouse::http {

namespace json = boost::json;
using boost::beast::http::status;

namespace {

bool same_name(std::string_view a, std::string_view b) {
  return boost::beast::iequals(a, b);
}

// Calls `fn` with each non-empty member of a comma-separated list.
template <typename Fn>
void for_each_member(std::string_view list, Fn&& fn) {
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    const std::string_view member = trim_ows(list.substr(0, comma));
    if (!member.empty()) fn(member);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

// Adds the members of `more` that `list` lacks (case-insensitively), keeping the order.
void merge_list(std::string& list, std::string_view more) {
  for_each_member(more, [&](std::string_view member) {
    bool present = false;
    for_each_member(list, [&](std::string_view have) { present |= same_name(have, member); });
    if (present) return;
    if (!list.empty()) list += ", ";
    list.append(member);
  });
}

}  // namespace

Response& Response::header(std::string_view name, std::string_view value) {
  if (same_name(name, "Set-Cookie")) {
    headers_.emplace_back(name, value);
    return *this;
  }
  for (auto& [have, current] : headers_) {
    if (!same_name(have, name)) continue;
    if (same_name(name, "Vary")) {
      merge_list(current, value);
    } else {
      current.assign(value);
    }
    return *this;
  }
  headers_.emplace_back(name, value);
  return *this;
}

std::optional<std::string_view> Response::header_value(std::string_view name) const {
  for (const auto& [have, value] : headers_) {
    if (same_name(have, name)) return std::string_view(value);
  }
  return std::nullopt;
}

Response json_response(status code, const json::value& body) {
  return Response(code, json::serialize(body));
}

Response error_response(const Error& error) {
  return error_response(error.code);
}

Response error_response(ErrorCode code) {
  const ErrorMapping m = map_error(code);
  Response r = json_response(m.status, json::object{{"detail", m.detail}});
  if (m.status == status::too_many_requests || m.status == status::service_unavailable) {
    r.header("Retry-After", "1");
  }
  return r;
}

Response validation_response(const std::vector<ValidationIssue>& issues) {
  json::array detail;
  detail.reserve(issues.size());
  for (const auto& issue : issues) {
    json::array loc;
    for (const auto& part : issue.loc) loc.emplace_back(part);
    detail.push_back(
        json::object{{"loc", std::move(loc)}, {"msg", issue.msg}, {"type", issue.type}});
  }
  return json_response(status::unprocessable_entity, json::object{{"detail", std::move(detail)}});
}

std::string http_date(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[40];
  const std::size_t n = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return std::string(buf, n);
}

namespace {

void append_attributes(std::string& out, const CookieOptions& options) {
  out += "; Path=";
  out += options.path;
  if (!options.domain.empty()) {
    out += "; Domain=";
    out += options.domain;
  }
  out += "; SameSite=";
  out += options.same_site;
  if (options.secure) out += "; Secure";
}

}  // namespace

std::string set_cookie(std::string_view name, std::string_view value, std::chrono::seconds max_age,
                       const CookieOptions& options, std::chrono::system_clock::time_point now) {
  std::string out;
  out.reserve(name.size() + value.size() + 128);
  out.append(name).append("=").append(value);
  if (options.http_only) out += "; HttpOnly";
  out += "; Max-Age=" + std::to_string(max_age.count());
  append_attributes(out, options);
  out += "; Expires=" + http_date(now + max_age);
  return out;
}

std::string clear_cookie(std::string_view name, const CookieOptions& options) {
  std::string out(name);
  out += "=";
  if (options.http_only) out += "; HttpOnly";
  out += "; Max-Age=0";
  append_attributes(out, options);
  out += "; Expires=Thu, 01 Jan 1970 00:00:00 GMT";
  return out;
}

}  // namespace gatehouse::http
