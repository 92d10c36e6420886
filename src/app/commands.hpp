#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace gatehouse::app {

// Each `gatehouse` subcommand; the return value is the process exit status. Errors are printed
// as one line on stderr.

// `gatehouse serve`: migrate the embedded database if needed, then serve until SIGINT/SIGTERM.
int run_serve(const std::optional<std::filesystem::path>& env_file);

struct MigrateOptions {
  std::string action;  // up | down | status | new
  std::optional<int> steps;
  std::string name;                          // for `new`
  std::optional<std::filesystem::path> dir;  // a folder of migrations instead of the built-in ones
};
int run_migrate(const std::optional<std::filesystem::path>& env_file,
                const MigrateOptions& options);

// `gatehouse keys generate`: prints JWT_PRIVATE_KEY= / JWT_PUBLIC_KEY= lines for a .env.
int run_keys_generate(int bits, const std::string& algorithm);

// `gatehouse keys rotate`: JWT_KEYS=managed adds the next key to the database (it signs once every
// process and JWKS cache has it); static keys print the steps and the new .env lines.
int run_keys_rotate(const std::optional<std::filesystem::path>& env_file);
// `gatehouse keys list`: each key's kid, algorithm and state.
int run_keys_list(const std::optional<std::filesystem::path>& env_file);

}  // namespace gatehouse::app
