// Micro-benchmarks of the parts of each request: the floor that bench/report.py adds up per
// scenario (see bench/README.md for the formulas). Single-threaded; report.py reads the median
// CPU time of each benchmark from --benchmark_format=json / --benchmark_out.
//
// Settings come from the environment like the server's: ARGON2_MEMORY_KIB, ARGON2_PASSES
// (bench/run.sh sets them to the Node peer's values). BENCH_USERS (default 5000) users are
// created in a temporary SQLite database migrated with the embedded migrations.
#include <benchmark/benchmark.h>
#include <crypt.h>
#include <dlfcn.h>
#include <sodium.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "auth/argon2id.hpp"
#include "auth/jws.hpp"
#include "auth/password_hasher.hpp"
#include "auth/rotation_policy.hpp"
#include "auth/session_service.hpp"
#include "auth/token_sealer.hpp"
#include "auth/token_service.hpp"
#include "core/clock.hpp"
#include "core/random.hpp"
#include "store/migrations.hpp"
#include "store/store_factory.hpp"

namespace {

using namespace gatehouse;
namespace fs = std::filesystem;

std::uint64_t env_u64(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  return std::strtoull(v, nullptr, 10);
}

template <class T>
T must(Result<T> r, const char* what) {
  if (!r) throw std::runtime_error(std::string(what) + ": " + r.error().internal);
  return std::move(*r);
}

// A 64-character lower-case hex string, unique per counter value: stands in for a SHA-256 hash
// so that generating the next refresh-token hash costs nothing inside the timed loop.
std::string fake_hash(std::uint64_t n) {
  char buf[65];
  std::snprintf(buf, sizeof buf, "%064llx", static_cast<unsigned long long>(n));
  return buf;
}

// Everything the benchmarks share, built once on first use (so a --benchmark_filter that skips
// the database never creates it).
struct Fixture {
  SystemClock clock;
  SodiumRandom random;
  auth::KeyPair keys;
  std::unique_ptr<keys::KeyRing> key_ring;
  std::unique_ptr<auth::TokenService> tokens;
  std::unique_ptr<auth::TokenService> uncached_tokens;  // verified-token cache off
  std::unique_ptr<auth::TokenSealer> sealer;
  std::string header_json = R"({"typ":"JWT","alg":"RS256"})";
  std::string payload_json;
  std::string signed_token;
  std::string access_token;

  static Fixture& get() {
    static Fixture f;
    return f;
  }

 private:
  Fixture() {
    if (sodium_init() < 0) throw std::runtime_error("sodium_init failed");
    auto pems = must(auth::generate_key_pair(auth::JwsAlgorithm::kRS256, 2048), "generate keys");
    keys = must(auth::load_key_pair(auth::JwsAlgorithm::kRS256, pems.private_pem, pems.public_pem),
                "load keys");
    key_ring = std::make_unique<keys::KeyRing>(must(keys::KeySet::create(keys, {}), "key set"));
    tokens =
        std::make_unique<auth::TokenService>(*key_ring, clock, random, std::chrono::minutes(15));
    uncached_tokens =
        std::make_unique<auth::TokenService>(*key_ring, clock, random, std::chrono::minutes(15), 0);
    sealer = std::make_unique<auth::TokenSealer>(pems.private_pem);
    const auto now = unix_seconds(clock.now());
    payload_json = R"({"sub":"1234","iat":)" + std::to_string(now) + R"(,"nbf":)" +
                   std::to_string(now) + R"(,"jti":"7f0c3f7e-6b1e-4d1a-9c57-2b1f5d0c9a11","exp":)" +
                   std::to_string(now + 900) +
                   R"(,"type":"access","fresh":false,"sid":"q3Yt6mXb0pV8sJk2LwE9Aw"})";
    signed_token =
        auth::JwsSigner(keys.algorithm, keys.private_key).sign(header_json, payload_json);
    access_token = tokens->issue_access(1234, "q3Yt6mXb0pV8sJk2LwE9Aw");
  }
};

// A temporary SQLite database with BENCH_USERS users, one session each.
struct Db {
  fs::path dir;
  std::unique_ptr<store::Store> store;
  std::vector<std::int64_t> user_ids;
  std::vector<std::string> emails;
  std::vector<std::string> session_ids;
  std::string sealed;  // a realistic sealed refresh token (its size matters to the row)
  std::uint64_t next_hash = 1;
  std::uint64_t next_unique = 1;

  static Db& get() {
    static Db d;
    return d;
  }
  ~Db() {
    store.reset();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  store::NewSession new_session(std::int64_t user_id, std::string id, std::string hash,
                                SysTime now) const {
    store::NewSession s;
    s.id = std::move(id);
    s.user_id = user_id;
    s.refresh_hash = std::move(hash);
    s.now = now;
    s.expires_at = now + std::chrono::hours(24 * 7);
    s.refresh_expires_at = now + std::chrono::hours(1);
    s.user_agent = "wrk";
    s.ip = "127.0.0.1";
    s.refresh_sealed = sealed;
    return s;
  }

 private:
  Db() {
    Fixture& f = Fixture::get();
    std::random_device rd;
    dir = fs::temp_directory_path() / ("gatehouse-micro-bench-" + std::to_string(rd()));
    fs::create_directories(dir);
    config::DatabaseSettings database;
    database.sqlite_path = (dir / "bench.db").string();
    auto opened = must(store::open_store(database, 4), "open sqlite");
    store::Migrator migrator(*opened.migrations, store::embedded_migrations("sqlite"), "api_");
    (void)must(migrator.up(), "migrate");
    store = std::move(opened.store);
    sealed = f.sealer->seal(random_token(f.random, 32));

    const std::size_t n = env_u64("BENCH_USERS", 5000);
    const SysTime now = f.clock.now();
    // A real argon2id hash string of the configured shape (the row size matters, not the hash).
    const std::string hash =
        "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$"
        "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";
    for (std::size_t i = 0; i < n; ++i) {
      store::NewUser u;
      u.name = "Bench User " + std::to_string(i);
      u.email = "bench" + std::to_string(i) + "@example.com";
      u.password_hash = hash;
      u.photo = "default.png";
      u.now = now;
      auto created = must(store->create_user(u), "create user");
      user_ids.push_back(created.id);
      emails.push_back(u.email);
      std::string sid = random_token(f.random, 16);
      (void)must(store->create_session(new_session(created.id, sid, fake_hash(next_hash++), now)),
                 "create session");
      session_ids.push_back(std::move(sid));
    }
  }
};

// ---------------------------------------------------------------- JWS and tokens

void BM_Rs256Sign(benchmark::State& state) {
  Fixture& f = Fixture::get();
  const auth::JwsSigner signer(f.keys.algorithm, f.keys.private_key);
  for (auto _ : state) benchmark::DoNotOptimize(signer.sign(f.header_json, f.payload_json));
}
BENCHMARK(BM_Rs256Sign)->Unit(benchmark::kMicrosecond);

void BM_Rs256Verify(benchmark::State& state) {
  Fixture& f = Fixture::get();
  const auth::JwsVerifier verifier(f.keys.algorithm, f.keys.public_key);
  for (auto _ : state) {
    auto r = verifier.verify(f.signed_token);
    if (!r) state.SkipWithError("verify failed");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_Rs256Verify)->Unit(benchmark::kMicrosecond);

// Claims JSON + uuid4 + base64url + RS256 sign: what login and refresh pay per access token.
void BM_TokenIssueAccess(benchmark::State& state) {
  Fixture& f = Fixture::get();
  for (auto _ : state)
    benchmark::DoNotOptimize(f.tokens->issue_access(1234, "q3Yt6mXb0pV8sJk2LwE9Aw"));
}
BENCHMARK(BM_TokenIssueAccess)->Unit(benchmark::kMicrosecond);

// Split + base64url + alg pin + RS256 verify + claims parse + exp/nbf/type/sub checks: the first
// time a token is seen (a service without the verified-token cache).
void BM_TokenVerifyAccess(benchmark::State& state) {
  Fixture& f = Fixture::get();
  for (auto _ : state) {
    auto r = f.uncached_tokens->verify_access(f.access_token);
    if (!r) state.SkipWithError("verify_access failed");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_TokenVerifyAccess)->Unit(benchmark::kMicrosecond);

// A token verified before (the verified-token cache, exp/nbf checked again): what /me pays for a
// client that keeps its access token, as browsers do and as the wrk /me scenarios do.
void BM_TokenVerifyAccessCached(benchmark::State& state) {
  Fixture& f = Fixture::get();
  for (auto _ : state) {
    auto r = f.tokens->verify_access(f.access_token);
    if (!r) state.SkipWithError("verify_access failed");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_TokenVerifyAccessCached)->Unit(benchmark::kMicrosecond);

// The non-database, non-RSA crypto of a login or refresh: a new 256-bit refresh token, the
// SHA-256 of the presented and the new one, and sealing the new one for the reuse grace.
void BM_RefreshTokenCrypto(benchmark::State& state) {
  Fixture& f = Fixture::get();
  const std::string presented = random_token(f.random, 32);
  for (auto _ : state) {
    std::string fresh = random_token(f.random, 32);
    benchmark::DoNotOptimize(auth::hash_refresh_token(presented));
    benchmark::DoNotOptimize(auth::hash_refresh_token(fresh));
    benchmark::DoNotOptimize(f.sealer->seal(fresh));
  }
}
BENCHMARK(BM_RefreshTokenCrypto)->Unit(benchmark::kMicrosecond);

// ---------------------------------------------------------------- password hashing

auth::Argon2Params argon2_params() {
  return auth::Argon2Params{env_u64("ARGON2_MEMORY_KIB", 19456),
                            static_cast<std::uint32_t>(env_u64("ARGON2_PASSES", 2))};
}

void BM_Argon2idHash(benchmark::State& state) {
  (void)Fixture::get();  // sodium_init(): libsodium picks its AVX2/AVX-512 code only after it
  const auth::PasswordHasher hasher(argon2_params());
  for (auto _ : state) {
    auto h = hasher.hash("bench-password-1");
    if (!h) state.SkipWithError("hash failed");
    benchmark::DoNotOptimize(h);
  }
  state.SetLabel("m=" + std::to_string(argon2_params().memory_kib) +
                 " t=" + std::to_string(argon2_params().passes));
}
BENCHMARK(BM_Argon2idHash)->Unit(benchmark::kMillisecond);

void BM_Argon2idVerify(benchmark::State& state) {
  (void)Fixture::get();
  const auth::PasswordHasher hasher(argon2_params());
  const std::string stored = *hasher.hash("bench-password-1");
  for (auto _ : state) {
    if (hasher.verify("bench-password-1", stored) != auth::PasswordVerdict::kMatch) {
      state.SkipWithError("verify failed");
    }
  }
  state.SetLabel("m=" + std::to_string(argon2_params().memory_kib) +
                 " t=" + std::to_string(argon2_params().passes));
}
BENCHMARK(BM_Argon2idVerify)->Unit(benchmark::kMillisecond);

// The block function alone, without the encoding: Gatehouse's argon2id (per-thread memory,
// AVX2 when present) and libsodium's crypto_pwhash (fresh mapping per call) at the same settings.
void BM_Argon2idGatehouseRaw(benchmark::State& state) {
  (void)Fixture::get();
  const auto impl = static_cast<auth::argon2id::Implementation>(state.range(0));
  const auth::Argon2Params p = argon2_params();
  const std::string salt = "0123456789abcdef";
  unsigned char out[32];
  for (auto _ : state) {
    if (!auth::argon2id::hash_raw_using(
            impl, out, "bench-password-1",
            {reinterpret_cast<const unsigned char*>(salt.data()), salt.size()},
            {static_cast<std::uint32_t>(p.memory_kib), p.passes})) {
      state.SkipWithError("not available on this CPU");
      break;
    }
    benchmark::DoNotOptimize(out);
  }
  state.SetLabel(std::string(auth::argon2id::implementation_name(impl)) +
                 (impl == auth::argon2id::best_implementation() ? " (in use)" : ""));
}
BENCHMARK(BM_Argon2idGatehouseRaw)
    ->Arg(static_cast<int>(auth::argon2id::Implementation::kAvx512))
    ->Arg(static_cast<int>(auth::argon2id::Implementation::kAvx2))
    ->Arg(static_cast<int>(auth::argon2id::Implementation::kPortable))
    ->Unit(benchmark::kMillisecond);

void BM_Argon2idLibsodiumRaw(benchmark::State& state) {
  (void)Fixture::get();
  const auth::Argon2Params p = argon2_params();
  const std::string password = "bench-password-1";
  const unsigned char salt[crypto_pwhash_SALTBYTES] = {1};
  unsigned char out[32];
  for (auto _ : state) {
    if (crypto_pwhash(out, sizeof out, password.data(), password.size(), salt, p.passes,
                      static_cast<std::size_t>(p.memory_kib) * 1024,
                      crypto_pwhash_ALG_ARGON2ID13) != 0) {
      state.SkipWithError("crypto_pwhash failed");
    }
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_Argon2idLibsodiumRaw)->Unit(benchmark::kMillisecond);

// For comparison only (the server uses its own argon2id): Debian's reference libargon2 at the same
// settings, loaded at run time so the build does not depend on it; skipped when it is missing.
void BM_Argon2idLibargon2Raw(benchmark::State& state) {
  using HashRaw = int (*)(std::uint32_t, std::uint32_t, std::uint32_t, const void*, std::size_t,
                          const void*, std::size_t, void*, std::size_t);
  void* lib = dlopen("libargon2.so.1", RTLD_NOW | RTLD_LOCAL);
  auto fn = lib ? reinterpret_cast<HashRaw>(dlsym(lib, "argon2id_hash_raw")) : nullptr;
  if (fn == nullptr) {
    state.SkipWithError("libargon2.so.1 not installed");
    for (auto _ : state) {
    }
    return;
  }
  const auth::Argon2Params p = argon2_params();
  const std::string password = "bench-password-1";
  const std::string salt = "0123456789abcdef";
  unsigned char out[32];
  for (auto _ : state) {
    if (fn(p.passes, static_cast<std::uint32_t>(p.memory_kib), 1, password.data(), password.size(),
           salt.data(), salt.size(), out, sizeof out) != 0) {
      state.SkipWithError("argon2id_hash_raw failed");
    }
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_Argon2idLibargon2Raw)->Unit(benchmark::kMillisecond);

// A tutorial user's legacy passlib hash: bcrypt cost 12 through libxcrypt (first login only; the
// user is then rehashed to argon2id).
void BM_Bcrypt12Verify(benchmark::State& state) {
  (void)Fixture::get();
  const auth::PasswordHasher hasher(argon2_params());
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  if (crypt_gensalt_rn("$2b$", 12, nullptr, 0, salt, sizeof salt) == nullptr) {
    state.SkipWithError("crypt_gensalt_rn failed");
    return;
  }
  auto data = std::make_unique<crypt_data>();
  if (crypt_rn("bench-password-1", salt, data.get(), sizeof *data) == nullptr) {
    state.SkipWithError("crypt_rn failed");
    return;
  }
  const std::string stored = data->output;
  for (auto _ : state) {
    if (hasher.verify("bench-password-1", stored) == auth::PasswordVerdict::kMismatch) {
      state.SkipWithError("bcrypt verify failed");
    }
  }
}
BENCHMARK(BM_Bcrypt12Verify)->Unit(benchmark::kMillisecond);

// ---------------------------------------------------------------- SQLite

void BM_SqliteFindUserById(benchmark::State& state) {
  Db& db = Db::get();
  std::size_t i = 0;
  for (auto _ : state) {
    auto r = db.store->find_user_by_id(db.user_ids[i++ % db.user_ids.size()]);
    if (!r || !r->has_value()) state.SkipWithError("find_user_by_id failed");
    benchmark::DoNotOptimize(r);
  }
  state.SetLabel(std::to_string(db.user_ids.size()) + " users");
}
BENCHMARK(BM_SqliteFindUserById)->Unit(benchmark::kMicrosecond);

// What /me needs: the user and whether the token's session is live, in one round trip.
void BM_SqliteFindUserWithSession(benchmark::State& state) {
  Db& db = Db::get();
  Fixture& f = Fixture::get();
  std::size_t i = 0;
  for (auto _ : state) {
    const std::size_t k = i++ % db.user_ids.size();
    auto r = db.store->find_user_with_session(db.user_ids[k], db.session_ids[k], f.clock.now());
    if (!r || !r->has_value() || !(*r)->session_live) {
      state.SkipWithError("find_user_with_session failed");
    }
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_SqliteFindUserWithSession)->Unit(benchmark::kMicrosecond);

void BM_SqliteFindUserByEmail(benchmark::State& state) {
  Db& db = Db::get();
  std::size_t i = 0;
  for (auto _ : state) {
    auto r = db.store->find_user_by_email(db.emails[i++ % db.emails.size()]);
    if (!r || !r->has_value()) state.SkipWithError("find_user_by_email failed");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_SqliteFindUserByEmail)->Unit(benchmark::kMicrosecond);

// The refresh transaction: check the presented token, retire it, make the new one current
// (BEGIN IMMEDIATE ... COMMIT), on one session's chain.
void BM_SqliteRotateRefreshToken(benchmark::State& state) {
  Db& db = Db::get();
  Fixture& f = Fixture::get();
  const SysTime start = f.clock.now();
  std::string current = fake_hash(db.next_hash++);
  (void)must(db.store->create_session(
                 db.new_session(db.user_ids[0], random_token(f.random, 16), current, start)),
             "create session");
  for (auto _ : state) {
    store::RotateRequest req;
    req.presented_hash = current;
    req.new_hash = fake_hash(db.next_hash++);
    req.now = f.clock.now();
    req.new_expires_at = req.now + std::chrono::hours(1);
    req.new_sealed = db.sealed;
    req.grace = std::chrono::seconds(5);
    auto r = db.store->rotate_refresh_token(req, auth::decide_rotation);
    if (!r || r->outcome != store::RotateOutcome::kRotated) {
      state.SkipWithError("rotation failed");
      break;
    }
    current = std::move(req.new_hash);
  }
}
BENCHMARK(BM_SqliteRotateRefreshToken)->Unit(benchmark::kMicrosecond);

// The login write: a new session row with its first refresh token (building the row included,
// as the server builds it too).
void BM_SqliteCreateSession(benchmark::State& state) {
  Db& db = Db::get();
  Fixture& f = Fixture::get();
  std::size_t i = 0;
  for (auto _ : state) {
    auto row = db.new_session(db.user_ids[i++ % db.user_ids.size()], random_token(f.random, 16),
                              fake_hash(db.next_hash++), f.clock.now());
    auto st = db.store->create_session(row);
    if (!st) state.SkipWithError("create_session failed");
  }
}
BENCHMARK(BM_SqliteCreateSession)->Unit(benchmark::kMicrosecond);

// The register write.
void BM_SqliteCreateUser(benchmark::State& state) {
  Db& db = Db::get();
  Fixture& f = Fixture::get();
  for (auto _ : state) {
    store::NewUser u;
    u.name = "Bench New User";
    u.email = "new" + std::to_string(db.next_unique++) + "@example.com";
    u.password_hash =
        "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$"
        "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";
    u.photo = "default.png";
    u.now = f.clock.now();
    auto r = db.store->create_user(u);
    if (!r) state.SkipWithError("create_user failed");
  }
}
BENCHMARK(BM_SqliteCreateUser)->Unit(benchmark::kMicrosecond);

}  // namespace
