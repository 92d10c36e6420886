#pragma once
// How config/ reads variables: the helpers every settings step uses (settings.cpp,
// mail_settings.cpp). Internal to config/.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/settings.hpp"
#include "core/result.hpp"

namespace gatehouse::config::env_reader {

Error config_error(std::string message);
std::string_view trim(std::string_view s);
std::string to_lower(std::string_view s);
bool is_digits(std::string_view s);
// A value quoted for an error message, cut short so a pasted blob does not flood the log.
std::string echo(std::string_view value);
std::optional<std::string_view> lookup(const EnvMap& env, std::string_view name);
// For variables whose presence chooses a mode (DATABASE_URL, DATABASE_HOST, the JWT keys): an
// empty value, as `VAR=${VAR}` in a compose file gives, counts as not set.
std::optional<std::string_view> lookup_non_empty(const EnvMap& env, std::string_view name);
std::optional<std::uint64_t> parse_unsigned(std::string_view text, std::uint64_t min,
                                            std::uint64_t max);
// on/off, true/false, yes/no, 1/0, in any case.
Result<bool> parse_bool(std::string_view name, std::string_view raw);

// Leaves `out` at its default when the variable is absent.
// Example error: "PORT: 'abc' is not a number between 1 and 65535".
template <class T>
Status read_unsigned(const EnvMap& env, std::string_view name, std::uint64_t min, std::uint64_t max,
                     T& out) {
  const std::optional<std::string_view> raw = lookup(env, name);
  if (!raw) return ok_status();
  const std::optional<std::uint64_t> value = parse_unsigned(*raw, min, max);
  if (!value) {
    return config_error(std::string(name) + ": " + echo(*raw) + " is not a number between " +
                        std::to_string(min) + " and " + std::to_string(max));
  }
  out = static_cast<T>(*value);
  return ok_status();
}

template <class Duration>
Status read_duration(const EnvMap& env, std::string_view name, std::uint64_t min, std::uint64_t max,
                     Duration& out) {
  auto count = static_cast<std::uint64_t>(out.count());
  if (Status s = read_unsigned(env, name, min, max, count); !s) return s;
  out = Duration(static_cast<typename Duration::rep>(count));
  return ok_status();
}

// A boolean variable; `out` stays at its default when absent or empty.
Status read_bool(const EnvMap& env, std::string_view name, bool& out);

// The steps of load_settings that live in files of their own.
Status load_mail(const EnvMap& env, Settings& settings);  // mail_settings.cpp

}  // namespace gatehouse::config::env_reader
