#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/clock.hpp"

namespace gatehouse::store {

// The text form of the user table's created_at/updated_at: UTC 'YYYY-MM-DD HH:MM:SS', truncated
// to the second (what SQLite's CURRENT_TIMESTAMP and the tutorial write).
// Example: format_sql_timestamp(from_unix_seconds(0)) == "1970-01-01 00:00:00"
std::string format_sql_timestamp(SysTime t);

// Reads the forms found in databases adopted from the tutorial:
//   'YYYY-MM-DD HH:MM:SS', with 'T' instead of the space, an optional fraction of up to nine
//   digits ('.ffffff'; more digits are read and ignored) and an optional zone suffix 'Z',
//   '+HH:MM' / '-HH:MM', or '+HH' / '-HH' as PostgreSQL prints TIMESTAMPTZ (applied, so the result
//   is UTC).
// nullopt for anything else, including impossible dates ('2023-02-30') and years outside
// 1678-2261 (what SysTime holds).
std::optional<SysTime> parse_sql_timestamp(std::string_view text);

}  // namespace gatehouse::store
