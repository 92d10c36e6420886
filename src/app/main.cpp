// gatehouse: the command line. Everything else lives in the library; see src/app/commands.hpp.
#include <curl/curl.h>
#include <sodium.h>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <iostream>

#include "app/commands.hpp"

int main(int argc, char** argv) {
  if (sodium_init() < 0) {
    std::cerr << "gatehouse: libsodium failed to initialise\n";
    return 1;
  }
  // Before any thread starts: libcurl's global set-up is not thread-safe (the mail sender uses it).
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    std::cerr << "gatehouse: libcurl failed to initialise\n";
    return 1;
  }
  // Logs go to stderr; stdout carries command output (`keys generate`, `migrate status`).
  spdlog::set_default_logger(spdlog::stderr_color_mt("gatehouse"));
  CLI::App cli{"Gatehouse: an authentication API server (the FastAPI tutorial's API, done right)"};
  cli.set_version_flag("--version", GATEHOUSE_VERSION);
  cli.require_subcommand(1);
  std::optional<std::filesystem::path> env_file;
  cli.add_option_function<std::string>(
      "--env-file", [&](const std::string& p) { env_file = p; },
      "read settings from this file instead of ./.env");

  auto* serve = cli.add_subcommand("serve", "serve the API (HOST/PORT, default 127.0.0.1:8000)");
  serve->fallthrough();

  gatehouse::app::MigrateOptions migrate_options;
  auto* migrate = cli.add_subcommand("migrate", "versioned database migrations");
  migrate->require_subcommand(1);
  migrate->fallthrough();
  migrate->add_option_function<std::string>(
      "--dir", [&](const std::string& p) { migrate_options.dir = p; },
      "use the migration files in this folder instead of the built-in ones");
  auto* up = migrate->add_subcommand("up", "apply pending migrations (all, or N)");
  up->add_option_function<int>(
        "N", [&](int n) { migrate_options.steps = n; }, "how many")
      ->check(CLI::PositiveNumber);
  auto* down = migrate->add_subcommand("down", "revert the newest N migrations (default 1)");
  down->add_option_function<int>(
          "N", [&](int n) { migrate_options.steps = n; }, "how many")
      ->check(CLI::PositiveNumber);
  auto* status = migrate->add_subcommand("status", "list applied and pending migrations");
  auto* create = migrate->add_subcommand("new", "write the next numbered migration files");
  create->add_option("NAME", migrate_options.name, "lower_case_name")->required();
  // Options of `migrate` and of the program may also follow the subcommand.
  for (auto* sub : {up, down, status, create}) sub->fallthrough();

  auto* keys = cli.add_subcommand("keys", "signing keys");
  keys->require_subcommand(1);
  keys->fallthrough();
  auto* generate = keys->add_subcommand("generate", "print a new key pair as .env lines");
  int bits = 2048;
  std::string algorithm = "RS256";
  generate->add_option("--bits", bits, "RSA key size")->check(CLI::IsMember({2048, 3072, 4096}));
  generate->add_option("--algorithm", algorithm, "RS256, RS384, RS512, ES256 or EdDSA");
  generate->fallthrough();
  auto* rotate = keys->add_subcommand(
      "rotate", "JWT_KEYS=managed: add the next key; static: print the steps and new .env lines");
  auto* list = keys->add_subcommand("list", "show each signing key and its state");
  rotate->fallthrough();
  list->fallthrough();

  gatehouse::app::AuditOptions audit_options;
  auto* audit = cli.add_subcommand("audit", "print the audit trail's events, newest first");
  audit->add_option("--user", audit_options.user, "an account's e-mail address");
  audit->add_option("--event", audit_options.event, "one event type (login_failed, lockout...)");
  audit->add_option("--since", audit_options.since,
                    "an age (90m, 24h, 7d), a date (2026-12-01) or a UTC time "
                    "(2026-12-01T10:00:00Z)");
  audit->add_option("--limit", audit_options.limit, "at most this many events (default 100)")
      ->check(CLI::Range(1, 1'000'000));
  audit->add_flag("--json", audit_options.json, "one JSON object per line");
  audit->fallthrough();

  gatehouse::app::UsersOptions users_options;
  auto* users = cli.add_subcommand("users", "administer accounts (no server needed)");
  users->require_subcommand(1);
  users->fallthrough();
  const auto with_email = [&](CLI::App* sub) {
    sub->add_option("EMAIL", users_options.email, "the account's e-mail address")->required();
    sub->fallthrough();
    return sub;
  };
  auto* users_create = users->add_subcommand(
      "create", "create a verified account; the password is read from a prompt or stdin");
  users_create->add_option("--email", users_options.email, "its e-mail address")->required();
  users_create->add_option("--name", users_options.name, "its name")->required();
  users_create->add_option("--role", users_options.role, "user (default) or admin")
      ->default_str("user");
  users_create->fallthrough();
  auto* users_set_role =
      with_email(users->add_subcommand("set-role", "give an account a role; ends its sessions"));
  users_set_role->add_option("ROLE", users_options.role, "user or admin")->required();
  with_email(users->add_subcommand("disable", "disable an account; ends its sessions"));
  with_email(users->add_subcommand("enable", "enable a disabled account"));
  with_email(users->add_subcommand("logout", "end every session of an account"));
  auto* users_list = users->add_subcommand("list", "list accounts, by id");
  users_list->add_option("--query", users_options.query, "a part of the e-mail or the name");
  users_list->add_option("--limit", users_options.limit, "at most this many (default 100)")
      ->check(CLI::Range(1, 1'000'000));
  users_list->fallthrough();

  CLI11_PARSE(cli, argc, argv);

  if (serve->parsed()) return gatehouse::app::run_serve(env_file);
  if (migrate->parsed()) {
    for (auto* sub : {up, down, create}) {
      if (sub->parsed()) migrate_options.action = sub->get_name();
    }
    if (migrate_options.action.empty()) migrate_options.action = "status";
    return gatehouse::app::run_migrate(env_file, migrate_options);
  }
  if (generate->parsed()) return gatehouse::app::run_keys_generate(bits, algorithm);
  if (rotate->parsed()) return gatehouse::app::run_keys_rotate(env_file);
  if (list->parsed()) return gatehouse::app::run_keys_list(env_file);
  if (audit->parsed()) return gatehouse::app::run_audit(env_file, audit_options);
  if (users->parsed()) {
    for (auto* sub : users->get_subcommands()) users_options.action = sub->get_name();
    if (users_options.action == "create" && users_options.role.empty()) users_options.role = "user";
    return gatehouse::app::run_users(env_file, users_options);
  }
  return 1;
}
