// libFuzzer target: the compact JWS parser in front of every protected route (length, parts,
// base64url, header JSON and alg pinning, signature check, payload JSON).
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include "auth/jws.hpp"

namespace {
const gatehouse::auth::JwsVerifier& verifier() {
  static const gatehouse::auth::JwsVerifier instance = [] {
    using gatehouse::auth::JwsAlgorithm;
    auto pems = gatehouse::auth::generate_key_pair(JwsAlgorithm::kES256);
    if (!pems) throw std::runtime_error("key generation failed");
    auto keys =
        gatehouse::auth::load_key_pair(JwsAlgorithm::kES256, pems->private_pem, pems->public_pem);
    if (!keys) throw std::runtime_error("key loading failed");
    return gatehouse::auth::JwsVerifier(JwsAlgorithm::kES256, keys->public_key);
  }();
  return instance;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)verifier().verify(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
