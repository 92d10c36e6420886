#pragma once

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::http {

// One address as a proxy or a socket writes it: "1.2.3.4", "1.2.3.4:5678", "2001:db8::1",
// "[2001:db8::1]:443", "::ffff:1.2.3.4" (an IPv4 client on a dual-stack socket, returned as
// IPv4). Nothing else: no "unknown", no obfuscated identifiers (RFC 7239), no zone ids.
std::optional<boost::asio::ip::address> parse_hop(std::string_view text);

// An IPv4-mapped IPv6 address as the IPv4 address it carries; any other address unchanged.
boost::asio::ip::address plain_address(const boost::asio::ip::address& address);

// Every line of a header field, in order, joined with ", " (RFC 9110 §5.3): proxies may append a
// line of their own instead of extending the first one.
template <class Fields>
std::string join_field_lines(const Fields& fields, std::string_view name) {
  std::string out;
  const auto [first, last] = fields.equal_range(name);
  for (auto it = first; it != last; ++it) {
    if (!out.empty()) out += ", ";
    out.append(it->value().data(), it->value().size());
  }
  return out;
}

// Which address a request comes from, for rate limits and the session list. The socket's peer,
// unless the peer is a trusted proxy (TRUSTED_PROXIES): then X-Forwarded-For is walked from the
// right (each proxy appends the address it saw) past every trusted proxy, and the first address
// that is not one is the client. What the client wrote itself sits further left and is never
// reached. A malformed hop before that point ends the walk at the last trusted address, so a
// broken chain cannot pick an address an attacker chose.
class ClientAddressResolver {
 public:
  // Entries are addresses or CIDR blocks, already validated by the settings.
  explicit ClientAddressResolver(const std::vector<std::string>& trusted_proxies);

  // `x_forwarded_for` holds every X-Forwarded-For line of the request, joined in order with
  // commas (RFC 9110 §5.3): see join_field_lines.
  std::string resolve(std::string_view peer, std::string_view x_forwarded_for) const;

  // True when `peer` (a plain address) is one of TRUSTED_PROXIES.
  bool is_trusted_proxy(std::string_view peer) const;

 private:
  bool trusted(const boost::asio::ip::address& address) const;

  std::vector<boost::asio::ip::network_v4> v4_;
  std::vector<boost::asio::ip::network_v6> v6_;
};

}  // namespace gatehouse::http
