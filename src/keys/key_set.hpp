#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "auth/jws.hpp"
#include "core/result.hpp"

namespace gatehouse::keys {

// The keys one server process uses at one moment: the one that signs, and every public key that
// verifies (the signing one, keys that signed tokens still live, the next key). Immutable: a
// rotation builds a new set and swaps it into the KeyRing, so a request holds a consistent set
// for as long as it needs one. Thread-safe.
class KeySet {
 public:
  // The signing key (`signing.public_key` must be its public half) and the other keys to publish
  // and accept. A key listed twice, or the signing key listed again, is kept once. kInternal when
  // a key cannot be encoded as a JWK.
  static Result<std::shared_ptr<const KeySet>> create(const auth::KeyPair& signing,
                                                      const std::vector<auth::PublicKey>& others);

  // The compact JWS of `payload_json` under the header {"typ":"JWT","alg":..,"kid":..}.
  std::string sign(std::string_view payload_json) const;

  // Verifies with the key the token's `kid` names (its algorithm pinned); a token without a
  // `kid` (signed before kids existed) with the signing key. kTokenInvalid for an unknown kid and
  // for everything JwsVerifier::verify refuses.
  Result<std::string> verify(std::string_view compact) const;

  const std::string& signing_kid() const { return entries_.front().kid; }
  auth::JwsAlgorithm signing_algorithm() const { return signer_.algorithm(); }
  // The kids of every published key, the signing one first.
  std::vector<std::string> kids() const;
  // {"keys":[...]} as served at /.well-known/jwks.json, serialized once.
  const std::string& jwks_json() const { return jwks_json_; }

 private:
  struct Entry {
    std::string kid;
    auth::JwsVerifier verifier;
  };
  KeySet(auth::JwsSigner signer, std::string header_json, std::vector<Entry> entries,
         std::string jwks_json);

  auth::JwsSigner signer_;
  std::string header_json_;
  std::vector<Entry> entries_;  // the signing key first; a few keys, so a linear search
  std::string jwks_json_;
};

// Holds the current KeySet; readers take a reference-counted snapshot, a rotation swaps in the
// next. Thread-safe, and reading never blocks on a rotation's key work (that happens before
// replace).
class KeyRing {
 public:
  explicit KeyRing(std::shared_ptr<const KeySet> initial) : current_(std::move(initial)) {}
  std::shared_ptr<const KeySet> current() const { return current_.load(); }
  void replace(std::shared_ptr<const KeySet> next) { current_.store(std::move(next)); }

 private:
  std::atomic<std::shared_ptr<const KeySet>> current_;
};

}  // namespace gatehouse::keys
