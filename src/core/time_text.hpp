#pragma once

#include <string>

#include "core/clock.hpp"

namespace gatehouse {

// "YYYY-MM-DD<sep>HH:MM:SS" in UTC, truncated to the second, for years 0000 to 9999. Written digit
// by digit: on /api/users/me (two timestamps per answer) strftime and gmtime_r cost more than the
// rest of the JSON.
// Example: utc_date_time(from_unix_seconds(0), 'T') == "1970-01-01T00:00:00"
std::string utc_date_time(SysTime t, char separator);

}  // namespace gatehouse
