#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "core/result.hpp"
#include "http/application.hpp"
#include "net/blocking_pool.hpp"
#include "observability/http_metrics.hpp"
#include "observability/log_context.hpp"

namespace gatehouse::net {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8000;  // 0: any free port (tests)
  std::size_t io_threads = 1;
  std::size_t max_body_bytes = 1 << 20;
  std::size_t max_header_bytes = 16 << 10;
  std::chrono::seconds idle_timeout{30};
  std::chrono::seconds request_timeout{30};
  std::size_t max_connections = 10000;
  // Open connections from one peer address (trusted proxies exempt): one client cannot hold
  // every slot of max_connections.
  std::size_t max_connections_per_client = 256;
  std::chrono::seconds shutdown_grace{30};  // in-flight requests get this long after a signal
  ThreadScheduling io_scheduling;           // for the threads that run() serves on
  // ACCESS_LOG: a line per answered request (method, path, status, time, client, user), logged at
  // info with the request's LogContext.
  bool access_log = false;
};

// HTTP/1.1 server on Beast and Asio C++20 coroutines: one coroutine per connection on its own
// strand, keep-alive, header/body size limits (431/413), idle and read timeouts, a connection cap
// (503 beyond it), and graceful shutdown on SIGINT/SIGTERM: stop accepting, close idle
// connections, let in-flight requests finish (up to shutdown_grace, then they are abandoned),
// then return from run().
// Handlers run inline or on the worker/hashing pools as their route says; this class never blocks
// an I/O thread.
class HttpServer {
 public:
  // `metrics` (may be null: not counted) must outlive the server.
  HttpServer(ServerOptions options, const http::Application& app, BlockingPool& workers,
             BlockingPool& hashing, const observability::HttpMetrics* metrics = nullptr);
  ~HttpServer();

  // Binds and listens. A clear error for an address in use or an unresolvable host.
  Status listen();
  std::uint16_t bound_port() const { return bound_port_; }

  // Serves until a signal or stop(), then drains. Blocks the calling thread (which becomes one of
  // the I/O threads). Returns how many requests were still in flight when the shutdown grace ran
  // out (each one is logged); their handlers may still be running on the pools.
  std::size_t run();
  // Thread-safe; begins the same graceful shutdown a signal does.
  void stop();

 private:
  struct Connection;
  class ConnectionScope;
  class ClientSlot;

  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> session(boost::asio::ip::tcp::socket socket);
  // Routes `request` and runs its handler with `context` as the handler thread's LogContext;
  // both live in the session's frame, which awaits this directly. `matched` is set to the route
  // that answered (null: none).
  boost::asio::awaitable<http::Response> handle(http::Request& request,
                                                observability::LogContext& context,
                                                const http::Route*& matched);
  // Counts an answer of a limit (when metrics are on).
  void refused(observability::HttpMetrics::Refusal reason) const {
    if (metrics_ != nullptr) metrics_->refused(reason);
  }
  boost::asio::awaitable<void> wait_for_drain();
  boost::asio::awaitable<void> abandon_busy_connections();
  void begin_shutdown();

  ServerOptions options_;
  const http::Application& app_;
  BlockingPool& workers_;
  BlockingPool& hashing_;
  const observability::HttpMetrics* metrics_;

  boost::asio::io_context ioc_;
  boost::asio::strand<boost::asio::io_context::executor_type> control_;  // acceptor and signals
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::signal_set signals_;
  std::uint16_t bound_port_ = 0;

  std::atomic<bool> draining_{false};
  std::atomic<std::size_t> active_{0};
  std::atomic<std::size_t> abandoned_{0};
  std::mutex connections_mutex_;
  std::unordered_set<std::shared_ptr<Connection>> connections_;
  std::unordered_map<std::string, std::size_t> per_client_;  // under connections_mutex_
};

}  // namespace gatehouse::net
