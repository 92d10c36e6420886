#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"

namespace gatehouse::store {

// One managed signing key (`{prefix}signing_key`, JWT_KEYS=managed).
struct SigningKeyRow {
  std::int64_t generation = 0;  // order of creation; unique
  std::string kid;              // RFC 7638 thumbprint of the public key
  std::string algorithm;        // "RS256", "ES256", "EdDSA" ...
  std::string public_pem;
  std::string private_sealed;  // the private PEM sealed under KEYS_ENCRYPTION_SECRET
  SysTime created_at;          // published from here
  SysTime signs_from;          // signs from here (until a newer key does)
};

// The managed key set, shared by every server process on the database. Thread-safe, blocking.
class KeyStore {
 public:
  virtual ~KeyStore() = default;

  // Every key, oldest generation first.
  virtual Result<std::vector<SigningKeyRow>> list_signing_keys() = 0;
  // Adds `row`. False when its generation is taken (another process rotated at the same time:
  // re-read and use theirs).
  virtual Result<bool> insert_signing_key(const SigningKeyRow& row) = 0;
  // Removes a key no live token can need any more.
  virtual Status delete_signing_key(std::int64_t generation) = 0;
};

}  // namespace gatehouse::store
