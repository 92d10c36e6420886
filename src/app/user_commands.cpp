// `gatehouse users`: the operator's commands over accounts (src/app/commands.hpp).
#include <termios.h>
#include <unistd.h>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <iostream>
#include <string>

#include "admin/admin_service.hpp"
#include "api/api_support.hpp"
#include "app/command_support.hpp"
#include "app/commands.hpp"
#include "auth/audit_trail.hpp"
#include "auth/password_hasher.hpp"
#include "http/body_validator.hpp"
#include "http/error_table.hpp"

namespace gatehouse::app {

namespace {

// The operator stands outside the accounts: no actor id; the audit trail's user agent names
// the command.
constexpr std::string_view kOperatorAgent = "gatehouse users";

// A domain error as the API words it ("User not found"), with the reason when there is one.
int report_admin(const Error& error) {
  if (error.code == ErrorCode::kInternal || error.code == ErrorCode::kUnavailable) {
    return report(error);
  }
  std::cerr << "gatehouse: " << http::map_error(error.code).detail;
  if (!error.internal.empty()) std::cerr << " (" << error.internal << ")";
  std::cerr << "\n";
  return 1;
}

// One line of standard input without its line end; echo off while a terminal types it.
std::optional<std::string> read_secret_line(std::string_view prompt) {
  const bool terminal = isatty(STDIN_FILENO) == 1;
  termios saved{};
  if (terminal) {
    std::cerr << prompt << std::flush;
    tcgetattr(STDIN_FILENO, &saved);
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  const bool got = static_cast<bool>(std::getline(std::cin, line));
  if (terminal) {
    tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    std::cerr << "\n";
  }
  if (!got) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// The password of a new account: typed twice at a terminal, else the first line of standard
// input (a script pipes it). Never an argument, which other users of the machine could read.
Result<std::string> read_new_password() {
  auto password = read_secret_line("Password: ");
  if (!password) {
    return Error{ErrorCode::kInternal, "no password: type it at the prompt or pipe it on stdin"};
  }
  if (isatty(STDIN_FILENO) == 1) {
    auto again = read_secret_line("Password again: ");
    if (!again || *again != *password) {
      return Error{ErrorCode::kInternal, "the two passwords differ"};
    }
  }
  return std::move(*password);
}

// The new account's fields, checked by the rules of registration (the same schema pieces), so
// the command line cannot make an account the API would refuse.
Result<admin::NewAccount> checked_account(const UsersOptions& options, std::string password,
                                          std::size_t password_max_bytes) {
  const http::BodySchema schema{
      .name = "gatehouse users create",
      .fields = {{.name = "name", .rule = {.min_chars = 1, .max_chars = api::kMaxColumnChars}},
                 api::email_field(""),
                 api::password_field("password", 8, password_max_bytes, "")}};
  boost::json::object body{
      {"name", options.name}, {"email", options.email}, {"password", password}};
  http::BodyValidator validator(boost::json::serialize(body));
  http::BodyFields fields = validator.read(schema);
  if (!validator.ok()) {
    std::string problems;
    for (const http::ValidationIssue& issue : validator.issues()) {
      if (!problems.empty()) problems += "; ";
      problems +=
          (issue.loc.empty() ? std::string("input") : "--" + issue.loc.back()) + ": " + issue.msg;
    }
    return Error{ErrorCode::kValidation, problems};
  }
  if (!admin::is_known_role(options.role)) {
    return Error{ErrorCode::kValidation, "--role: '" + options.role + "' is not user or admin"};
  }
  return admin::NewAccount{.email = api::lower_ascii(fields.at("email")),
                           .name = fields.at("name"),
                           .password = std::move(password),
                           .role = options.role};
}

std::string account_line(const store::User& u) {
  std::string line = std::to_string(u.id) + "  " + u.email + "  \"" + u.name + "\"  " + u.role;
  line += u.verified ? "  verified" : "  unverified";
  if (u.disabled()) line += "  disabled since " + utc_time(*u.disabled_at);
  line += "  created " + utc_time(u.created_at);
  return line;
}

int list_accounts(admin::AdminService& admin, const UsersOptions& options) {
  auto page = admin.search(store::UserSearch{.text = options.query, .limit = options.limit});
  if (!page) return report_admin(page.error());
  for (const store::User& u : page->users) std::cout << account_line(u) << "\n";
  std::cerr << page->users.size() << " of " << page->total << " account(s)"
            << (page->users.size() < page->total ? " (--limit reached)" : "") << "\n";
  return 0;
}

int create_account(admin::AdminService& admin, const admin::Actor& actor,
                   const UsersOptions& options, const config::Settings& settings) {
  auto password = read_new_password();
  if (!password) return report(password.error());
  auto account = checked_account(options, std::move(*password), settings.password_max_bytes);
  if (!account) return report(account.error());
  auto created = admin.create(actor, *account);
  if (!created) return report_admin(created.error());
  std::cout << "created " << account_line(*created) << "\n";
  return 0;
}

// set-role, disable, enable, logout: on the account with --email.
int change_account(admin::AdminService& admin, const admin::Actor& actor,
                   const UsersOptions& options) {
  auto user = admin.user_by_email(api::lower_ascii(options.email));
  if (!user) return report_admin(user.error());
  if (options.action == "logout") {
    auto ended = admin.logout(actor, user->id);
    if (!ended) return report_admin(ended.error());
    std::cout << user->email << ": " << *ended << " session(s) ended\n";
    return 0;
  }
  store::UserChange change;
  if (options.action == "set-role") {
    if (!admin::is_known_role(options.role)) {
      return report(Error{ErrorCode::kValidation, "'" + options.role + "' is not user or admin"});
    }
    change.role = options.role;
  } else {
    change.disabled = options.action == "disable";
  }
  auto changed = admin.change(actor, user->id, change);
  if (!changed) return report_admin(changed.error());
  std::cout << account_line(changed->user) << "  (" << changed->sessions_ended
            << " session(s) ended)\n";
  return 0;
}

}  // namespace

int run_users(const std::optional<std::filesystem::path>& env_file, const UsersOptions& options) {
  auto settings = command_settings(env_file);
  if (!settings) return report(settings.error());
  auto opened = open_migrated_store(*settings);
  if (!opened) return report(opened.error());
  SystemClock clock;
  const auth::PasswordHasher passwords(
      auth::Argon2Params{settings->argon2.memory_kib, settings->argon2.passes});
  const auth::AuditTrail audit(*opened->store, clock);
  admin::AdminService admin(*opened->store, passwords, audit, clock, settings->admin_fresh);
  const admin::Actor actor{std::nullopt, auth::ClientInfo{"", kOperatorAgent}};

  if (options.action == "list") return list_accounts(admin, options);
  if (options.action == "create") return create_account(admin, actor, options, *settings);
  return change_account(admin, actor, options);
}

}  // namespace gatehouse::app
