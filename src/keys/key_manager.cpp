#include "keys/key_manager.hpp"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "keys/jwk.hpp"

namespace gatehouse::keys {
namespace {

Error key_error(std::string message) {
  return Error{ErrorCode::kInternal, std::move(message)};
}

std::vector<ScheduledKey> scheduled(const std::vector<store::SigningKeyRow>& rows) {
  std::vector<ScheduledKey> out;
  out.reserve(rows.size());
  for (const auto& row : rows) out.push_back({row.generation, row.signs_from});
  return out;
}

// A PEM text that is wiped when it goes.
struct WipedString {
  std::string text;
  ~WipedString() { sodium_memzero(text.data(), text.size()); }
};

}  // namespace

KeyManager::KeyManager(store::KeyStore& store, const Clock& clock,
                       std::string_view encryption_secret, ManagedKeySettings settings)
    : store_(store),
      clock_(clock),
      sealer_(encryption_secret, auth::TokenSealer::kSigningKeys),
      settings_(settings) {}

KeyManager::~KeyManager() {
  stop();
}

Result<auth::KeyPair> KeyManager::key_pair(const store::SigningKeyRow& row) {
  if (auto it = opened_.find(row.generation); it != opened_.end()) return it->second;
  auto alg = auth::parse_algorithm(row.algorithm);
  if (!alg) return key_error("signing key " + row.kid + ": unknown algorithm " + row.algorithm);
  std::optional<std::string> opened = sealer_.open(row.private_sealed);
  if (!opened) {
    return key_error("KEYS_ENCRYPTION_SECRET does not open signing key " + row.kid +
                     " (was the secret changed? set the one the keys were sealed with)");
  }
  const WipedString private_pem{std::move(*opened)};
  auto pair = auth::load_key_pair(*alg, private_pem.text, row.public_pem);
  if (!pair) return key_error("signing key " + row.kid + ": " + pair.error().internal);
  // The kid is the key's thumbprint: a row whose kid does not match was altered.
  auto jwk = public_jwk(*alg, pair->public_key.get());
  if (!jwk) return std::move(jwk).error();
  if (jwk->at("kid").as_string() != row.kid) {
    return key_error("signing key " + row.kid + ": the kid is not its key's thumbprint");
  }
  opened_.emplace(row.generation, *pair);
  return std::move(*pair);
}

Result<auth::PublicKey> KeyManager::public_key(const store::SigningKeyRow& row) {
  auto pair = key_pair(row);
  if (!pair) return std::move(pair).error();
  return auth::PublicKey{pair->algorithm, pair->public_key};
}

Result<std::shared_ptr<const KeySet>> KeyManager::build(
    const std::vector<store::SigningKeyRow>& rows, const KeyPlan& plan) {
  if (!plan.active) return key_error("no signing key in the database");
  std::string served;
  std::vector<auth::PublicKey> others;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (i == *plan.active || plan.states[i] == KeyState::kExpired) continue;
    auto key = public_key(rows[i]);
    if (!key) return std::move(key).error();
    others.push_back(std::move(*key));
    served += "," + rows[i].kid;
  }
  const auto& active_row = rows[*plan.active];
  served = active_row.kid + served;
  if (current_ && served == served_) return current_;
  auto pair = key_pair(active_row);
  if (!pair) return std::move(pair).error();
  auto set = KeySet::create(*pair, others);
  if (!set) return std::move(set).error();
  spdlog::info("signing keys: {} signs ({}); published: {}", active_row.kid, active_row.algorithm,
               served);
  current_ = std::move(*set);
  served_ = std::move(served);
  // Keys no longer served need not stay parsed.
  std::erase_if(opened_, [&](const auto& entry) {
    return std::none_of(rows.begin(), rows.end(),
                        [&](const auto& row) { return row.generation == entry.first; });
  });
  return current_;
}

Result<bool> KeyManager::add_key(const std::vector<store::SigningKeyRow>& rows,
                                 std::optional<auth::KeyPair> import, SysTime signs_from) {
  store::SigningKeyRow row;
  row.generation = rows.empty() ? 1 : rows.back().generation + 1;
  WipedString private_pem;
  if (import) {
    auto pems = auth::pem_pair_of(*import);
    if (!pems) return std::move(pems).error();
    private_pem.text = std::move(pems->private_pem);
    row.public_pem = std::move(pems->public_pem);
    row.algorithm = std::string(auth::algorithm_name(import->algorithm));
  } else {
    auto pems = auth::generate_key_pair(settings_.algorithm, settings_.rsa_bits);
    if (!pems) return std::move(pems).error();
    private_pem.text = std::move(pems->private_pem);
    row.public_pem = std::move(pems->public_pem);
    row.algorithm = std::string(auth::algorithm_name(settings_.algorithm));
  }
  auto alg = auth::parse_algorithm(row.algorithm);
  if (!alg) return std::move(alg).error();
  auto pair = auth::load_key_pair(*alg, private_pem.text, row.public_pem);
  if (!pair) return std::move(pair).error();
  auto jwk = public_jwk(*alg, pair->public_key.get());
  if (!jwk) return std::move(jwk).error();
  row.kid = std::string(jwk->at("kid").as_string());
  row.private_sealed = sealer_.seal(private_pem.text);
  row.created_at = clock_.now();
  row.signs_from = signs_from;
  // Rows keep whole seconds: round a later start up, so the wait is never shorter than planned.
  if (signs_from > row.created_at) row.signs_from += std::chrono::seconds(1);
  auto inserted = store_.insert_signing_key(row);
  if (!inserted) return std::move(inserted).error();
  if (*inserted) {
    spdlog::info("signing keys: added {} ({}), signs from {} (unix)", row.kid, row.algorithm,
                 unix_seconds(row.signs_from));
  }
  return *inserted;
}

Result<std::shared_ptr<const KeySet>> KeyManager::load(const std::optional<auth::KeyPair>& import) {
  const std::lock_guard lock(mutex_);
  auto rows = store_.list_signing_keys();
  if (!rows) return std::move(rows).error();
  if (rows->empty()) {
    // The first key signs at once. Two processes starting together race on generation 1.
    auto added = add_key(*rows, import, clock_.now());
    if (!added) return std::move(added).error();
    rows = store_.list_signing_keys();
    if (!rows) return std::move(rows).error();
    if (import && !rows->empty() && *added) {
      spdlog::info(
          "signing keys: the .env pair is the first managed key; tokens it signed stay "
          "valid");
    }
  }
  const KeyPlan plan = plan_keys(scheduled(*rows), clock_.now(), settings_.schedule);
  return build(*rows, plan);
}

Result<store::SigningKeyRow> KeyManager::rotate() {
  const std::lock_guard lock(mutex_);
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto rows = store_.list_signing_keys();
    if (!rows) return std::move(rows).error();
    const SysTime now = clock_.now();
    const KeyPlan plan = plan_keys(scheduled(*rows), now, settings_.schedule);
    if (plan.active && *plan.active + 1 < rows->size()) {
      return key_error("key " + rows->back().kid + " is already waiting to sign (from unix " +
                       std::to_string(unix_seconds(rows->back().signs_from)) +
                       "); rotate again after that");
    }
    const SysTime signs_from = rows->empty() ? now : now + settings_.schedule.publish_ahead;
    auto added = add_key(*rows, std::nullopt, signs_from);
    if (!added) return std::move(added).error();
    if (!*added) continue;  // another process added one first: look again
    auto after = store_.list_signing_keys();
    if (!after) return std::move(after).error();
    store::SigningKeyRow row = after->back();
    row.private_sealed.clear();
    return row;
  }
  return key_error("another process kept adding keys at the same time; try again");
}

Result<std::shared_ptr<const KeySet>> KeyManager::refresh() {
  const std::lock_guard lock(mutex_);
  auto rows = store_.list_signing_keys();
  if (!rows) return std::move(rows).error();
  const SysTime now = clock_.now();
  KeyPlan plan = plan_keys(scheduled(*rows), now, settings_.schedule);
  bool changed = false;
  for (std::size_t i = 0; i < rows->size(); ++i) {
    if (plan.states[i] != KeyState::kExpired) continue;
    if (auto st = store_.delete_signing_key((*rows)[i].generation); !st) {
      return std::move(st).error();
    }
    spdlog::info("signing keys: dropped {} (no token it signed can be live)", (*rows)[i].kid);
    changed = true;
  }
  if (plan.rotation_due) {
    auto added = add_key(*rows, std::nullopt, now + settings_.schedule.publish_ahead);
    if (!added) return std::move(added).error();
    changed = true;  // ours or another process's: read again either way
  }
  if (changed) {
    rows = store_.list_signing_keys();
    if (!rows) return std::move(rows).error();
    plan = plan_keys(scheduled(*rows), now, settings_.schedule);
  }
  return build(*rows, plan);
}

Result<std::vector<KeyManager::Listed>> KeyManager::list() {
  auto rows = store_.list_signing_keys();
  if (!rows) return std::move(rows).error();
  const KeyPlan plan = plan_keys(scheduled(*rows), clock_.now(), settings_.schedule);
  std::vector<Listed> out;
  for (std::size_t i = 0; i < rows->size(); ++i) {
    Listed item{.row = std::move((*rows)[i]),
                .state = plan.states[i],
                .verifies_until = plan.verifies_until[i]};
    item.row.private_sealed.clear();
    out.push_back(std::move(item));
  }
  return out;
}

void KeyManager::start(KeyRing& ring) {
  poller_ = std::make_unique<PeriodicThread>(
      "gh-keys", std::chrono::duration_cast<std::chrono::milliseconds>(settings_.poll_interval),
      [this, &ring] {
        auto set = refresh();
        if (!set) {
          // The set in use stays: its keys remain valid for a while (keep_after covers a poll).
          spdlog::error("signing keys: cannot refresh the key set: {}", set.error().internal);
          return;
        }
        if (ring.current() != *set) ring.replace(std::move(*set));
      });
  poller_->start();
}

void KeyManager::stop() {
  if (poller_) poller_->stop();
}

}  // namespace gatehouse::keys
