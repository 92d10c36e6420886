#pragma once

#include <filesystem>
#include <optional>

#include "config/settings.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/result.hpp"
#include "store/store_factory.hpp"

namespace gatehouse::app {

// What the `gatehouse` subcommands share. Each prints its errors as one line on stderr and
// returns the process exit status.

// Prints "gatehouse: <reason>" (the internal reason, else the code's name); returns 1.
int report(const Error& error);

// The settings of `serve` from the environment and `env_file` (JWT keys not required).
Result<config::Settings> command_settings(const std::optional<std::filesystem::path>& env_file);

// "2026-12-01 10:00:00" (UTC).
std::string utc_time(SysTime t);

// The database, migrated as `serve` requires: the embedded SQLite file is migrated; a server
// database must be already (an error names the pending migrations' command).
Result<store::OpenedStore> open_migrated_store(const config::Settings& settings);

}  // namespace gatehouse::app
