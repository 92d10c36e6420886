#include "store/sql_timestamp.hpp"

#include "core/time_text.hpp"

#include <chrono>
#include <cstdint>

namespace gatehouse::store {

namespace {

// Reads exactly `n` decimal digits at `pos`, advancing it; nullopt when they are not all digits.
std::optional<int> read_digits(std::string_view text, std::size_t& pos, std::size_t n) {
  if (text.size() - pos < n) return std::nullopt;
  int value = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = text[pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  pos += n;
  return value;
}

bool read_char(std::string_view text, std::size_t& pos, char expected) {
  if (pos >= text.size() || text[pos] != expected) return false;
  ++pos;
  return true;
}

}  // namespace

std::string format_sql_timestamp(SysTime t) {
  return utc_date_time(t, ' ');
}

std::optional<SysTime> parse_sql_timestamp(std::string_view text) {
  using namespace std::chrono;
  std::size_t pos = 0;
  const auto y = read_digits(text, pos, 4);
  if (!y || !read_char(text, pos, '-')) return std::nullopt;
  const auto mo = read_digits(text, pos, 2);
  if (!mo || !read_char(text, pos, '-')) return std::nullopt;
  const auto d = read_digits(text, pos, 2);
  if (!d) return std::nullopt;
  if (!read_char(text, pos, ' ') && !read_char(text, pos, 'T')) return std::nullopt;
  const auto h = read_digits(text, pos, 2);
  if (!h || !read_char(text, pos, ':')) return std::nullopt;
  const auto mi = read_digits(text, pos, 2);
  if (!mi || !read_char(text, pos, ':')) return std::nullopt;
  const auto s = read_digits(text, pos, 2);
  if (!s) return std::nullopt;

  const year_month_day ymd{year{*y}, month{static_cast<unsigned>(*mo)},
                           day{static_cast<unsigned>(*d)}};
  if (!ymd.ok() || *h > 23 || *mi > 59 || *s > 59) return std::nullopt;
  // SysTime counts nanoseconds in 64 bits: 1677-09-21 to 2262-04-11. Whole years inside that.
  if (*y < 1678 || *y > 2261) return std::nullopt;

  std::int64_t nanos = 0;
  if (read_char(text, pos, '.')) {
    std::size_t digits = 0;
    for (; pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; ++pos, ++digits) {
      if (digits < 9) nanos = nanos * 10 + (text[pos] - '0');
    }
    if (digits == 0) return std::nullopt;
    for (std::size_t i = digits; i < 9; ++i) nanos *= 10;
  }

  minutes offset{0};
  if (read_char(text, pos, 'Z')) {
    // UTC
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const bool negative = text[pos] == '-';
    ++pos;
    const auto oh = read_digits(text, pos, 2);
    if (!oh) return std::nullopt;
    // PostgreSQL prints whole-hour offsets without minutes ('+00' in a UTC session).
    std::optional<int> om = 0;
    if (pos < text.size()) {
      if (!read_char(text, pos, ':')) return std::nullopt;
      om = read_digits(text, pos, 2);
    }
    if (!om || *oh > 23 || *om > 59) return std::nullopt;
    offset = hours{*oh} + minutes{*om};
    if (negative) offset = -offset;
  }
  if (pos != text.size()) return std::nullopt;

  // Local time minus its offset is UTC: 12:00+02:00 is 10:00Z.
  const auto utc = sys_days{ymd} + hours{*h} + minutes{*mi} + seconds{*s} - offset;
  return SysTime(duration_cast<SysTime::duration>(utc.time_since_epoch() + nanoseconds{nanos}));
}

}  // namespace gatehouse::store
