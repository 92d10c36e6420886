#pragma once

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::http {

// Which address a request comes from, for rate limits and the session list. The socket's peer,
// unless the peer is a trusted proxy (TRUSTED_PROXIES): then the right-most address in
// X-Forwarded-For that is not itself a trusted proxy. A forged X-Forwarded-For from an untrusted
// peer is ignored.
class ClientAddressResolver {
 public:
  // Entries are addresses or CIDR blocks, already validated by the settings.
  explicit ClientAddressResolver(const std::vector<std::string>& trusted_proxies);

  std::string resolve(std::string_view peer, std::string_view x_forwarded_for) const;

 private:
  bool trusted(std::string_view address) const;

  std::vector<boost::asio::ip::network_v4> v4_;
  std::vector<boost::asio::ip::network_v6> v6_;
};

}  // namespace gatehouse::http
