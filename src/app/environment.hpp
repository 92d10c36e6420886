#pragma once

#include <filesystem>
#include <optional>

#include "config/settings.hpp"
#include "core/result.hpp"

namespace gatehouse::app {

// The variables a command sees: the .env file (`--env-file`, else ./.env when it exists) with
// the process environment on top, as pydantic's BaseSettings reads the tutorial's .env.
Result<config::EnvMap> load_environment(const std::optional<std::filesystem::path>& env_file);

// Where `serve` keeps the development key pair it makes when no JWT keys are configured.
inline const std::filesystem::path kDevKeysFile = ".gatehouse/dev-keys.env";

// When neither JWT_PRIVATE_KEY nor JWT_PUBLIC_KEY is set: loads the development pair from
// kDevKeysFile, creating it (RSA-2048, mode 0600) and saying so in the log on first use.
// Returns `env` with both keys set. Any other case (JWT_KEYS=managed included: its keys live in the
// database) returns `env` unchanged.
Result<config::EnvMap> with_development_keys(config::EnvMap env);

}  // namespace gatehouse::app
