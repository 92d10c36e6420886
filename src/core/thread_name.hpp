#pragma once

#include <string_view>

namespace gatehouse {

// Names the calling thread (Linux keeps 15 bytes; longer names are cut) so `top -H`, `ps -L`,
// gdb and /proc/PID/task/*/comm tell the server's threads apart: gh-io, gh-worker, gh-hashing,
// gh-sweeper, gh-checkpoint. The main thread keeps the program's name (it serves I/O too).
void name_this_thread(std::string_view name);

}  // namespace gatehouse
