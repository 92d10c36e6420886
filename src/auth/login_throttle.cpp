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

void take_back(store::ThrottleRecord& r, std::int64_t window_start, std::size_t per_hour) {
  if (r.window_start != window_start || r.window_count == 0) return;  // a new window began since
  --r.window_count;
  // The hourly block this count may have started goes with it.
  if (r.window_count < static_cast<std::int64_t>(per_hour) &&
      r.blocked_until == r.window_start + kWindowSeconds) {
    r.blocked_until = 0;
  }
}

void count_in_window(store::ThrottleRecord& r, std::int64_t now, std::size_t per_hour) {
  roll_window(r, now);
  ++r.window_count;
  if (r.window_count >= static_cast<std::int64_t>(per_hour)) {
    r.blocked_until = std::max(r.blocked_until, r.window_start + kWindowSeconds);
  }
}

void count_spaced(store::ThrottleRecord& r, std::int64_t now, std::size_t per_hour,
                  std::chrono::seconds interval) {
  count_in_window(r, now, per_hour);
  // Only a real interval blocks: `now` is the count's second rounded up, so even "+ 0" would
  // refuse the rest of the current second.
  if (interval.count() > 0) r.blocked_until = std::max(r.blocked_until, now + interval.count());
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
std::string device_key(std::string_view device_id) {
  return "dev:" + hash_refresh_token(device_id).substr(0, 40);
}
std::string ip_login_key(std::string_view ip) {
  return "ipl:" + hash_refresh_token(throttle_policy::address_bucket(ip)).substr(0, 40);
}
std::string ip_register_key(std::string_view ip) {
  return "ipr:" + hash_refresh_token(throttle_policy::address_bucket(ip)).substr(0, 40);
}
std::string mail_address_key(std::string_view email) {
  return "mail:" + hash_refresh_token(email).substr(0, 40);
}
std::string ip_mail_key(std::string_view ip) {
  return "ipm:" + hash_refresh_token(throttle_policy::address_bucket(ip)).substr(0, 40);
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

Result<std::variant<LoginThrottle::Counted, std::chrono::seconds>> LoginThrottle::reserve(
    const std::string& key, SysTime at,
    const std::function<void(store::ThrottleRecord&, std::int64_t)>& count) {
  // Checked at the current second, counted from the next one (see unix_seconds_ceil): a delay
  // this attempt starts lasts at least its full length.
  const std::int64_t now = unix_seconds(at);
  const std::int64_t counted_at = unix_seconds_ceil(at);
  std::optional<std::chrono::seconds> refused;
  Counted counted;
  auto updated = store_.update_throttle(
      key,
      [&](store::ThrottleRecord& r) {  // may run again after a lock conflict: sets all each time
        refused = throttle_policy::retry_after(r, now);
        if (refused) return;
        count(r, counted_at);
        // It was not blocked before this count, so a block now is one this count started.
        counted = Counted{r.window_start, throttle_policy::retry_after(r, counted_at)};
      },
      at);
  if (!updated) return std::move(updated).error();
  using Reserved = std::variant<Counted, std::chrono::seconds>;
  if (refused) return Reserved{*refused};
  return Reserved{counted};
}

Status LoginThrottle::take_back(const std::string& key, std::int64_t window, bool end_run,
                                SysTime at, std::size_t per_hour) {
  auto updated = store_.update_throttle(
      key,
      [&](store::ThrottleRecord& r) {
        throttle_policy::take_back(r, window, per_hour);
        if (end_run) throttle_policy::account_success(r);
      },
      at);
  if (!updated) return std::move(updated).error();
  return ok_status();
}

Result<std::variant<LoginAttempt, std::chrono::seconds>> LoginThrottle::begin_login(
    std::string_view email_lower, std::string_view client_ip,
    std::optional<std::string_view> device_id) {
  using Outcome = std::variant<LoginAttempt, std::chrono::seconds>;
  if (!limits_.enabled) return Outcome{LoginAttempt{}};
  const SysTime at = clock_.now();
  LoginAttempt attempt;
  attempt.known_device = device_id.has_value();
  attempt.limited_key = device_id ? device_key(*device_id) : account_key(email_lower);
  attempt.ip_key = ip_login_key(client_ip);

  for (const std::string* key : {&attempt.limited_key, &attempt.ip_key}) {
    auto wait = blocked(*key, unix_seconds(at));
    if (!wait) return std::move(wait).error();
    if (*wait) return Outcome{**wait};
  }
  auto ip = reserve(attempt.ip_key, at, [&](store::ThrottleRecord& r, std::int64_t now) {
    throttle_policy::count_in_window(r, now, limits_.ip_failed_logins_per_hour);
  });
  if (!ip) return std::move(ip).error();
  if (const auto* wait = std::get_if<std::chrono::seconds>(&*ip)) return Outcome{*wait};
  attempt.ip_window = std::get<Counted>(*ip).window;
  attempt.ip_block = std::get<Counted>(*ip).block;

  auto limited = reserve(attempt.limited_key, at, [&](store::ThrottleRecord& r, std::int64_t now) {
    throttle_policy::account_failure(r, now, limits_);
  });
  if (!limited || std::holds_alternative<std::chrono::seconds>(*limited)) {
    // Refused after all (a concurrent attempt got there first): this one counts nowhere.
    if (auto st = take_back(attempt.ip_key, attempt.ip_window, false, at,
                            limits_.ip_failed_logins_per_hour);
        !st) {
      return std::move(st).error();
    }
    if (!limited) return std::move(limited).error();
    return Outcome{std::get<std::chrono::seconds>(*limited)};
  }
  attempt.limited_window = std::get<Counted>(*limited).window;
  attempt.limited_block = std::get<Counted>(*limited).block;
  return Outcome{std::move(attempt)};
}

Status LoginThrottle::login_succeeded(const LoginAttempt& attempt) {
  if (!limits_.enabled || attempt.limited_key.empty()) return ok_status();
  const SysTime at = clock_.now();
  if (auto st = take_back(attempt.limited_key, attempt.limited_window, true, at,
                          limits_.login_failures_per_hour);
      !st) {
    return st;
  }
  return take_back(attempt.ip_key, attempt.ip_window, false, at, limits_.ip_failed_logins_per_hour);
}

Result<std::optional<std::chrono::seconds>> LoginThrottle::count_unless_blocked(
    const std::string& key, SysTime at,
    const std::function<void(store::ThrottleRecord&, std::int64_t)>& count) {
  auto reserved = reserve(key, at, count);
  if (!reserved) return std::move(reserved).error();
  if (const auto* wait = std::get_if<std::chrono::seconds>(&*reserved)) {
    return std::optional<std::chrono::seconds>{*wait};
  }
  return std::optional<std::chrono::seconds>{};
}

Result<std::optional<std::chrono::seconds>> LoginThrottle::registration_attempt(
    std::string_view client_ip) {
  if (!limits_.enabled) return std::optional<std::chrono::seconds>{};
  const SysTime at = clock_.now();
  const std::string key = ip_register_key(client_ip);
  auto current = blocked(key, unix_seconds(at));
  if (!current || current->has_value()) return current;
  return count_unless_blocked(key, at, [&](store::ThrottleRecord& r, std::int64_t now) {
    throttle_policy::count_in_window(r, now, limits_.ip_registrations_per_hour);
  });
}

Result<std::optional<std::chrono::seconds>> LoginThrottle::mail_request(
    std::string_view email_lower, std::string_view client_ip) {
  if (!limits_.enabled) return std::optional<std::chrono::seconds>{};
  const SysTime at = clock_.now();
  const std::string client = ip_mail_key(client_ip);
  const std::string address = mail_address_key(email_lower);
  // Both are read first, so a refused request counts on neither.
  for (const std::string* key : {&client, &address}) {
    auto wait = blocked(*key, unix_seconds(at));
    if (!wait || wait->has_value()) return wait;
  }
  auto by_client =
      count_unless_blocked(client, at, [&](store::ThrottleRecord& r, std::int64_t now) {
        throttle_policy::count_in_window(r, now, limits_.mail_per_client_per_hour);
      });
  if (!by_client || by_client->has_value()) return by_client;
  return count_unless_blocked(address, at, [&](store::ThrottleRecord& r, std::int64_t now) {
    throttle_policy::count_spaced(r, now, limits_.mail_per_address_per_hour,
                                  limits_.mail_address_interval);
  });
}

}  // namespace gatehouse::auth
