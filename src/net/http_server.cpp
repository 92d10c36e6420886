#include "net/http_server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <csignal>
#include <ctime>
#include <thread>
#include <vector>

#include "core/thread_name.hpp"
#include "http/client_address.hpp"
#include "http/error_table.hpp"

namespace gatehouse::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;
using boost::system::error_code;

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

// What the shutdown path may touch of a live connection. Both sides run on the connection's
// strand: the session clears `stream` before it ends, and a posted cancel checks it.
struct HttpServer::Connection {
  asio::any_io_executor executor;
  beast::tcp_stream* stream = nullptr;
  bool busy = false;  // a request is being read, handled or written
  // What the shutdown path names if it has to abandon this connection: the client's address and
  // the request in hand ("POST /api/auth/login", no query string, since one may carry a token).
  std::string peer;
  std::string request;
  std::chrono::steady_clock::time_point since;
};

// Registers a connection for the shutdown path and keeps the active count.
class HttpServer::ConnectionScope {
 public:
  ConnectionScope(HttpServer& server, std::shared_ptr<Connection> connection)
      : server_(server), connection_(std::move(connection)) {
    {
      std::lock_guard lock(server_.connections_mutex_);
      server_.connections_.insert(connection_);
    }
    if (server_.metrics_ != nullptr) server_.metrics_->connection_opened();
  }
  ~ConnectionScope() {
    if (server_.metrics_ != nullptr) server_.metrics_->connection_closed();
    connection_->stream = nullptr;
    {
      std::lock_guard lock(server_.connections_mutex_);
      server_.connections_.erase(connection_);
    }
    server_.active_.fetch_sub(1, std::memory_order_acq_rel);
  }
  ConnectionScope(const ConnectionScope&) = delete;
  ConnectionScope& operator=(const ConnectionScope&) = delete;

 private:
  HttpServer& server_;
  std::shared_ptr<Connection> connection_;
};

// One connection's place in the per-client count (empty peer: not counted). Taken on the
// connection's strand, given back when the session ends.
class HttpServer::ClientSlot {
 public:
  ClientSlot(HttpServer& server, std::string peer) : server_(server), peer_(std::move(peer)) {
    if (peer_.empty() || server_.app_.is_trusted_proxy(peer_)) {
      peer_.clear();
      return;
    }
    std::lock_guard lock(server_.connections_mutex_);
    within_limit_ = ++server_.per_client_[peer_] <= server_.options_.max_connections_per_client;
  }
  ~ClientSlot() {
    if (peer_.empty()) return;
    std::lock_guard lock(server_.connections_mutex_);
    auto it = server_.per_client_.find(peer_);
    if (it != server_.per_client_.end() && --it->second == 0) server_.per_client_.erase(it);
  }
  ClientSlot(const ClientSlot&) = delete;
  ClientSlot& operator=(const ClientSlot&) = delete;

  bool within_limit() const { return within_limit_; }

 private:
  HttpServer& server_;
  std::string peer_;
  bool within_limit_ = true;
};

namespace {

// The Date header, formatted once a second per thread.
const std::string& cached_date() {
  thread_local std::time_t last = 0;
  thread_local std::string value;
  const std::time_t now = std::time(nullptr);
  if (now != last) {
    last = now;
    value = http::http_date(std::chrono::system_clock::from_time_t(now));
  }
  return value;
}

bhttp::response<bhttp::string_body> to_message(http::Response&& r, unsigned version,
                                               bool keep_alive, bool head) {
  bhttp::response<bhttp::string_body> msg{r.status, version};
  msg.set(bhttp::field::content_type, "application/json");
  msg.set(bhttp::field::date, cached_date());
  // Response keeps single-valued fields unique; `set` also lets it override Content-Type.
  for (const auto& [name, value] : r.headers()) {
    if (beast::iequals(name, "Set-Cookie")) {
      msg.insert(name, value);
    } else {
      msg.set(name, value);
    }
  }
  msg.body() = std::move(r.body);
  msg.keep_alive(keep_alive);
  msg.prepare_payload();
  if (head) msg.body().clear();  // Content-Length stays that of the GET answer
  return msg;
}

// Errors that mean the client went away or timed out: nothing to answer.
bool is_disconnect(const error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
         ec == asio::error::broken_pipe || ec == beast::error::timeout ||
         ec == bhttp::error::partial_message;
}

asio::awaitable<void> write_response(beast::tcp_stream& stream, http::Response r, bool keep_alive,
                                     std::chrono::seconds timeout) {
  auto msg = to_message(std::move(r), 11, keep_alive, false);
  stream.expires_after(timeout);
  co_await bhttp::async_write(stream, msg, kUseTuple);
}

// After refusing a request whose body is still arriving: stop sending, then read and discard a
// bounded amount so the client sees the answer instead of a reset.
asio::awaitable<void> drain_and_close(beast::tcp_stream& stream) {
  error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  std::vector<char> sink(64 * 1024);
  std::size_t total = 0;
  stream.expires_after(std::chrono::seconds(2));
  while (total < (8u << 20)) {
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(sink), kUseTuple);
    if (ec) break;
    total += n;
  }
  stream.socket().close(ignored);
}

}  // namespace

HttpServer::HttpServer(ServerOptions options, const http::Application& app, BlockingPool& workers,
                       BlockingPool& hashing, const observability::HttpMetrics* metrics)
    : options_(std::move(options)),
      app_(app),
      workers_(workers),
      hashing_(hashing),
      metrics_(metrics),
      ioc_(static_cast<int>(options_.io_threads)),
      control_(asio::make_strand(ioc_)),
      acceptor_(control_),
      signals_(control_, SIGINT, SIGTERM) {}

HttpServer::~HttpServer() = default;

Status HttpServer::listen() {
  error_code ec;
  const auto address = asio::ip::make_address(options_.host, ec);
  tcp::endpoint endpoint;
  if (ec) {
    tcp::resolver resolver(ioc_);
    auto results = resolver.resolve(options_.host, std::to_string(options_.port), ec);
    if (ec || results.empty()) {
      return Error{ErrorCode::kInternal, "HOST: cannot resolve '" + options_.host + "'"};
    }
    endpoint = results.begin()->endpoint();
  } else {
    endpoint = tcp::endpoint(address, options_.port);
  }
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Error{ErrorCode::kInternal, "cannot listen on " + options_.host + ":" +
                                           std::to_string(options_.port) + ": " + ec.message() +
                                           " (set HOST/PORT)"};
  }
  bound_port_ = acceptor_.local_endpoint().port();
  return ok_status();
}

std::size_t HttpServer::run() {
  signals_.async_wait([this](const error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("signal {}: finishing in-flight requests, then exiting", signal);
    begin_shutdown();
  });
  asio::co_spawn(control_, accept_loop(), asio::detached);

  // The calling thread serves too, so it takes the I/O threads' scheduling from here on.
  apply_to_this_thread(options_.io_scheduling, "I/O thread");
  std::vector<std::thread> extra;
  for (std::size_t i = 1; i < options_.io_threads; ++i) {
    extra.emplace_back([this] {
      name_this_thread("gh-io");
      apply_to_this_thread(options_.io_scheduling, "I/O thread");
      ioc_.run();
    });
  }
  ioc_.run();
  for (auto& t : extra) t.join();
  return abandoned_.load(std::memory_order_acquire);
}

void HttpServer::stop() {
  asio::post(control_, [this] { begin_shutdown(); });
}

void HttpServer::begin_shutdown() {
  if (draining_.exchange(true)) return;
  error_code ignored;
  acceptor_.close(ignored);
  signals_.cancel(ignored);
  {
    std::lock_guard lock(connections_mutex_);
    for (const auto& connection : connections_) {
      asio::post(connection->executor, [connection] {
        if (connection->stream != nullptr && !connection->busy) connection->stream->cancel();
      });
    }
  }
  // Not under the lock: on the control strand already, co_spawn may run the drain inline, and
  // the drain takes the lock to list what it abandons.
  asio::co_spawn(control_, wait_for_drain(), asio::detached);
}

asio::awaitable<void> HttpServer::wait_for_drain() {
  const auto deadline = std::chrono::steady_clock::now() + options_.shutdown_grace;
  asio::steady_timer timer(control_);
  while (active_.load(std::memory_order_acquire) > 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      co_await abandon_busy_connections();
      ioc_.stop();
      co_return;
    }
    timer.expires_after(std::chrono::milliseconds(20));
    co_await timer.async_wait(kUseTuple);
  }
}

asio::awaitable<void> HttpServer::abandon_busy_connections() {
  // A connection's fields belong to its strand: each one reports from there. The I/O threads
  // never block, so the reports come at once; the bound only guards against a bug.
  struct Report {
    std::atomic<std::size_t> pending{0};
    std::atomic<std::size_t> abandoned{0};
  };
  auto report = std::make_shared<Report>();
  std::vector<std::shared_ptr<Connection>> live;
  {
    std::lock_guard lock(connections_mutex_);
    live.assign(connections_.begin(), connections_.end());
  }
  report->pending = live.size();
  const auto now = std::chrono::steady_clock::now();
  for (auto& connection : live) {
    asio::post(connection->executor, [this, connection, report, now] {
      if (connection->stream != nullptr && connection->busy) {
        const auto seconds = std::chrono::duration<double>(now - connection->since).count();
        spdlog::error("shutdown grace of {}s over: abandoning {} from {} ({:.1f}s in flight)",
                      options_.shutdown_grace.count(),
                      connection->request.empty() ? "a request being read" : connection->request,
                      connection->peer, seconds);
        report->abandoned.fetch_add(1, std::memory_order_relaxed);
      }
      report->pending.fetch_sub(1, std::memory_order_acq_rel);
    });
  }
  asio::steady_timer timer(control_);
  for (int i = 0; i < 200 && report->pending.load(std::memory_order_acquire) > 0; ++i) {
    timer.expires_after(std::chrono::milliseconds(5));
    co_await timer.async_wait(kUseTuple);
  }
  abandoned_.store(report->abandoned.load(), std::memory_order_release);
}

asio::awaitable<void> HttpServer::accept_loop() {
  while (acceptor_.is_open()) {
    auto [ec, socket] = co_await acceptor_.async_accept(asio::make_strand(ioc_), kUseTuple);
    if (ec) {
      if (!acceptor_.is_open() || ec == asio::error::operation_aborted) co_return;
      // Out of file descriptors and the like: back off instead of spinning.
      spdlog::warn("accept failed: {}", ec.message());
      asio::steady_timer timer(control_, std::chrono::milliseconds(50));
      co_await timer.async_wait(kUseTuple);
      continue;
    }
    active_.fetch_add(1, std::memory_order_acq_rel);
    auto executor = socket.get_executor();
    asio::co_spawn(executor, session(std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> HttpServer::session(tcp::socket socket) {
  auto connection = std::make_shared<Connection>();
  connection->executor = socket.get_executor();
  beast::tcp_stream stream(std::move(socket));
  connection->stream = &stream;
  ConnectionScope scope(*this, connection);

  if (active_.load(std::memory_order_acquire) > options_.max_connections) {
    refused(observability::HttpMetrics::Refusal::kOverloaded);
    co_await write_response(stream, http::error_response(ErrorCode::kOverloaded), false,
                            options_.request_timeout);
    error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    co_return;
  }

  std::string peer;
  {
    error_code ec;
    const auto endpoint = stream.socket().remote_endpoint(ec);
    if (!ec) peer = http::plain_address(endpoint.address()).to_string();
    connection->peer = peer;
    stream.socket().set_option(tcp::no_delay(true), ec);
  }
  ClientSlot slot(*this, peer);
  if (!slot.within_limit()) {
    spdlog::warn("{} holds more than {} connections: 503", peer,
                 options_.max_connections_per_client);
    refused(observability::HttpMetrics::Refusal::kOverloaded);
    co_await write_response(stream, http::error_response(ErrorCode::kOverloaded), false,
                            options_.request_timeout);
    error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    co_return;
  }

  beast::flat_buffer buffer;
  while (!draining_.load(std::memory_order_acquire)) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options_.max_header_bytes));
    parser.body_limit(options_.max_body_bytes);

    connection->busy = false;
    stream.expires_after(options_.idle_timeout);
    auto [ec, n] = co_await bhttp::async_read_header(stream, buffer, parser, kUseTuple);
    connection->busy = true;
    connection->since = std::chrono::steady_clock::now();
    connection->request.clear();
    if (!ec) {
      const std::string_view target = parser.get().target();
      connection->request.append(parser.get().method_string())
          .append(" ")
          .append(target.substr(0, target.find('?')));
    }
    if (ec) {
      if (ec == bhttp::error::body_limit) {  // a declared Content-Length over the limit
        refused(observability::HttpMetrics::Refusal::kBodyTooLarge);
        co_await write_response(stream, http::error_response(ErrorCode::kPayloadTooLarge), false,
                                options_.request_timeout);
        co_await drain_and_close(stream);
      } else if (ec == bhttp::error::header_limit) {
        refused(observability::HttpMetrics::Refusal::kHeadersTooLarge);
        http::Response r =
            http::json_response(bhttp::status::request_header_fields_too_large,
                                boost::json::object{{"detail", "Request header fields too large"}});
        co_await write_response(stream, std::move(r), false, options_.request_timeout);
      } else if (!is_disconnect(ec)) {
        spdlog::debug("bad request header from {}: {}", peer, ec.message());
        co_await write_response(stream, http::error_response(ErrorCode::kBadRequest), false,
                                options_.request_timeout);
      }
      break;
    }

    if (parser.get()[bhttp::field::expect] == "100-continue") {
      bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, 11};
      stream.expires_after(options_.request_timeout);
      co_await bhttp::async_write(stream, cont, kUseTuple);
    }

    stream.expires_after(options_.request_timeout);
    auto [read_ec, read_n] = co_await bhttp::async_read(stream, buffer, parser, kUseTuple);
    if (read_ec) {
      if (read_ec == bhttp::error::body_limit) {
        refused(observability::HttpMetrics::Refusal::kBodyTooLarge);
        co_await write_response(stream, http::error_response(ErrorCode::kPayloadTooLarge), false,
                                options_.request_timeout);
        co_await drain_and_close(stream);
      } else if (!is_disconnect(read_ec)) {
        spdlog::debug("bad request body from {}: {}", peer, read_ec.message());
        co_await write_response(stream, http::error_response(ErrorCode::kBadRequest), false,
                                options_.request_timeout);
      }
      break;
    }

    const http::BeastRequest message = parser.release();
    const auto received = std::chrono::steady_clock::now();
    const std::string_view path = http::Application::target_path(message.target());
    http::Request request{
        message, path, app_.client_address(message, peer), {}, app_.request_id(message, peer)};
    observability::LogContext context{.request_id = request.request_id,
                                      .method = std::string_view(message.method_string()),
                                      .route = path,
                                      .client = request.client_ip};
    const http::Route* matched = nullptr;
    http::Response response = co_await handle(request, context, matched);
    const unsigned status = static_cast<unsigned>(response.status);
    // A target that is not in origin form is an error of the request itself (RFC 9112 §3.2):
    // answer 400 and close, as for a malformed header, instead of waiting for the next request.
    const bool keep_alive =
        !path.empty() && message.keep_alive() && !draining_.load(std::memory_order_acquire);
    auto answer = to_message(std::move(response), message.version(), keep_alive,
                             message.method() == bhttp::verb::head);
    stream.expires_after(options_.request_timeout);
    auto [write_ec, written] = co_await bhttp::async_write(stream, answer, kUseTuple);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - received).count();
    if (metrics_ != nullptr) metrics_->record(matched, message.method(), status, seconds);
    if (options_.access_log) {
      context.status = status;
      context.duration_seconds = seconds;
      const observability::ScopedLogContext log_scope(context);
      // The path, never the query string (it may carry a token).
      spdlog::info("{} {} {} {:.1f}ms client={}{}", context.method, path.empty() ? "-" : path,
                   status, seconds * 1000, request.client_ip,
                   context.user_id != 0 ? " user=" + std::to_string(context.user_id) : "");
    }
    if (write_ec || !keep_alive) break;
  }

  error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

asio::awaitable<http::Response> HttpServer::handle(http::Request& request,
                                                   observability::LogContext& context,
                                                   const http::Route*& matched) {
  const http::BeastRequest& message = request.message;
  auto routed = app_.route(request);
  http::Response response;
  if (auto* answer = std::get_if<http::Response>(&routed)) {
    response = std::move(*answer);
  } else {
    const http::Route& route = *std::get<const http::Route*>(routed);
    matched = &route;
    context.route = route.pattern;
    if (route.execution == http::Execution::kInline) {
      const observability::ScopedLogContext scope(context);
      response = http::Application::invoke(route, request);
    } else {
      BlockingPool& pool = route.execution == http::Execution::kHashing ? hashing_ : workers_;
      if (route.execution == http::Execution::kHashing) {
        spdlog::debug("{} {}: handed to the hashing pool",
                      std::string_view(message.method_string()), request.path);
      }
      auto result = co_await pool.run([&route, &request, &context] {
        const observability::ScopedLogContext scope(context);
        return http::Application::invoke(route, request);
      });
      if (result) {
        response = std::move(*result);
      } else {
        spdlog::warn("{} queue full ({} waiting): 503 for {}", pool.name(), pool.pending(),
                     request.path);
        refused(observability::HttpMetrics::Refusal::kOverloaded);
        response = http::error_response(ErrorCode::kOverloaded);
      }
    }
  }
  app_.finish(request, response);
  co_return response;
}

}  // namespace gatehouse::net
