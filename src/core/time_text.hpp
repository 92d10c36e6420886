#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.hpp"

namespace gatehouse {

// "YYYY-MM-DD<sep>HH:MM:SS" in UTC, truncated to the second, for years 0000 to 9999. Written digit
// by digit: on /api/users/me (two timestamps per answer) strftime and gmtime_r cost more than the
// rest of the JSON.
// Example: utc_date_time(from_unix_seconds(0), 'T') == "1970-01-01T00:00:00"
std::string utc_date_time(SysTime t, char separator);

// An age as an operator types it: a whole number and a unit, s, m, h or d ("90m", "7d"); at most
// 100 years. nullopt for anything else.
std::optional<std::chrono::seconds> parse_age(std::string_view text);

}  // namespace gatehouse
