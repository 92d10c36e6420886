#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "auth/access_claims.hpp"

namespace gatehouse::auth {

// Access tokens whose signature and claims have been checked, by their exact bytes, so a client
// that presents the same token on every request (a browser or SPA does, for its 15 minutes) pays
// the RS256 verification once. The same idea as Envoy's jwt_authn `jwt_cache_config`.
//
// Sound because a signature check is a pure function of the token's bytes and the key, and a key
// leaves the published set only once no token it signed can still be live (keys::KeyManager's
// schedule; static keys change only with a restart), so a cached token whose key has gone has
// expired too. What depends on time (exp, nbf) is checked again on each hit, against the caller's
// clock; what depends on the database (the session behind `sid`) is never cached here. Only
// successful verifications are stored, so tokens that fail cost a full check every time and cannot
// fill the cache. Bounded: at most `capacity` entries (rounded up to
// the shard count); a full shard first drops expired entries, then an arbitrary one. Thread-safe
// (striped locks: lookups from different workers rarely meet on one mutex).
class VerifiedTokenCache {
 public:
  explicit VerifiedTokenCache(std::size_t capacity);

  // The claims of `token` if it was stored and is still within exp/nbf at `now` (unix seconds).
  std::optional<AccessClaims> find(std::string_view token, std::int64_t now, std::int64_t leeway);
  void insert(std::string_view token, const AccessClaims& claims, std::int64_t now);

  std::size_t size();

  // Lookups since construction: answered from the cache, or not (absent, expired, not yet valid).
  struct Stats {
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;
  };
  Stats stats();

 private:
  static constexpr std::size_t kShards = 16;
  // Transparent, so lookups take the request's string_view without copying the token.
  struct TokenHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view token) const {
      return std::hash<std::string_view>{}(token);
    }
  };
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::string, AccessClaims, TokenHash, std::equal_to<>> entries;
    Stats stats;  // counted under the mutex the lookup holds anyway
  };
  Shard& shard_for(std::string_view token);

  std::size_t per_shard_;
  std::array<Shard, kShards> shards_;
};

}  // namespace gatehouse::auth
