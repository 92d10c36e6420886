#include "config/env_reader.hpp"

#include <algorithm>
#include <charconv>
#include <system_error>

namespace gatehouse::config::env_reader {

namespace {
constexpr std::size_t kMaxEchoedBytes = 40;

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}
}  // namespace

Error config_error(std::string message) {
  return Error{ErrorCode::kInternal, std::move(message)};
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  });
  return out;
}

bool is_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string echo(std::string_view value) {
  // Appended, not "'" + ... + "'": GCC 12 warns wrongly (-Wrestrict) on that chain.
  const bool cut = value.size() > kMaxEchoedBytes;
  std::string out;
  out.reserve(kMaxEchoedBytes + 5);
  out += '\'';
  out += value.substr(0, kMaxEchoedBytes);
  if (cut) out += "...";
  out += '\'';
  return out;
}

std::optional<std::string_view> lookup(const EnvMap& env, std::string_view name) {
  const auto it = env.find(name);
  if (it == env.end()) return std::nullopt;
  return std::string_view(it->second);
}

std::optional<std::string_view> lookup_non_empty(const EnvMap& env, std::string_view name) {
  std::optional<std::string_view> value = lookup(env, name);
  if (value && trim(*value).empty()) return std::nullopt;
  return value;
}

std::optional<std::uint64_t> parse_unsigned(std::string_view text, std::uint64_t min,
                                            std::uint64_t max) {
  text = trim(text);
  if (!is_digits(text)) return std::nullopt;
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    return std::nullopt;
  }
  return value;
}

Result<bool> parse_bool(std::string_view name, std::string_view raw) {
  const std::string v = to_lower(trim(raw));
  if (v == "1" || v == "true" || v == "yes" || v == "on") return true;
  if (v == "0" || v == "false" || v == "no" || v == "off") return false;
  return config_error(std::string(name) + ": " + echo(raw) + " is not on/off (or true/false)");
}

Status read_bool(const EnvMap& env, std::string_view name, bool& out) {
  const auto raw = lookup_non_empty(env, name);
  if (!raw) return ok_status();
  auto value = parse_bool(name, *raw);
  if (!value) return std::move(value).error();
  out = *value;
  return ok_status();
}

}  // namespace gatehouse::config::env_reader
