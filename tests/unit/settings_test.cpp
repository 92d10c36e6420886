#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "config/settings.hpp"

namespace gatehouse::config {
namespace {

// The tutorial's .env, byte for byte (its comments are UTF-8 Chinese).
constexpr std::string_view kTutorialEnv = R"(# .env
DATABASE_HOST = 127.0.0.1
DATABASE_PORT = 3306
DATABASE_DB = fastapi
DATABASE_USER = root
DATABASE_PASSWORD = 123456
DATABASE_PREFIX = "api_"
# Token 相关, 使用公钥和私钥实现访问和刷新令牌
ACCESS_TOKEN_EXPIRES_IN = 15
REFRESH_TOKEN_EXPIRES_IN = 60
JWT_ALGORITHM = RS256
JWT_PRIVATE_KEY = LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlCT2dJQkFBSkJBSSs3QnZUS0FWdHVQYzEzbEFkVk94TlVmcWxzMm1SVmlQWlJyVFpjd3l4RVhVRGpNaFZuCi9KVHRsd3h2a281T0pBQ1k3dVE0T09wODdiM3NOU3ZNd2xNQ0F3RUFBUUpBYm5LaENOQ0dOSFZGaHJPQ0RCU0IKdmZ2ckRWUzVpZXAwd2h2SGlBUEdjeWV6bjd0U2RweUZ0NEU0QTNXT3VQOXhqenNjTFZyb1pzRmVMUWlqT1JhUwp3UUloQU84MWl2b21iVGhjRkltTFZPbU16Vk52TGxWTW02WE5iS3B4bGh4TlpUTmhBaUVBbWRISlpGM3haWFE0Cm15QnNCeEhLQ3JqOTF6bVFxU0E4bHUvT1ZNTDNSak1DSVFEbDJxOUdtN0lMbS85b0EyaCtXdnZabGxZUlJPR3oKT21lV2lEclR5MUxaUVFJZ2ZGYUlaUWxMU0tkWjJvdXF4MHdwOWVEejBEWklLVzVWaSt6czdMZHRDdUVDSUVGYwo3d21VZ3pPblpzbnU1clBsTDJjZldLTGhFbWwrUVFzOCtkMFBGdXlnCi0tLS0tRU5EIFJTQSBQUklWQVRFIEtFWS0tLS0t
JWT_PUBLIC_KEY = LS0tLS1CRUdJTiBQVUJMSUMgS0VZLS0tLS0KTUZ3d0RRWUpLb1pJaHZjTkFRRUJCUUFEU3dBd1NBSkJBSSs3QnZUS0FWdHVQYzEzbEFkVk94TlVmcWxzMm1SVgppUFpSclRaY3d5eEVYVURqTWhWbi9KVHRsd3h2a281T0pBQ1k3dVE0T09wODdiM3NOU3ZNd2xNQ0F3RUFBUT09Ci0tLS0tRU5EIFBVQkxJQyBLRVktLS0tLQ==
# 客户端来源
CLIENT_ORIGIN=http://localhost:3000
)";

// base64 of a short PEM-looking text, for tests that only need decoding.
constexpr std::string_view kPemText =
    "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
constexpr std::string_view kPemBase64 =
    "LS0tLS1CRUdJTiBQVUJMSUMgS0VZLS0tLS0KQUFBQQotLS0tLUVORCBQVUJMSUMgS0VZLS0tLS0K";

Settings load_ok(const EnvMap& env) {
  Result<Settings> settings = load_settings(env);
  EXPECT_TRUE(settings) << (settings ? "" : settings.error().internal);
  return settings ? *settings : Settings{};
}

std::string load_error(const EnvMap& env) {
  Result<Settings> settings = load_settings(env);
  EXPECT_FALSE(settings);
  return settings ? std::string() : settings.error().internal;
}

DatabaseSettings url_ok(std::string_view url) {
  Result<DatabaseSettings> db = parse_database_url(url);
  EXPECT_TRUE(db) << url << ": " << (db ? "" : db.error().internal);
  return db ? *db : DatabaseSettings{};
}

std::string url_error(std::string_view url) {
  Result<DatabaseSettings> db = parse_database_url(url);
  EXPECT_FALSE(db) << url;
  return db ? std::string() : db.error().internal;
}

bool starts_with(const std::string& s, std::string_view prefix) {
  return s.starts_with(prefix);
}

TEST(SettingsTest, TutorialEnvLoads) {
  const Result<EnvMap> env = parse_dotenv(kTutorialEnv);
  ASSERT_TRUE(env) << env.error().internal;
  EXPECT_EQ(env->size(), 12u);

  const Settings s = load_ok(*env);
  EXPECT_EQ(s.database.kind, DatabaseKind::kMysql);
  EXPECT_EQ(s.database.host, "127.0.0.1");
  EXPECT_EQ(s.database.port, 3306);
  EXPECT_EQ(s.database.name, "fastapi");
  EXPECT_EQ(s.database.user, "root");
  EXPECT_EQ(s.database.password, "123456");
  EXPECT_EQ(s.database.prefix, "api_");
  EXPECT_EQ(s.access_token_ttl, std::chrono::minutes(15));
  EXPECT_EQ(s.refresh_token_ttl, std::chrono::minutes(60));
  EXPECT_EQ(s.jwt_algorithm, "RS256");
  EXPECT_TRUE(
      s.jwt_private_key_pem.starts_with("-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAI+7"))
      << s.jwt_private_key_pem;
  EXPECT_TRUE(s.jwt_private_key_pem.ends_with("-----END RSA PRIVATE KEY-----"));
  EXPECT_TRUE(s.jwt_public_key_pem.starts_with("-----BEGIN PUBLIC KEY-----\nMFwwDQYJ"))
      << s.jwt_public_key_pem;
  EXPECT_TRUE(s.jwt_public_key_pem.ends_with("-----END PUBLIC KEY-----"));
  EXPECT_EQ(s.client_origins, std::vector<std::string>{"http://localhost:3000"});
}

TEST(SettingsTest, EmptyEnvironmentGivesDefaults) {
  const Settings s = load_ok({});
  const Settings defaults;
  EXPECT_EQ(s.host, defaults.host);
  EXPECT_EQ(s.port, 8000);
  EXPECT_EQ(s.database.kind, DatabaseKind::kSqlite);
  EXPECT_EQ(s.database.sqlite_path, "gatehouse.db");
  EXPECT_EQ(s.database.prefix, "api_");
  EXPECT_EQ(s.database.pool_size, 0u);
  EXPECT_EQ(s.access_token_ttl, std::chrono::minutes(15));
  EXPECT_EQ(s.refresh_token_ttl, std::chrono::minutes(60));
  EXPECT_EQ(s.session_lifetime, defaults.session_lifetime);
  EXPECT_TRUE(s.jwt_private_key_pem.empty());
  EXPECT_TRUE(s.jwt_public_key_pem.empty());
  EXPECT_EQ(s.client_origins, defaults.client_origins);
  EXPECT_EQ(s.argon2.memory_kib, 19456u);
  EXPECT_EQ(s.argon2.passes, 2u);
  EXPECT_EQ(s.verified_token_cache_size, 4096u);
  EXPECT_EQ(s.log_level, "info");
}

// Unset, the pools follow the CPUs the process may use: at least two workers (one can wait on
// the database while the other signs), one hashing thread per CPU up to eight.
TEST(SettingsTest, PoolDefaultsFollowTheAvailableCpus) {
  struct Case {
    std::size_t cpus, workers, hashers;
  };
  for (const Case c : {Case{1, 2, 1}, Case{2, 2, 2}, Case{6, 6, 6}, Case{64, 64, 8}}) {
    Result<Settings> s = load_settings({}, c.cpus);
    ASSERT_TRUE(s) << s.error().internal;
    EXPECT_EQ(s->io_threads, 1u) << c.cpus;
    EXPECT_EQ(s->worker_threads, c.workers) << c.cpus;
    EXPECT_EQ(s->hash_threads, c.hashers) << c.cpus;
  }
  Result<Settings> set = load_settings({{"WORKER_THREADS", "3"}, {"HASH_THREADS", "1"}}, 64);
  ASSERT_TRUE(set) << set.error().internal;
  EXPECT_EQ(set->worker_threads, 3u);
  EXPECT_EQ(set->hash_threads, 1u);
  EXPECT_GE(available_cpus(), 1u);
}

TEST(SettingsTest, UnknownVariablesAreIgnored) {
  const Settings s = load_ok({{"PATH", "/usr/bin"}, {"HOME", "/root"}, {"port", "abc"}});
  EXPECT_EQ(s.port, 8000);
}

TEST(SettingsTest, EveryNumberIsRead) {
  const Settings s = load_ok({
      {"PORT", " 9000 "},
      {"ACCESS_TOKEN_EXPIRES_IN", "5"},
      {"REFRESH_TOKEN_EXPIRES_IN", "120"},
      {"SESSION_LIFETIME_MINUTES", "1440"},
      {"ARGON2_MEMORY_KIB", "65536"},
      {"ARGON2_PASSES", "3"},
      {"PASSWORD_MAX_BYTES", "256"},
      {"IO_THREADS", "3"},
      {"WORKER_THREADS", "4"},
      {"HASH_THREADS", "5"},
      {"HASH_QUEUE_LIMIT", "100"},
      {"VERIFIED_TOKEN_CACHE_SIZE", "0"},
      {"MAX_BODY_BYTES", "4096"},
      {"MAX_HEADER_BYTES", "8192"},
      {"IDLE_TIMEOUT_SECONDS", "10"},
      {"REQUEST_TIMEOUT_SECONDS", "20"},
      {"SHUTDOWN_GRACE_SECONDS", "0"},
      {"CLOCK_LEEWAY_SECONDS", "30"},
      {"MAX_CONNECTIONS", "500"},
      {"MAX_CONNECTIONS_PER_CLIENT", "7"},
      {"DATABASE_POOL_SIZE", "6"},
  });
  EXPECT_EQ(s.port, 9000);
  EXPECT_EQ(s.access_token_ttl, std::chrono::minutes(5));
  EXPECT_EQ(s.refresh_token_ttl, std::chrono::minutes(120));
  EXPECT_EQ(s.session_lifetime, std::chrono::minutes(1440));
  EXPECT_EQ(s.argon2.memory_kib, 65536u);
  EXPECT_EQ(s.argon2.passes, 3u);
  EXPECT_EQ(s.password_max_bytes, 256u);
  EXPECT_EQ(s.io_threads, 3u);
  EXPECT_EQ(s.worker_threads, 4u);
  EXPECT_EQ(s.hash_threads, 5u);
  EXPECT_EQ(s.hash_queue_limit, 100u);
  EXPECT_EQ(s.verified_token_cache_size, 0u);
  EXPECT_EQ(s.max_body_bytes, 4096u);
  EXPECT_EQ(s.max_header_bytes, 8192u);
  EXPECT_EQ(s.idle_timeout, std::chrono::seconds(10));
  EXPECT_EQ(s.request_timeout, std::chrono::seconds(20));
  EXPECT_EQ(s.shutdown_grace, std::chrono::seconds(0));
  EXPECT_EQ(s.clock_leeway, std::chrono::seconds(30));
  EXPECT_EQ(s.max_connections, 500u);
  EXPECT_EQ(s.max_connections_per_client, 7u);
  EXPECT_EQ(s.database.pool_size, 6u);
}

TEST(SettingsTest, PortErrorMessage) {
  EXPECT_EQ(load_error({{"PORT", "abc"}}), "PORT: 'abc' is not a number between 1 and 65535");
}

TEST(SettingsTest, MetricsListenerNeedsAPortOfItsOwn) {
  const std::string error = load_error({{"PORT", "8000"}, {"METRICS_PORT", "8000"}});
  EXPECT_EQ(error.rfind("METRICS_PORT: 8000 is PORT's too", 0), 0u) << error;
  EXPECT_NE(error.find("METRICS_PORT=0 turns metrics off"), std::string::npos) << error;
  // The default METRICS_PORT is taken by a PORT that names it.
  EXPECT_NE(load_error({{"PORT", "9464"}}).find("METRICS_PORT"), std::string::npos);
  // A wildcard on either side takes the port on every address.
  EXPECT_FALSE(load_settings({{"HOST", "0.0.0.0"}, {"PORT", "8000"}, {"METRICS_PORT", "8000"}}));
  EXPECT_FALSE(load_settings({{"METRICS_HOST", "::"}, {"PORT", "8000"}, {"METRICS_PORT", "8000"}}));

  // Accepted: metrics off, other ports, or one port on two distinct addresses.
  EXPECT_TRUE(load_settings({{"PORT", "8000"}, {"METRICS_PORT", "0"}}));
  EXPECT_TRUE(load_settings({{"PORT", "8000"}, {"METRICS_PORT", "8001"}}));
  EXPECT_TRUE(load_settings({{"HOST", "10.0.0.5"},
                             {"METRICS_HOST", "127.0.0.1"},
                             {"PORT", "8000"},
                             {"METRICS_PORT", "8000"}}));
}

TEST(SettingsTest, BadNumbersNameTheirVariable) {
  struct Case {
    std::string name;
    std::vector<std::string> bad;
  };
  const std::vector<Case> cases = {
      {"PORT", {"0", "65536", "-1", "80a", "", "1.5", "99999999999999999999999"}},
      {"ACCESS_TOKEN_EXPIRES_IN", {"0", "525601", "15m", "-15"}},
      {"REFRESH_TOKEN_EXPIRES_IN", {"0", "525601", "sixty"}},
      {"SESSION_LIFETIME_MINUTES", {"0", "x"}},
      {"ARGON2_MEMORY_KIB", {"8191", "4194305", "19 MiB"}},
      {"ARGON2_PASSES", {"0", "11"}},
      {"PASSWORD_MAX_BYTES", {"71", "65537"}},
      {"IO_THREADS", {"0", "257"}},
      {"WORKER_THREADS", {"0", "257"}},
      {"HASH_THREADS", {"0", "257"}},
      {"HASH_QUEUE_LIMIT", {"-1", "1000001"}},
      {"VERIFIED_TOKEN_CACHE_SIZE", {"-1", "1000001", "4k"}},
      {"MAX_BODY_BYTES", {"1023", "67108865"}},
      {"MAX_HEADER_BYTES", {"1023", "1048577"}},
      {"IDLE_TIMEOUT_SECONDS", {"0", "3601"}},
      {"REQUEST_TIMEOUT_SECONDS", {"0", "3601"}},
      {"SHUTDOWN_GRACE_SECONDS", {"-1", "3601", "10s"}},
      {"CLOCK_LEEWAY_SECONDS", {"-1", "301"}},
      {"MAX_CONNECTIONS", {"0", "1000001"}},
      {"MAX_CONNECTIONS_PER_CLIENT", {"0", "1000001"}},
      {"DATABASE_POOL_SIZE", {"257", "many"}},
  };
  for (const Case& c : cases) {
    for (const std::string& value : c.bad) {
      const std::string error = load_error({{c.name, value}});
      EXPECT_TRUE(starts_with(error, c.name + ": '" + value + "' is not a number between "))
          << c.name << "=" << value << " -> " << error;
    }
  }
}

TEST(SettingsTest, NumbersAtTheirBoundsAreAccepted) {
  const Settings low = load_ok({{"PORT", "1"},
                                {"ARGON2_MEMORY_KIB", "8192"},
                                {"ARGON2_PASSES", "1"},
                                {"PASSWORD_MAX_BYTES", "72"},
                                {"HASH_QUEUE_LIMIT", "0"}});
  EXPECT_EQ(low.port, 1);
  EXPECT_EQ(low.argon2.memory_kib, 8192u);
  EXPECT_EQ(low.password_max_bytes, 72u);
  EXPECT_EQ(low.hash_queue_limit, 0u);
  const Settings high = load_ok({{"PORT", "65535"},
                                 {"ACCESS_TOKEN_EXPIRES_IN", "525600"},
                                 {"MAX_BODY_BYTES", "67108864"},
                                 {"ARGON2_PASSES", "10"}});
  EXPECT_EQ(high.port, 65535);
  EXPECT_EQ(high.access_token_ttl, std::chrono::minutes(525600));
  EXPECT_EQ(high.max_body_bytes, 64u << 20);
}

TEST(SettingsTest, LongBadValuesAreCutShortInMessages) {
  const std::string error = load_error({{"PORT", std::string(500, '9')}});
  EXPECT_LT(error.size(), 120u) << error;
  EXPECT_TRUE(starts_with(error, "PORT: '")) << error;
}

// ---- strings --------------------------------------------------------------------------------

TEST(SettingsTest, HostAndAlgorithmAndLogLevel) {
  const Settings s =
      load_ok({{"HOST", " 0.0.0.0 "}, {"JWT_ALGORITHM", "ES256"}, {"LOG_LEVEL", "DEBUG"}});
  EXPECT_EQ(s.host, "0.0.0.0");
  EXPECT_EQ(s.jwt_algorithm, "ES256");
  EXPECT_EQ(s.log_level, "debug");
  EXPECT_EQ(load_ok({{"LOG_LEVEL", "warning"}}).log_level, "warn");
  for (std::string_view level : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
    EXPECT_EQ(load_ok({{"LOG_LEVEL", std::string(level)}}).log_level, level);
  }
}

TEST(SettingsTest, BadStringsNameTheirVariable) {
  EXPECT_TRUE(starts_with(load_error({{"HOST", " "}}), "HOST: "));
  EXPECT_TRUE(starts_with(load_error({{"JWT_ALGORITHM", ""}}), "JWT_ALGORITHM: "));
  EXPECT_EQ(load_error({{"LOG_LEVEL", "loud"}}),
            "LOG_LEVEL: 'loud' is not one of trace, debug, info, warn, error, critical, off");
}

// ---- database -------------------------------------------------------------------------------

TEST(DatabaseUrlTest, SqliteRelativeAndAbsolute) {
  DatabaseSettings db = url_ok("sqlite:///relative.db");
  EXPECT_EQ(db.kind, DatabaseKind::kSqlite);
  EXPECT_EQ(db.sqlite_path, "relative.db");
  EXPECT_EQ(url_ok("sqlite:///./data/app.db").sqlite_path, "./data/app.db");
  EXPECT_EQ(url_ok("sqlite:////abs/path.db").sqlite_path, "/abs/path.db");
  EXPECT_EQ(url_ok("sqlite+pysqlite:////var/lib/my%20app.db").sqlite_path, "/var/lib/my app.db");
  EXPECT_EQ(url_ok("  sqlite:///x.db  ").sqlite_path, "x.db");
}

TEST(DatabaseUrlTest, SqliteInMemoryOrEmptyIsRefused) {
  for (std::string_view url : {"sqlite://", "sqlite:///", "sqlite:///:memory:", "sqlite:"}) {
    const std::string error = url_error(url);
    EXPECT_TRUE(starts_with(error, "DATABASE_URL: ")) << url << " -> " << error;
  }
  EXPECT_NE(url_error("sqlite:///:memory:").find("in-memory"), std::string::npos);
  EXPECT_NE(url_error("sqlite://host/x.db").find("three slashes"), std::string::npos);
}

TEST(DatabaseUrlTest, MysqlFull) {
  const DatabaseSettings db = url_ok("mysql://root:123456@127.0.0.1:3307/fastapi");
  EXPECT_EQ(db.kind, DatabaseKind::kMysql);
  EXPECT_EQ(db.host, "127.0.0.1");
  EXPECT_EQ(db.port, 3307);
  EXPECT_EQ(db.name, "fastapi");
  EXPECT_EQ(db.user, "root");
  EXPECT_EQ(db.password, "123456");
  EXPECT_EQ(db.unix_socket, "");
  EXPECT_EQ(db.prefix, "api_");
}

TEST(DatabaseUrlTest, MysqlDriversAndDefaults) {
  for (std::string_view url :
       {"mysql+pymysql://u:p@db.example.com/app", "mysql+mysqlconnector://u:p@db.example.com/app",
        "mariadb://u:p@db.example.com/app", "MySQL://u:p@db.example.com/app?charset=utf8mb4"}) {
    const DatabaseSettings db = url_ok(url);
    EXPECT_EQ(db.kind, DatabaseKind::kMysql) << url;
    EXPECT_EQ(db.host, "db.example.com") << url;
    EXPECT_EQ(db.port, 3306) << url;
    EXPECT_EQ(db.name, "app") << url;
    EXPECT_EQ(db.user, "u") << url;
    EXPECT_EQ(db.password, "p") << url;
  }
}

TEST(DatabaseUrlTest, MysqlPercentDecodingSocketAndIpv6) {
  const DatabaseSettings db =
      url_ok("mysql://us%40er:p%40ss%3Aw%2Fd@[::1]:3310/my%2Ddb?unix_socket=/run/my%20sql.sock");
  EXPECT_EQ(db.user, "us@er");
  EXPECT_EQ(db.password, "p@ss:w/d");
  EXPECT_EQ(db.host, "::1");
  EXPECT_EQ(db.port, 3310);
  EXPECT_EQ(db.name, "my-db");
  EXPECT_EQ(db.unix_socket, "/run/my sql.sock");
  EXPECT_EQ(url_ok("mysql://u@h/d").password, "");
}

TEST(DatabaseUrlTest, BadUrlsNameTheVariableAndHideThePassword) {
  for (std::string_view url :
       {"not a url", "mysql://root:p@ss@host/db", "mysql://root:s3cret@host:99999/db",
        "mysql://root:s3cret@host:abc/db", "mysql://root:s3cret@host/", "mysql://root:s3cret@host",
        "mysql://:s3cret@host/db", "mysql://root:s3cret@host/a/b", "oracle://u:s3cret@h/db",
        "mysql:root:s3cret@host/db", "", "://x", "postgresql://root:p@ss@host/db",
        "postgresql://root:s3cret@host:0/db", "postgresql://root:s3cret@host/",
        "postgresql://:s3cret@host/db", "postgres://root:s3cret@host/a/b"}) {
    const std::string error = url_error(url);
    EXPECT_TRUE(starts_with(error, "DATABASE_URL: ")) << url << " -> " << error;
    EXPECT_EQ(error.find("s3cret"), std::string::npos) << error;
    EXPECT_EQ(error.find("p@ss"), std::string::npos) << error;
  }
  EXPECT_NE(url_error("oracle://u:p@h/db").find("'oracle'"), std::string::npos);
  EXPECT_NE(url_error("oracle://u:p@h/db").find("postgresql://user:password@host:5432/db"),
            std::string::npos);
}

TEST(DatabaseUrlTest, PostgresFull) {
  const DatabaseSettings db = url_ok("postgresql://gatehouse:s3cret@127.0.0.1:5433/fastapi");
  EXPECT_EQ(db.kind, DatabaseKind::kPostgres);
  EXPECT_EQ(db.host, "127.0.0.1");
  EXPECT_EQ(db.port, 5433);
  EXPECT_EQ(db.name, "fastapi");
  EXPECT_EQ(db.user, "gatehouse");
  EXPECT_EQ(db.password, "s3cret");
  EXPECT_EQ(db.unix_socket, "");
  EXPECT_EQ(db.prefix, "api_");
}

TEST(DatabaseUrlTest, PostgresSchemesAndDefaultPort) {
  for (std::string_view url :
       {"postgresql://u:p@db.example.com/app", "postgres://u:p@db.example.com/app",
        "postgresql+psycopg2://u:p@db.example.com/app", "PostgreSQL://u:p@db.example.com/app",
        "postgresql://u:p@db.example.com/app?sslmode=require"}) {
    const DatabaseSettings db = url_ok(url);
    EXPECT_EQ(db.kind, DatabaseKind::kPostgres) << url;
    EXPECT_EQ(db.host, "db.example.com") << url;
    EXPECT_EQ(db.port, 5432) << url;
    EXPECT_EQ(db.name, "app") << url;
    EXPECT_EQ(db.user, "u") << url;
    EXPECT_EQ(db.password, "p") << url;
  }
}

TEST(DatabaseUrlTest, PostgresPercentDecodingSocketAndIpv6) {
  const DatabaseSettings db = url_ok("postgresql://us%40er:p%40ss%3Aw%2Fd@[::1]:5440/my%2Ddb");
  EXPECT_EQ(db.user, "us@er");
  EXPECT_EQ(db.password, "p@ss:w/d");
  EXPECT_EQ(db.host, "::1");
  EXPECT_EQ(db.port, 5440);
  EXPECT_EQ(db.name, "my-db");
  EXPECT_EQ(url_ok("postgresql://u@h/d").password, "");
  // libpq's way to a unix socket: its directory as the host parameter.
  const DatabaseSettings socket = url_ok("postgresql://u:p@/app?host=/run/my%20pg");
  EXPECT_EQ(socket.kind, DatabaseKind::kPostgres);
  EXPECT_EQ(socket.unix_socket, "/run/my pg");
  EXPECT_EQ(socket.host, "localhost");
  EXPECT_EQ(socket.name, "app");
}

TEST(DatabaseSettingsTest, PostgresUrlInLoadSettings) {
  const Settings s = load_ok({{"DATABASE_URL", "postgresql://u:p@db:6543/app"},
                              {"DATABASE_HOST", "ignored"},
                              {"DATABASE_PREFIX", "pg_"}});
  EXPECT_EQ(s.database.kind, DatabaseKind::kPostgres);
  EXPECT_EQ(s.database.host, "db");
  EXPECT_EQ(s.database.port, 6543);
  EXPECT_EQ(s.database.prefix, "pg_");
}

TEST(DatabaseSettingsTest, DatabaseUrlWinsOverHost) {
  const Settings s = load_ok({{"DATABASE_URL", "sqlite:///win.db"},
                              {"DATABASE_HOST", "127.0.0.1"},
                              {"DATABASE_PREFIX", "t_"}});
  EXPECT_EQ(s.database.kind, DatabaseKind::kSqlite);
  EXPECT_EQ(s.database.sqlite_path, "win.db");
  EXPECT_EQ(s.database.prefix, "t_");
}

TEST(DatabaseSettingsTest, EmptyDatabaseUrlCountsAsUnset) {
  EXPECT_EQ(load_ok({{"DATABASE_URL", ""}}).database.kind, DatabaseKind::kSqlite);
}

TEST(DatabaseSettingsTest, BadDatabaseUrlInLoadSettings) {
  EXPECT_TRUE(starts_with(load_error({{"DATABASE_URL", "sqlite://"}}), "DATABASE_URL: "));
}

TEST(DatabaseSettingsTest, MysqlFromParts) {
  const Settings s = load_ok({{"DATABASE_HOST", "db"},
                              {"DATABASE_DB", "app"},
                              {"DATABASE_USER", "svc"},
                              {"DATABASE_SOCKET", "/run/mysqld/mysqld.sock"}});
  EXPECT_EQ(s.database.kind, DatabaseKind::kMysql);
  EXPECT_EQ(s.database.host, "db");
  EXPECT_EQ(s.database.port, 3306);
  EXPECT_EQ(s.database.password, "");
  EXPECT_EQ(s.database.unix_socket, "/run/mysqld/mysqld.sock");
}

TEST(DatabaseSettingsTest, MysqlPartsErrorsNameTheirVariable) {
  const EnvMap base = {{"DATABASE_HOST", "db"}, {"DATABASE_DB", "app"}, {"DATABASE_USER", "svc"}};
  EnvMap no_db = base;
  no_db.erase("DATABASE_DB");
  EXPECT_TRUE(starts_with(load_error(no_db), "DATABASE_DB: ")) << load_error(no_db);
  EnvMap no_user = base;
  no_user["DATABASE_USER"] = "";
  EXPECT_TRUE(starts_with(load_error(no_user), "DATABASE_USER: "));
  EnvMap bad_port = base;
  bad_port["DATABASE_PORT"] = "mysql";
  EXPECT_EQ(load_error(bad_port), "DATABASE_PORT: 'mysql' is not a number between 1 and 65535");
}

TEST(DatabaseSettingsTest, PrefixRules) {
  EXPECT_EQ(load_ok({{"DATABASE_PREFIX", ""}}).database.prefix, "");
  EXPECT_EQ(load_ok({{"DATABASE_PREFIX", "App_2"}}).database.prefix, "App_2");
  EXPECT_EQ(load_ok({{"DATABASE_PREFIX", std::string(32, 'p')}}).database.prefix.size(), 32u);
  for (std::string_view bad : {"api-", "a;DROP TABLE x;--", "a b", "`x`", "api.", "\xc3\xa9"}) {
    const std::string error = load_error({{"DATABASE_PREFIX", std::string(bad)}});
    EXPECT_TRUE(starts_with(error, "DATABASE_PREFIX: ")) << bad << " -> " << error;
  }
  EXPECT_TRUE(
      starts_with(load_error({{"DATABASE_PREFIX", std::string(33, 'p')}}), "DATABASE_PREFIX: "));
}

// ---- keys -----------------------------------------------------------------------------------

TEST(KeySettingsTest, Base64WithWhitespaceInside) {
  std::string wrapped(kPemBase64);
  wrapped.insert(40, "\n  ");
  wrapped.insert(20, "\r\n\t");
  const Settings s =
      load_ok({{"JWT_PRIVATE_KEY", wrapped}, {"JWT_PUBLIC_KEY", std::string(kPemBase64)}});
  EXPECT_EQ(s.jwt_private_key_pem, kPemText);
  EXPECT_EQ(s.jwt_public_key_pem, kPemText);
}

TEST(KeySettingsTest, PaddingIsOptional) {
  // 56 bytes: "...KEY-----" without the final newline, so the encoding ends in one '='.
  constexpr std::string_view padded =
      "LS0tLS1CRUdJTiBQVUJMSUMgS0VZLS0tLS0KQUFBQQotLS0tLUVORCBQVUJMSUMgS0VZLS0tLS0=";
  const std::string unpadded(padded.substr(0, padded.size() - 1));
  const Settings s =
      load_ok({{"JWT_PRIVATE_KEY", std::string(padded)}, {"JWT_PUBLIC_KEY", unpadded}});
  EXPECT_EQ(s.jwt_private_key_pem, kPemText.substr(0, kPemText.size() - 1));
  EXPECT_EQ(s.jwt_public_key_pem, s.jwt_private_key_pem);
}

TEST(KeySettingsTest, RawPemIsAccepted) {
  const Settings s = load_ok(
      {{"JWT_PRIVATE_KEY", std::string(kPemText)}, {"JWT_PUBLIC_KEY", std::string(kPemBase64)}});
  EXPECT_TRUE(s.jwt_private_key_pem.starts_with("-----BEGIN PUBLIC KEY-----\nAAAA\n"));
  EXPECT_EQ(s.jwt_public_key_pem, kPemText);
}

TEST(KeySettingsTest, OnlyOneKeyNamesTheMissingOne) {
  const std::string missing_public = load_error({{"JWT_PRIVATE_KEY", std::string(kPemBase64)}});
  EXPECT_TRUE(starts_with(missing_public, "JWT_PUBLIC_KEY is not set")) << missing_public;
  const std::string missing_private =
      load_error({{"JWT_PUBLIC_KEY", std::string(kPemBase64)}, {"JWT_PRIVATE_KEY", ""}});
  EXPECT_TRUE(starts_with(missing_private, "JWT_PRIVATE_KEY is not set")) << missing_private;
}

TEST(KeySettingsTest, BadBase64NamesTheKey) {
  const std::string bad_private =
      load_error({{"JWT_PRIVATE_KEY", "not base64!"}, {"JWT_PUBLIC_KEY", std::string(kPemBase64)}});
  EXPECT_EQ(
      bad_private,
      "JWT_PRIVATE_KEY is not valid base64 (it must be the base64 of a PEM key, as printed by "
      "`gatehouse keys generate`)");
  const std::string bad_public =
      load_error({{"JWT_PRIVATE_KEY", std::string(kPemBase64)}, {"JWT_PUBLIC_KEY", "QUJD=x"}});
  EXPECT_TRUE(starts_with(bad_public, "JWT_PUBLIC_KEY is not valid base64")) << bad_public;
  // base64url is not the tutorial's format.
  const std::string url_safe =
      load_error({{"JWT_PRIVATE_KEY", "-_-_"}, {"JWT_PUBLIC_KEY", std::string(kPemBase64)}});
  EXPECT_TRUE(starts_with(url_safe, "JWT_PRIVATE_KEY is not valid base64")) << url_safe;
}

// ---- origins --------------------------------------------------------------------------------

TEST(OriginSettingsTest, CommaSeparatedListTrimmedAndNormalised) {
  const Settings s =
      load_ok({{"CLIENT_ORIGIN",
                " http://localhost:3000 ,, HTTPS://App.Example.com,http://[::1]:8080 , "
                "http://localhost:3000,"}});
  EXPECT_EQ(s.client_origins,
            (std::vector<std::string>{"http://localhost:3000", "https://app.example.com",
                                      "http://[::1]:8080"}));
}

TEST(OriginSettingsTest, EmptyValueAllowsNoOrigin) {
  EXPECT_TRUE(load_ok({{"CLIENT_ORIGIN", " , "}}).client_origins.empty());
}

TEST(OriginSettingsTest, WildcardIsRefused) {
  const std::string error = load_error({{"CLIENT_ORIGIN", "http://localhost:3000, *"}});
  EXPECT_TRUE(starts_with(error, "CLIENT_ORIGIN: '*' is refused")) << error;
}

TEST(OriginSettingsTest, NonOriginsNameTheVariable) {
  for (std::string_view bad :
       {"localhost:3000", "http://localhost:3000/", "http://localhost:3000/app",
        "http://user@localhost", "http://localhost:3000?x=1", "http://localhost#f", "http://",
        "http://localhost:", "http://localhost:70000", "null", "http//localhost"}) {
    const std::string error = load_error({{"CLIENT_ORIGIN", std::string(bad)}});
    EXPECT_TRUE(starts_with(error, "CLIENT_ORIGIN: '" + std::string(bad) + "' is not an origin"))
        << bad << " -> " << error;
  }
}

}  // namespace
}  // namespace gatehouse::config
