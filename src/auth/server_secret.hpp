#pragma once

#include <sodium.h>

#include <array>
#include <string>
#include <string_view>

#include "auth/jws.hpp"

namespace gatehouse::auth {

// Key material only the server holds, for the keys it derives itself (the refresh-token seal, the
// device cookies' MAC): the JWT private key's DER encoding. The same key in PKCS#1 or PKCS#8 PEM,
// with other line breaks or base64 wrapping, gives the same bytes, so re-encoding the key does not
// change what the server derives from it.
std::string private_key_material(const KeyPair& keys);

// A 32-byte key for one purpose (`context`, e.g. "gatehouse refresh-token seal v1"): BLAKE2b of the
// material keyed by the context, so no two purposes share a key and none is the signing key.
using DerivedKey = std::array<unsigned char, 32>;
DerivedKey derive_key(std::string_view material, std::string_view context);

}  // namespace gatehouse::auth
