#pragma once

#include <cstddef>
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

// `gatehouse audit`: the audit trail's events, newest first, for an operator.
struct AuditOptions {
  std::string user;   // an account's e-mail (its events), or an address without one (failures)
  std::string event;  // one event type
  std::string since;  // "2026-12-01", "2026-12-01T10:00:00Z" or an age: "90m", "24h", "7d"
  std::size_t limit = 100;
  bool json = false;  // one JSON object per line (the API's AuditEvent shape)
};
int run_audit(const std::optional<std::filesystem::path>& env_file, const AuditOptions& options);

// `gatehouse users ...`: the operator's administration of accounts, through the same service
// (guard rails, audit events, sessions ended at once) as the admin API, with no server running.
struct UsersOptions {
  std::string action;  // create | set-role | disable | enable | list | logout
  std::string email;
  std::string name;         // create
  std::string role;         // create (default user), set-role
  std::string query;        // list: a part of the e-mail or the name
  std::size_t limit = 100;  // list
};
int run_users(const std::optional<std::filesystem::path>& env_file, const UsersOptions& options);

}  // namespace gatehouse::app
