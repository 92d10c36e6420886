#include "auth/token_service.hpp"

#include <array>
#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include <spdlog/spdlog.h>
#include <boost/json.hpp>

namespace gatehouse::auth {
namespace {

Error invalid(std::string reason) {
  return Error{ErrorCode::kTokenInvalid, std::move(reason)};
}

// A JSON integer as int64: Boost.JSON stores integers above INT64_MAX as uint64 and anything with
// a fraction or exponent as double; neither is a NumericDate this service accepts.
std::optional<std::int64_t> as_int64(const boost::json::value* v) {
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64() &&
      v->get_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return static_cast<std::int64_t>(v->get_uint64());
  }
  return std::nullopt;
}

// "7" -> 7. Canonical decimal only: digits, no sign, no leading zero, no spaces, fits int64,
// positive. One user id has exactly one accepted spelling.
std::optional<std::int64_t> parse_user_id(std::string_view text) {
  if (text.empty() || text.size() > 19 || text.front() == '0') return std::nullopt;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value <= 0) return std::nullopt;
  return value;
}

// RFC 7519 section 4.1.3: `aud` is one string or an array of strings; one must be ours.
bool audience_matches(const boost::json::value& aud, std::string_view expected) {
  if (aud.is_string()) return aud.get_string() == expected;
  if (!aud.is_array()) return false;
  for (const boost::json::value& item : aud.get_array()) {
    if (item.is_string() && item.get_string() == expected) return true;
  }
  return false;
}

}  // namespace

TokenService::TokenService(const keys::KeyRing& keys, const Clock& clock, Random& random,
                           std::chrono::seconds access_ttl, std::size_t verified_cache_capacity,
                           std::chrono::seconds leeway, TokenAudience audience)
    : keys_(keys),
      clock_(clock),
      random_(random),
      access_ttl_(access_ttl),
      leeway_(leeway),
      audience_(std::move(audience)),
      verified_(std::make_unique<VerifiedTokenCache>(verified_cache_capacity)) {}

std::string TokenService::issue_access(std::int64_t user_id, std::string_view sid,
                                       std::string_view role) const {
  if (user_id <= 0) throw std::invalid_argument("issue_access: user id must be positive");
  const std::int64_t now = unix_seconds(clock_.now());

  // fastapi-jwt-auth's claim order; Boost.JSON objects keep insertion order.
  std::array<unsigned char, 512> buffer;
  boost::json::monotonic_resource resource(buffer.data(), buffer.size());
  boost::json::object claims(11, &resource);
  claims.emplace("sub", std::to_string(user_id));
  claims.emplace("iat", now);
  claims.emplace("nbf", now);
  claims.emplace("jti", uuid4(random_));
  claims.emplace("exp", now + access_ttl_.count());
  claims.emplace("type", "access");
  claims.emplace("fresh", false);
  if (!sid.empty()) claims.emplace("sid", sid);
  if (!role.empty()) claims.emplace("role", role);
  if (!audience_.issuer.empty()) claims.emplace("iss", audience_.issuer);
  if (!audience_.audience.empty()) claims.emplace("aud", audience_.audience);
  return keys_.current()->sign(boost::json::serialize(claims));
}

Result<AccessClaims> TokenService::verify_access(std::string_view token) const {
  const std::int64_t now = unix_seconds(clock_.now());
  const std::int64_t leeway = leeway_.count();
  if (std::optional<AccessClaims> cached = verified_->find(token, now, leeway)) {
    return std::move(*cached);
  }
  auto payload = keys_.current()->verify(token);
  if (!payload) return std::move(payload).error();

  std::array<unsigned char, 1024> buffer;
  boost::json::monotonic_resource resource(buffer.data(), buffer.size());
  boost::json::error_code ec;
  const boost::json::value parsed = boost::json::parse(*payload, ec, &resource);
  if (ec || !parsed.is_object()) return invalid("payload is not a JSON object");
  const boost::json::object& claims = parsed.get_object();

  const boost::json::value* type = claims.if_contains("type");
  if (type == nullptr || !type->is_string() || type->get_string() != "access") {
    const std::string shown = type == nullptr ? "missing" : boost::json::serialize(*type);
    return invalid("not an access token (type " + shown.substr(0, 40) + ")");
  }

  const auto exp = as_int64(claims.if_contains("exp"));
  if (!exp) return invalid("exp is missing or not an integer");
  // As PyJWT: expired when exp <= now - leeway.
  if (*exp <= now - leeway) {
    return invalid("expired (exp " + std::to_string(*exp) + ", now " + std::to_string(now) + ")");
  }
  std::int64_t nbf_seen = 0;
  if (const boost::json::value* nbf_value = claims.if_contains("nbf")) {
    const auto nbf = as_int64(nbf_value);
    if (!nbf) return invalid("nbf is not an integer");
    if (*nbf > now + leeway) {
      return invalid("not yet valid (nbf " + std::to_string(*nbf) + ", now " + std::to_string(now) +
                     ")");
    }
    nbf_seen = *nbf;
  }
  if (!audience_.issuer.empty()) {
    const boost::json::value* iss = claims.if_contains("iss");
    if (iss == nullptr || !iss->is_string() || iss->get_string() != audience_.issuer) {
      return invalid("iss is not JWT_ISSUER");
    }
  }
  if (!audience_.audience.empty()) {
    const boost::json::value* aud = claims.if_contains("aud");
    if (aud == nullptr || !audience_matches(*aud, audience_.audience)) {
      return invalid("aud does not name JWT_AUDIENCE");
    }
  }
  const auto iat = as_int64(claims.if_contains("iat"));
  if (!iat) return invalid("iat is missing or not an integer");

  const boost::json::value* sub = claims.if_contains("sub");
  if (sub == nullptr || !sub->is_string()) return invalid("sub is missing or not a string");
  const auto user_id = parse_user_id(sub->get_string());
  if (!user_id) return invalid("sub is not a positive decimal user id");

  AccessClaims out;
  out.user_id = *user_id;
  out.iat = *iat;
  out.exp = *exp;
  out.nbf = nbf_seen;
  if (const boost::json::value* sid = claims.if_contains("sid")) {
    if (!sid->is_string()) return invalid("sid is not a string");
    out.sid = sid->get_string();
  }
  if (const boost::json::value* jti = claims.if_contains("jti")) {
    if (!jti->is_string()) return invalid("jti is not a string");
    out.jti = jti->get_string();
  }
  if (const boost::json::value* role = claims.if_contains("role")) {
    if (!role->is_string()) return invalid("role is not a string");
    out.role = role->get_string();
  }
  // Debug only (a level check otherwise): shows on a running server whether repeated tokens
  // are served from the verified-token cache (VERIFIED_TOKEN_CACHE_SIZE).
  spdlog::debug("access token signature verified (not in the verified-token cache)");
  verified_->insert(token, out, now);
  return out;
}

std::string uuid4(Random& random) {
  std::array<unsigned char, 16> bytes{};
  random.fill(bytes);
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant (10xx)
  constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[bytes[i] >> 4]);
    out.push_back(kHex[bytes[i] & 0x0f]);
  }
  return out;
}

}  // namespace gatehouse::auth
