#include "mail/file_transport.hpp"

#include <spdlog/spdlog.h>

#include "core/private_file.hpp"

namespace gatehouse::mail {

Status FileTransport::send(const Envelope& envelope, std::string_view message) {
  // The message id is unique and holds only [A-Za-z0-9._-] (render_message checks it).
  const std::filesystem::path file = dir_ / (envelope.message_id + ".eml");
  if (auto st = write_private_file(file, message); !st) {
    return Error{ErrorCode::kUnavailable, "development outbox: " + st.error().internal};
  }
  // The file, not the link: a log never holds a secret (the file is the owner's only, 0600).
  spdlog::info("mail to {} written to {}", envelope.to, file.string());
  return ok_status();
}

std::string FileTransport::describe() const {
  return "files in " + std::filesystem::absolute(dir_).string() +
         " (development: set SMTP_URL to send mail)";
}

}  // namespace gatehouse::mail
