#include "http/client_address.hpp"

#include "http/whitespace.hpp"

namespace gatehouse::http {

namespace ip = boost::asio::ip;

namespace {

bool is_port(std::string_view s) {
  if (s.empty() || s.size() > 5) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// An IPv4 address seen through an IPv6 socket is the IPv4 address.
ip::address unmapped(const ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return ip::make_address_v4(ip::v4_mapped, a.to_v6());
  }
  return a;
}

std::optional<ip::address> parse_plain(std::string_view text) {
  if (text.empty() || text.find('%') != std::string_view::npos) return std::nullopt;
  boost::system::error_code ec;
  const auto a = ip::make_address(std::string(text), ec);
  if (ec) return std::nullopt;
  return unmapped(a);
}

}  // namespace

ip::address plain_address(const ip::address& address) {
  return unmapped(address);
}

std::optional<ip::address> parse_hop(std::string_view text) {
  text = trim_ows(text);
  if (!text.empty() && text.front() == '[') {  // [v6] or [v6]:port
    const auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    const std::string_view after = text.substr(close + 1);
    if (!after.empty() && (after.front() != ':' || !is_port(after.substr(1)))) return std::nullopt;
    const std::string_view inner = text.substr(1, close - 1);
    if (inner.find(':') == std::string_view::npos) return std::nullopt;  // brackets hold IPv6
    return parse_plain(inner);
  }
  // One colon: IPv4 with a port. More: a bare IPv6 address (which cannot carry a port unbracketed).
  const auto colon = text.find(':');
  if (colon != std::string_view::npos && text.find(':', colon + 1) == std::string_view::npos) {
    if (!is_port(text.substr(colon + 1))) return std::nullopt;
    auto a = parse_plain(text.substr(0, colon));
    if (!a || !a->is_v4()) return std::nullopt;
    return a;
  }
  return parse_plain(text);
}

ClientAddressResolver::ClientAddressResolver(const std::vector<std::string>& trusted_proxies) {
  for (const auto& entry : trusted_proxies) {
    boost::system::error_code ec;
    if (entry.find('/') != std::string::npos) {
      if (entry.find(':') != std::string::npos) {
        auto n = ip::make_network_v6(entry, ec);
        if (!ec) v6_.push_back(n.canonical());
      } else {
        auto n = ip::make_network_v4(entry, ec);
        if (!ec) v4_.push_back(n.canonical());
      }
      continue;
    }
    const auto a = ip::make_address(entry, ec);
    if (ec) continue;
    const auto plain = unmapped(a);
    if (plain.is_v4()) {
      v4_.emplace_back(plain.to_v4(), 32);
    } else {
      v6_.emplace_back(plain.to_v6(), 128);
    }
  }
}

bool ClientAddressResolver::trusted(const ip::address& address) const {
  if (address.is_v4()) {
    const ip::network_v4 host(address.to_v4(), 32);
    for (const auto& n : v4_) {
      if (host == n || host.is_subnet_of(n)) return true;
    }
    return false;
  }
  const ip::network_v6 host(address.to_v6(), 128);
  for (const auto& n : v6_) {
    if (host == n || host.is_subnet_of(n)) return true;
  }
  return false;
}

bool ClientAddressResolver::is_trusted_proxy(std::string_view peer) const {
  if (v4_.empty() && v6_.empty()) return false;
  const auto address = parse_hop(peer);
  return address && trusted(*address);
}

std::string ClientAddressResolver::resolve(std::string_view peer,
                                           std::string_view x_forwarded_for) const {
  // The common case costs no parsing: the server hands over the peer already in its plain form.
  if ((v4_.empty() && v6_.empty()) || x_forwarded_for.empty()) return std::string(peer);
  const auto peer_address = parse_hop(peer);
  if (!peer_address) return std::string(peer);
  ip::address client = *peer_address;
  std::string_view rest = x_forwarded_for;
  while (trusted(client) && !rest.empty()) {
    const auto comma = rest.rfind(',');
    const std::string_view hop = comma == std::string_view::npos ? rest : rest.substr(comma + 1);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(0, comma);
    // "a,,b": empty list elements are allowed (RFC 9110 §5.6.1).
    if (trim_ows(hop).empty()) continue;
    const auto parsed = parse_hop(hop);
    if (!parsed) break;  // malformed: keep the last address a trusted proxy vouched for
    client = *parsed;
  }
  return client.to_string();
}

}  // namespace gatehouse::http
