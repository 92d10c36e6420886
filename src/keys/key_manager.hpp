#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "auth/jws.hpp"
#include "auth/token_sealer.hpp"
#include "core/clock.hpp"
#include "core/periodic_thread.hpp"
#include "core/result.hpp"
#include "keys/key_schedule.hpp"
#include "keys/key_set.hpp"
#include "store/key_store.hpp"

namespace gatehouse::keys {

struct ManagedKeySettings {
  auth::JwsAlgorithm algorithm = auth::JwsAlgorithm::kRS256;  // new keys are made for it
  int rsa_bits = 3072;
  KeySchedule schedule;
  std::chrono::seconds poll_interval{30};
};

// JWT_KEYS=managed: the key set lives in the database (store::KeyStore), private keys sealed under
// KEYS_ENCRYPTION_SECRET. Every process re-reads the set every poll interval and derives each key's
// state from the rows and the time alone (plan_keys), so processes agree without talking: a new
// key is published for KeySchedule::publish_ahead before any process signs with it, and an old one
// verifies until no token it signed can be live, then is deleted. Rotation is automatic every
// rotation interval (any process may add the key; a second one racing it loses on the generation
// and takes the winner's) or on demand (`gatehouse keys rotate`). Thread-safe.
class KeyManager {
 public:
  KeyManager(store::KeyStore& store, const Clock& clock, std::string_view encryption_secret,
             ManagedKeySettings settings);
  ~KeyManager();

  // The set to serve at start-up. With no key in the database yet, the first one is made (it
  // signs at once: no token exists to confuse a verifier), or `import` when given: the .env pair
  // of a deployment moving from static keys, whose tokens so stay valid.
  Result<std::shared_ptr<const KeySet>> load(const std::optional<auth::KeyPair>& import);

  // Adds a next key now. kInternal when a next key is already waiting (rotating twice in a row
  // would only delay it).
  Result<store::SigningKeyRow> rotate();

  // A poll: re-reads, deletes expired keys, rotates when due; the set to serve (a new object only
  // when its keys changed).
  Result<std::shared_ptr<const KeySet>> refresh();

  struct Listed {
    store::SigningKeyRow row;  // private_sealed cleared
    KeyState state = KeyState::kNext;
    std::optional<SysTime> verifies_until;
  };
  Result<std::vector<Listed>> list();

  // Polls in a thread of its own, swapping each changed set into `ring`.
  void start(KeyRing& ring);
  void stop();

 private:
  Result<bool> add_key(const std::vector<store::SigningKeyRow>& rows,
                       std::optional<auth::KeyPair> import, SysTime signs_from);
  Result<std::shared_ptr<const KeySet>> build(const std::vector<store::SigningKeyRow>& rows,
                                              const KeyPlan& plan);
  Result<auth::PublicKey> public_key(const store::SigningKeyRow& row);
  Result<auth::KeyPair> key_pair(const store::SigningKeyRow& row);

  store::KeyStore& store_;
  const Clock& clock_;
  const auth::TokenSealer sealer_;
  const ManagedKeySettings settings_;
  std::mutex mutex_;  // one load/refresh/rotate at a time; guards the members below
  std::map<std::int64_t, auth::KeyPair> opened_;  // parsed keys by generation (no re-parsing)
  std::string served_;                            // the kids of `current_`, to see changes
  std::shared_ptr<const KeySet> current_;
  std::unique_ptr<PeriodicThread> poller_;
};

}  // namespace gatehouse::keys
