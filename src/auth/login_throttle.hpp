#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

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
// Takes back one failure counted in advance, if the counter is still in the window
// (`window_start`) it was counted in.
// A block the hourly cap (`per_hour`) started on that count is lifted with it.
void take_back(store::ThrottleRecord& r, std::int64_t window_start, std::size_t per_hour);
// One more counted event for a client address; blocked for the rest of the hour at `per_hour`.
void count_in_window(store::ThrottleRecord& r, std::int64_t now, std::size_t per_hour);
// One more mail asked for an address: at most `per_hour` in the window, and none sooner than
// `interval` after the last one.
void count_spaced(store::ThrottleRecord& r, std::int64_t now, std::size_t per_hour,
                  std::chrono::seconds interval);
// What a per-address limit counts: the address itself, but for IPv6 the /64 it lies in (one
// subscriber's or one host's allocation; an attacker there holds 2^64 addresses).
std::string address_bucket(std::string_view address);
// Seconds until the next attempt is allowed; nullopt when allowed now.
std::optional<std::chrono::seconds> retry_after(const store::ThrottleRecord& r, std::int64_t now);

}  // namespace throttle_policy

// A login attempt that passed the limits and is already counted as a failure (see begin_login):
// what login_succeeded needs to take that count back.
struct LoginAttempt {
  std::string limited_key;  // the counter this attempt is limited on: the account's or the device's
  std::int64_t limited_window = 0;  // window_start of that counter when the attempt was counted
  std::string ip_key;
  std::int64_t ip_window = 0;
  bool known_device = false;
  // The blocks this attempt's count started, which stand if its password was wrong (a lockout):
  // on the account's or device's counter, and on the address's.
  std::optional<std::chrono::seconds> limited_block;
  std::optional<std::chrono::seconds> ip_block;
};

// Brute-force limits for login, registration and mail requests, per account, per known device and
// per client address, kept in the database the server already has (so they hold across worker
// threads, nodes and restarts). Blocking: call from a worker. With RateLimitSettings::enabled false
// every check allows and nothing is written.
//
// Atomic by construction: an attempt is counted as a failure *before* its password is checked,
// under the counter's row lock, and taken back when the password was right. So N concurrent wrong
// passwords against an account whose next failure starts a delay give one 400 and N-1 429s; a
// check that only read the counter would let one guess per hashing thread through.
class LoginThrottle {
 public:
  LoginThrottle(store::Store& store, const Clock& clock, config::RateLimitSettings limits);

  // Counts the attempt on the client address and on the device's counter when `device_id` (from a
  // device cookie verified for this account) is given, else on the account's. Refused attempts
  // (the seconds to wait) are not counted anywhere.
  Result<std::variant<LoginAttempt, std::chrono::seconds>> begin_login(
      std::string_view email_lower, std::string_view client_ip,
      std::optional<std::string_view> device_id);
  // The password was right: the attempt is taken back and the counter's run of failures ends.
  // A wrong password needs no call: begin_login counted it.
  Status login_succeeded(const LoginAttempt& attempt);
  // Counts a registration attempt from `client_ip`; refuses once the hourly limit is reached.
  Result<std::optional<std::chrono::seconds>> registration_attempt(std::string_view client_ip);
  // Counts a mail asked for `email_lower` (any address: whether it has an account is not looked
  // at, so the answer reveals nothing) from `client_ip`; the wait when either limit refuses it.
  Result<std::optional<std::chrono::seconds>> mail_request(std::string_view email_lower,
                                                           std::string_view client_ip);

 private:
  // Read first: a blocked attempt is refused without a write.
  Result<std::optional<std::chrono::seconds>> blocked(const std::string& key, std::int64_t now);
  // A count under the row lock: the window it went into and the block it started, if any.
  struct Counted {
    std::int64_t window = 0;
    std::optional<std::chrono::seconds> block;
  };
  // Under the row lock: counts with `count` unless blocked; what was counted, or the wait.
  Result<std::variant<Counted, std::chrono::seconds>> reserve(
      const std::string& key, SysTime at,
      const std::function<void(store::ThrottleRecord&, std::int64_t)>& count);
  Status take_back(const std::string& key, std::int64_t window, bool end_run, SysTime at,
                   std::size_t per_hour);
  // A check and a count of one window counter: the wait when blocked (nothing counted), else
  // nullopt after counting with `count`.
  Result<std::optional<std::chrono::seconds>> count_unless_blocked(
      const std::string& key, SysTime at,
      const std::function<void(store::ThrottleRecord&, std::int64_t)>& count);

  store::Store& store_;
  const Clock& clock_;
  config::RateLimitSettings limits_;
};

}  // namespace gatehouse::auth
