#include "auth/verified_token_cache.hpp"

#include <functional>

namespace gatehouse::auth {

VerifiedTokenCache::VerifiedTokenCache(std::size_t capacity)
    : per_shard_((capacity + kShards - 1) / kShards) {}

VerifiedTokenCache::Shard& VerifiedTokenCache::shard_for(std::string_view token) {
  // The signature's last characters are as good as random and cheaper to read than a full hash
  // of the token; the map inside the shard hashes the whole key anyway.
  const std::size_t h =
      std::hash<std::string_view>{}(token.substr(token.size() > 16 ? token.size() - 16 : 0));
  return shards_[h % kShards];
}

std::optional<AccessClaims> VerifiedTokenCache::find(std::string_view token, std::int64_t now,
                                                     std::int64_t leeway) {
  if (per_shard_ == 0) return std::nullopt;
  Shard& shard = shard_for(token);
  const std::lock_guard lock(shard.mutex);
  const auto it = shard.entries.find(token);
  if (it == shard.entries.end()) {
    ++shard.stats.misses;
    return std::nullopt;
  }
  // Same rules as a full verification (TokenService::verify_access).
  if (it->second.exp <= now - leeway) {
    shard.entries.erase(it);
    ++shard.stats.misses;
    return std::nullopt;
  }
  if (it->second.nbf > now + leeway) {
    ++shard.stats.misses;
    return std::nullopt;
  }
  ++shard.stats.hits;
  return it->second;
}

void VerifiedTokenCache::insert(std::string_view token, const AccessClaims& claims,
                                std::int64_t now) {
  if (per_shard_ == 0) return;
  Shard& shard = shard_for(token);
  const std::lock_guard lock(shard.mutex);
  if (shard.entries.size() >= per_shard_) {
    std::erase_if(shard.entries, [now](const auto& entry) { return entry.second.exp <= now; });
  }
  if (shard.entries.size() >= per_shard_) shard.entries.erase(shard.entries.begin());
  shard.entries.insert_or_assign(std::string(token), claims);
}

std::size_t VerifiedTokenCache::size() {
  std::size_t total = 0;
  for (Shard& shard : shards_) {
    const std::lock_guard lock(shard.mutex);
    total += shard.entries.size();
  }
  return total;
}

VerifiedTokenCache::Stats VerifiedTokenCache::stats() {
  Stats total;
  for (Shard& shard : shards_) {
    const std::lock_guard lock(shard.mutex);
    total.hits += shard.stats.hits;
    total.misses += shard.stats.misses;
  }
  return total;
}

}  // namespace gatehouse::auth
