#pragma once

#include <memory>
#include <string>
#include <vector>

#include "auth/jws.hpp"
#include "core/result.hpp"
#include "keys/key_set.hpp"

namespace gatehouse::keys {

// JWT_KEYS=static: the .env's pair signs; each of JWT_PREVIOUS_PUBLIC_KEYS (PEM text, decoded)
// verifies and is published, so tokens signed before a hand rotation stay valid until they
// expire. Errors are one line naming the item ("JWT_PREVIOUS_PUBLIC_KEYS item 2: ...").
Result<std::shared_ptr<const KeySet>> static_key_set(const auth::KeyPair& active,
                                                     const std::vector<std::string>& previous_pems);

}  // namespace gatehouse::keys
