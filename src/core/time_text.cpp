#include "core/time_text.hpp"

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

}  // namespace gatehouse
