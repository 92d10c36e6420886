#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace gatehouse::auth::argon2id {

struct Params {
  std::uint32_t memory_kib = 0;  // m, in 1 KiB blocks; at least 8
  std::uint32_t passes = 0;      // t; at least 1
};

// Argon2id version 1.3 (RFC 9106) with one lane (p = 1), the only shape libsodium writes and
// the one Gatehouse stores. It exists for speed, not for features: libsodium maps, populates,
// wipes and unmaps a fresh `memory_kib` region on every call, which is a third of a login's CPU
// here (kernel page work). This implementation keeps one block buffer per thread (hashing
// threads are few and long-lived, so memory stays bounded by the hashing pool) and uses an AVX2
// (or AVX-512) block function when the CPU has it. Outputs are bit-identical to libsodium's
// crypto_pwhash(ALG_ARGON2ID13), which the unit tests check on many random inputs.
//
// Writes `tag.size()` bytes (4..1024) derived from `password` and `salt` (8..1024 bytes).
// Returns false, with `tag` zeroed, for parameters out of range or when memory cannot be had.
// The block memory is wiped before returning. Thread-safe. Offers the CPU to other runnable
// threads (sched_yield) every 1,024 blocks, so a hash holds a CPU for at most about 0.3 ms while
// a request waits for it.
bool hash_raw(std::span<unsigned char> tag, std::string_view password,
              std::span<const unsigned char> salt, Params params);

// Unmaps the calling thread's block memory (the next hash on this thread maps it again). For
// threads that hash once, like start-up making the dummy hash, so they do not keep it.
void release_thread_memory();

// Block functions, fastest first; hash_raw uses the best one the CPU has.
enum class Implementation { kAvx512, kAvx2, kPortable };
Implementation best_implementation();
std::string_view implementation_name(Implementation impl);

// For tests and benchmarks: the same computation with a given block function; false (tag zeroed)
// when this CPU lacks it.
bool hash_raw_using(Implementation impl, std::span<unsigned char> tag, std::string_view password,
                    std::span<const unsigned char> salt, Params params);

}  // namespace gatehouse::auth::argon2id
