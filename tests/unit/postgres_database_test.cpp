#include "store/postgres/postgres_database.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace gatehouse::store {
namespace {

PostgresOptions valid_options() {
  PostgresOptions o;
  o.endpoint.host = "127.0.0.1";
  o.endpoint.port = 1;  // nothing listens: opening must not connect
  o.endpoint.database = "gatehouse";
  o.endpoint.user = "gatehouse";
  o.prefix = "api_";
  o.pool_size = 2;
  return o;
}

TEST(PostgresDatabaseOpen, ConnectsNothingYet) {
  auto db = open_postgres_database(valid_options());
  ASSERT_TRUE(db) << db.error().internal;
  EXPECT_EQ((*db)->dialect(), sql::Dialect::kPostgres);
}

TEST(PostgresDatabaseOpen, RefusesUnsafeOptions) {
  PostgresOptions o = valid_options();
  o.prefix = "";  // the user table would be `user`, a reserved word
  auto empty = open_postgres_database(o);
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.error().internal.find("reserved word"), std::string::npos);
  o.prefix = "api; DROP TABLE x; --";
  EXPECT_FALSE(open_postgres_database(o));
  o.prefix = std::string(33, 'a');
  EXPECT_FALSE(open_postgres_database(o));
  o.prefix = "API_2";
  EXPECT_TRUE(open_postgres_database(o));

  o = valid_options();
  o.endpoint.database = "";
  EXPECT_FALSE(open_postgres_database(o));
  o = valid_options();
  o.pool_size = 0;
  EXPECT_FALSE(open_postgres_database(o));

  // A lock wait must end before the statement timeout (4.5 s for the default 5 s read timeout),
  // or it would end as a canceled statement instead of a lock conflict.
  o = valid_options();
  o.lock_timeout = std::chrono::milliseconds(4500);
  EXPECT_FALSE(open_postgres_database(o));
  o.lock_timeout = std::chrono::milliseconds(0);
  EXPECT_FALSE(open_postgres_database(o));
  o.lock_timeout = std::chrono::milliseconds(4499);
  EXPECT_TRUE(open_postgres_database(o));
}

}  // namespace
}  // namespace gatehouse::store
