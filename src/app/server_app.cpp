#include "app/server_app.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

#include "keys/static_keys.hpp"
#include "mail/file_transport.hpp"
#include "mail/smtp_transport.hpp"
#include "observability/build_info.hpp"
#include "observability/process_metrics.hpp"

namespace gatehouse::app {

namespace bhttp = boost::beast::http;

namespace {

// Threads that hand requests to each other do not preempt each other on every hand-off (batch
// scheduling, see core/thread_scheduling.hpp). Password hashing is batch too and offers its CPU
// every 0.3 ms (argon2id.cpp), which is what keeps health checks, /me and refresh fast under a
// flood of logins; it is not lowered. A lowered (nice 10) hashing thread gets about a tenth of a
// CPU against any ordinary process on the machine, and how much of one it gets differs from
// thread to thread with where the scheduler placed it: a password check of 3 ms took 60 ms on one
// hashing thread and 12 ms on the other while a build ran beside the server, and since serial
// logins take the two threads in turn, unknown-e-mail and wrong-password logins then differed
// 5-fold, which is what an enumeration probe measures (bench/RESULTS.md).
constexpr ThreadScheduling kRequestThreads{.batch = true, .nice_increment = 0};
constexpr ThreadScheduling kHashingThreads{.batch = true, .nice_increment = 0};

api::AuthApiSettings auth_api_settings(const config::Settings& s) {
  api::AuthApiSettings out;
  out.access_ttl = s.access_token_ttl;
  out.refresh_ttl = s.refresh_token_ttl;
  out.password_max_bytes = s.password_max_bytes;
  out.cookies.secure = s.cookies.secure;
  out.cookies.domain = s.cookies.domain;
  out.cookies.same_site = s.cookies.same_site;
  out.client_origins = s.client_origins;
  return out;
}

// How long one SMTP exchange may take before the mail is tried again later.
constexpr std::chrono::seconds kSmtpTimeout{30};

std::unique_ptr<mail::MailTransport> mail_transport(const config::MailSettings& mail) {
  if (mail.smtp) return std::make_unique<mail::SmtpTransport>(*mail.smtp, kSmtpTimeout);
  return std::make_unique<mail::FileTransport>(mail.outbox_dir);
}

auth::AccountMailerSettings mailer_settings(const config::Settings& s) {
  return auth::AccountMailerSettings{.app_name = s.mail.app_name,
                                     .app_url = s.mail.app_url,
                                     .from = s.mail.from,
                                     .verify_token_ttl = s.mail.verify_token_ttl,
                                     .reset_token_ttl = s.mail.reset_token_ttl};
}

net::ServerOptions server_options(const config::Settings& s) {
  net::ServerOptions out;
  out.host = s.host;
  out.port = s.port;
  out.io_threads = s.io_threads;
  out.max_body_bytes = s.max_body_bytes;
  out.max_header_bytes = s.max_header_bytes;
  out.idle_timeout = s.idle_timeout;
  out.request_timeout = s.request_timeout;
  out.max_connections = s.max_connections;
  out.max_connections_per_client = s.max_connections_per_client;
  out.shutdown_grace = s.shutdown_grace;
  out.io_scheduling = kRequestThreads;
  out.access_log = s.access_log;
  return out;
}

}  // namespace

Result<std::unique_ptr<ServerApp>> ServerApp::create(const config::Settings& settings) {
  auto algorithm = auth::parse_algorithm(settings.jwt_algorithm);
  if (!algorithm) return std::move(algorithm).error();
  // Static keys are checked before the database is opened: a bad .env fails fast.
  std::optional<auth::KeyPair> env_keys;
  if (!settings.jwt_private_key_pem.empty() ||
      settings.keys.mode == config::KeySettings::Mode::kStatic) {
    auto keys =
        auth::load_key_pair(*algorithm, settings.jwt_private_key_pem, settings.jwt_public_key_pem);
    if (!keys) return std::move(keys).error();
    env_keys = std::move(*keys);
  }

  auto metrics = std::make_unique<observability::MetricRegistry>();
  // Both pools call the store, so each of their threads can hold a connection.
  auto opened = store::open_store(settings.database,
                                  settings.worker_threads + settings.hash_threads, metrics.get());
  if (!opened) return std::move(opened).error();

  store::Migrator migrator(*opened->migrations, store::embedded_migrations(opened->dialect),
                           settings.database.prefix);
  if (opened->dialect == "sqlite") {
    auto applied = migrator.up();
    if (!applied) return std::move(applied).error();
    for (const auto& m : *applied) {
      spdlog::info("migrated {} to {:04d}_{}", opened->description, m.version, m.name);
    }
  } else {
    auto status = migrator.status();
    if (!status) return std::move(status).error();
    if (!status->pending.empty()) {
      return Error{ErrorCode::kInternal, opened->description + " has " +
                                             std::to_string(status->pending.size()) +
                                             " pending migration(s): run `gatehouse migrate up`"};
    }
  }
  spdlog::info("database: {}", opened->description);

  SigningKeys keys;
  if (settings.keys.mode == config::KeySettings::Mode::kStatic) {
    auto key_set = keys::static_key_set(*env_keys, settings.keys.previous_public_pems);
    if (!key_set) return std::move(key_set).error();
    keys.set = std::move(*key_set);
    // The server's own secrets (refresh-token seal, device cookies, mail links) come from the
    // private key, as before JWT_KEYS existed.
    keys.secret_material = auth::private_key_material(*env_keys);
  } else {
    // Managed keys rotate: the server's own secrets must not change with them. The key set is
    // loaded below, once the app (and the clock the manager reads) exists.
    keys.secret_material = settings.keys.encryption_secret;
  }

  std::optional<std::filesystem::path> template_dir;
  if (!settings.mail.templates_dir.empty()) template_dir = settings.mail.templates_dir;
  auto templates = mail::MailTemplates::load(template_dir);
  if (!templates) return std::move(templates).error();
  std::unique_ptr<ServerApp> app(new ServerApp(settings, std::move(metrics), std::move(keys),
                                               std::move(*opened), std::move(*templates)));
  if (settings.keys.mode == config::KeySettings::Mode::kManaged) {
    app->key_manager_ = make_key_manager(*app->store_.store, settings, app->clock_);
    auto key_set = app->key_manager_->load(env_keys);
    if (!key_set) return std::move(key_set).error();
    app->key_ring_.replace(std::move(*key_set));
  }
  const auto key_set = app->key_ring_.current();
  spdlog::info("signing keys ({}): {} signs ({}), {} published",
               settings.keys.mode == config::KeySettings::Mode::kStatic ? "static" : "managed",
               key_set->signing_kid(), auth::algorithm_name(key_set->signing_algorithm()),
               key_set->kids().size());
  return app;
}

std::unique_ptr<keys::KeyManager> make_key_manager(store::KeyStore& store,
                                                   const config::Settings& settings,
                                                   const Clock& clock) {
  auto algorithm = auth::parse_algorithm(settings.jwt_algorithm);
  if (!algorithm) throw std::logic_error("make_key_manager: settings were not validated");
  const auto access_ttl =
      std::chrono::duration_cast<std::chrono::seconds>(settings.access_token_ttl);
  keys::ManagedKeySettings managed{
      .algorithm = *algorithm,
      .rsa_bits = settings.keys.rsa_bits,
      .schedule = keys::make_schedule(
          settings.keys.jwks_max_age, settings.keys.poll_interval, settings.clock_leeway,
          access_ttl,
          std::chrono::duration_cast<std::chrono::seconds>(settings.keys.rotation_interval)),
      .poll_interval = settings.keys.poll_interval};
  return std::make_unique<keys::KeyManager>(store, clock, settings.keys.encryption_secret, managed);
}

ServerApp::ServerApp(const config::Settings& settings,
                     std::unique_ptr<observability::MetricRegistry> metrics, SigningKeys keys,
                     store::OpenedStore store, mail::MailTemplates templates)
    : settings_(settings),
      metrics_(std::move(metrics)),
      auth_metrics_(*metrics_),
      store_(std::move(store)),
      key_ring_(std::move(keys.set)),
      tokens_(key_ring_, clock_, random_, settings.access_token_ttl,
              settings.verified_token_cache_size, settings.clock_leeway,
              auth::TokenAudience{settings.keys.issuer, settings.keys.audience}),
      // Keys derived from the private key: a server secret that never enters the database.
      key_material_(std::move(keys.secret_material)),
      sealer_(key_material_),
      device_cookies_(key_material_, random_),
      passwords_(auth::Argon2Params{settings.argon2.memory_kib, settings.argon2.passes},
                 auth::HashMetrics(*metrics_)),
      audit_(*store_.store, clock_),
      sessions_(*store_.store, tokens_, sealer_, audit_, clock_, random_,
                auth::SessionSettings{settings.refresh_token_ttl, settings.session_lifetime,
                                      settings.refresh_reuse_grace},
                auth_metrics_),
      authenticator_(tokens_, *store_.store, clock_),
      throttle_(*store_.store, clock_, settings.rate_limits),
      logins_(*store_.store, passwords_, sessions_, throttle_, device_cookies_, audit_, clock_,
              auth_metrics_),
      sweeper_(*store_.store, clock_, settings.session_sweep_interval, settings.audit_retention),
      account_tokens_(key_material_, random_),
      templates_(std::move(templates)),
      transport_(mail_transport(settings.mail)),
      mailer_(*store_.store, account_tokens_, templates_, clock_, mailer_settings(settings)),
      outbox_sender_(*store_.store, mailer_, *transport_, clock_, random_,
                     mail::OutboxSenderSettings{.retry_base = settings.mail.retry_base},
                     mail::OutboxMetrics(*metrics_)),
      accounts_(
          *store_.store, account_tokens_, passwords_, throttle_, audit_, clock_,
          auth::AccountServiceSettings{.require_verification = settings.mail.require_verification},
          [this] { outbox_sender_.wake(); }, auth_metrics_),
      admin_(*store_.store, passwords_, audit_, clock_, settings.admin_fresh, auth_metrics_),
      health_api_(*store_.store),
      keys_api_(key_ring_, settings.keys.jwks_max_age),
      docs_api_(settings.docs_enabled),
      auth_api_(logins_, sessions_, authenticator_, accounts_, clock_, auth_api_settings(settings)),
      users_api_(authenticator_),
      events_api_(audit_, authenticator_),
      sessions_api_(sessions_, authenticator_, settings.client_origins),
      account_api_(accounts_, authenticator_, settings.password_max_bytes, settings.client_origins),
      admin_api_(admin_, authenticator_, clock_, settings.client_origins),
      application_(build_router(), http::CorsPolicy(settings.client_origins),
                   http::ClientAddressResolver(settings.trusted_proxies), random_token(random_, 6)),
      http_metrics_(*metrics_, application_.router()),
      // Every connection has at most one request in flight, so the worker queue is bounded by
      // the connection cap; hashing has its own, smaller bound: its threads plus HASH_QUEUE_LIMIT
      // waiting jobs (each holds a password and will need ARGON2_MEMORY_KIB).
      workers_("worker pool", "gh-worker", settings.worker_threads, settings.max_connections,
               kRequestThreads),
      hashing_("hashing pool", "gh-hashing", settings.hash_threads,
               settings.hash_threads + settings.hash_queue_limit, kHashingThreads),
      server_(server_options(settings), application_, workers_, hashing_, &http_metrics_),
      metrics_application_(metrics_router(), http::CorsPolicy({}),
                           http::ClientAddressResolver({})) {
  observability::register_process_metrics(*metrics_, GATEHOUSE_VERSION,
                                          std::string(observability::build_commit()));
  register_gauges();
  if (settings.metrics_port != 0) {
    net::ServerOptions options;
    options.host = settings.metrics_host;
    options.port = settings.metrics_port;
    options.io_threads = 1;
    options.max_connections = 64;  // scrapers, not clients
    options.max_connections_per_client = 16;
    options.shutdown_grace = std::chrono::seconds(2);
    options.io_scheduling = kRequestThreads;
    // Not counted in its own metrics: scrapes are not API traffic.
    metrics_server_ = std::make_unique<net::HttpServer>(std::move(options), metrics_application_,
                                                        workers_, hashing_);
  }
}

void ServerApp::register_gauges() {
  for (const net::BlockingPool* pool : {&workers_, &hashing_}) {
    const std::string name = pool == &workers_ ? "worker" : "hashing";
    const auto threads =
        static_cast<double>(pool == &workers_ ? settings_.worker_threads : settings_.hash_threads);
    // pending() counts jobs queued and running; a pool's threads take a job the moment one is
    // free, so the first `threads` of them run and the rest wait.
    metrics_->gauge_callback("gatehouse_pool_queued_jobs",
                             "Jobs waiting for a thread of the pool (hashing: logins, "
                             "registrations, password changes).",
                             {{"pool", name}}, [pool, threads] {
                               return std::max(0.0, static_cast<double>(pool->pending()) - threads);
                             });
    metrics_->gauge_callback(
        "gatehouse_pool_busy_threads", "Threads of the pool running a job.", {{"pool", name}},
        [pool, threads] { return std::min(static_cast<double>(pool->pending()), threads); });
  }
  const auto cache = [this](bool hits) {
    const auto stats = tokens_.cache_stats();
    return static_cast<double>(hits ? stats.hits : stats.misses);
  };
  metrics_->counter_callback("gatehouse_token_cache_lookups_total",
                             "Access tokens looked up in the verified-token cache, by result "
                             "(a miss pays a full signature check).",
                             {{"result", "hit"}}, [cache] { return cache(true); });
  metrics_->counter_callback("gatehouse_token_cache_lookups_total",
                             "Access tokens looked up in the verified-token cache, by result "
                             "(a miss pays a full signature check).",
                             {{"result", "miss"}}, [cache] { return cache(false); });
}

http::Router ServerApp::metrics_router() const {
  http::Router router;
  // On the worker pool: the process metrics read /proc.
  router.add(bhttp::verb::get, "/metrics", http::Execution::kWorker,
             [this](const http::Request&) {
               http::Response r(bhttp::status::ok, metrics_->render());
               r.header("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
               r.header("Cache-Control", "no-store");
               return r;
             },
             {.summary = "Prometheus metrics", .in_document = false});
  return router;
}

Status ServerApp::listen() {
  if (auto st = server_.listen(); !st) return st;
  if (metrics_server_) {
    if (auto st = metrics_server_->listen(); !st) {
      return Error{st.error().code,
                   "METRICS_PORT: " + st.error().internal + " (METRICS_PORT=0 turns metrics off)"};
    }
  }
  return ok_status();
}

void ServerApp::stop() {
  server_.stop();
  if (metrics_server_) metrics_server_->stop();
}

namespace {

// The first lines of the document: what this server's settings make of the API.
docs::DocumentInfo document_info(const config::Settings& settings) {
  docs::DocumentInfo info;
  info.title = "Gatehouse";
  info.version = GATEHOUSE_VERSION;
  const auto minutes = [](std::chrono::minutes m) { return std::to_string(m.count()); };
  info.description =
      "Authentication API: the FastAPI tutorial's routes (register, login, refresh, logout, "
      "/api/users/me) with server-side sessions: a refresh spends its token, and logout ends "
      "the session's tokens at once.\n\n"
      "This server: access tokens (" +
      settings.jwt_algorithm + ") live " + minutes(settings.access_token_ttl) +
      " minutes, refresh tokens " + minutes(settings.refresh_token_ttl) +
      " minutes without use, sessions at most " + minutes(settings.session_lifetime) +
      " minutes; new accounts " +
      (settings.mail.require_verification ? "must verify their e-mail address before logging in"
                                          : "are verified at once") +
      "; rate limits are " + (settings.rate_limits.enabled ? "on" : "off") +
      ". Public keys: /.well-known/jwks.json.\n\n"
      "Try it out: log in with POST /api/auth/login; the browser keeps the HttpOnly cookies "
      "and sends them with the next calls. Or paste the access token into Authorize "
      "(bearerAuth).";
  return info;
}

}  // namespace

http::Router ServerApp::build_router() {
  http::Router router;
  health_api_.add_routes(router);
  auth_api_.add_routes(router);
  users_api_.add_routes(router);
  events_api_.add_routes(router);
  sessions_api_.add_routes(router);
  account_api_.add_routes(router);
  admin_api_.add_routes(router);
  // Last: the router tries routes in order, and the hot ones (/me, refresh) come before it.
  keys_api_.add_routes(router);
  docs_api_.add_routes(router);
  docs_api_.publish(router, document_info(settings_));
  return router;
}

void ServerApp::run() {
  spdlog::info("gatehouse listening on http://{}:{}", settings_.host, port());
  spdlog::info("mail: {}; links to {}", transport_->describe(), settings_.mail.app_url);
  if (metrics_server_) {
    spdlog::info("metrics on http://{}:{}/metrics", settings_.metrics_host,
                 metrics_server_->bound_port());
    metrics_thread_ = std::thread([this] { metrics_server_->run(); });
  } else {
    spdlog::info("metrics: off (METRICS_PORT=0)");
  }
  sweeper_.start();
  outbox_sender_.start();
  if (key_manager_) key_manager_->start(key_ring_);
  const std::size_t abandoned = server_.run();
  if (metrics_server_) {
    metrics_server_->stop();  // a signal stops it too; stop() covers ServerApp::stop()
    metrics_thread_.join();
  }
  if (key_manager_) key_manager_->stop();
  outbox_sender_.stop();
  sweeper_.stop();
  if (abandoned > 0) {
    spdlog::error("gatehouse stopped with {} request(s) abandoned", abandoned);
    spdlog::shutdown();  // flushes
    std::_Exit(1);       // no destructors: they would join the threads still running those requests
  }
  workers_.join();
  hashing_.join();
  spdlog::info("gatehouse stopped");
}

}  // namespace gatehouse::app
