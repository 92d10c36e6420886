#include "app/commands.hpp"

#include <sodium.h>
#include <spdlog/spdlog.h>
#include <boost/json/serialize.hpp>

#include <iostream>

#include "api/api_support.hpp"
#include "api/events_api.hpp"
#include "app/command_support.hpp"
#include "app/environment.hpp"
#include "app/server_app.hpp"
#include "auth/audit_trail.hpp"
#include "auth/jws.hpp"
#include "core/time_text.hpp"
#include "keys/static_keys.hpp"
#include "observability/log_format.hpp"
#include "store/migrations.hpp"
#include "store/sql_timestamp.hpp"
#include "store/store_factory.hpp"

namespace gatehouse::app {

namespace {

void set_log_level(const std::string& level) {
  spdlog::set_level(spdlog::level::from_str(level));
}

// The settings a key command needs, as `serve` reads them.
Result<config::Settings> key_command_settings(
    const std::optional<std::filesystem::path>& env_file) {
  auto env = load_environment(env_file);
  if (!env) return std::move(env).error();
  auto with_keys = with_development_keys(std::move(*env));
  if (!with_keys) return std::move(with_keys).error();
  return config::load_settings(*with_keys);
}

int rotate_static(const config::Settings& settings) {
  auto algorithm = auth::parse_algorithm(settings.jwt_algorithm);
  if (!algorithm) return report(algorithm.error());
  auto pair = auth::generate_key_pair(*algorithm, settings.keys.rsa_bits);
  if (!pair) return report(pair.error());
  std::string previous = auth::base64_encode(settings.jwt_public_key_pem);
  for (const std::string& pem : settings.keys.previous_public_pems) {
    previous += "," + auth::base64_encode(pem);
  }
  std::cout
      << "# JWT_KEYS=static: rotate by hand, logging no one out.\n"
      << "# 1. Replace these lines in .env of every server process (the new pair signs;\n"
      << "#    the old public key still verifies the tokens it signed):\n"
      << "JWT_PRIVATE_KEY=" << auth::base64_encode(pair->private_pem) << "\n"
      << "JWT_PUBLIC_KEY=" << auth::base64_encode(pair->public_pem) << "\n"
      << "JWT_PREVIOUS_PUBLIC_KEYS=" << previous << "\n"
      << "# 2. Restart the processes. /.well-known/jwks.json publishes both keys; a resource\n"
      << "#    server fetches it again when a token names a kid it has not cached.\n"
      << "# 3. After " << settings.access_token_ttl.count()
      << " minutes (ACCESS_TOKEN_EXPIRES_IN) no token of the old key is live:\n"
      << "#    remove JWT_PREVIOUS_PUBLIC_KEYS (or its older items) and restart.\n"
      << "# Static keys also derive the server's own secrets: mail links not yet used and\n"
      << "# device cookies stop working at the switch. JWT_KEYS=managed rotates without that,\n"
      << "# and on its own.\n";
  return 0;
}

// --since: an age back from `now`, a date (its midnight, UTC) or a date and time.
Result<SysTime> parse_since(std::string_view text, SysTime now) {
  if (auto at = auth::parse_since(text, now)) return *at;
  return Error{ErrorCode::kInternal, "--since: '" + std::string(text) +
                                         "' is not an age (90m, 24h, 7d), a date (2026-12-01) or "
                                         "a date and time (2026-12-01T10:00:00Z)"};
}

std::string event_line(const store::AuditEvent& e) {
  const auto or_dash = [](const std::string& s) { return s.empty() ? std::string("-") : s; };
  std::string line = utc_time(e.at) + "  " + e.event;
  line += "  user=" + (e.user_id ? std::to_string(*e.user_id) : std::string("-"));
  line += "  email=" + or_dash(e.email);
  line += "  session=" + or_dash(e.session_id);
  line += "  ip=" + or_dash(e.ip);
  if (!e.detail.empty()) line += "  detail=\"" + e.detail + "\"";
  if (e.actor_id) line += "  actor=" + std::to_string(*e.actor_id);
  line += "  agent=\"" + e.user_agent + "\"";
  return line;
}

}  // namespace

int run_audit(const std::optional<std::filesystem::path>& env_file, const AuditOptions& options) {
  auto settings = command_settings(env_file);
  if (!settings) return report(settings.error());
  store::AuditQuery query;
  query.limit = options.limit;
  if (!options.event.empty()) {
    if (!auth::parse_audit_event_type(options.event)) {
      std::string known;
      for (auth::AuditEventType t : auth::audit_event_types()) {
        known += (known.empty() ? "" : ", ") + std::string(auth::name(t));
      }
      return report(
          Error{ErrorCode::kInternal, "--event: '" + options.event + "' is not one of " + known});
    }
    query.event = options.event;
  }
  SystemClock clock;
  if (!options.since.empty()) {
    auto since = parse_since(options.since, clock.now());
    if (!since) return report(since.error());
    query.since = *since;
  }
  auto opened = open_migrated_store(*settings);
  if (!opened) return report(opened.error());
  if (!options.user.empty()) {
    // An account's events are found by its id (they outlive address changes); an address without
    // an account by the address (the failed logins tried on it).
    const std::string email = api::lower_ascii(options.user);
    auto user = opened->store->find_user_by_email(email);
    if (!user) return report(user.error());
    if (user->has_value()) {
      query.user_id = (*user)->id;
    } else {
      query.email = email;
    }
  }
  auth::AuditTrail trail(*opened->store, clock);
  auto events = trail.find(query);
  if (!events) return report(events.error());
  for (const store::AuditEvent& e : *events) {
    std::cout << (options.json ? boost::json::serialize(api::event_json(e)) : event_line(e))
              << "\n";
  }
  if (!options.json) {
    std::cerr << events->size() << " event(s), newest first"
              << (events->size() == options.limit ? " (--limit reached)" : "") << "\n";
  }
  return 0;
}

int run_keys_rotate(const std::optional<std::filesystem::path>& env_file) {
  auto settings = key_command_settings(env_file);
  if (!settings) return report(settings.error());
  if (settings->keys.mode == config::KeySettings::Mode::kStatic) return rotate_static(*settings);
  auto opened = open_migrated_store(*settings);
  if (!opened) return report(opened.error());
  SystemClock clock;
  auto manager = make_key_manager(*opened->store, *settings, clock);
  // The set must exist (and open with KEYS_ENCRYPTION_SECRET) before a key is added to it.
  if (auto loaded = manager->load(std::nullopt); !loaded) return report(loaded.error());
  auto row = manager->rotate();
  if (!row) return report(row.error());
  std::cout << "added key " << row->kid << " (" << row->algorithm << "): published now, signs from "
            << utc_time(row->signs_from) << " UTC, once every process and JWKS cache has it\n";
  return 0;
}

int run_keys_list(const std::optional<std::filesystem::path>& env_file) {
  auto settings = key_command_settings(env_file);
  if (!settings) return report(settings.error());
  if (settings->keys.mode == config::KeySettings::Mode::kStatic) {
    auto algorithm = auth::parse_algorithm(settings->jwt_algorithm);
    if (!algorithm) return report(algorithm.error());
    auto pair = auth::load_key_pair(*algorithm, settings->jwt_private_key_pem,
                                    settings->jwt_public_key_pem);
    if (!pair) return report(pair.error());
    auto set = keys::static_key_set(*pair, settings->keys.previous_public_pems);
    if (!set) return report(set.error());
    std::cout << "JWT_KEYS=static\n";
    bool first = true;
    for (const std::string& kid : (*set)->kids()) {
      std::cout << "  " << kid << "  "
                << (first ? "active   (JWT_PRIVATE_KEY)" : "previous (JWT_PREVIOUS_PUBLIC_KEYS)")
                << "\n";
      first = false;
    }
    return 0;
  }
  auto opened = open_migrated_store(*settings);
  if (!opened) return report(opened.error());
  SystemClock clock;
  auto manager = make_key_manager(*opened->store, *settings, clock);
  auto listed = manager->list();
  if (!listed) return report(listed.error());
  std::cout << "JWT_KEYS=managed (" << opened->description << ")\n";
  if (listed->empty()) std::cout << "  no keys yet: `gatehouse serve` makes the first one\n";
  for (const auto& key : *listed) {
    std::cout << "  " << key.row.generation << "  " << key.row.kid << "  " << key.row.algorithm
              << "  " << keys::key_state_name(key.state) << "  created "
              << utc_time(key.row.created_at) << "  signs from " << utc_time(key.row.signs_from);
    if (key.verifies_until) std::cout << "  verifies until " << utc_time(*key.verifies_until);
    std::cout << "\n";
  }
  return 0;
}

int run_serve(const std::optional<std::filesystem::path>& env_file) {
  auto env = load_environment(env_file);
  if (!env) return report(env.error());
  if (auto it = env->find("LOG_LEVEL"); it != env->end()) set_log_level(it->second);
  auto with_keys = with_development_keys(std::move(*env));
  if (!with_keys) return report(with_keys.error());
  auto settings = config::load_settings(*with_keys);
  if (!settings) return report(settings.error());
  set_log_level(settings->log_level);
  spdlog::set_formatter(observability::make_log_formatter(settings->log_format == "json"
                                                              ? observability::LogFormat::kJson
                                                              : observability::LogFormat::kText));

  auto app = ServerApp::create(*settings);
  if (!app) return report(app.error());
  if (auto st = (*app)->listen(); !st) return report(st.error());
  (*app)->run();
  return 0;
}

int run_migrate(const std::optional<std::filesystem::path>& env_file,
                const MigrateOptions& options) {
  auto env = load_environment(env_file);
  if (!env) return report(env.error());
  // Migrations need no JWT keys; keep load_settings from asking for a missing half of a pair.
  auto settings = config::load_settings(*env);
  if (!settings) return report(settings.error());

  if (options.action == "new") {
    const std::string dialect = settings->database.kind == config::DatabaseKind::kSqlite ? "sqlite"
                                : settings->database.kind == config::DatabaseKind::kMysql
                                    ? "mysql"
                                    : "postgresql";
    const auto dir = options.dir.value_or(std::filesystem::path("migrations") / dialect);
    auto path = store::Migrator::create_files(dir, options.name);
    if (!path) return report(path.error());
    std::cout << "created " << path->string() << " (and its .down.sql)\n";
    return 0;
  }

  auto opened = store::open_store(settings->database, 1);
  if (!opened) return report(opened.error());
  std::vector<store::Migration> migrations;
  if (options.dir) {
    auto loaded = store::load_migrations_dir(*options.dir);
    if (!loaded) return report(loaded.error());
    migrations = std::move(*loaded);
  } else {
    migrations = store::embedded_migrations(opened->dialect);
  }
  store::Migrator migrator(*opened->migrations, std::move(migrations), settings->database.prefix);

  if (options.action == "up") {
    // Read before up(): while migration 1 is pending, status() names the tutorial revision up()
    // will adopt, and that step keeps the table rather than creating it.
    auto before = migrator.status();
    if (!before) return report(before.error());
    auto applied = migrator.up(options.steps);
    if (!applied) return report(applied.error());
    if (applied->empty()) std::cout << opened->description << ": already up to date\n";
    for (const auto& m : *applied) {
      if (before->adopted_from && m.version == store::kAdoptedVersion) {
        std::cout << "adopted " << m.version << " " << m.name << " (tutorial database at Alembic "
                  << *before->adopted_from << "; its table and rows are kept)\n";
      } else {
        std::cout << "applied " << m.version << " " << m.name << "\n";
      }
    }
    return 0;
  }
  if (options.action == "down") {
    auto reverted = migrator.down(options.steps.value_or(1));
    if (!reverted) return report(reverted.error());
    if (reverted->empty()) std::cout << opened->description << ": nothing to revert\n";
    for (const auto& m : *reverted) std::cout << "reverted " << m.version << " " << m.name << "\n";
    return 0;
  }
  auto status = migrator.status();
  if (!status) return report(status.error());
  std::cout << opened->description << "\n";
  if (status->adopted_from) {
    std::cout << "  adopted tutorial database (alembic revision " << *status->adopted_from << ")\n";
  }
  for (const auto& m : status->applied) {
    std::cout << "  applied  " << m.version << " " << m.name << "\n";
  }
  for (const auto& m : status->pending) {
    std::cout << "  pending  " << m.version << " " << m.name << "\n";
  }
  for (const auto& m : status->unknown) {
    std::cout << "  unknown  " << m.version << " " << m.name
              << " (applied by a newer gatehouse?)\n";
  }
  std::cout << (status->pending.empty() ? "up to date"
                                        : "migrations pending: run `gatehouse migrate up`")
            << "\n";
  return 0;
}

int run_keys_generate(int bits, const std::string& algorithm_name) {
  auto algorithm = auth::parse_algorithm(algorithm_name);
  if (!algorithm) return report(algorithm.error());
  auto pair = auth::generate_key_pair(*algorithm, bits);
  if (!pair) return report(pair.error());
  std::cout << "JWT_ALGORITHM=" << algorithm_name << "\n"
            << "JWT_PRIVATE_KEY=" << auth::base64_encode(pair->private_pem) << "\n"
            << "JWT_PUBLIC_KEY=" << auth::base64_encode(pair->public_pem) << "\n";
  return 0;
}

}  // namespace gatehouse::app
