#include "http/client_address.hpp"

namespace gatehouse::http {

namespace ip = boost::asio::ip;

namespace {
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}
}  // namespace

ClientAddressResolver::ClientAddressResolver(const std::vector<std::string>& trusted_proxies) {
  for (const auto& entry : trusted_proxies) {
    boost::system::error_code ec;
    if (entry.find('/') != std::string::npos) {
      if (entry.find(':') != std::string::npos) {
        auto n = ip::make_network_v6(entry, ec);
        if (!ec) v6_.push_back(n);
      } else {
        auto n = ip::make_network_v4(entry, ec);
        if (!ec) v4_.push_back(n);
      }
      continue;
    }
    const auto a = ip::make_address(entry, ec);
    if (ec) continue;
    if (a.is_v4())
      v4_.emplace_back(a.to_v4(), 32);
    else
      v6_.emplace_back(a.to_v6(), 128);
  }
}

bool ClientAddressResolver::trusted(std::string_view address) const {
  boost::system::error_code ec;
  const auto a = ip::make_address(std::string(address), ec);
  if (ec) return false;
  if (a.is_v4()) {
    for (const auto& n : v4_) {
      if (ip::network_v4(a.to_v4(), 32).is_subnet_of(n) || n.address() == a.to_v4()) return true;
    }
    return false;
  }
  for (const auto& n : v6_) {
    if (ip::network_v6(a.to_v6(), 128).is_subnet_of(n) || n.address() == a.to_v6()) return true;
  }
  return false;
}

std::string ClientAddressResolver::resolve(std::string_view peer,
                                           std::string_view x_forwarded_for) const {
  if ((v4_.empty() && v6_.empty()) || x_forwarded_for.empty() || !trusted(peer)) {
    return std::string(peer);
  }
  // Walk from the right: each hop was appended by the proxy before it.
  std::string_view rest = x_forwarded_for;
  while (!rest.empty()) {
    const auto comma = rest.rfind(',');
    const std::string_view hop =
        trim(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(0, comma);
    if (hop.empty()) continue;
    boost::system::error_code ec;
    (void)ip::make_address(std::string(hop), ec);
    if (ec) return std::string(peer);  // a malformed chain: trust nothing in it
    if (!trusted(hop)) return std::string(hop);
  }
  return std::string(peer);
}

}  // namespace gatehouse::http
