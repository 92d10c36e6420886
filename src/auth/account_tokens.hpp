#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "auth/server_secret.hpp"
#include "auth/token_sealer.hpp"
#include "core/random.hpp"
#include "store/account_store.hpp"

namespace gatehouse::auth {

// What an account-lifecycle mail carries that must stay secret: the link's token (256 random bits,
// base64url) and its 6-digit code; for the e-mail-change notice, the new address.
struct MailSecret {
  std::string token;
  std::string code;
  std::string new_email;
};

// The cryptography of account tokens. The database holds only keyed hashes (BLAKE2b under keys
// derived from the server's private key), so neither a link nor a code can be recovered or
// checked offline from a copy of it; the outbox holds the secrets sealed until the mail is sent.
// Thread-safe.
class AccountTokens {
 public:
  static constexpr std::size_t kCodeDigits = 6;

  // `material`: private_key_material of the server's keys.
  AccountTokens(std::string_view material, Random& random);

  // A fresh token and code (uniform over 000000-999999).
  MailSecret generate() const;
  // The stored form of a link token (hex, 64 characters).
  std::string token_hash(std::string_view token) const;
  // The stored form of a code, bound to its token: the same code of two tokens hashes apart.
  std::string code_hash(std::string_view token_hash, std::string_view code) const;
  // Whether `code` is the code of `token`, in constant time.
  bool code_matches(const store::AccountToken& token, std::string_view code) const;

  std::string seal(const MailSecret& secret) const;
  // nullopt when `sealed` was not made by this server or was altered.
  std::optional<MailSecret> open(std::string_view sealed) const;

 private:
  std::string keyed_hash(const DerivedKey& key, std::string_view a, std::string_view b) const;

  DerivedKey token_key_;
  DerivedKey code_key_;
  TokenSealer sealer_;
  Random& random_;
};

}  // namespace gatehouse::auth
