#pragma once
// PostgreSQL test scaffolding: the server named by GATEHOUSE_TEST_POSTGRES_URL (scripts/test.sh
// starts a private one with scripts/postgres.sh), a raw libpq connection of the test's own, a
// database per test that is dropped afterwards, and a TCP relay that can go silent.

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "config/settings.hpp"
#include "store/postgres/postgres_connection.hpp"
#include "store_backends.hpp"

namespace gatehouse::store::testing {

constexpr const char* kPostgresUrlVariable = "GATEHOUSE_TEST_POSTGRES_URL";

// The server the PostgreSQL tests use (postgresql://user:pass@127.0.0.1:port/db); nullopt when
// unset.
inline std::optional<config::DatabaseSettings> postgres_test_server() {
  return test_server_from(kPostgresUrlVariable, config::DatabaseKind::kPostgres);
}

// Why the PostgreSQL tests are skipped.
inline std::string missing_postgres_server() {
  return missing_server(kPostgresUrlVariable, "PostgreSQL", "postgres.sh");
}

inline PostgresEndpoint endpoint_of(const config::DatabaseSettings& server,
                                    const std::string& database) {
  PostgresEndpoint e;
  e.host = server.unix_socket.empty() ? server.host : server.unix_socket;
  e.port = server.port;
  e.user = server.user;
  e.password = server.password;
  e.database = database;
  return e;
}

// A blocking libpq connection of the test's own, outside the driver, to set up rows, hold locks
// and look at the server. Failures throw, so that they fail the test where they happen.
class RawPostgres {
 public:
  RawPostgres(const config::DatabaseSettings& server, const std::string& database) {
    const PostgresEndpoint e = endpoint_of(server, database);
    const std::string port = std::to_string(e.port);
    const char* const keys[] = {"host", "port", "dbname", "user", "password", nullptr};
    const char* const values[] = {e.host.c_str(), port.c_str(),       e.database.c_str(),
                                  e.user.c_str(), e.password.c_str(), nullptr};
    conn_ = PQconnectdbParams(keys, values, 0);
    if (PQstatus(conn_) != CONNECTION_OK) {
      const std::string message = PQerrorMessage(conn_);
      PQfinish(conn_);
      throw std::runtime_error("test connection: " + message);
    }
    PQsetNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr);
    exec("SET TIME ZONE 'UTC'");
  }
  ~RawPostgres() { PQfinish(conn_); }
  RawPostgres(const RawPostgres&) = delete;
  RawPostgres& operator=(const RawPostgres&) = delete;

  // Runs `sql` (several statements allowed) and returns the rows of the last one.
  std::vector<Row> exec(const std::string& sql) {
    PGresult* result = PQexec(conn_, sql.c_str());
    const ExecStatusType status = PQresultStatus(result);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      const std::string message = PQresultErrorMessage(result);
      PQclear(result);
      throw std::runtime_error("test SQL failed: " + message + " in: " + sql);
    }
    std::vector<Row> rows;
    for (int r = 0; r < PQntuples(result); ++r) {
      Row row;
      for (int c = 0; c < PQnfields(result); ++c) {
        row.push_back(PQgetisnull(result, r, c) != 0
                          ? std::nullopt
                          : std::optional<std::string>(PQgetvalue(result, r, c)));
      }
      rows.push_back(std::move(row));
    }
    PQclear(result);
    return rows;
  }

  // The rows of `sql` (as exec()).
  std::vector<Row> query(const std::string& sql) { return exec(sql); }

  // The first column of the first row ("NULL" for NULL, "" for no row).
  std::string scalar(const std::string& sql) { return first_value(exec(sql)); }

 private:
  PGconn* conn_ = nullptr;
};

// A database `gh_t_<random>` of the test's own, dropped at destruction (with any sessions still
// in it), so tests run in parallel.
class PostgresTestDatabase final : public ScratchDatabase<RawPostgres> {
 public:
  explicit PostgresTestDatabase(config::DatabaseSettings server)
      : ScratchDatabase(server, server.name, " ENCODING 'UTF8'", " WITH (FORCE)") {}

  PostgresEndpoint endpoint() const { return endpoint_of(server(), name()); }
};

// A TCP relay on 127.0.0.1 to a server, for connections that must go silent: after freeze() it
// stops passing bytes either way but closes nothing, like a server that hangs or a network that
// drops every packet. Relays one client connection at a time.
class SilenceableRelay {
 public:
  SilenceableRelay(const std::string& host, std::uint16_t port) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) {
      throw std::runtime_error("relay: cannot resolve " + host);
    }
    target_.assign(reinterpret_cast<const char*>(found->ai_addr), found->ai_addrlen);
    target_family_ = found->ai_family;
    ::freeaddrinfo(found);

    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listener_, 4) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ::close(listener_);
      throw std::runtime_error("relay: cannot listen");
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~SilenceableRelay() {
    stop_ = true;
    thread_.join();
    close_pair();
    ::close(listener_);
  }
  SilenceableRelay(const SilenceableRelay&) = delete;
  SilenceableRelay& operator=(const SilenceableRelay&) = delete;

  std::uint16_t port() const { return port_; }
  void freeze() { frozen_ = true; }

 private:
  void close_pair() {
    if (client_ >= 0) ::close(client_);
    if (server_ >= 0) ::close(server_);
    client_ = server_ = -1;
  }

  // Copies what `from` has to `to`; false when either side is done.
  static bool pass(int from, int to) {
    char buf[16384];
    const ssize_t n = ::recv(from, buf, sizeof buf, 0);
    if (n <= 0) return false;
    for (ssize_t sent = 0; sent < n;) {
      const ssize_t w = ::send(to, buf + sent, static_cast<std::size_t>(n - sent), MSG_NOSIGNAL);
      if (w <= 0) return false;
      sent += w;
    }
    return true;
  }

  void run() {
    while (!stop_) {
      std::vector<pollfd> fds{{listener_, POLLIN, 0}};
      if (client_ >= 0 && !frozen_) {
        fds.push_back({client_, POLLIN, 0});
        fds.push_back({server_, POLLIN, 0});
      }
      if (::poll(fds.data(), fds.size(), 20) <= 0) continue;
      if ((fds[0].revents & POLLIN) != 0) {
        const int accepted = ::accept(listener_, nullptr, nullptr);
        if (accepted < 0) continue;
        close_pair();
        client_ = accepted;
        server_ = ::socket(target_family_, SOCK_STREAM, 0);
        if (::connect(server_, reinterpret_cast<const sockaddr*>(target_.data()),
                      static_cast<socklen_t>(target_.size())) != 0) {
          close_pair();
        }
        continue;
      }
      if (fds.size() == 3) {
        bool open = true;
        if (fds[1].revents != 0) open = pass(client_, server_);
        if (open && fds[2].revents != 0) open = pass(server_, client_);
        if (!open) close_pair();
      }
    }
  }

  std::string target_;  // the server's sockaddr
  int target_family_ = AF_INET;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  int client_ = -1;  // owned by the relay thread while it runs
  int server_ = -1;
  std::atomic<bool> frozen_{false};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace gatehouse::store::testing
