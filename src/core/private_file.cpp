#include "core/private_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace gatehouse {

namespace fs = std::filesystem;

Status make_private_dirs(const fs::path& dir) {
  if (dir.empty()) return ok_status();
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) {  // a link to a folder is a folder here
    if (S_ISDIR(st.st_mode)) return ok_status();
    return Error{ErrorCode::kInternal, dir.string() + " exists and is not a folder"};
  }
  if (auto parent = make_private_dirs(dir.parent_path()); !parent) return parent;
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Error{ErrorCode::kInternal,
                 "cannot create " + dir.string() + ": " + std::strerror(errno)};
  }
  return ok_status();
}

Status write_private_file(const fs::path& file, std::string_view text) {
  // The folder 0700 and the file 0600 from their creation: no moment in which another user could
  // open them. A symbolic link in the file's place is never followed (O_NOFOLLOW, and rename()
  // replaces a link instead of writing through it).
  if (auto st = make_private_dirs(file.parent_path()); !st) return st;
  const fs::path tmp = file.string() + ".tmp";
  ::unlink(tmp.c_str());  // a leftover of a crash (unlink removes a link, never its target)
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Error{ErrorCode::kInternal,
                 "cannot create " + tmp.string() + ": " + std::strerror(errno)};
  }
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    written += static_cast<std::size_t>(n);
  }
  bool complete = written == text.size() && ::fsync(fd) == 0;
  int error = errno;
  ::close(fd);
  if (complete && ::rename(tmp.c_str(), file.c_str()) != 0) {
    complete = false;
    error = errno;
  }
  if (!complete) {
    ::unlink(tmp.c_str());
    return Error{ErrorCode::kInternal,
                 "cannot write " + file.string() + ": " + std::strerror(error)};
  }
  return ok_status();
}

}  // namespace gatehouse
