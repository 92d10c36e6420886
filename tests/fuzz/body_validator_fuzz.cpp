// libFuzzer target: a request body as login and register read it (JSON parse, field rules,
// e-mail syntax, UTF-8 lengths), and the 422 answer built from what it found.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/body_validator.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  gatehouse::http::BodyValidator v(body);
  (void)v.string_field("email", {.email = true});
  (void)v.string_field("password", {.min_chars = 8, .max_bytes = 1024});
  (void)v.string_field("name", {.min_chars = 1, .max_chars = 100});
  if (!v.ok()) (void)v.response();
  return 0;
}
