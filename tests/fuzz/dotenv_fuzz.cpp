// libFuzzer target: the .env parser (python-dotenv's syntax: quotes, escapes, export, comments).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/settings.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)gatehouse::config::parse_dotenv(
      std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
