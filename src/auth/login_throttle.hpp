#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "config/settings.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "store/store.hpp"

namespace gatehouse::auth {

// The policy, as pure functions over a counter, so it is tested without a database or a clock.
namespace throttle_policy {

// A failed login for one account: after `free_failures` consecutive failures each further one
// blocks the account for base * 2^(n - free_failures), capped at max_delay; at most
// `per_hour` failures in a one-hour window, then blocked until the window ends. Never permanent.
void account_failure(store::ThrottleRecord& r, std::int64_t now,
                     const config::RateLimitSettings& limits);
// A successful login: the consecutive count and any delay are cleared (the hourly count stays).
void account_success(store::ThrottleRecord& r);
// One more counted event for a client address; blocked for the rest of the hour at `per_hour`.
void count_in_window(store::ThrottleRecord& r, std::int64_t now, std::size_t per_hour);
// What a per-address limit counts: the address itself, but for IPv6 the /64 it lies in (one
// subscriber's or one host's allocation; an attacker there holds 2^64 addresses).
std::string address_bucket(std::string_view address);
// Seconds until the next attempt is allowed; nullopt when allowed now.
std::optional<std::chrono::seconds> retry_after(const store::ThrottleRecord& r, std::int64_t now);

}  // namespace throttle_policy

// Brute-force limits for login and registration, per account and per client address, kept in the
// database the server already has (so they hold across worker threads and restarts). Blocked
// attempts are refused before any password work and do not count. Blocking: call from a worker.
// With RateLimitSettings::enabled false every check allows and nothing is written.
class LoginThrottle {
 public:
  LoginThrottle(store::Store& store, const Clock& clock, config::RateLimitSettings limits);

  // nullopt: go ahead; otherwise refuse with 429 and this Retry-After.
  Result<std::optional<std::chrono::seconds>> check_login(std::string_view email_lower,
                                                          std::string_view client_ip);
  Status login_failed(std::string_view email_lower, std::string_view client_ip);
  Status login_succeeded(std::string_view email_lower);
  // Counts a registration attempt from `client_ip`; refuses once the hourly limit is reached.
  Result<std::optional<std::chrono::seconds>> registration_attempt(std::string_view client_ip);

 private:
  Result<std::optional<std::chrono::seconds>> blocked(const std::string& key, std::int64_t now);

  store::Store& store_;
  const Clock& clock_;
  config::RateLimitSettings limits_;
};

}  // namespace gatehouse::auth
