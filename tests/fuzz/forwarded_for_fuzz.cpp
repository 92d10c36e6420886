// libFuzzer target: X-Forwarded-For as a trusted proxy hands it over (hops with ports, brackets,
// IPv4-mapped addresses, empty elements), walked from the right.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/client_address.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const gatehouse::http::ClientAddressResolver resolver({"10.0.0.0/8", "2001:db8::/32"});
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)gatehouse::http::parse_hop(text);
  (void)resolver.resolve("10.0.0.1", text);
  (void)resolver.is_trusted_proxy(text);
  return 0;
}
