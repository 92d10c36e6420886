// Every setting in the README's configuration table has a test that sets it and shows its effect.
//
// kCoverage names, for each variable, the test (file and the name of its TEST or function) that
// covers it; the check reads the README and the test sources: a variable of the table missing
// here, a named test that no longer exists, or a test that no longer mentions its variable, fails.
// kNotYetCovered lists, honestly, the rows still waiting for a behaviour test; a variable there
// must not also have a covering test (move it to kCoverage when one is written).
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace gatehouse {
namespace {

struct Coverage {
  const char* variable;
  const char* file;    // under tests/
  const char* anchor;  // the test's name (or a helper's), as written in the file
};

constexpr Coverage kCoverage[] = {
    {"HOST", "e2e/server_process.cpp", "test_env("},
    {"PORT", "e2e/server_e2e_test.cpp", "BadSettingsNameTheVariable"},
    {"DATABASE_URL", "e2e/settings_e2e_test.cpp", "EnvFileOptionIsReadInsteadOfDotEnv"},
    {"DATABASE_HOST", "e2e/mysql_e2e_test.cpp",
     "TutorialVariablesReachTheDatabaseAndServeWaitsForMigrations"},
    {"DATABASE_PORT", "e2e/mysql_e2e_test.cpp",
     "TutorialVariablesReachTheDatabaseAndServeWaitsForMigrations"},
    {"DATABASE_DB", "e2e/mysql_e2e_test.cpp",
     "TutorialVariablesReachTheDatabaseAndServeWaitsForMigrations"},
    {"DATABASE_USER", "e2e/mysql_e2e_test.cpp",
     "TutorialVariablesReachTheDatabaseAndServeWaitsForMigrations"},
    {"DATABASE_PASSWORD", "e2e/mysql_e2e_test.cpp",
     "TutorialVariablesReachTheDatabaseAndServeWaitsForMigrations"},
    {"DATABASE_PREFIX", "e2e/settings_e2e_test.cpp",
     "DatabasePrefixNamesTheTablesOfARunningServer"},
    {"ACCESS_TOKEN_EXPIRES_IN", "e2e/server_e2e_test.cpp", "ReadsDotEnvAndEnvironmentOverridesIt"},
    {"JWT_ALGORITHM", "e2e/settings_e2e_test.cpp", "ServesOnEs256AndEdDsa"},
    {"JWT_PRIVATE_KEY", "e2e/server_e2e_test.cpp", "RefusesTheTutorialsShortKeyAndSaysHowToFix"},
    {"JWT_PUBLIC_KEY", "e2e/server_e2e_test.cpp", "BadSettingsNameTheVariable"},
    {"JWT_PREVIOUS_PUBLIC_KEYS", "e2e/settings_e2e_test.cpp",
     "HandRotationWithPreviousKeysLogsNoOneOut"},
    {"JWKS_MAX_AGE_SECONDS", "e2e/settings_e2e_test.cpp",
     "HandRotationWithPreviousKeysLogsNoOneOut"},
    {"JWT_ISSUER", "e2e/settings_e2e_test.cpp", "IssuerAndAudienceGoIntoAccessTokensAndAreChecked"},
    {"JWT_AUDIENCE", "e2e/settings_e2e_test.cpp",
     "IssuerAndAudienceGoIntoAccessTokensAndAreChecked"},
    {"JWT_KEYS", "e2e/settings_e2e_test.cpp", "ManagedKeysRotateAcrossTwoProcessesUnderTraffic"},
    {"KEYS_ENCRYPTION_SECRET", "e2e/settings_e2e_test.cpp",
     "ManagedKeysNeedALongEnoughEncryptionSecret"},
    {"JWT_KEY_ROTATION_DAYS", "unit/key_manager_test.cpp",
     "RotatesByItselfWhenTheIntervalHasPassed"},
    {"JWT_KEYS_POLL_SECONDS", "e2e/settings_e2e_test.cpp",
     "ManagedKeysRotateAcrossTwoProcessesUnderTraffic"},
    {"JWT_KEY_BITS", "e2e/settings_e2e_test.cpp",
     "ManagedKeysRotateAcrossTwoProcessesUnderTraffic"},
    {"CLIENT_ORIGIN", "browser/browser_test.py", "class Gatehouse"},
    {"ARGON2_MEMORY_KIB", "e2e/server_e2e_test.cpp", "InFlightLoginFinishesAfterSigint"},
    {"ARGON2_PASSES", "e2e/server_e2e_test.cpp", "InFlightLoginFinishesAfterSigint"},
    {"PASSWORD_MAX_BYTES", "e2e/settings_e2e_test.cpp", "SizeLimitsAtNonDefaultValues"},
    {"HASH_THREADS", "e2e/settings_e2e_test.cpp", "HashQueueLimitAnswers503BeyondTheQueue"},
    {"HASH_QUEUE_LIMIT", "e2e/settings_e2e_test.cpp", "HashQueueLimitAnswers503BeyondTheQueue"},
    {"MAX_BODY_BYTES", "e2e/settings_e2e_test.cpp", "SizeLimitsAtNonDefaultValues"},
    {"MAX_HEADER_BYTES", "e2e/settings_e2e_test.cpp", "SizeLimitsAtNonDefaultValues"},
    {"IDLE_TIMEOUT_SECONDS", "e2e/server_e2e_test.cpp",
     "IdleConnectionsCloseAndConnectionsAreCapped"},
    {"REQUEST_TIMEOUT_SECONDS", "e2e/settings_e2e_test.cpp", "RequestTimeoutDropsAStalledRequest"},
    {"MAX_CONNECTIONS", "e2e/server_e2e_test.cpp", "IdleConnectionsCloseAndConnectionsAreCapped"},
    {"MAX_CONNECTIONS_PER_CLIENT", "e2e/server_e2e_test.cpp",
     "OneClientAddressCannotHoldEveryConnection"},
    {"CLOCK_LEEWAY_SECONDS", "e2e/settings_e2e_test.cpp",
     "ClockLeewayTakesATokenFromANodeWhoseClockIsAhead"},
    {"SHUTDOWN_GRACE_SECONDS", "e2e/settings_e2e_test.cpp",
     "ShutdownGraceCutsOffARequestThatOutlastsIt"},
    {"LOG_LEVEL", "e2e/server_e2e_test.cpp", "InFlightLoginFinishesAfterSigint"},
    {"REFRESH_REUSE_GRACE_SECONDS", "browser/browser_test.py", "class Gatehouse"},
    {"COOKIE_SECURE", "e2e/sessions_e2e_test.cpp", "CookieSettingsApply"},
    {"COOKIE_DOMAIN", "e2e/sessions_e2e_test.cpp", "CookieSettingsApply"},
    {"COOKIE_SAMESITE", "e2e/settings_e2e_test.cpp", "CookieSameSiteNoneWithoutSecureIsRefused"},
    {"RATE_LIMITS", "e2e/sessions_e2e_test.cpp", "RateLimitsOffMeansNoLimit"},
    {"DOCS_ENABLED", "e2e/docs_e2e_test.cpp", "DocsEnabledFalseServesNoneOfTheThree"},
    {"LOG_FORMAT", "e2e/logs_e2e_test.cpp",
     "AWholeAccountLifeLeavesNoSecretInTheJsonLogAndEveryAnswerHasItsLine"},
    {"ACCESS_LOG", "e2e/logs_e2e_test.cpp", "TextIsTheDefaultAndItsAccessLinesEndWithTheRequestId"},
    {"METRICS_HOST", "e2e/metrics_e2e_test.cpp",
     "MetricsHostAndPortChooseWhereTheyListenAndZeroTurnsThemOff"},
    {"METRICS_PORT", "e2e/metrics_e2e_test.cpp",
     "MetricsHostAndPortChooseWhereTheyListenAndZeroTurnsThemOff"},
    {"LOGIN_FREE_FAILURES", "e2e/sessions_e2e_test.cpp",
     "FailedLoginsAreLimitedPerAccountAndASuccessResets"},
    {"LOGIN_DELAY_BASE_SECONDS", "e2e/sessions_e2e_test.cpp",
     "FailedLoginsAreLimitedPerAccountAndASuccessResets"},
    {"LOGIN_DELAY_MAX_SECONDS", "e2e/settings_e2e_test.cpp", "LoginDelayIsCappedByTheMaximum"},
    {"LOGIN_FAILURES_PER_HOUR", "e2e/settings_e2e_test.cpp", "LoginFailuresPerHourCapsAnAccount"},
    {"IP_FAILED_LOGINS_PER_HOUR", "e2e/settings_e2e_test.cpp",
     "FailedLoginsPerAddressAddUpAcrossAccounts"},
    {"IP_REGISTRATIONS_PER_HOUR", "e2e/sessions_e2e_test.cpp", "RegistrationsPerAddressAreLimited"},
    {"TRUSTED_PROXIES", "e2e/sessions_e2e_test.cpp",
     "ClientAddressComesFromXForwardedForOnlyBehindATrustedProxy"},
    {"DATABASE_POOL_SIZE", "e2e/settings_e2e_test.cpp", "DatabasePoolSizeSetsTheConnections"},
    {"REFRESH_TOKEN_EXPIRES_IN", "e2e/settings_e2e_test.cpp", "RefreshTokenExpiresWhenLeftUnused"},
    {"SESSION_LIFETIME_MINUTES", "e2e/settings_e2e_test.cpp",
     "SessionLifetimeCapsASessionThatKeepsRefreshing"},
    {"SESSION_SWEEP_INTERVAL_SECONDS", "e2e/settings_e2e_test.cpp",
     "SweeperDeletesExpiredSessionsAtTheInterval"},
    {"AUDIT_RETENTION_DAYS", "e2e/settings_e2e_test.cpp",
     "SweeperDeletesAuditEventsPastTheRetention"},
    {"ADMIN_FRESH_MINUTES", "e2e/admin_e2e_test.cpp", "AStaleAdminSessionMustLogInAgain"},
    {"IO_THREADS", "e2e/settings_e2e_test.cpp", "ThreadSettingsSizeThePools"},
    {"WORKER_THREADS", "e2e/settings_e2e_test.cpp", "ThreadSettingsSizeThePools"},
    {"VERIFIED_TOKEN_CACHE_SIZE", "e2e/settings_e2e_test.cpp",
     "VerifiedTokenCacheSizeZeroVerifiesEveryRequest"},
    {"MAIL_PER_ADDRESS_PER_HOUR", "e2e/mail_e2e_test.cpp",
     "LimitsAndAnswersDoNotRevealWhichAddressesHaveAnAccount"},
    {"MAIL_ADDRESS_INTERVAL_SECONDS", "e2e/mail_e2e_test.cpp",
     "LimitsAndAnswersDoNotRevealWhichAddressesHaveAnAccount"},
    {"MAIL_PER_CLIENT_PER_HOUR", "e2e/mail_e2e_test.cpp",
     "LimitsAndAnswersDoNotRevealWhichAddressesHaveAnAccount"},
    {"REQUIRE_EMAIL_VERIFICATION", "e2e/mail_e2e_test.cpp",
     "VerificationLinkFromTheMailVerifiesOnlyWhenConfirmed"},
    {"SMTP_URL", "e2e/mail_e2e_test.cpp", "class MailTest"},
    {"MAIL_FROM", "e2e/mail_e2e_test.cpp", "class MailTest"},
    {"APP_NAME", "e2e/mail_e2e_test.cpp", "class MailTest"},
    {"APP_URL", "e2e/mail_e2e_test.cpp", "AppUrlTemplatesAndLifetimesShapeTheMail"},
    {"EMAIL_TOKEN_MINUTES", "e2e/mail_e2e_test.cpp", "AppUrlTemplatesAndLifetimesShapeTheMail"},
    {"RESET_TOKEN_MINUTES", "e2e/mail_e2e_test.cpp", "AppUrlTemplatesAndLifetimesShapeTheMail"},
    {"MAIL_TEMPLATES_DIR", "e2e/mail_e2e_test.cpp", "AppUrlTemplatesAndLifetimesShapeTheMail"},
    {"MAIL_OUTBOX_DIR", "e2e/mail_e2e_test.cpp",
     "WithoutSmtpMailIsWrittenToTheOutboxFolderAndItsFileLogged"},
    {"MAIL_RETRY_SECONDS", "e2e/mail_e2e_test.cpp",
     "AnSmtpOutageOrACrashDelaysMailButLosesNoneAndSendsEachOnce"},
};

// Rows whose behaviour test is still to be written: none today. A new README row goes either in
// kCoverage with its test or here, and a variable here must not also have a covering test.
const std::set<std::string> kNotYetCovered = {};

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream all;
  all << in.rdbuf();
  return all.str();
}

// The variables of the README's "## Configuration" table: the `NAME`s of each row's first cell.
std::set<std::string> readme_variables() {
  const std::string readme = read(std::string(GATEHOUSE_SOURCE_DIR) + "/README.md");
  const auto start = readme.find("## Configuration");
  const auto end = readme.find("\n## ", start + 1);
  std::istringstream table(readme.substr(start, end - start));
  std::set<std::string> out;
  const std::regex name("`([A-Z][A-Z0-9_]+)`");
  for (std::string line; std::getline(table, line);) {
    if (line.rfind("| `", 0) != 0) continue;
    const std::string first_cell = line.substr(1, line.find('|', 1) - 1);
    for (std::sregex_iterator it(first_cell.begin(), first_cell.end(), name), done; it != done;
         ++it) {
      out.insert((*it)[1]);
    }
  }
  return out;
}

// The text of the test starting at `anchor` up to the next test (or the end of the file).
std::string test_body(const std::string& source, const std::string& anchor) {
  const auto at = source.find(anchor);
  if (at == std::string::npos) return {};
  std::size_t next = std::string::npos;
  for (const char* marker : {"\nTEST", "\n    def test_", "\nclass "}) {
    next = std::min(next, source.find(marker, at + anchor.size()));
  }
  return source.substr(at, next == std::string::npos ? std::string::npos : next - at);
}

// `variable` as a whole word of `text` (not the prefix of a longer name).
bool mentions(const std::string& text, const std::string& variable) {
  const auto is_name_char = [](char c) {
    return (c >= 'A' && c <= 'Z') || c == '_' || (c >= '0' && c <= '9');
  };
  for (auto at = text.find(variable); at != std::string::npos; at = text.find(variable, at + 1)) {
    const bool starts = at == 0 || !is_name_char(text[at - 1]);
    const auto after = at + variable.size();
    if (starts && (after == text.size() || !is_name_char(text[after]))) return true;
  }
  return false;
}

TEST(ReadmeSettings, TheTableIsReadAndHasEveryKnownRow) {
  const auto variables = readme_variables();
  EXPECT_GE(variables.size(), 40u);
  for (const char* v : {"HOST", "DATABASE_PREFIX", "TRUSTED_PROXIES", "DATABASE_PASSWORD"}) {
    EXPECT_TRUE(variables.count(v)) << v;
  }
}

TEST(ReadmeSettings, EveryRowHasABehaviourTestThatSetsIt) {
  std::map<std::string, std::vector<const Coverage*>> covered;
  for (const auto& c : kCoverage) covered[c.variable].push_back(&c);
  for (const auto& variable : readme_variables()) {
    const bool waiting = kNotYetCovered.count(variable) > 0;
    if (waiting) {
      EXPECT_FALSE(covered.count(variable))
          << variable << " is covered: remove it from kNotYetCovered";
      continue;
    }
    ASSERT_TRUE(covered.count(variable))
        << variable << " is in the README's configuration table but no test covers it";
    for (const Coverage* c : covered[variable]) {
      const std::string source = read(std::string(GATEHOUSE_SOURCE_DIR) + "/tests/" + c->file);
      ASSERT_FALSE(source.empty()) << c->file;
      const std::string body = test_body(source, c->anchor);
      ASSERT_FALSE(body.empty()) << variable << ": no " << c->anchor << " in tests/" << c->file;
      EXPECT_TRUE(mentions(body, variable))
          << variable << ": " << c->anchor << " in tests/" << c->file << " does not set it";
    }
  }
  for (const auto& c : kCoverage) {
    EXPECT_TRUE(readme_variables().count(c.variable))
        << c.variable << " is covered but not in the README's configuration table";
  }
}

}  // namespace
}  // namespace gatehouse
