#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace gatehouse::http {

// X-Request-Id as a proxy sends it: 1 to 128 characters of [A-Za-z0-9._:+/=-] (UUIDs, hex,
// base64, "Root=1-..." of cloud load balancers). Anything else is not taken, so a client cannot
// put line breaks or markup into the logs.
bool is_well_formed_request_id(std::string_view id);

// Ids for requests that bring none: "<prefix>-<n>" with a random prefix per process (so ids of
// several nodes do not collide in one log store) and a counter; unique within the process, no
// system call per request. Thread-safe.
class RequestIds {
 public:
  explicit RequestIds(std::string prefix) : prefix_(std::move(prefix)) {}

  std::string next() {
    const std::uint64_t n = next_.fetch_add(1, std::memory_order_relaxed);
    char digits[17];
    int length = 0;
    std::uint64_t rest = n;
    do {
      digits[length++] = "0123456789abcdef"[rest & 15];
      rest >>= 4;
    } while (rest != 0);
    std::string id;
    id.reserve(prefix_.size() + 1 + static_cast<std::size_t>(length));
    id += prefix_;
    id += '-';
    while (length > 0) id += digits[--length];
    return id;
  }

 private:
  const std::string prefix_;
  std::atomic<std::uint64_t> next_{1};
};

}  // namespace gatehouse::http
