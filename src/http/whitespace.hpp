#pragma once

#include <string_view>

namespace gatehouse::http {

// HTTP's optional whitespace (RFC 9110 §5.6.3: spaces and horizontal tabs), which surrounds header
// field values and the members of their lists.
constexpr bool is_ows(char c) {
  return c == ' ' || c == '\t';
}

constexpr std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace gatehouse::http
