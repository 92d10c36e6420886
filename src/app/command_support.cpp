#include "app/command_support.hpp"

#include <ctime>
#include <iostream>
#include <string>

#include "app/environment.hpp"
#include "store/migrations.hpp"

namespace gatehouse::app {

int report(const Error& error) {
  std::cerr << "gatehouse: "
            << (error.internal.empty() ? std::string(to_string(error.code)) : error.internal)
            << "\n";
  return 1;
}

std::string utc_time(SysTime t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm);
  return text;
}

Result<store::OpenedStore> open_migrated_store(const config::Settings& settings) {
  auto opened = store::open_store(settings.database, 1);
  if (!opened) return std::move(opened).error();
  store::Migrator migrator(*opened->migrations, store::embedded_migrations(opened->dialect),
                           settings.database.prefix);
  // As `serve`: the embedded SQLite file is migrated, a server database must be already.
  if (opened->dialect == "sqlite") {
    if (auto applied = migrator.up(); !applied) return std::move(applied).error();
    return opened;
  }
  auto status = migrator.status();
  if (!status) return std::move(status).error();
  if (!status->pending.empty()) {
    return Error{ErrorCode::kInternal,
                 opened->description + " has pending migrations: run `gatehouse migrate up`"};
  }
  return opened;
}

Result<config::Settings> command_settings(const std::optional<std::filesystem::path>& env_file) {
  auto env = load_environment(env_file);
  if (!env) return std::move(env).error();
  return config::load_settings(*env);
}

}  // namespace gatehouse::app
