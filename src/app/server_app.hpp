#pragma once

#include <cstdint>
#include <memory>
#include <thread>

#include "admin/admin_service.hpp"
#include "api/account_api.hpp"
#include "api/admin_api.hpp"
#include "api/auth_api.hpp"
#include "api/docs_api.hpp"
#include "api/events_api.hpp"
#include "api/health_api.hpp"
#include "api/keys_api.hpp"
#include "api/sessions_api.hpp"
#include "api/users_api.hpp"
#include "auth/account_mailer.hpp"
#include "auth/account_service.hpp"
#include "auth/account_tokens.hpp"
#include "auth/auth_metrics.hpp"
#include "auth/authenticator.hpp"
#include "auth/jws.hpp"
#include "auth/login_service.hpp"
#include "auth/login_throttle.hpp"
#include "auth/password_hasher.hpp"
#include "auth/session_service.hpp"
#include "auth/session_sweeper.hpp"
#include "auth/token_sealer.hpp"
#include "auth/token_service.hpp"
#include "config/settings.hpp"
#include "core/clock.hpp"
#include "core/random.hpp"
#include "http/application.hpp"
#include "keys/key_manager.hpp"
#include "keys/key_set.hpp"
#include "mail/outbox_sender.hpp"
#include "mail/templates.hpp"
#include "mail/transport.hpp"
#include "net/blocking_pool.hpp"
#include "net/http_server.hpp"
#include "observability/http_metrics.hpp"
#include "observability/metrics.hpp"
#include "store/store_factory.hpp"

namespace gatehouse::app {

// The KeyManager of JWT_KEYS=managed for `settings` (validated), on `store`: for the server and
// for `gatehouse keys rotate|list`.
std::unique_ptr<keys::KeyManager> make_key_manager(store::KeyStore& store,
                                                   const config::Settings& settings,
                                                   const Clock& clock);

// The one place that builds and wires every object of the server. Members are declared in
// dependency order, so each is constructed after what it uses and destroyed before it.
class ServerApp {
 public:
  // Checks the keys, opens the database (migrating an SQLite one to the latest version), and
  // builds the object graph. Errors are one line for the operator.
  static Result<std::unique_ptr<ServerApp>> create(const config::Settings& settings);

  // Binds the API's address and, unless METRICS_PORT is 0, the metrics listener's.
  Status listen();
  std::uint16_t port() const { return server_.bound_port(); }
  // Serves until SIGINT/SIGTERM or stop(). Returns normally (the process exits 0) when every
  // request in flight finished within SHUTDOWN_GRACE_SECONDS. Otherwise it logs what it abandoned
  // and ends the process at once with status 1: the abandoned handlers may be stuck in a hash or
  // a database call, so joining their threads could wait forever.
  void run();
  void stop();

  // Routing and the route table (the tests compare it with /openapi.json).
  const http::Application& application() const { return application_; }

 private:
  // The keys the server signs with, and the material its own secrets derive from.
  struct SigningKeys {
    std::shared_ptr<const keys::KeySet> set;  // null for JWT_KEYS=managed until create() loads it
    std::string secret_material;
  };
  ServerApp(const config::Settings& settings,
            std::unique_ptr<observability::MetricRegistry> metrics, SigningKeys keys,
            store::OpenedStore store, mail::MailTemplates templates);
  // Gauges read at scrape time: the pools' queues and the verified-token cache.
  void register_gauges();
  // Every route, and /openapi.json built from them.
  http::Router build_router();
  // GET /metrics, for the metrics listener.
  http::Router metrics_router() const;

  config::Settings settings_;
  // First: everything below may record into it, until it is destroyed. Made before the app by
  // create(), which opens the store with it.
  std::unique_ptr<observability::MetricRegistry> metrics_;
  auth::AuthMetrics auth_metrics_;
  SystemClock clock_;
  SodiumRandom random_;
  store::OpenedStore store_;
  std::unique_ptr<keys::KeyManager> key_manager_;  // JWT_KEYS=managed only, set by create()
  keys::KeyRing key_ring_;
  auth::TokenService tokens_;
  std::string key_material_;
  auth::TokenSealer sealer_;
  auth::DeviceCookies device_cookies_;
  auth::PasswordHasher passwords_;
  auth::AuditTrail audit_;
  auth::SessionService sessions_;
  auth::Authenticator authenticator_;
  auth::LoginThrottle throttle_;
  auth::LoginService logins_;
  auth::SessionSweeper sweeper_;
  auth::AccountTokens account_tokens_;
  mail::MailTemplates templates_;
  std::unique_ptr<mail::MailTransport> transport_;
  auth::AccountMailer mailer_;
  mail::OutboxSender outbox_sender_;
  auth::AccountService accounts_;
  admin::AdminService admin_;
  api::HealthApi health_api_;
  api::KeysApi keys_api_;
  api::DocsApi docs_api_;
  api::AuthApi auth_api_;
  api::UsersApi users_api_;
  api::EventsApi events_api_;
  api::SessionsApi sessions_api_;
  api::AccountApi account_api_;
  api::AdminApi admin_api_;
  http::Application application_;
  observability::HttpMetrics http_metrics_;
  net::BlockingPool workers_;
  net::BlockingPool hashing_;
  net::HttpServer server_;
  // GET /metrics on METRICS_HOST:METRICS_PORT, served by a thread of its own (none when off).
  http::Application metrics_application_;
  std::unique_ptr<net::HttpServer> metrics_server_;
  std::thread metrics_thread_;
};

}  // namespace gatehouse::app
