// libFuzzer target: a stored password hash as the database hands it over (argon2id and argon2i
// strings, passlib bcrypt), verified against a fixed password. The ceilings are lowered so that
// any hash the fuzzer gets accepted costs milliseconds; what is beyond them must be refused
// without work, which the fuzzer's timeout checks.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "auth/password_hasher.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const gatehouse::auth::PasswordHasher hasher(
      gatehouse::auth::Argon2Params{.memory_kib = 8192,
                                    .passes = 1,
                                    .verify_memory_ceiling_kib = 8192,
                                    .verify_passes_ceiling = 2,
                                    .verify_bcrypt_cost_ceiling = 5});
  (void)hasher.verify("Passw0rd!42", std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
