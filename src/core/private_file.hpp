#pragma once

#include <filesystem>
#include <string_view>

#include "core/result.hpp"

namespace gatehouse {

// Makes `dir` and any missing parent, each new one 0700 (existing ones are left as they are).
Status make_private_dirs(const std::filesystem::path& dir);

// Writes `text` to `file` as its owner's secret: missing folders made 0700, the file 0600 from its
// creation, never through a symbolic link, replaced atomically (written beside it, then renamed).
// For the development keys and the development mail outbox.
Status write_private_file(const std::filesystem::path& file, std::string_view text);

}  // namespace gatehouse
