#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace gatehouse::e2e {

// A temporary folder, removed with its contents at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// The whole content of a file ("" when it cannot be read).
std::string slurp(const std::filesystem::path& p);

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `gatehouse <args>` in `cwd` with exactly `env` as its environment and `input` on its
// standard input; waits for it.
CommandResult run_gatehouse(const std::vector<std::string>& args, const std::filesystem::path& cwd,
                            const std::map<std::string, std::string>& env,
                            const std::string& input = "");

// Starts `argv` (argv[0] a path) in `cwd` with exactly `env`, stdout and stderr to the two files,
// in a session of its own and killed when the test process dies; standard input from `in_path`.
// Returns the child's pid.
pid_t spawn_process(std::vector<std::string> argv, const std::filesystem::path& cwd,
                    const std::map<std::string, std::string>& env,
                    const std::filesystem::path& out_path, const std::filesystem::path& err_path,
                    const std::filesystem::path& in_path = "/dev/null");

// A free TCP port on 127.0.0.1 (bound to port 0, then released).
unsigned short free_port();

// `gatehouse serve` as a child process in its own working directory, with stderr in a log file.
class ServerProcess {
 public:
  // Starts the server and waits until /api/healthchecker answers (or it exits, or 10 s pass).
  ServerProcess(const std::filesystem::path& cwd, std::map<std::string, std::string> env);
  ~ServerProcess();  // SIGKILL if still running

  bool ready() const { return ready_; }
  unsigned short port() const { return port_; }
  std::string log() const;
  // Sends `signal` and waits up to `timeout` for the exit; returns the exit status, or nullopt.
  std::optional<int> stop(int signal, std::chrono::milliseconds timeout = std::chrono::seconds(15));
  bool running();
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  unsigned short port_ = 0;
  bool ready_ = false;
  std::filesystem::path log_path_;
};

// Polls `condition` every 10 ms until it holds (true) or `timeout` passes (false): for waiting on
// a real signal (a log line, a socket state, an answer) instead of sleeping a guessed time.
template <typename Condition>
bool wait_until(Condition condition, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

// TCP connections in state ESTABLISHED whose local port is `port` (the server's side of its
// open connections), from /proc/net/tcp and tcp6.
int established_connections(unsigned short port);

// The TCP sockets process `pid` listens on: {address, port}, the address dotted for IPv4
// ("127.0.0.1") and the kernel's hexadecimal for IPv6.
std::set<std::pair<std::string, unsigned short>> listening_sockets(pid_t pid);

// The server's wall clock, moved forward by the test: Debian's libfaketime preloaded into the
// server, which reads the offset from a file on every clock call. Monotonic time stays real, so
// timeouts and the sweeper's waits are unaffected and nothing sleeps for the minutes it skips.
class FakeWallClock {
 public:
  explicit FakeWallClock(const std::filesystem::path& dir);
  // Fails the calling test when libfaketime is missing (scripts/install-deps.sh --test has it).
  static bool available();
  // The variables that put a server on this clock.
  void add_to(std::map<std::string, std::string>& env) const;
  // Moves the server's wall clock `by` further ahead (cumulative).
  void advance(std::chrono::seconds by);

 private:
  void write() const;
  std::filesystem::path file_;
  std::chrono::seconds offset_{0};
};

// The password the end-to-end tests register their users with.
inline constexpr const char* kPassword = "Passw0rd!42";

// The environment of a test server: fresh 2048-bit keys (made once per test binary), the given
// port, a SQLite file in the working directory, and small argon2 settings to keep tests fast.
std::map<std::string, std::string> test_env(unsigned short port);

}  // namespace gatehouse::e2e
