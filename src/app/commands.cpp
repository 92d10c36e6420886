#include "app/commands.hpp"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <iostream>

#include "app/environment.hpp"
#include "app/server_app.hpp"
#include "auth/jws.hpp"
#include "store/migrations.hpp"
#include "store/store_factory.hpp"

namespace gatehouse::app {

namespace {

int report(const Error& error) {
  std::cerr << "gatehouse: "
            << (error.internal.empty() ? std::string(to_string(error.code)) : error.internal)
            << "\n";
  return 1;
}

void set_log_level(const std::string& level) {
  spdlog::set_level(spdlog::level::from_str(level));
}

}  // namespace

int run_serve(const std::optional<std::filesystem::path>& env_file) {
  auto env = load_environment(env_file);
  if (!env) return report(env.error());
  if (auto it = env->find("LOG_LEVEL"); it != env->end()) set_log_level(it->second);
  auto with_keys = with_development_keys(std::move(*env));
  if (!with_keys) return report(with_keys.error());
  auto settings = config::load_settings(*with_keys);
  if (!settings) return report(settings.error());
  set_log_level(settings->log_level);

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
