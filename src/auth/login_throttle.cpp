#include "auth/login_throttle.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v6.hpp>

#include <algorithm>

#include "auth/session_service.hpp"

namespace gatehouse::auth {

namespace throttle_policy {

namespace {
constexpr std::int64_t kWindowSeconds = 3600;

void roll_window(store::ThrottleRecord& r, std::int64_t now) {
  if (now >= r.window_start + kWindowSeconds) {
    r.window_start = now;
    r.window_count = 0;
  }
}
}  // namespace

void account_failure(store::ThrottleRecord& r, std::int64_t now,
                     const config::RateLimitSettings& limits) {
  roll_window(r, now);
  ++r.window_count;
  ++r.consecutive;
  const auto free = static_cast<std::int64_t>(limits.login_free_failures);
  if (r.consecutive >= free) {
    const std::int64_t doublings = std::min<std::int64_t>(r.consecutive - free, 30);
    const std::int64_t delay = std::min<std::int64_t>(limits.login_base_delay.count() << doublings,
                                                      limits.login_max_delay.count());
    r.blocked_until = std::max(r.blocked_until, now + delay);
  }
  if (r.window_count >= static_cast<std::int64_t>(limits.login_failures_per_hour)) {
    r.blocked_until = std::max(r.blocked_until, r.window_start + kWindowSeconds);
  }
}

void account_success(store::ThrottleRecord& r) {
  r.consecutive = 0;
  r.blocked_until = 0;
}

void count_in_window(store::ThrottleRecord& r, std::int64_t now, std::size_t per_hour) {
  roll_window(r, now);
  ++r.window_count;
  if (r.window_count >= static_cast<std::int64_t>(per_hour)) {
    r.blocked_until = std::max(r.blocked_until, r.window_start + kWindowSeconds);
  }
}

std::string address_bucket(std::string_view address) {
  boost::system::error_code ec;
  const auto parsed = boost::asio::ip::make_address(std::string(address), ec);
  if (ec || !parsed.is_v6() || parsed.to_v6().is_v4_mapped()) return std::string(address);
  return boost::asio::ip::network_v6(parsed.to_v6(), 64).canonical().to_string();
}

std::optional<std::chrono::seconds> retry_after(const store::ThrottleRecord& r, std::int64_t now) {
  if (now >= r.blocked_until) return std::nullopt;
  return std::chrono::seconds(r.blocked_until - now);
}

}  // namespace throttle_policy

namespace {
// Keys are hashes: no e-mail address or IP sits in the throttle table in clear.
std::string account_key(std::string_view email) {
  return "acct:" + hash_refresh_token(email).substr(0, 40);
}
std::string ip_login_key(std::string_view ip) {
  return "ipl:" + hash_refresh_token(throttle_policy::address_bucket(ip)).substr(0, 40);
}
std::string ip_register_key(std::string_view ip) {
  return "ipr:" + hash_refresh_token(throttle_policy::address_bucket(ip)).substr(0, 40);
}
}  // namespace

LoginThrottle::LoginThrottle(store::Store& store, const Clock& clock,
                             config::RateLimitSettings limits)
    : store_(store), clock_(clock), limits_(limits) {}

Result<std::optional<std::chrono::seconds>> LoginThrottle::blocked(const std::string& key,
                                                                   std::int64_t now) {
  auto record = store_.get_throttle(key);
  if (!record) return std::move(record).error();
  if (!record->has_value()) return std::optional<std::chrono::seconds>{};
  return throttle_policy::retry_after(**record, now);
}

Result<std::optional<std::chrono::seconds>> LoginThrottle::check_login(std::string_view email_lower,
                                                                       std::string_view client_ip) {
  if (!limits_.enabled) return std::optional<std::chrono::seconds>{};
  const std::int64_t now = unix_seconds(clock_.now());
  auto account = blocked(account_key(email_lower), now);
  if (!account || account->has_value()) return account;
  return blocked(ip_login_key(client_ip), now);
}

Status LoginThrottle::login_failed(std::string_view email_lower, std::string_view client_ip) {
  if (!limits_.enabled) return ok_status();
  // Rounded up: the delay a failure starts lasts at least its full length (see unix_seconds_ceil).
  const SysTime at = clock_.now();
  const std::int64_t now = unix_seconds_ceil(at);
  auto account = store_.update_throttle(
      account_key(email_lower),
      [&](store::ThrottleRecord& r) { throttle_policy::account_failure(r, now, limits_); }, at);
  if (!account) return std::move(account).error();
  auto ip = store_.update_throttle(
      ip_login_key(client_ip),
      [&](store::ThrottleRecord& r) {
        throttle_policy::count_in_window(r, now, limits_.ip_failed_logins_per_hour);
      },
      at);
  if (!ip) return std::move(ip).error();
  return ok_status();
}

Status LoginThrottle::login_succeeded(std::string_view email_lower) {
  if (!limits_.enabled) return ok_status();
  const std::string key = account_key(email_lower);
  auto current = store_.get_throttle(key);
  if (!current) return std::move(current).error();
  if (!current->has_value() || ((*current)->consecutive == 0 && (*current)->blocked_until == 0)) {
    return ok_status();  // nothing to clear: no write on the common path
  }
  auto r = store_.update_throttle(
      key, [](store::ThrottleRecord& record) { throttle_policy::account_success(record); },
      clock_.now());
  if (!r) return std::move(r).error();
  return ok_status();
}

Result<std::optional<std::chrono::seconds>> LoginThrottle::registration_attempt(
    std::string_view client_ip) {
  if (!limits_.enabled) return std::optional<std::chrono::seconds>{};
  const SysTime at = clock_.now();
  const std::string key = ip_register_key(client_ip);
  auto current = blocked(key, unix_seconds(at));
  if (!current || current->has_value()) return current;
  auto r = store_.update_throttle(
      key,
      [&](store::ThrottleRecord& record) {
        throttle_policy::count_in_window(record, unix_seconds_ceil(at),
                                         limits_.ip_registrations_per_hour);
      },
      at);
  if (!r) return std::move(r).error();
  return std::optional<std::chrono::seconds>{};
}

}  // namespace gatehouse::auth
