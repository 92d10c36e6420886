#include "keys/static_keys.hpp"

namespace gatehouse::keys {

Result<std::shared_ptr<const KeySet>> static_key_set(
    const auth::KeyPair& active, const std::vector<std::string>& previous_pems) {
  std::vector<auth::PublicKey> previous;
  for (std::size_t i = 0; i < previous_pems.size(); ++i) {
    auto key = auth::load_public_key(active.algorithm, previous_pems[i],
                                     "JWT_PREVIOUS_PUBLIC_KEYS item " + std::to_string(i + 1));
    if (!key) return std::move(key).error();
    previous.push_back(std::move(*key));
  }
  return KeySet::create(active, previous);
}

}  // namespace gatehouse::keys
