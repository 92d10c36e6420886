#pragma once
// What every SQL driver shares about names and fixed statements.

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

namespace gatehouse::store::sql {

// DATABASE_PREFIX becomes part of every statement's text, unquoted: only identifier characters
// (letters, digits, '_'), at most `max_length` of them (index and constraint names are the prefix
// plus up to 31 characters; PostgreSQL cuts names at 63).
inline constexpr std::size_t kMaxPrefixLength = 32;
inline bool is_identifier_prefix(std::string_view prefix, std::size_t max_length) {
  return prefix.size() <= max_length && std::all_of(prefix.begin(), prefix.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_';
         });
}

// A migration may rebuild a large table: its connection waits this long for the server.
inline constexpr std::chrono::seconds kMigrationTimeout{3600};

inline constexpr std::string_view kCommitSql = "COMMIT";
inline constexpr std::string_view kRollbackSql = "ROLLBACK";

// "execute find_user": a driver's step and the query's name, for error messages.
inline std::string with_name(std::string_view step, std::string_view name) {
  std::string out(step);
  out += ' ';
  out += name;
  return out;
}

}  // namespace gatehouse::store::sql
