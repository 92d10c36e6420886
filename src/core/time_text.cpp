#include "core/time_text.hpp"

#include <charconv>
#include <chrono>

namespace gatehouse {

std::string utc_date_time(SysTime t, char separator) {
  using namespace std::chrono;
  const auto secs = floor<seconds>(t);
  const auto day = floor<days>(secs);
  const year_month_day ymd{day};
  const hh_mm_ss<seconds> hms{secs - day};
  const auto two = [](char* at, unsigned v) {
    at[0] = static_cast<char>('0' + v / 10);
    at[1] = static_cast<char>('0' + v % 10);
  };
  std::string out(19, '0');
  const int y = static_cast<int>(ymd.year());
  const unsigned year = y < 0 ? 0u : (y > 9999 ? 9999u : static_cast<unsigned>(y));
  two(&out[0], year / 100);
  two(&out[2], year % 100);
  out[4] = '-';
  two(&out[5], static_cast<unsigned>(ymd.month()));
  out[7] = '-';
  two(&out[8], static_cast<unsigned>(ymd.day()));
  out[10] = separator;
  two(&out[11], static_cast<unsigned>(hms.hours().count()));
  out[13] = ':';
  two(&out[14], static_cast<unsigned>(hms.minutes().count()));
  out[16] = ':';
  two(&out[17], static_cast<unsigned>(hms.seconds().count()));
  return out;
}

std::optional<std::chrono::seconds> parse_age(std::string_view text) {
  if (text.size() < 2) return std::nullopt;
  std::int64_t unit = 0;
  switch (text.back()) {
    case 's':
      unit = 1;
      break;
    case 'm':
      unit = 60;
      break;
    case 'h':
      unit = 3600;
      break;
    case 'd':
      unit = 86400;
      break;
    default:
      return std::nullopt;
  }
  const std::string_view digits = text.substr(0, text.size() - 1);
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  constexpr std::int64_t kMaxSeconds = 100LL * 366 * 86400;
  if (ec != std::errc{} || end != digits.data() + digits.size() || n < 0 ||
      n > kMaxSeconds / unit) {
    return std::nullopt;
  }
  return std::chrono::seconds(n * unit);
}

}  // namespace gatehouse
