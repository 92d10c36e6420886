#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace gatehouse::config {

// Variables by name, as read from a .env file and the process environment.
using EnvMap = std::map<std::string, std::string, std::less<>>;

// Parses .env text the way python-dotenv reads the tutorial's: `KEY = value`, `# comments`,
// optional single or double quotes, optional `export `, inline ` #` comments on unquoted values.
// Errors (kInternal with a message naming the line) for lines that are not KEY=VALUE.
Result<EnvMap> parse_dotenv(std::string_view text);
Result<EnvMap> read_dotenv_file(const std::filesystem::path& path);

// The process environment as an EnvMap.
EnvMap process_environment();

enum class DatabaseKind { kSqlite, kMysql, kPostgres };

struct DatabaseSettings {
  DatabaseKind kind = DatabaseKind::kSqlite;
  std::string sqlite_path = "gatehouse.db";  // kSqlite
  std::string host;                          // kMysql, kPostgres
  std::uint16_t port = 3306;                 // 5432 for kPostgres unless the URL names one
  std::string name;
  std::string user;
  std::string password;
  // Optional. MySQL: the socket file (DATABASE_SOCKET, ?unix_socket=); PostgreSQL: the socket's
  // directory (?host=/run/postgresql).
  std::string unix_socket;
  std::string prefix = "api_";  // DATABASE_PREFIX: every table name starts with it
  std::size_t pool_size = 0;    // DATABASE_POOL_SIZE; 0: as many as worker threads
};

struct Argon2Settings {
  std::uint64_t memory_kib = 19456;  // ARGON2_MEMORY_KIB (OWASP minimum: 19 MiB)
  std::uint32_t passes = 2;          // ARGON2_PASSES
};

// Set-Cookie attributes. Defaults are the tutorial's, so a plain-HTTP localhost set-up works.
struct CookieSettings {
  bool secure = false;            // COOKIE_SECURE
  std::string domain;             // COOKIE_DOMAIN; empty: host-only cookies
  std::string same_site = "lax";  // COOKIE_SAMESITE: lax, strict or none (none needs COOKIE_SECURE)
};

// Brute-force limits. Counters live in the database, so they hold across threads and restarts.
struct RateLimitSettings {
  bool enabled = true;                            // RATE_LIMITS=off turns every limit off
  std::size_t login_free_failures = 5;            // LOGIN_FREE_FAILURES: before any delay
  std::chrono::seconds login_base_delay{1};       // LOGIN_DELAY_BASE_SECONDS: doubles per failure
  std::chrono::seconds login_max_delay{15 * 60};  // LOGIN_DELAY_MAX_SECONDS: the cap
  std::size_t login_failures_per_hour = 100;      // LOGIN_FAILURES_PER_HOUR (OWASP ASVS)
  std::size_t ip_failed_logins_per_hour = 300;    // IP_FAILED_LOGINS_PER_HOUR
  std::size_t ip_registrations_per_hour = 300;    // IP_REGISTRATIONS_PER_HOUR
  // Mail a client may have sent (verification, reset, e-mail change): per address, whether or not
  // it has an account, so a 429 reveals nothing; and per client address.
  std::size_t mail_per_address_per_hour = 10;      // MAIL_PER_ADDRESS_PER_HOUR
  std::chrono::seconds mail_address_interval{60};  // MAIL_ADDRESS_INTERVAL_SECONDS
  std::size_t mail_per_client_per_hour = 30;       // MAIL_PER_CLIENT_PER_HOUR
};

// SMTP_URL, parsed: the server the outbox delivers to.
struct SmtpSettings {
  // How the connection is protected: smtps:// is TLS from the start; smtp:// upgrades with
  // STARTTLS, required except to a loopback address (used when offered) or with ?tls=off.
  enum class Tls { kImplicit, kStartTlsRequired, kStartTlsIfOffered, kOff };
  Tls tls = Tls::kStartTlsRequired;
  std::string host;
  std::uint16_t port = 587;  // smtp:// (mail submission, RFC 6409); 465 for smtps://
  std::string user;          // empty: no authentication
  std::string password;
};

// Signing keys beyond the active pair (see README "Signing keys").
struct KeySettings {
  // JWT_KEYS: static (the .env's pair signs, JWT_PREVIOUS_PUBLIC_KEYS still verify) or managed
  // (the key set lives in the database and rotates itself).
  enum class Mode { kStatic, kManaged };
  Mode mode = Mode::kStatic;
  // JWT_PREVIOUS_PUBLIC_KEYS: base64 PEMs (comma-separated), decoded; published and accepted.
  std::vector<std::string> previous_public_pems;
  std::chrono::seconds jwks_max_age{300};  // JWKS_MAX_AGE_SECONDS: Cache-Control of the JWKS
  std::string issuer;                      // JWT_ISSUER: `iss` of access tokens, checked when set
  std::string audience;                    // JWT_AUDIENCE: `aud`, likewise
  // Managed mode only.
  std::string encryption_secret;  // KEYS_ENCRYPTION_SECRET: seals private keys at rest
  std::chrono::hours rotation_interval{90 * 24};  // JWT_KEY_ROTATION_DAYS
  std::chrono::seconds poll_interval{30};  // JWT_KEYS_POLL_SECONDS: how often the set is re-read
  int rsa_bits = 3072;                     // JWT_KEY_BITS: RSA size of generated keys
};

// The account lifecycle over mail (verification, password reset, e-mail change).
struct MailSettings {
  bool require_verification = false;  // REQUIRE_EMAIL_VERIFICATION (the tutorial: verified at once)
  std::optional<SmtpSettings> smtp;   // SMTP_URL; unset: .eml files in outbox_dir (development)
  std::string from = "gatehouse@localhost";  // MAIL_FROM (required with SMTP_URL)
  std::string app_name = "Gatehouse";        // APP_NAME: in subjects and bodies
  // APP_URL: where links point (+ /auth/verify-email, /auth/reset-password). Default: the first
  // CLIENT_ORIGIN when CLIENT_ORIGIN is set, else Gatehouse itself (http://HOST:PORT), which
  // serves those pages.
  std::string app_url;
  std::string templates_dir;                       // MAIL_TEMPLATES_DIR: overrides, by file name
  std::string outbox_dir = ".gatehouse/outbox";    // where the development transport writes
  std::chrono::minutes verify_token_ttl{24 * 60};  // EMAIL_TOKEN_MINUTES (verify, change)
  std::chrono::minutes reset_token_ttl{30};        // RESET_TOKEN_MINUTES
  // MAIL_RETRY_SECONDS: a failed send is tried again after this, doubled per failure up to 1 h.
  std::chrono::seconds retry_base{15};
};

// SMTP_URL: smtp://[user:password@]host[:port][?tls=off] or smtps://...; percent-decoded parts.
// The error never echoes the URL (it may hold a password).
Result<SmtpSettings> parse_smtp_url(std::string_view url);

// Everything the server reads from its environment, validated. Names are the tutorial's where it
// has one. Durations from the tutorial are in minutes, like its .env.
struct Settings {
  std::string host = "127.0.0.1";  // HOST
  std::uint16_t port = 8000;       // PORT
  DatabaseSettings database;       // DATABASE_URL or DATABASE_HOST/PORT/DB/USER/PASSWORD/PREFIX

  std::chrono::minutes access_token_ttl{15};           // ACCESS_TOKEN_EXPIRES_IN
  std::chrono::minutes refresh_token_ttl{60};          // REFRESH_TOKEN_EXPIRES_IN
  std::chrono::minutes session_lifetime{7 * 24 * 60};  // SESSION_LIFETIME_MINUTES: absolute cap
  std::string jwt_algorithm = "RS256";                 // JWT_ALGORITHM
  std::string jwt_private_key_pem;  // JWT_PRIVATE_KEY, base64 decoded to PEM text
  std::string jwt_public_key_pem;   // JWT_PUBLIC_KEY, base64 decoded to PEM text
  KeySettings keys;

  std::vector<std::string> client_origins{
      "http://localhost:3000"};  // CLIENT_ORIGIN, comma-separated

  Argon2Settings argon2;
  std::size_t password_max_bytes = 1024;  // PASSWORD_MAX_BYTES: longer passwords get a 422

  std::size_t io_threads = 1;      // IO_THREADS
  std::size_t worker_threads = 2;  // WORKER_THREADS: database calls and token signing
  std::size_t hash_threads =
      2;  // HASH_THREADS: argon2id/bcrypt (memory = threads x ARGON2_MEMORY_KIB)
  // (load_settings sizes these two pools by the CPUs the process may run on; see there.)
  std::size_t hash_queue_limit = 64;  // HASH_QUEUE_LIMIT: waiting hashes beyond it get 503
  std::size_t verified_token_cache_size = 4096;  // VERIFIED_TOKEN_CACHE_SIZE: 0 turns it off
  std::size_t max_body_bytes = 1 << 20;          // MAX_BODY_BYTES: 413 beyond
  std::size_t max_header_bytes = 16 << 10;       // MAX_HEADER_BYTES: 431 beyond
  std::chrono::seconds idle_timeout{30};     // IDLE_TIMEOUT_SECONDS: keep-alive wait for a request
  std::chrono::seconds request_timeout{30};  // REQUEST_TIMEOUT_SECONDS: to read one request
  // SHUTDOWN_GRACE_SECONDS: how long in-flight requests may run after SIGINT/SIGTERM; match it
  // to the orchestrator's termination grace (Kubernetes: 30 s) minus a margin.
  std::chrono::seconds shutdown_grace{30};
  // CLOCK_LEEWAY_SECONDS: how far `exp` and `nbf` may be off, for clocks of several nodes.
  std::chrono::seconds clock_leeway{5};
  std::size_t max_connections = 10000;           // MAX_CONNECTIONS
  std::size_t max_connections_per_client = 256;  // MAX_CONNECTIONS_PER_CLIENT
  std::string log_level = "info";                // LOG_LEVEL: trace, debug, info, warn, error
  std::string log_format = "text";               // LOG_FORMAT: text or json (one object a line)
  bool access_log = false;                       // ACCESS_LOG: a line per answered request

  CookieSettings cookies;
  RateLimitSettings rate_limits;
  // TRUSTED_PROXIES: addresses or CIDR blocks (comma-separated) whose X-Forwarded-For is believed.
  std::vector<std::string> trusted_proxies;
  std::chrono::seconds refresh_reuse_grace{5};       // REFRESH_REUSE_GRACE_SECONDS (0 to 60)
  std::chrono::seconds session_sweep_interval{600};  // SESSION_SWEEP_INTERVAL_SECONDS
  // AUDIT_RETENTION_DAYS: the sweeper deletes audit events older than this; 0 keeps them forever.
  std::chrono::days audit_retention{90};
  // ADMIN_FRESH_MINUTES: the admin API answers only sessions whose password was entered at most
  // this long ago (a refresh does not renew it).
  std::chrono::minutes admin_fresh{15};
  MailSettings mail;
  // DOCS_ENABLED: /openapi.json, /docs and /redoc (FastAPI serves them by default too).
  bool docs_enabled = true;
  // METRICS_HOST, METRICS_PORT: the Prometheus listener (GET /metrics), apart from the API so
  // that it is not exposed with it; port 0 turns it off.
  std::string metrics_host = "127.0.0.1";
  std::uint16_t metrics_port = 9464;
};

// The number of CPUs this process may run on (sched_getaffinity), at least 1.
std::size_t available_cpus();

// Builds Settings from `env` (the .env file's values already overridden by the process
// environment). On a bad value, the error's `internal` is one line that names the variable and the
// fix, e.g. "PORT: 'abc' is not a port number (1-65535)". Keys are only decoded here; checking that
// they parse and match is the job of auth::load_key_pair.
//
// Unless set, the pools follow `cpus`, the CPUs the process may run on (its affinity mask, which
// taskset, cpusets and containers narrow): WORKER_THREADS max(2, cpus), HASH_THREADS cpus, at
// most 8 (more hashing threads than CPUs only make each hash slower, and each holds
// ARGON2_MEMORY_KIB).
Result<Settings> load_settings(const EnvMap& env, std::size_t cpus = available_cpus());

// Parses SQLAlchemy-style DATABASE_URL: sqlite:///relative.db, sqlite:////absolute.db,
// mysql://user:password@host:port/db (also mysql+pymysql:// and mariadb://),
// postgresql://user:password@host:port/db (also postgres:// and postgresql+psycopg2://; port 5432
// by default), percent-decoding the parts.
Result<DatabaseSettings> parse_database_url(std::string_view url);

}  // namespace gatehouse::config
