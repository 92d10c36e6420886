// libFuzzer target: the request headers Gatehouse reads itself. The input is split at its first
// NUL: the part before is the Cookie header, the part after the Authorization header. Covers
// cookie lookup (duplicates included) and Bearer extraction.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/request.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace http = gatehouse::http;
  namespace bhttp = boost::beast::http;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto split = input.find('\0');
  const std::string_view cookie = input.substr(0, split);
  const std::string_view authorization =
      split == std::string_view::npos ? std::string_view{} : input.substr(split + 1);
  (void)http::find_cookie(cookie, "access_token");
  http::BeastRequest message{bhttp::verb::get, "/api/users/me", 11};
  try {
    message.set(bhttp::field::cookie, cookie);
    message.set(bhttp::field::authorization, authorization);
  } catch (const std::exception&) {
    return 0;  // Beast refuses field values a parser would never have produced
  }
  http::Request request{message, "/api/users/me", "127.0.0.1", {}};
  (void)request.cookie_lookup("refresh_token");
  (void)http::extract_token(request, "access_token");
  return 0;
}
