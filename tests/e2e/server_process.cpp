#include "server_process.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "auth/jws.hpp"
#include "http_client.hpp"

namespace gatehouse::e2e {

namespace fs = std::filesystem;

TempDir::TempDir() {
  std::random_device rd;
  path_ =
      fs::temp_directory_path() / ("gatehouse-e2e-" + std::to_string(rd()) + std::to_string(rd()));
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

namespace {

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

pid_t spawn_process(std::vector<std::string> argv, const fs::path& cwd,
                    const std::map<std::string, std::string>& env, const fs::path& out_path,
                    const fs::path& err_path, const fs::path& in_path) {
  std::vector<std::string> envp;
  for (const auto& [k, v] : env) envp.push_back(k + "=" + v);
  // A sanitized build's options reach its children too (scripts/sanitize.sh sets them): where
  // their reports go, and that a preloaded libfaketime may come before the ASan runtime.
  for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS"}) {
    const char* value = std::getenv(name);
    if (value != nullptr && env.count(name) == 0) envp.push_back(std::string(name) + "=" + value);
  }
  auto argv_c = c_strings(argv);
  auto envp_c = c_strings(envp);
  const pid_t pid = fork();
  if (pid == 0) {
    // A session of its own, as a service manager gives a service its own cgroup: Linux's
    // autogroup scheduling then shares the CPU fairly between the server and whatever else the
    // machine runs (a build beside the tests), and the server's own priorities (hashing at nice
    // 10 below its request threads) apply within the server only. In one group with a build, a
    // nice-10 hash waits for the compilers, and login times scatter by tenfold.
    setsid();
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // out of the test's process group: end with the test
    if (chdir(cwd.c_str()) != 0) _exit(126);
    const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int in = open(in_path.c_str(), O_RDONLY);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    execve(argv_c[0], argv_c.data(), envp_c.data());
    _exit(127);
  }
  return pid;
}

namespace {

pid_t spawn(const std::vector<std::string>& args, const fs::path& cwd,
            const std::map<std::string, std::string>& env, const fs::path& out_path,
            const fs::path& err_path, const fs::path& in_path = "/dev/null") {
  std::vector<std::string> argv{GATEHOUSE_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return spawn_process(std::move(argv), cwd, env, out_path, err_path, in_path);
}

}  // namespace

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

CommandResult run_gatehouse(const std::vector<std::string>& args, const fs::path& cwd,
                            const std::map<std::string, std::string>& env,
                            const std::string& input) {
  static int counter = 0;
  const fs::path out = cwd / (".cmd-out-" + std::to_string(++counter));
  const fs::path err = cwd / (".cmd-err-" + std::to_string(counter));
  const fs::path in = cwd / (".cmd-in-" + std::to_string(counter));
  std::ofstream(in, std::ios::binary) << input;
  const pid_t pid = spawn(args, cwd, env, out, err, in);
  int status = 0;
  waitpid(pid, &status, 0);
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(out);
  r.err = slurp(err);
  fs::remove(out);
  fs::remove(err);
  fs::remove(in);
  return r;
}

unsigned short free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

ServerProcess::ServerProcess(const fs::path& cwd, std::map<std::string, std::string> env) {
  port_ = static_cast<unsigned short>(std::stoi(env.at("PORT")));
  log_path_ = cwd / "server.log";
  pid_ = spawn({"serve"}, cwd, env, cwd / "server.out", log_path_);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline && running()) {
    try {
      HttpClient client(port_);
      if (client.get("/api/healthchecker").status == 200) {
        ready_ = true;
        return;
      }
    } catch (const std::exception&) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0 && running()) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

bool ServerProcess::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  const pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

std::string ServerProcess::log() const {
  return slurp(log_path_);
}

std::optional<int> ServerProcess::stop(int signal, std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return std::nullopt;
  kill(pid_, signal);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return std::nullopt;
}

namespace {
constexpr const char* kLibFaketime = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";
}

FakeWallClock::FakeWallClock(const std::filesystem::path& dir) : file_(dir / "faketime-offset") {
  write();
}

bool FakeWallClock::available() {
  return fs::exists(kLibFaketime);
}

void FakeWallClock::add_to(std::map<std::string, std::string>& env) const {
  env["LD_PRELOAD"] = kLibFaketime;
  env["FAKETIME_TIMESTAMP_FILE"] = file_.string();
  env["FAKETIME_NO_CACHE"] = "1";  // read the file on every call: a move is seen at once
  env["FAKETIME_DONT_FAKE_MONOTONIC"] = "1";
}

void FakeWallClock::advance(std::chrono::seconds by) {
  offset_ += by;
  write();
}

void FakeWallClock::write() const {
  // Written aside and renamed over, so the server never reads a half-written offset.
  const fs::path next = file_.string() + ".next";
  {
    std::ofstream out(next, std::ios::trunc);
    out << "+" << offset_.count() << "\n";
  }
  fs::rename(next, file_);
}

namespace {

// One RSA key pair for all the end-to-end test processes of a build: one per process (some 130 of
// them) cost each sanitizer run about 15 s of CPU. It lives beside the server binary as the two PEM
// blocks; a process that finds no such file makes one under a name of its own and renames it into
// place, so a reader sees a whole file or none, and two processes racing each keep their own.
auth::PemPair shared_test_keys() {
  static constexpr std::string_view kPublicBegin = "-----BEGIN PUBLIC KEY-----";
  const fs::path file = fs::path(GATEHOUSE_BINARY).parent_path() / "e2e-test-keys.pem";
  {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    const std::string pems = text.str();
    if (const auto split = pems.find(kPublicBegin); split != std::string::npos && split > 0) {
      return auth::PemPair{pems.substr(0, split), pems.substr(split)};
    }
  }
  auto pair = auth::generate_key_pair(auth::JwsAlgorithm::kRS256, 2048);
  if (!pair) throw std::runtime_error("key generation failed");
  const fs::path mine = file.string() + "." + std::to_string(::getpid());
  {
    std::ofstream out(mine, std::ios::trunc);
    out << pair->private_pem << pair->public_pem;
  }
  std::error_code ec;
  fs::rename(mine, file, ec);
  return *pair;
}

}  // namespace

std::map<std::string, std::string> test_env(unsigned short port) {
  static const auth::PemPair keys = shared_test_keys();
  std::map<std::string, std::string> env;
  env["PATH"] = "/usr/bin:/bin";
  env["PORT"] = std::to_string(port);
  env["HOST"] = "127.0.0.1";
  env["JWT_PRIVATE_KEY"] = auth::base64_encode(keys.private_pem);
  env["JWT_PUBLIC_KEY"] = auth::base64_encode(keys.public_pem);
  env["ARGON2_MEMORY_KIB"] = "8192";
  env["ARGON2_PASSES"] = "1";
  env["LOG_LEVEL"] = "info";
  env["REFRESH_REUSE_GRACE_SECONDS"] = "0";  // a reuse is a reuse; the grace has its own tests
  // Off: servers of tests running at once would all want 9464. Metrics have their own tests.
  env["METRICS_PORT"] = "0";
  return env;
}

namespace {

// One row of /proc/net/tcp or tcp6: "  0: 0100007F:1F90 0100007F:D2A4 01 ... inode ...": local
// address:port, remote, state (01 ESTABLISHED, 0A LISTEN), all hexadecimal; the inode is the
// tenth field.
struct TcpRow {
  std::string local_address;  // hexadecimal, as the kernel prints it
  unsigned short local_port = 0;
  std::string state;
  std::string inode;
};

std::vector<TcpRow> tcp_rows() {
  std::vector<TcpRow> rows;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
      fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >>
          timeout >> inode;
      const auto colon = local.rfind(':');
      if (colon == std::string::npos) continue;
      rows.push_back({local.substr(0, colon),
                      static_cast<unsigned short>(std::stoul(local.substr(colon + 1), nullptr, 16)),
                      state, inode});
    }
  }
  return rows;
}

}  // namespace

int established_connections(unsigned short port) {
  int count = 0;
  for (const TcpRow& row : tcp_rows()) {
    if (row.state == "01" && row.local_port == port) ++count;
  }
  return count;
}

std::set<std::pair<std::string, unsigned short>> listening_sockets(pid_t pid) {
  std::set<std::string> inodes;  // the sockets among the process's open files
  std::error_code ec;
  const fs::path fds = "/proc/" + std::to_string(pid) + "/fd";
  for (auto it = fs::directory_iterator(fds, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    const std::string target = fs::read_symlink(it->path(), ec).string();
    if (!ec && target.rfind("socket:[", 0) == 0) {
      inodes.insert(target.substr(8, target.size() - 9));
    }
  }
  std::set<std::pair<std::string, unsigned short>> out;
  for (const TcpRow& row : tcp_rows()) {
    if (row.state != "0A" || !inodes.contains(row.inode)) continue;
    std::string address = row.local_address;
    if (address.size() == 8) {  // IPv4, little-endian hexadecimal: 0100007F is 127.0.0.1
      const unsigned long v = std::stoul(address, nullptr, 16);
      address = std::to_string(v & 0xff) + "." + std::to_string((v >> 8) & 0xff) + "." +
                std::to_string((v >> 16) & 0xff) + "." + std::to_string(v >> 24);
    }
    out.emplace(address, row.local_port);
  }
  return out;
}

}  // namespace gatehouse::e2e
