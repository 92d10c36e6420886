#include "auth/argon2id.hpp"

#include <sched.h>
#include <sodium.h>
#include <sys/mman.h>

#include <array>
#include <cstring>
#include <limits>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define GATEHOUSE_ARGON2_X86 1
#endif

// Names follow RFC 9106 and the reference implementation (H0, H', G, segments, slices) so the
// code can be read side by side with the specification.
namespace gatehouse::auth::argon2id {
namespace {

constexpr std::uint32_t kVersion = 0x13;
constexpr std::uint32_t kTypeId = 2;  // Argon2id
constexpr std::uint32_t kSyncPoints = 4;
constexpr std::size_t kBlockWords = 128;
constexpr std::size_t kBlockBytes = kBlockWords * 8;
constexpr std::size_t kAddressesInBlock = 128;
constexpr std::size_t kPrehashBytes = 64;
constexpr std::size_t kMinTagBytes = 4;
constexpr std::size_t kMaxTagBytes = 1024;
constexpr std::size_t kMinSaltBytes = 8;
constexpr std::size_t kMaxSaltBytes = 1024;
constexpr std::uint32_t kMinMemoryKib = 8;
// 4 GiB of blocks is far past anything a login can afford; it keeps sizes in 32 bits.
constexpr std::uint32_t kMaxMemoryKib = std::numeric_limits<std::uint32_t>::max() / 2;

struct alignas(64) Block {
  std::uint64_t v[kBlockWords];
};

void store32(unsigned char* out, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<unsigned char>(value >> (8 * i));
}

std::uint64_t load64(const unsigned char* in) {
  std::uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | in[i];
  return value;
}

void store64(unsigned char* out, std::uint64_t value) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<unsigned char>(value >> (8 * i));
}

// ---- portable block function ------------------------------------------------------------------

std::uint64_t rotr64(std::uint64_t x, int n) {
  return (x >> n) | (x << (64 - n));
}

std::uint64_t blamka(std::uint64_t x, std::uint64_t y) {
  const std::uint64_t m = 0xFFFFFFFFULL;
  return x + y + 2 * ((x & m) * (y & m));
}

void g(std::uint64_t& a, std::uint64_t& b, std::uint64_t& c, std::uint64_t& d) {
  a = blamka(a, b);
  d = rotr64(d ^ a, 32);
  c = blamka(c, d);
  b = rotr64(b ^ c, 24);
  a = blamka(a, b);
  d = rotr64(d ^ a, 16);
  c = blamka(c, d);
  b = rotr64(b ^ c, 63);
}

// The permutation P on 16 words given by their indexes into the block.
void permute(std::uint64_t* v, const std::array<std::size_t, 16>& i) {
  g(v[i[0]], v[i[4]], v[i[8]], v[i[12]]);
  g(v[i[1]], v[i[5]], v[i[9]], v[i[13]]);
  g(v[i[2]], v[i[6]], v[i[10]], v[i[14]]);
  g(v[i[3]], v[i[7]], v[i[11]], v[i[15]]);
  g(v[i[0]], v[i[5]], v[i[10]], v[i[15]]);
  g(v[i[1]], v[i[6]], v[i[11]], v[i[12]]);
  g(v[i[2]], v[i[7]], v[i[8]], v[i[13]]);
  g(v[i[3]], v[i[4]], v[i[9]], v[i[14]]);
}

// next = G(prev, ref), or next ^= G(prev, ref) when with_xor (passes after the first, v1.3).
// `ref` and `next` may be the same block.
void fill_block_portable(const Block& prev, const Block& ref, Block& next, bool with_xor) {
  Block r;
  Block keep;
  for (std::size_t i = 0; i < kBlockWords; ++i) {
    r.v[i] = prev.v[i] ^ ref.v[i];
    keep.v[i] = with_xor ? r.v[i] ^ next.v[i] : r.v[i];
  }
  for (std::size_t row = 0; row < 8; ++row) {
    std::array<std::size_t, 16> idx{};
    for (std::size_t k = 0; k < 16; ++k) idx[k] = 16 * row + k;
    permute(r.v, idx);
  }
  for (std::size_t col = 0; col < 8; ++col) {
    std::array<std::size_t, 16> idx{};
    for (std::size_t k = 0; k < 8; ++k) {
      idx[2 * k] = 2 * col + 16 * k;
      idx[2 * k + 1] = 2 * col + 16 * k + 1;
    }
    permute(r.v, idx);
  }
  for (std::size_t i = 0; i < kBlockWords; ++i) next.v[i] = keep.v[i] ^ r.v[i];
}

// ---- AVX2 block function ----------------------------------------------------------------------
// One P at a time with its 16 words as four rows of four lanes (a, b, c, d): the column step is
// four G's side by side, the diagonal step rotates b, c and d by one, two and three lanes first.

#ifdef GATEHOUSE_ARGON2_X86
#define GATEHOUSE_AVX2 __attribute__((target("avx2"), always_inline)) inline

GATEHOUSE_AVX2 __m256i blamka4(__m256i x, __m256i y) {
  const __m256i product = _mm256_mul_epu32(x, y);
  return _mm256_add_epi64(_mm256_add_epi64(x, y), _mm256_add_epi64(product, product));
}

GATEHOUSE_AVX2 void g4(__m256i& a, __m256i& b, __m256i& c, __m256i& d) {
  const __m256i rot24 = _mm256_setr_epi8(3, 4, 5, 6, 7, 0, 1, 2, 11, 12, 13, 14, 15, 8, 9, 10, 3, 4,
                                         5, 6, 7, 0, 1, 2, 11, 12, 13, 14, 15, 8, 9, 10);
  const __m256i rot16 = _mm256_setr_epi8(2, 3, 4, 5, 6, 7, 0, 1, 10, 11, 12, 13, 14, 15, 8, 9, 2, 3,
                                         4, 5, 6, 7, 0, 1, 10, 11, 12, 13, 14, 15, 8, 9);
  a = blamka4(a, b);
  d = _mm256_shuffle_epi32(_mm256_xor_si256(d, a), _MM_SHUFFLE(2, 3, 0, 1));
  c = blamka4(c, d);
  b = _mm256_shuffle_epi8(_mm256_xor_si256(b, c), rot24);
  a = blamka4(a, b);
  d = _mm256_shuffle_epi8(_mm256_xor_si256(d, a), rot16);
  c = blamka4(c, d);
  const __m256i x = _mm256_xor_si256(b, c);
  b = _mm256_xor_si256(_mm256_srli_epi64(x, 63), _mm256_add_epi64(x, x));
}

GATEHOUSE_AVX2 void permute4(__m256i& a, __m256i& b, __m256i& c, __m256i& d) {
  g4(a, b, c, d);
  b = _mm256_permute4x64_epi64(b, _MM_SHUFFLE(0, 3, 2, 1));
  c = _mm256_permute4x64_epi64(c, _MM_SHUFFLE(1, 0, 3, 2));
  d = _mm256_permute4x64_epi64(d, _MM_SHUFFLE(2, 1, 0, 3));
  g4(a, b, c, d);
  b = _mm256_permute4x64_epi64(b, _MM_SHUFFLE(2, 1, 0, 3));
  c = _mm256_permute4x64_epi64(c, _MM_SHUFFLE(1, 0, 3, 2));
  d = _mm256_permute4x64_epi64(d, _MM_SHUFFLE(0, 3, 2, 1));
}

GATEHOUSE_AVX2 __m256i load_halves(const std::uint64_t* lo, const std::uint64_t* hi) {
  return _mm256_inserti128_si256(
      _mm256_castsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(lo))),
      _mm_load_si128(reinterpret_cast<const __m128i*>(hi)), 1);
}

GATEHOUSE_AVX2 void store_halves(std::uint64_t* lo, std::uint64_t* hi, __m256i x) {
  _mm_store_si128(reinterpret_cast<__m128i*>(lo), _mm256_castsi256_si128(x));
  _mm_store_si128(reinterpret_cast<__m128i*>(hi), _mm256_extracti128_si256(x, 1));
}

__attribute__((target("avx2"))) void fill_block_avx2(const Block& prev, const Block& ref,
                                                     Block& next, bool with_xor) {
  Block r;
  __m256i keep[kBlockWords / 4];
  for (std::size_t i = 0; i < kBlockWords / 4; ++i) {
    const __m256i x =
        _mm256_xor_si256(_mm256_load_si256(reinterpret_cast<const __m256i*>(prev.v + 4 * i)),
                         _mm256_load_si256(reinterpret_cast<const __m256i*>(ref.v + 4 * i)));
    _mm256_store_si256(reinterpret_cast<__m256i*>(r.v + 4 * i), x);
    keep[i] = with_xor ? _mm256_xor_si256(
                             x, _mm256_load_si256(reinterpret_cast<const __m256i*>(next.v + 4 * i)))
                       : x;
  }
  for (std::size_t row = 0; row < 8; ++row) {
    auto* w = reinterpret_cast<__m256i*>(r.v + 16 * row);
    __m256i a = _mm256_load_si256(w);
    __m256i b = _mm256_load_si256(w + 1);
    __m256i c = _mm256_load_si256(w + 2);
    __m256i d = _mm256_load_si256(w + 3);
    permute4(a, b, c, d);
    _mm256_store_si256(w, a);
    _mm256_store_si256(w + 1, b);
    _mm256_store_si256(w + 2, c);
    _mm256_store_si256(w + 3, d);
  }
  for (std::size_t col = 0; col < 8; ++col) {
    std::uint64_t* w = r.v + 2 * col;
    __m256i a = load_halves(w, w + 16);
    __m256i b = load_halves(w + 32, w + 48);
    __m256i c = load_halves(w + 64, w + 80);
    __m256i d = load_halves(w + 96, w + 112);
    permute4(a, b, c, d);
    store_halves(w, w + 16, a);
    store_halves(w + 32, w + 48, b);
    store_halves(w + 64, w + 80, c);
    store_halves(w + 96, w + 112, d);
  }
  for (std::size_t i = 0; i < kBlockWords / 4; ++i) {
    const __m256i x = _mm256_load_si256(reinterpret_cast<const __m256i*>(r.v + 4 * i));
    _mm256_store_si256(reinterpret_cast<__m256i*>(next.v + 4 * i), _mm256_xor_si256(keep[i], x));
  }
}
#undef GATEHOUSE_AVX2

// AVX-512: the same four-rows-of-four layout, with two P's side by side in the two 256-bit halves
// of each register (rows 2k and 2k+1, then columns 2k and 2k+1), and native 64-bit rotations.
#define GATEHOUSE_AVX512 __attribute__((target("avx512f"), always_inline)) inline

// GCC 12 reports the deliberately undefined register inside its own _mm512_* intrinsics
// (_mm256_undefined_si256) as used uninitialised once they are inlined here: a false positive.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

GATEHOUSE_AVX512 __m512i blamka8(__m512i x, __m512i y) {
  const __m512i product = _mm512_mul_epu32(x, y);
  return _mm512_add_epi64(_mm512_add_epi64(x, y), _mm512_add_epi64(product, product));
}

GATEHOUSE_AVX512 void g8(__m512i& a, __m512i& b, __m512i& c, __m512i& d) {
  a = blamka8(a, b);
  d = _mm512_ror_epi64(_mm512_xor_si512(d, a), 32);
  c = blamka8(c, d);
  b = _mm512_ror_epi64(_mm512_xor_si512(b, c), 24);
  a = blamka8(a, b);
  d = _mm512_ror_epi64(_mm512_xor_si512(d, a), 16);
  c = blamka8(c, d);
  b = _mm512_ror_epi64(_mm512_xor_si512(b, c), 63);
}

GATEHOUSE_AVX512 void permute8(__m512i& a, __m512i& b, __m512i& c, __m512i& d) {
  g8(a, b, c, d);
  b = _mm512_permutex_epi64(b, _MM_SHUFFLE(0, 3, 2, 1));
  c = _mm512_permutex_epi64(c, _MM_SHUFFLE(1, 0, 3, 2));
  d = _mm512_permutex_epi64(d, _MM_SHUFFLE(2, 1, 0, 3));
  g8(a, b, c, d);
  b = _mm512_permutex_epi64(b, _MM_SHUFFLE(2, 1, 0, 3));
  c = _mm512_permutex_epi64(c, _MM_SHUFFLE(1, 0, 3, 2));
  d = _mm512_permutex_epi64(d, _MM_SHUFFLE(0, 3, 2, 1));
}

// [lo0..lo3 | hi0..hi3] from two 256-bit loads, and its inverse.
GATEHOUSE_AVX512 __m512i load_pair(const std::uint64_t* lo, const std::uint64_t* hi) {
  return _mm512_inserti64x4(
      _mm512_castsi256_si512(_mm256_load_si256(reinterpret_cast<const __m256i*>(lo))),
      _mm256_load_si256(reinterpret_cast<const __m256i*>(hi)), 1);
}

GATEHOUSE_AVX512 void store_pair(std::uint64_t* lo, std::uint64_t* hi, __m512i x) {
  _mm256_store_si256(reinterpret_cast<__m256i*>(lo), _mm512_castsi512_si256(x));
  _mm256_store_si256(reinterpret_cast<__m256i*>(hi), _mm512_extracti64x4_epi64(x, 1));
}

__attribute__((target("avx512f"))) void fill_block_avx512(const Block& prev, const Block& ref,
                                                          Block& next, bool with_xor) {
  Block r;
  __m512i keep[kBlockWords / 8];
  for (std::size_t i = 0; i < kBlockWords / 8; ++i) {
    const __m512i x =
        _mm512_xor_si512(_mm512_load_si512(prev.v + 8 * i), _mm512_load_si512(ref.v + 8 * i));
    _mm512_store_si512(r.v + 8 * i, x);
    keep[i] = with_xor ? _mm512_xor_si512(x, _mm512_load_si512(next.v + 8 * i)) : x;
  }
  for (std::size_t k = 0; k < 4; ++k) {
    std::uint64_t* w = r.v + 32 * k;  // rows 2k and 2k+1
    __m512i a = load_pair(w, w + 16);
    __m512i b = load_pair(w + 4, w + 20);
    __m512i c = load_pair(w + 8, w + 24);
    __m512i d = load_pair(w + 12, w + 28);
    permute8(a, b, c, d);
    store_pair(w, w + 16, a);
    store_pair(w + 4, w + 20, b);
    store_pair(w + 8, w + 24, c);
    store_pair(w + 12, w + 28, d);
  }
  // Column i is words (2i, 2i+1, 2i+16, 2i+17, ..., 2i+112, 2i+113). For columns 2k and 2k+1 the
  // 256-bit loads at 4k+16j hold both columns' pairs; this index separates them (and is its own
  // inverse, so it also puts them back).
  const __m512i split = _mm512_setr_epi64(0, 1, 4, 5, 2, 3, 6, 7);
  for (std::size_t k = 0; k < 4; ++k) {
    std::uint64_t* w = r.v + 4 * k;
    __m512i a = _mm512_permutexvar_epi64(split, load_pair(w, w + 16));
    __m512i b = _mm512_permutexvar_epi64(split, load_pair(w + 32, w + 48));
    __m512i c = _mm512_permutexvar_epi64(split, load_pair(w + 64, w + 80));
    __m512i d = _mm512_permutexvar_epi64(split, load_pair(w + 96, w + 112));
    permute8(a, b, c, d);
    store_pair(w, w + 16, _mm512_permutexvar_epi64(split, a));
    store_pair(w + 32, w + 48, _mm512_permutexvar_epi64(split, b));
    store_pair(w + 64, w + 80, _mm512_permutexvar_epi64(split, c));
    store_pair(w + 96, w + 112, _mm512_permutexvar_epi64(split, d));
  }
  for (std::size_t i = 0; i < kBlockWords / 8; ++i) {
    _mm512_store_si512(next.v + 8 * i, _mm512_xor_si512(keep[i], _mm512_load_si512(r.v + 8 * i)));
  }
}

#pragma GCC diagnostic pop
#undef GATEHOUSE_AVX512
#endif

using FillBlock = void (*)(const Block&, const Block&, Block&, bool);

bool cpu_has(Implementation impl) {
  switch (impl) {
    case Implementation::kPortable:
      return true;
#ifdef GATEHOUSE_ARGON2_X86
    case Implementation::kAvx2:
      return __builtin_cpu_supports("avx2");
    case Implementation::kAvx512:
      return __builtin_cpu_supports("avx512f");
#else
    case Implementation::kAvx2:
    case Implementation::kAvx512:
      return false;
#endif
  }
  return false;
}

FillBlock fill_block_for(Implementation impl) {
  switch (impl) {
#ifdef GATEHOUSE_ARGON2_X86
    case Implementation::kAvx512:
      return fill_block_avx512;
    case Implementation::kAvx2:
      return fill_block_avx2;
#endif
    default:
      return fill_block_portable;
  }
}

// ---- per-thread block memory ------------------------------------------------------------------

// Mapped once per thread and kept: the mapping, its page faults and the kernel's zeroing were the
// cost being removed. Huge pages are asked for (THP is often `madvise`-only) to cut TLB misses on
// the random reference reads. Grows when a larger hash comes along; unmapped at thread exit.
class BlockArena {
 public:
  BlockArena() = default;
  BlockArena(const BlockArena&) = delete;
  BlockArena& operator=(const BlockArena&) = delete;
  ~BlockArena() { release(); }

  void release() {
    if (base_ != nullptr) munmap(base_, bytes_);
    base_ = nullptr;
    bytes_ = 0;
  }

  Block* get(std::size_t blocks) {
    const std::size_t bytes = blocks * kBlockBytes;
    if (bytes <= bytes_) return base_;
    release();
    constexpr std::size_t kHugePage = std::size_t{2} << 20;
    const std::size_t mapped = (bytes + kHugePage - 1) / kHugePage * kHugePage;
    void* p = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return nullptr;
#ifdef MADV_HUGEPAGE
    static_cast<void>(madvise(p, mapped, MADV_HUGEPAGE));  // advice only; fine if refused
#endif
#ifdef MADV_DONTDUMP
    static_cast<void>(madvise(p, mapped, MADV_DONTDUMP));  // keep password-derived data out of
                                                           // core dumps
#endif
    base_ = static_cast<Block*>(p);
    bytes_ = mapped;
    return base_;
  }

 private:
  Block* base_ = nullptr;
  std::size_t bytes_ = 0;
};

BlockArena& thread_arena() {
  thread_local BlockArena arena;
  return arena;
}

// ---- BLAKE2b-based pieces: H0 and H' --------------------------------------------------------

// H' of RFC 9106 section 3.3: BLAKE2b with outputs longer than 64 bytes made by chaining.
// `input` is hashed after the 4-byte little-endian output length.
void blake2b_long(unsigned char* out, std::size_t out_len, const unsigned char* input,
                  std::size_t input_len) {
  unsigned char len_le[4];
  store32(len_le, static_cast<std::uint32_t>(out_len));
  crypto_generichash_blake2b_state state;
  if (out_len <= crypto_generichash_blake2b_BYTES_MAX) {
    crypto_generichash_blake2b_init(&state, nullptr, 0, out_len);
    crypto_generichash_blake2b_update(&state, len_le, sizeof len_le);
    crypto_generichash_blake2b_update(&state, input, input_len);
    crypto_generichash_blake2b_final(&state, out, out_len);
    sodium_memzero(&state, sizeof state);
    return;
  }
  constexpr std::size_t kHalf = 32;
  unsigned char v[64];
  crypto_generichash_blake2b_init(&state, nullptr, 0, sizeof v);
  crypto_generichash_blake2b_update(&state, len_le, sizeof len_le);
  crypto_generichash_blake2b_update(&state, input, input_len);
  crypto_generichash_blake2b_final(&state, v, sizeof v);
  std::memcpy(out, v, kHalf);
  out += kHalf;
  std::size_t left = out_len - kHalf;
  while (left > sizeof v) {
    crypto_generichash_blake2b(v, sizeof v, v, sizeof v, nullptr, 0);
    std::memcpy(out, v, kHalf);
    out += kHalf;
    left -= kHalf;
  }
  crypto_generichash_blake2b(out, left, v, sizeof v, nullptr, 0);
  sodium_memzero(v, sizeof v);
  sodium_memzero(&state, sizeof state);
}

void update32(crypto_generichash_blake2b_state& state, std::uint32_t value) {
  unsigned char le[4];
  store32(le, value);
  crypto_generichash_blake2b_update(&state, le, sizeof le);
}

void initial_hash(unsigned char (&h0)[kPrehashBytes], std::string_view password,
                  std::span<const unsigned char> salt, std::uint32_t tag_len, Params params) {
  crypto_generichash_blake2b_state state;
  crypto_generichash_blake2b_init(&state, nullptr, 0, kPrehashBytes);
  update32(state, 1);  // lanes
  update32(state, tag_len);
  update32(state, params.memory_kib);
  update32(state, params.passes);
  update32(state, kVersion);
  update32(state, kTypeId);
  update32(state, static_cast<std::uint32_t>(password.size()));
  crypto_generichash_blake2b_update(&state, reinterpret_cast<const unsigned char*>(password.data()),
                                    password.size());
  update32(state, static_cast<std::uint32_t>(salt.size()));
  crypto_generichash_blake2b_update(&state, salt.data(), salt.size());
  update32(state, 0);  // no secret
  update32(state, 0);  // no associated data
  crypto_generichash_blake2b_final(&state, h0, kPrehashBytes);
  sodium_memzero(&state, sizeof state);
}

// B[i] = H'^1024(H0 || LE32(i) || LE32(lane 0)), for the first two blocks of the lane.
void first_block(Block& block, const unsigned char (&h0)[kPrehashBytes], std::uint32_t index) {
  unsigned char input[kPrehashBytes + 8];
  std::memcpy(input, h0, kPrehashBytes);
  store32(input + kPrehashBytes, index);
  store32(input + kPrehashBytes + 4, 0);
  unsigned char bytes[kBlockBytes];
  blake2b_long(bytes, sizeof bytes, input, sizeof input);
  for (std::size_t i = 0; i < kBlockWords; ++i) block.v[i] = load64(bytes + 8 * i);
  sodium_memzero(bytes, sizeof bytes);
  sodium_memzero(input, sizeof input);
}

// ---- the memory-hard part ---------------------------------------------------------------------

struct Geometry {
  std::uint32_t lane_length;     // m' = m rounded down to a multiple of 4 (one lane)
  std::uint32_t segment_length;  // m' / 4
  std::uint32_t passes;
};

// Which earlier block of the lane the block at (pass, slice, index) refers to (RFC 9106 3.4.1.2),
// from the low 32 bits of its pseudo-random value.
std::uint32_t reference_index(const Geometry& geo, std::uint32_t pass, std::uint32_t slice,
                              std::uint32_t index, std::uint64_t pseudo_rand) {
  std::uint64_t area = 0;
  if (pass == 0) {
    area = std::uint64_t{slice} * geo.segment_length + index - 1;
  } else {
    area = std::uint64_t{geo.lane_length} - geo.segment_length + index - 1;
  }
  std::uint64_t relative = pseudo_rand & 0xFFFFFFFFULL;
  relative = (relative * relative) >> 32;
  relative = area - 1 - ((area * relative) >> 32);
  std::uint64_t start = 0;
  if (pass != 0 && slice != kSyncPoints - 1) start = std::uint64_t{slice + 1} * geo.segment_length;
  return static_cast<std::uint32_t>((start + relative) % geo.lane_length);
}

// Every this many blocks (about 0.3 ms with AVX-512) the hash offers its CPU to other runnable
// threads: that bounds how long a thread woken meanwhile (an I/O thread with a request) waits
// behind a hash when every CPU is busy, batch scheduled or not (core/thread_scheduling.hpp). When
// nothing else waits it is a system call of under a microsecond, 0.3 % of a hash.
constexpr std::uint32_t kYieldEveryBlocks = 1024;

void fill_memory(Block* memory, const Geometry& geo, FillBlock fill_block) {
  Block zero{};
  Block input{};
  Block addresses{};
  for (std::uint32_t pass = 0; pass < geo.passes; ++pass) {
    for (std::uint32_t slice = 0; slice < kSyncPoints; ++slice) {
      // Argon2id: data-independent addressing (Argon2i) for the first half of the first pass.
      const bool independent = pass == 0 && slice < kSyncPoints / 2;
      if (independent) {
        input = Block{};
        input.v[0] = pass;
        input.v[1] = 0;  // lane
        input.v[2] = slice;
        input.v[3] = geo.lane_length;
        input.v[4] = geo.passes;
        input.v[5] = kTypeId;
      }
      auto next_addresses = [&] {
        ++input.v[6];
        fill_block(zero, input, addresses, false);
        fill_block(zero, addresses, addresses, false);
      };
      std::uint32_t start = 0;
      if (pass == 0 && slice == 0) {
        start = 2;  // B[0] and B[1] come from H0
        if (independent) next_addresses();
      }
      for (std::uint32_t index = start; index < geo.segment_length; ++index) {
        const std::uint32_t current = slice * geo.segment_length + index;
        const std::uint32_t previous = current == 0 ? geo.lane_length - 1 : current - 1;
        std::uint64_t pseudo_rand = 0;
        if (independent) {
          if (index % kAddressesInBlock == 0) next_addresses();
          pseudo_rand = addresses.v[index % kAddressesInBlock];
        } else {
          pseudo_rand = memory[previous].v[0];
        }
        const std::uint32_t ref = reference_index(geo, pass, slice, index, pseudo_rand);
        fill_block(memory[previous], memory[ref], memory[current], pass != 0);
        if (index % kYieldEveryBlocks == kYieldEveryBlocks - 1) ::sched_yield();
      }
    }
  }
  sodium_memzero(&addresses, sizeof addresses);
  sodium_memzero(&input, sizeof input);
}

bool run(std::span<unsigned char> tag, std::string_view password,
         std::span<const unsigned char> salt, Params params, FillBlock fill_block) {
  sodium_memzero(tag.data(), tag.size());
  if (tag.size() < kMinTagBytes || tag.size() > kMaxTagBytes || salt.size() < kMinSaltBytes ||
      salt.size() > kMaxSaltBytes || params.passes < 1 || params.memory_kib < kMinMemoryKib ||
      params.memory_kib > kMaxMemoryKib ||
      password.size() > std::numeric_limits<std::uint32_t>::max()) {
    return false;
  }
  const Geometry geo{.lane_length = params.memory_kib / kSyncPoints * kSyncPoints,
                     .segment_length = params.memory_kib / kSyncPoints,
                     .passes = params.passes};
  Block* memory = thread_arena().get(geo.lane_length);
  if (memory == nullptr) return false;

  unsigned char h0[kPrehashBytes];
  initial_hash(h0, password, salt, static_cast<std::uint32_t>(tag.size()), params);
  first_block(memory[0], h0, 0);
  first_block(memory[1], h0, 1);
  sodium_memzero(h0, sizeof h0);

  fill_memory(memory, geo, fill_block);

  unsigned char last[kBlockBytes];
  for (std::size_t i = 0; i < kBlockWords; ++i) {
    store64(last + 8 * i, memory[geo.lane_length - 1].v[i]);
  }
  blake2b_long(tag.data(), tag.size(), last, sizeof last);
  sodium_memzero(last, sizeof last);
  // The blocks let a guess be checked without the memory-hard work: never leave them behind.
  sodium_memzero(memory, std::size_t{geo.lane_length} * kBlockBytes);
  return true;
}

}  // namespace

void release_thread_memory() {
  thread_arena().release();
}

Implementation best_implementation() {
  static const Implementation best = [] {
    for (Implementation impl : {Implementation::kAvx512, Implementation::kAvx2}) {
      if (cpu_has(impl)) return impl;
    }
    return Implementation::kPortable;
  }();
  return best;
}

std::string_view implementation_name(Implementation impl) {
  switch (impl) {
    case Implementation::kAvx512:
      return "avx512";
    case Implementation::kAvx2:
      return "avx2";
    case Implementation::kPortable:
      break;
  }
  return "portable";
}

bool hash_raw(std::span<unsigned char> tag, std::string_view password,
              std::span<const unsigned char> salt, Params params) {
  static const FillBlock fill_block = fill_block_for(best_implementation());
  return run(tag, password, salt, params, fill_block);
}

bool hash_raw_using(Implementation impl, std::span<unsigned char> tag, std::string_view password,
                    std::span<const unsigned char> salt, Params params) {
  if (!cpu_has(impl)) {
    sodium_memzero(tag.data(), tag.size());
    return false;
  }
  return run(tag, password, salt, params, fill_block_for(impl));
}

}  // namespace gatehouse::auth::argon2id
