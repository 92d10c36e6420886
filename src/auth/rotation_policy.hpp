#pragma once

#include <chrono>
#include <optional>

#include "core/clock.hpp"
#include "store/session_store.hpp"

namespace gatehouse::auth {

// The rules of a refresh, as a pure function of what the store read under its write lock (the
// presented token, nullopt when unknown), the time and the reuse grace. The store carries the
// answer out in the same transaction (store::SessionStore::rotate_refresh_token).
//   kUnknown      no such token
//   kRevoked      its session was ended (logout, reuse, an admin): nothing changes
//   kGraceReplay  it was replaced less than `grace` ago, its replacement is still current and the
//                 session is live: a concurrent refresh (two tabs, a lost response), answered with
//                 the current token
//   kReused       it was replaced before: stolen or replayed, so the whole session ends
//   kExpired      the token's or the session's lifetime is over
//   kRotated      it is the current token: it is replaced
// Times are whole seconds (what the store keeps), so the grace honoured is between grace - 1 s
// and grace.
store::RotateOutcome decide_rotation(const std::optional<store::PresentedRefreshToken>& token,
                                     SysTime now, std::chrono::seconds grace);

}  // namespace gatehouse::auth
