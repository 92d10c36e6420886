#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "auth/server_secret.hpp"
#include "core/random.hpp"

namespace gatehouse::auth {

// OWASP's "device cookies" against lockouts an attacker can hold: a client that has logged in to an
// account before holds a cookie the server signed for that account, and its failed logins count on
// a counter of its own. An attacker guessing from elsewhere delays only the account-wide counter,
// which applies to unknown devices, so the owner's known browser still gets in.
//
// The value is "<device id>.<mac>": 16 random bytes and a BLAKE2b MAC over the account and the
// id, both base64url. Nothing is stored on the server; the MAC binds the cookie to one account
// (a cookie of another account is an unknown device here). Thread-safe.
class DeviceCookies {
 public:
  static constexpr std::string_view kName = "gatehouse_device";

  // `material`: private_key_material of the server's keys.
  DeviceCookies(std::string_view material, Random& random);

  // A fresh cookie value for `email_lower`.
  std::string issue(std::string_view email_lower) const;
  // The device id when `value` is a cookie this server issued for `email_lower`; nullopt for any
  // other value (another account's cookie, another server's, altered, malformed).
  std::optional<std::string> verify(std::string_view value, std::string_view email_lower) const;

 private:
  std::string mac(std::string_view device_id, std::string_view email_lower) const;

  DerivedKey key_;
  Random& random_;
};

}  // namespace gatehouse::auth
