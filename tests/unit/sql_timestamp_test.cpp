// The text form of the user table's timestamps (store/sql_timestamp.hpp), which every backend
// writes and reads for databases adopted from the tutorial.

#include <gtest/gtest.h>

#include <chrono>
#include <ctime>

#include "core/time_text.hpp"
#include "store/sql_timestamp.hpp"

#include "store_test_support.hpp"

namespace gatehouse::store {
namespace {

using std::chrono::milliseconds;
using testing::kT0;

TEST(SqlTimestamp, FormatsUtcToTheSecond) {
  EXPECT_EQ(format_sql_timestamp(from_unix_seconds(0)), "1970-01-01 00:00:00");
  EXPECT_EQ(format_sql_timestamp(kT0 + milliseconds(999)), "2023-11-14 22:13:20");
  EXPECT_EQ(format_sql_timestamp(from_unix_seconds(951'782'400)), "2000-02-29 00:00:00");
  // The digit-by-digit writer against strftime, over a century of times a few hours apart.
  for (std::int64_t s = -86'400; s < 4'102'444'800; s += 12'345 * 7 + 1) {
    const std::time_t tt = s;
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[32];
    const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    ASSERT_EQ(utc_date_time(from_unix_seconds(s), 'T'), std::string(buf, n)) << s;
  }
}

TEST(SqlTimestamp, ParsesTheFormsAdoptedDatabasesHold) {
  const SysTime expected = kT0;
  for (const char* text :
       {"2023-11-14 22:13:20", "2023-11-14T22:13:20", "2023-11-14 22:13:20Z",
        "2023-11-14T22:13:20+00:00", "2023-11-15T00:13:20+02:00", "2023-11-14 20:13:20-02:00"}) {
    const auto parsed = parse_sql_timestamp(text);
    ASSERT_TRUE(parsed) << text;
    EXPECT_EQ(*parsed, expected) << text;
  }
  const auto micro = parse_sql_timestamp("2023-11-14 22:13:20.123456");
  ASSERT_TRUE(micro);
  EXPECT_EQ(*micro, expected + std::chrono::microseconds(123456));
  const auto fraction_zone = parse_sql_timestamp("2023-11-14T22:13:20.5Z");
  ASSERT_TRUE(fraction_zone);
  EXPECT_EQ(*fraction_zone, expected + milliseconds(500));
}

TEST(SqlTimestamp, RejectsAnythingElse) {
  for (const char* text :
       {"", "2023-11-14", "2023-11-14 22:13", "2023-02-30 00:00:00", "2023-13-01 00:00:00",
        "2023-11-14 24:00:00", "2023-11-14 22:13:20 ", "2023-11-14 22:13:20.",
        "2023-11-14x22:13:20", "2023-11-14 22:13:20+0200", "2023/11/14 22:13:20", "1700000000",
        // Beyond what a nanosecond SysTime holds: refused, not wrapped around.
        "2999-01-01 00:00:00", "2262-12-31 00:00:00", "1677-01-01 00:00:00"}) {
    EXPECT_FALSE(parse_sql_timestamp(text)) << text;
  }
  EXPECT_TRUE(parse_sql_timestamp("2261-12-31 23:59:59"));
  EXPECT_TRUE(parse_sql_timestamp("1678-01-01 00:00:00"));
}

// What is written reads back as the same second.
TEST(SqlTimestamp, RoundTripsToTheSecond) {
  for (const SysTime t : {from_unix_seconds(0), kT0, kT0 + milliseconds(999),
                          from_unix_seconds(951'782'400), from_unix_seconds(4'102'444'799)}) {
    const auto parsed = parse_sql_timestamp(format_sql_timestamp(t));
    ASSERT_TRUE(parsed) << format_sql_timestamp(t);
    EXPECT_EQ(*parsed, from_unix_seconds(unix_seconds(t)));
  }
}

// PostgreSQL prints TIMESTAMPTZ with the session's offset in whole hours when it has no minutes:
// '2023-11-14 22:13:20+00' in the UTC sessions Gatehouse opens.
TEST(SqlTimestamp, ReadsPostgresHourOnlyOffsets) {
  EXPECT_EQ(parse_sql_timestamp("2023-11-14 22:13:20+00"), kT0);
  EXPECT_EQ(parse_sql_timestamp("2023-11-15 00:13:20+02"), kT0);
  EXPECT_EQ(parse_sql_timestamp("2023-11-14 17:13:20-05"), kT0);
  EXPECT_EQ(parse_sql_timestamp("2023-11-14 22:13:20.25+00"), kT0 + milliseconds(250));
  EXPECT_EQ(parse_sql_timestamp("2023-11-15 03:43:20+05:30"), kT0);
  for (const char* text :
       {"2023-11-14 22:13:20+", "2023-11-14 22:13:20+0", "2023-11-14 22:13:20+24",
        "2023-11-14 22:13:20+00:", "2023-11-14 22:13:20+00:0", "2023-11-14 22:13:20+0000",
        "2023-11-14 22:13:20+00 "}) {
    EXPECT_FALSE(parse_sql_timestamp(text)) << text;
  }
}

}  // namespace
}  // namespace gatehouse::store
