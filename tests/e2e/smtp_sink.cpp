#include "smtp_sink.hpp"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "mail_text.hpp"
#include "server_process.hpp"

namespace gatehouse::e2e {

namespace fs = std::filesystem;

namespace {

bool accepts(unsigned short port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

std::string unfold(std::string_view headers, std::string_view name) {
  std::string out;
  std::istringstream lines{std::string(headers)};
  std::string line;
  bool in_field = false;
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (in_field && !line.empty() && (line[0] == ' ' || line[0] == '\t')) {
      out += line.substr(1);
      continue;
    }
    in_field = false;
    if (line.size() > name.size() && line.compare(0, name.size(), name) == 0 &&
        line[name.size()] == ':') {
      out = line.substr(name.size() + 2);
      in_field = true;
    }
  }
  return out;
}

}  // namespace

SmtpSink::SmtpSink(const fs::path& dir) : dir_(dir), maildir_(dir / "maildir"), port_(free_port()) {
  fs::create_directories(dir_);
}

SmtpSink::~SmtpSink() {
  stop();
}

bool SmtpSink::start() {
  if (pid_ > 0) return true;
  // Debian's python3 (the one with python3-aiosmtpd), never another on PATH.
  pid_ = spawn_process(
      {"/usr/bin/python3", "-m", "aiosmtpd", "-n", "-l", "127.0.0.1:" + std::to_string(port_), "-c",
       "aiosmtpd.handlers.Mailbox", maildir_.string()},
      dir_, {{"PATH", "/usr/bin:/bin"}}, dir_ / "smtp.out", dir_ / "smtp.log");
  return wait_until([&] { return accepts(port_); }, std::chrono::seconds(10));
}

void SmtpSink::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string SmtpSink::log() const {
  return slurp(dir_ / "smtp.log") + slurp(dir_ / "smtp.out");
}

std::vector<SmtpSink::Mail> SmtpSink::mails() const {
  std::vector<std::pair<fs::file_time_type, fs::path>> files;
  for (const char* sub : {"new", "cur"}) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(maildir_ / sub, ec)) {
      files.emplace_back(entry.last_write_time(), entry.path());
    }
  }
  // Maildir names start with the delivery time in seconds; the write time orders within one.
  std::sort(files.begin(), files.end());
  std::vector<Mail> out;
  for (const auto& [time, path] : files) {
    Mail m;
    m.raw = slurp(path);
    std::size_t end = m.raw.find("\r\n\r\n");
    if (end == std::string::npos) end = m.raw.find("\n\n");
    const std::string headers = m.raw.substr(0, end);
    m.to = unfold(headers, "To");
    m.subject = unfold(headers, "Subject");
    m.text = testing::decode_quoted_printable(m.raw);
    out.push_back(std::move(m));
  }
  return out;
}

std::vector<SmtpSink::Mail> SmtpSink::wait_for(std::size_t count,
                                               std::chrono::milliseconds timeout) const {
  std::vector<Mail> got;
  wait_until(
      [&] {
        got = mails();
        return got.size() >= count;
      },
      timeout);
  return got;
}

std::string mail_token(const SmtpSink::Mail& mail) {
  return testing::token_in_text(mail.text);
}

std::string mail_code(const SmtpSink::Mail& mail) {
  return testing::code_in_text(mail.text);
}

}  // namespace gatehouse::e2e
