// EnvMap -> validated Settings. Every error is one line that starts with the variable's name and
// says what a good value looks like; values that may be secret (passwords, URLs with a password,
// keys) are never echoed.

#include "config/settings.hpp"

#include "config/env_reader.hpp"

#include <sched.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>
#include <boost/url.hpp>

namespace gatehouse::config {
namespace {

using namespace env_reader;  // NOLINT: the helpers every step uses

constexpr std::uint64_t kMaxTokenMinutes = 525600;  // one year
constexpr std::uint64_t kMaxThreads = 256;
constexpr std::size_t kMaxPrefixBytes = 32;
constexpr std::uint16_t kDefaultMysqlPort = 3306;
constexpr std::uint16_t kDefaultPostgresPort = 5432;
constexpr std::string_view kPemBegin = "-----BEGIN";
// KEYS_ENCRYPTION_SECRET: 32 characters of base64 carry 192 bits, plenty for a secretbox key.
constexpr std::size_t kMinEncryptionSecretChars = 32;
constexpr std::string_view kBase64Ignored = " \t\r\n";
constexpr std::array<std::string_view, 7> kLogLevels = {"trace", "debug",    "info", "warn",
                                                        "error", "critical", "off"};

// ---- database ---------------------------------------------------------------------------------

constexpr std::string_view kUrlShape =
    "sqlite:///relative.db, sqlite:////absolute/path.db, mysql://user:password@host:3306/db or "
    "postgresql://user:password@host:5432/db";

Error url_error(std::string_view what) {
  return config_error("DATABASE_URL: " + std::string(what) + " (expected " +
                      std::string(kUrlShape) + ")");
}

Result<DatabaseSettings> parse_sqlite_url(const boost::urls::url_view& url) {
  if (!url.has_authority() || !url.encoded_host().empty() || url.has_userinfo() || url.has_port()) {
    return url_error("a SQLite URL has no host, so it starts with sqlite:/// (three slashes)");
  }
  std::string path = url.path();  // percent-decoded
  if (!path.empty() && path.front() == '/') path.erase(0, 1);
  if (path.empty() || path == ":memory:") {
    return url_error(
        "an in-memory SQLite database cannot be shared by the server's connections; name a file");
  }
  DatabaseSettings db;
  db.kind = DatabaseKind::kSqlite;
  db.sqlite_path = std::move(path);
  return db;
}

// A server's URL (mysql://, postgresql://): user, password, host, port and database, each
// percent-decoded. `what` names the database in errors ("MySQL").
Result<DatabaseSettings> parse_server_url(const boost::urls::url_view& url, DatabaseKind kind,
                                          std::string_view what, std::uint16_t default_port) {
  if (!url.has_authority()) return url_error("a " + std::string(what) + " URL needs a host");
  DatabaseSettings db;
  db.kind = kind;
  db.host = url.host_address();  // decoded; an IPv6 address without its brackets
  if (db.host.empty()) db.host = "localhost";
  db.user = url.user();
  if (db.user.empty()) return url_error("no user name");
  db.password = url.password();
  if (url.has_port()) {
    const std::optional<std::uint64_t> port = parse_unsigned(url.port(), 1, 65535);
    if (!port) return url_error("the port is not a number between 1 and 65535");
    db.port = static_cast<std::uint16_t>(*port);
  } else {
    db.port = default_port;
  }
  std::string path = url.path();
  if (!path.empty() && path.front() == '/') path.erase(0, 1);
  if (path.empty()) return url_error("no database name");
  if (path.find('/') != std::string::npos) return url_error("the database name contains '/'");
  db.name = std::move(path);
  return db;
}

Result<DatabaseSettings> parse_mysql_url(const boost::urls::url_view& url) {
  auto db = parse_server_url(url, DatabaseKind::kMysql, "MySQL", kDefaultMysqlPort);
  if (!db) return db;
  for (const auto& param : url.params()) {
    if (param.key == "unix_socket") db->unix_socket = param.value;
    // Other driver options (charset=utf8mb4, ...) have fixed values in our client.
  }
  return db;
}

// SQLAlchemy's and libpq's form; a unix socket is named by its directory, as libpq does:
// postgresql://user:password@/db?host=/run/postgresql.
Result<DatabaseSettings> parse_postgres_url(const boost::urls::url_view& url) {
  auto db = parse_server_url(url, DatabaseKind::kPostgres, "PostgreSQL", kDefaultPostgresPort);
  if (!db) return db;
  for (const auto& param : url.params()) {
    if (param.key == "host" && param.value.starts_with('/')) db->unix_socket = param.value;
    // Other driver options (sslmode, connect_timeout, ...) are libpq's environment variables'
    // business (PGSSLMODE, ...) or fixed in our client.
  }
  return db;
}

// "mysql+pymysql" -> "mysql": SQLAlchemy's dialect+driver; the driver is Python's business.
std::string dialect_of(std::string_view scheme) {
  return to_lower(scheme.substr(0, scheme.find('+')));
}

Result<DatabaseSettings> load_database(const EnvMap& env) {
  DatabaseSettings db;
  if (const std::optional<std::string_view> url = lookup_non_empty(env, "DATABASE_URL")) {
    // DATABASE_URL is the whole connection: DATABASE_HOST and friends are then ignored.
    Result<DatabaseSettings> parsed = parse_database_url(*url);
    if (!parsed) return parsed;
    db = std::move(*parsed);
  } else if (const std::optional<std::string_view> host = lookup_non_empty(env, "DATABASE_HOST")) {
    db.kind = DatabaseKind::kMysql;
    db.host = std::string(trim(*host));
    if (Status s = read_unsigned(env, "DATABASE_PORT", 1, 65535, db.port); !s) return s.error();
    const std::optional<std::string_view> name = lookup_non_empty(env, "DATABASE_DB");
    if (!name) return config_error("DATABASE_DB: required with DATABASE_HOST (the database name)");
    db.name = std::string(trim(*name));
    const std::optional<std::string_view> user = lookup_non_empty(env, "DATABASE_USER");
    if (!user) return config_error("DATABASE_USER: required with DATABASE_HOST (the user name)");
    db.user = std::string(trim(*user));
    db.password = std::string(lookup(env, "DATABASE_PASSWORD").value_or(""));  // may be empty
    db.unix_socket = std::string(trim(lookup(env, "DATABASE_SOCKET").value_or("")));
  }
  // else: SQLite at the default path.

  if (const std::optional<std::string_view> raw = lookup(env, "DATABASE_PREFIX")) {
    // Pasted into table names, so it is held to identifier characters.
    const std::string_view prefix = trim(*raw);
    const bool valid =
        prefix.size() <= kMaxPrefixBytes && std::all_of(prefix.begin(), prefix.end(), [](char c) {
          return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '_';
        });
    if (!valid) {
      return config_error("DATABASE_PREFIX: " + echo(*raw) +
                          " may only hold letters, digits and _ (at most 32), e.g. api_");
    }
    db.prefix = std::string(prefix);
  }
  if (Status s = read_unsigned(env, "DATABASE_POOL_SIZE", 0, kMaxThreads, db.pool_size); !s) {
    return s.error();
  }
  return db;
}

// ---- keys and origins --------------------------------------------------------------------------

std::optional<std::string> decode_base64(std::string_view text) {
  std::string out(text.size() / 4 * 3 + 3, '\0');
  for (int variant : {sodium_base64_VARIANT_ORIGINAL, sodium_base64_VARIANT_ORIGINAL_NO_PADDING}) {
    std::size_t out_len = 0;
    // A null b64_end makes any character outside the alphabet (and kBase64Ignored) an error.
    if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                          text.size(), kBase64Ignored.data(), &out_len, nullptr, variant) == 0) {
      out.resize(out_len);
      return out;
    }
  }
  return std::nullopt;
}

// The tutorial's format is the base64 of the PEM text; a PEM pasted as is is accepted too.
Result<std::string> decode_key(std::string_view name, std::string_view value) {
  const std::string_view trimmed = trim(value);
  if (trimmed.starts_with(kPemBegin)) return std::string(trimmed);
  std::optional<std::string> pem = decode_base64(trimmed);
  if (!pem || pem->empty()) {
    return config_error(std::string(name) +
                        " is not valid base64 (it must be the base64 of a PEM key, as printed by "
                        "`gatehouse keys generate`)");
  }
  return std::move(*pem);
}

// The key settings other than the active pair: mode, previous keys, JWKS caching, iss and aud.
Status load_key_settings(const EnvMap& env, KeySettings& keys) {
  if (const auto raw = lookup_non_empty(env, "JWT_KEYS")) {
    const std::string mode = to_lower(trim(*raw));
    if (mode == "static") {
      keys.mode = KeySettings::Mode::kStatic;
    } else if (mode == "managed") {
      keys.mode = KeySettings::Mode::kManaged;
    } else {
      return config_error("JWT_KEYS: " + echo(*raw) + " is not static or managed");
    }
  }
  if (const auto raw = lookup(env, "JWT_PREVIOUS_PUBLIC_KEYS")) {
    std::string_view rest = *raw;
    std::size_t item = 0;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      const std::string_view value = trim(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      ++item;
      if (value.empty()) continue;
      // PEM text has no commas, but a pasted PEM has line breaks: only base64 here.
      if (value.starts_with(kPemBegin)) {
        return config_error("JWT_PREVIOUS_PUBLIC_KEYS item " + std::to_string(item) +
                            ": give the base64 of the PEM (as JWT_PUBLIC_KEY), not the PEM text");
      }
      Result<std::string> pem =
          decode_key("JWT_PREVIOUS_PUBLIC_KEYS item " + std::to_string(item), value);
      if (!pem) return std::move(pem).error();
      keys.previous_public_pems.push_back(std::move(*pem));
    }
  }
  for (const auto& [name, out] :
       {std::pair{"JWT_ISSUER", &keys.issuer}, std::pair{"JWT_AUDIENCE", &keys.audience}}) {
    if (const auto raw = lookup(env, name)) {
      const std::string_view value = trim(*raw);
      if (value.size() > 256 || value.find_first_of("\"\\") != std::string_view::npos) {
        return config_error(std::string(name) +
                            ": at most 256 characters, no quotes or backslashes");
      }
      *out = std::string(value);
    }
  }
  Status st = read_duration(env, "JWKS_MAX_AGE_SECONDS", 0, 86400, keys.jwks_max_age);
  if (st) st = read_duration(env, "JWT_KEYS_POLL_SECONDS", 1, 60, keys.poll_interval);
  if (st) {
    auto days = std::chrono::duration_cast<std::chrono::days>(keys.rotation_interval);
    st = read_duration(env, "JWT_KEY_ROTATION_DAYS", 1, 3650, days);
    keys.rotation_interval = days;
  }
  if (st) {
    std::size_t bits = static_cast<std::size_t>(keys.rsa_bits);
    st = read_unsigned(env, "JWT_KEY_BITS", 2048, 4096, bits);
    if (st && bits != 2048 && bits != 3072 && bits != 4096) {
      return config_error("JWT_KEY_BITS: " + std::to_string(bits) + " is not 2048, 3072 or 4096");
    }
    keys.rsa_bits = static_cast<int>(bits);
  }
  if (!st) return st;
  if (keys.mode == KeySettings::Mode::kManaged) {
    const auto secret = lookup_non_empty(env, "KEYS_ENCRYPTION_SECRET");
    if (!secret || trim(*secret).size() < kMinEncryptionSecretChars) {
      return config_error(
          "KEYS_ENCRYPTION_SECRET: JWT_KEYS=managed keeps private keys in the database sealed "
          "under this secret; set at least " +
          std::to_string(kMinEncryptionSecretChars) +
          " random characters (e.g. `openssl rand -base64 48`)");
    }
    keys.encryption_secret = std::string(trim(*secret));
  }
  return ok_status();
}

Status load_keys(const EnvMap& env, Settings& settings) {
  if (Status st = load_key_settings(env, settings.keys); !st) return st;
  const std::optional<std::string_view> private_key = lookup_non_empty(env, "JWT_PRIVATE_KEY");
  const std::optional<std::string_view> public_key = lookup_non_empty(env, "JWT_PUBLIC_KEY");
  if (!private_key && !public_key) return ok_status();  // the app makes development keys
  if (!private_key || !public_key) {
    const std::string_view missing = private_key ? "JWT_PUBLIC_KEY" : "JWT_PRIVATE_KEY";
    const std::string_view present = private_key ? "JWT_PRIVATE_KEY" : "JWT_PUBLIC_KEY";
    return config_error(std::string(missing) + " is not set but " + std::string(present) +
                        " is: set both (as printed by `gatehouse keys generate`) or neither");
  }
  Result<std::string> private_pem = decode_key("JWT_PRIVATE_KEY", *private_key);
  if (!private_pem) return std::move(private_pem).error();
  Result<std::string> public_pem = decode_key("JWT_PUBLIC_KEY", *public_key);
  if (!public_pem) return std::move(public_pem).error();
  settings.jwt_private_key_pem = std::move(*private_pem);
  settings.jwt_public_key_pem = std::move(*public_pem);
  return ok_status();
}

// scheme://host[:port], exactly as a browser sends it in Origin; scheme and host are lowered.
std::optional<std::string> normalize_origin(std::string_view text) {
  const boost::system::result<boost::urls::url_view> url = boost::urls::parse_uri(text);
  if (!url || !url->has_authority() || url->has_userinfo() || url->encoded_host().empty() ||
      !url->encoded_path().empty() || url->has_query() || url->has_fragment()) {
    return std::nullopt;
  }
  std::string origin = to_lower(url->scheme()) + "://" + to_lower(url->encoded_host());
  if (url->has_port()) {
    if (!parse_unsigned(url->port(), 1, 65535)) return std::nullopt;
    origin += ":" + std::string(url->port());
  }
  return origin;
}

Status load_origins(const EnvMap& env, Settings& settings) {
  const std::optional<std::string_view> raw = lookup(env, "CLIENT_ORIGIN");
  if (!raw) return ok_status();
  std::vector<std::string> origins;
  std::string_view rest = *raw;
  while (true) {
    const std::size_t comma = rest.find(',');
    const std::string_view item = trim(rest.substr(0, comma));
    if (item == "*") {
      return config_error(
          "CLIENT_ORIGIN: '*' is refused: cookies are allowed cross-origin, so a wildcard would "
          "let "
          "any site act for a logged-in user; list the origins, e.g. https://app.example.com");
    }
    if (!item.empty()) {
      std::optional<std::string> origin = normalize_origin(item);
      if (!origin) {
        return config_error("CLIENT_ORIGIN: " + echo(item) +
                            " is not an origin: scheme://host[:port] with no path, e.g. "
                            "http://localhost:3000");
      }
      if (std::find(origins.begin(), origins.end(), *origin) == origins.end()) {
        origins.push_back(std::move(*origin));
      }
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  settings.client_origins = std::move(origins);
  return ok_status();
}

// ---- plain strings -----------------------------------------------------------------------------

Status load_strings(const EnvMap& env, Settings& settings) {
  if (const std::optional<std::string_view> host = lookup(env, "HOST")) {
    if (trim(*host).empty()) {
      return config_error("HOST: must not be empty (the address to listen on, e.g. 0.0.0.0)");
    }
    settings.host = std::string(trim(*host));
  }
  if (const std::optional<std::string_view> host = lookup(env, "METRICS_HOST")) {
    if (trim(*host).empty()) {
      return config_error("METRICS_HOST: must not be empty (METRICS_PORT=0 turns metrics off)");
    }
    settings.metrics_host = std::string(trim(*host));
  }
  if (const std::optional<std::string_view> alg = lookup(env, "JWT_ALGORITHM")) {
    if (trim(*alg).empty()) return config_error("JWT_ALGORITHM: must not be empty (e.g. RS256)");
    settings.jwt_algorithm = std::string(trim(*alg));
  }
  if (const std::optional<std::string_view> raw = lookup(env, "LOG_LEVEL")) {
    std::string level = to_lower(trim(*raw));
    if (level == "warning") level = "warn";
    if (std::find(kLogLevels.begin(), kLogLevels.end(), level) == kLogLevels.end()) {
      return config_error("LOG_LEVEL: " + echo(*raw) +
                          " is not one of trace, debug, info, warn, error, critical, off");
    }
    settings.log_level = std::move(level);
  }
  if (const std::optional<std::string_view> raw = lookup(env, "LOG_FORMAT")) {
    std::string format = to_lower(trim(*raw));
    if (format != "text" && format != "json") {
      return config_error("LOG_FORMAT: " + echo(*raw) + " is not one of text, json");
    }
    settings.log_format = std::move(format);
  }
  return ok_status();
}

Status load_numbers(const EnvMap& env, Settings& s) {
  struct Bounded {
    std::string_view name;
    std::uint64_t min;
    std::uint64_t max;
    std::size_t* out;
  };
  const Bounded sizes[] = {
      {"PASSWORD_MAX_BYTES", 72, 65536, &s.password_max_bytes},
      {"IO_THREADS", 1, kMaxThreads, &s.io_threads},
      {"WORKER_THREADS", 1, kMaxThreads, &s.worker_threads},
      {"HASH_THREADS", 1, kMaxThreads, &s.hash_threads},
      {"HASH_QUEUE_LIMIT", 0, 1'000'000, &s.hash_queue_limit},
      {"VERIFIED_TOKEN_CACHE_SIZE", 0, 1'000'000, &s.verified_token_cache_size},
      {"MAX_BODY_BYTES", 1024, 64 << 20, &s.max_body_bytes},
      {"MAX_HEADER_BYTES", 1024, 1 << 20, &s.max_header_bytes},
      {"MAX_CONNECTIONS", 1, 1'000'000, &s.max_connections},
      {"MAX_CONNECTIONS_PER_CLIENT", 1, 1'000'000, &s.max_connections_per_client},
  };
  for (const Bounded& b : sizes) {
    if (Status st = read_unsigned(env, b.name, b.min, b.max, *b.out); !st) return st;
  }
  Status st = read_unsigned(env, "PORT", 1, 65535, s.port);
  if (st) st = read_unsigned(env, "METRICS_PORT", 0, 65535, s.metrics_port);
  if (st)
    st = read_duration(env, "ACCESS_TOKEN_EXPIRES_IN", 1, kMaxTokenMinutes, s.access_token_ttl);
  if (st) {
    st = read_duration(env, "REFRESH_TOKEN_EXPIRES_IN", 1, kMaxTokenMinutes, s.refresh_token_ttl);
  }
  if (st) {
    st = read_duration(env, "SESSION_LIFETIME_MINUTES", 1, kMaxTokenMinutes, s.session_lifetime);
  }
  if (st) st = read_duration(env, "IDLE_TIMEOUT_SECONDS", 1, 3600, s.idle_timeout);
  if (st) st = read_duration(env, "REQUEST_TIMEOUT_SECONDS", 1, 3600, s.request_timeout);
  if (st) st = read_duration(env, "SHUTDOWN_GRACE_SECONDS", 0, 3600, s.shutdown_grace);
  if (st) st = read_duration(env, "CLOCK_LEEWAY_SECONDS", 0, 300, s.clock_leeway);
  // libsodium's floor is 8 KiB; 8 MiB keeps even a test configuration meaningful. OWASP asks
  // for 19 MiB (the default).
  if (st) st = read_unsigned(env, "ARGON2_MEMORY_KIB", 8192, 4194304, s.argon2.memory_kib);
  if (st) st = read_unsigned(env, "ARGON2_PASSES", 1, 10, s.argon2.passes);
  return st;
}

// ---- sessions, cookies, rate limits
// --------------------------------------------------------------

Status load_security(const EnvMap& env, Settings& s) {
  if (Status st = read_bool(env, "COOKIE_SECURE", s.cookies.secure); !st) return st;
  if (const auto raw = lookup(env, "COOKIE_DOMAIN")) {
    const std::string_view domain = trim(*raw);
    if (domain.find_first_of(" ;,\"=") != std::string_view::npos) {
      return config_error("COOKIE_DOMAIN: " + echo(*raw) + " is not a domain name");
    }
    s.cookies.domain = std::string(domain);
  }
  if (const auto raw = lookup_non_empty(env, "COOKIE_SAMESITE")) {
    const std::string v = to_lower(trim(*raw));
    if (v != "lax" && v != "strict" && v != "none") {
      return config_error("COOKIE_SAMESITE: " + echo(*raw) + " is not lax, strict or none");
    }
    s.cookies.same_site = v;
  }
  if (s.cookies.same_site == "none" && !s.cookies.secure) {
    return config_error(
        "COOKIE_SAMESITE: none needs COOKIE_SECURE=true (browsers drop it otherwise)");
  }
  if (Status st = read_bool(env, "RATE_LIMITS", s.rate_limits.enabled); !st) return st;
  if (Status st = read_bool(env, "DOCS_ENABLED", s.docs_enabled); !st) return st;
  if (Status st = read_bool(env, "ACCESS_LOG", s.access_log); !st) return st;
  if (const auto raw = lookup(env, "TRUSTED_PROXIES")) {
    std::string_view rest = *raw;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      const std::string_view item = trim(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      if (item.empty()) continue;
      boost::system::error_code ec;
      const std::string text(item);
      if (text.find('/') != std::string::npos) {
        if (text.find(':') != std::string::npos) {
          (void)boost::asio::ip::make_network_v6(text, ec);
        } else {
          (void)boost::asio::ip::make_network_v4(text, ec);
        }
      } else {
        (void)boost::asio::ip::make_address(text, ec);
      }
      if (ec) {
        return config_error("TRUSTED_PROXIES: " + echo(item) +
                            " is not an IP address or CIDR block (e.g. 10.0.0.0/8)");
      }
      s.trusted_proxies.push_back(text);
    }
  }
  struct Bounded {
    std::string_view name;
    std::uint64_t min;
    std::uint64_t max;
    std::size_t* out;
  };
  const Bounded counts[] = {
      {"LOGIN_FREE_FAILURES", 1, 1000, &s.rate_limits.login_free_failures},
      {"LOGIN_FAILURES_PER_HOUR", 1, 100, &s.rate_limits.login_failures_per_hour},
      {"IP_FAILED_LOGINS_PER_HOUR", 1, 1'000'000, &s.rate_limits.ip_failed_logins_per_hour},
      {"IP_REGISTRATIONS_PER_HOUR", 1, 1'000'000, &s.rate_limits.ip_registrations_per_hour},
  };
  for (const Bounded& b : counts) {
    if (Status st = read_unsigned(env, b.name, b.min, b.max, *b.out); !st) return st;
  }
  Status st =
      read_duration(env, "LOGIN_DELAY_BASE_SECONDS", 1, 3600, s.rate_limits.login_base_delay);
  if (st)
    st = read_duration(env, "LOGIN_DELAY_MAX_SECONDS", 1, 86400, s.rate_limits.login_max_delay);
  if (st) st = read_duration(env, "REFRESH_REUSE_GRACE_SECONDS", 0, 60, s.refresh_reuse_grace);
  if (st) {
    st = read_duration(env, "SESSION_SWEEP_INTERVAL_SECONDS", 10, 86400, s.session_sweep_interval);
  }
  if (st) st = read_duration(env, "AUDIT_RETENTION_DAYS", 0, 36500, s.audit_retention);
  if (st) st = read_duration(env, "ADMIN_FRESH_MINUTES", 1, 1440, s.admin_fresh);
  return st;
}

}  // namespace

Result<DatabaseSettings> parse_database_url(std::string_view url) {
  // Never echo the URL: it usually carries a password.
  const boost::system::result<boost::urls::url_view> parsed = boost::urls::parse_uri(trim(url));
  if (!parsed) {
    return url_error(
        "not a valid URL; percent-encode special characters in the password, e.g. @ as %40");
  }
  const std::string dialect = dialect_of(parsed->scheme());
  if (dialect == "sqlite") return parse_sqlite_url(*parsed);
  if (dialect == "mysql" || dialect == "mariadb") return parse_mysql_url(*parsed);
  if (dialect == "postgresql" || dialect == "postgres") return parse_postgres_url(*parsed);
  return url_error("unsupported database " + echo(dialect) + "; use sqlite, mysql or postgresql");
}

std::size_t available_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  return static_cast<std::size_t>(std::max(1, CPU_COUNT(&set)));
}

namespace {

// True when listeners on `a` and `b` at one port would take the same socket: the same host, or
// either one every address (a wildcard takes the port on all of them). Two different named hosts
// may still resolve to one address; binding then fails with "Address already in use".
bool hosts_share_a_port(std::string_view a, std::string_view b) {
  const auto wildcard = [](std::string_view host) {
    return host == "0.0.0.0" || host == "::" || host == "[::]";
  };
  return a == b || wildcard(a) || wildcard(b);
}

// Checks that need more than one variable, once every variable is read.
Status check_combinations(const Settings& s) {
  if (s.metrics_port != 0 && s.metrics_port == s.port &&
      hosts_share_a_port(s.host, s.metrics_host)) {
    return config_error("METRICS_PORT: " + std::to_string(s.metrics_port) +
                        " is PORT's too; the metrics listener needs a port of its own "
                        "(METRICS_PORT=0 turns metrics off)");
  }
  return ok_status();
}

}  // namespace

Result<Settings> load_settings(const EnvMap& env, std::size_t cpus) {
  constexpr std::size_t kMaxDefaultHashThreads = 8;
  Settings settings;
  settings.worker_threads = std::max<std::size_t>(2, cpus);
  settings.hash_threads = std::clamp<std::size_t>(cpus, 1, kMaxDefaultHashThreads);
  Result<DatabaseSettings> database = load_database(env);
  if (!database) return std::move(database).error();
  settings.database = std::move(*database);
  for (Status (*step)(const EnvMap&, Settings&) :
       {&load_strings, &load_numbers, &load_keys, &load_origins, &load_security, &load_mail}) {
    if (Status s = step(env, settings); !s) return std::move(s).error();
  }
  if (Status s = check_combinations(settings); !s) return std::move(s).error();
  return settings;
}

}  // namespace gatehouse::config
