#include "keys/key_set.hpp"

#include <algorithm>
#include <utility>

#include <boost/json.hpp>

#include "keys/jwk.hpp"

namespace gatehouse::keys {

Result<std::shared_ptr<const KeySet>> KeySet::create(const auth::KeyPair& signing,
                                                     const std::vector<auth::PublicKey>& others) {
  std::vector<Entry> entries;
  boost::json::array published;
  auto add = [&](auth::JwsAlgorithm alg, const auth::PkeyPtr& key) -> Status {
    auto jwk = public_jwk(alg, key.get());
    if (!jwk) return std::move(jwk).error();
    std::string kid(jwk->at("kid").as_string());
    const bool seen =
        std::any_of(entries.begin(), entries.end(), [&](const Entry& e) { return e.kid == kid; });
    if (seen) return ok_status();
    entries.push_back(Entry{std::move(kid), auth::JwsVerifier(alg, key)});
    published.emplace_back(std::move(*jwk));
    return ok_status();
  };
  if (auto st = add(signing.algorithm, signing.public_key); !st) return std::move(st).error();
  for (const auth::PublicKey& other : others) {
    if (auto st = add(other.algorithm, other.key); !st) return std::move(st).error();
  }
  // Key order as PyJWT writes headers, then the kid (RFC 7515 section 4.1.4).
  std::string header = "{\"typ\":\"JWT\",\"alg\":\"" +
                       std::string(auth::algorithm_name(signing.algorithm)) + "\",\"kid\":\"" +
                       entries.front().kid + "\"}";
  std::string jwks = boost::json::serialize(boost::json::object{{"keys", std::move(published)}});
  return std::shared_ptr<const KeySet>(
      new KeySet(auth::JwsSigner(signing.algorithm, signing.private_key), std::move(header),
                 std::move(entries), std::move(jwks)));
}

KeySet::KeySet(auth::JwsSigner signer, std::string header_json, std::vector<Entry> entries,
               std::string jwks_json)
    : signer_(std::move(signer)),
      header_json_(std::move(header_json)),
      entries_(std::move(entries)),
      jwks_json_(std::move(jwks_json)) {}

std::string KeySet::sign(std::string_view payload_json) const {
  return signer_.sign(header_json_, payload_json);
}

Result<std::string> KeySet::verify(std::string_view compact) const {
  auto decoded = auth::decode_jws(compact);
  if (!decoded) return std::move(decoded).error();
  if (!decoded->kid) return entries_.front().verifier.verify(std::move(*decoded));
  for (const Entry& entry : entries_) {
    if (entry.kid == *decoded->kid) return entry.verifier.verify(std::move(*decoded));
  }
  return Error{ErrorCode::kTokenInvalid,
               "kid " + boost::json::serialize(boost::json::string(*decoded->kid)).substr(0, 60) +
                   " is none of this server's keys"};
}

std::vector<std::string> KeySet::kids() const {
  std::vector<std::string> out;
  out.reserve(entries_.size());
  for (const Entry& entry : entries_) out.push_back(entry.kid);
  return out;
}

}  // namespace gatehouse::keys
