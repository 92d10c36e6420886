#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace gatehouse::e2e {

// A real SMTP server for the tests: Debian's aiosmtpd on 127.0.0.1 and a free port, delivering
// every mail into a Maildir of its own (scripts/install-deps.sh --test installs python3-aiosmtpd).
// It can be stopped and started again on the same port, for outage tests. Stopped by pid.
class SmtpSink {
 public:
  explicit SmtpSink(const std::filesystem::path& dir);
  ~SmtpSink();
  SmtpSink(const SmtpSink&) = delete;
  SmtpSink& operator=(const SmtpSink&) = delete;

  // Starts the server; false (with the reason in log()) when it does not accept within 10 s.
  bool start();
  void stop();
  bool running() const { return pid_ > 0; }

  unsigned short port() const { return port_; }
  // SMTP_URL for a server that sends here.
  std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }
  std::string log() const;

  // One delivered mail: the whole message, its headers unfolded, and its text with
  // quoted-printable undone.
  struct Mail {
    std::string raw;
    std::string to;
    std::string subject;
    std::string text;
  };
  // Every mail delivered so far, oldest first.
  std::vector<Mail> mails() const;
  // Waits until at least `count` mails were delivered; every mail then.
  std::vector<Mail> wait_for(std::size_t count,
                             std::chrono::milliseconds timeout = std::chrono::seconds(20)) const;

 private:
  std::filesystem::path dir_;
  std::filesystem::path maildir_;
  unsigned short port_;
  pid_t pid_ = -1;
};

// The link token and the 6-digit code of an account mail's text; empty when it has none.
std::string mail_token(const SmtpSink::Mail& mail);
std::string mail_code(const SmtpSink::Mail& mail);

}  // namespace gatehouse::e2e
