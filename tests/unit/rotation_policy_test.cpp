// The rules of a refresh (auth::decide_rotation), as a pure function: every outcome, and which
// rule wins where several apply. The store carries them out (store_contract_test.cpp).

#include "auth/rotation_policy.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>

#include "core/clock.hpp"
#include "store/session_store.hpp"

namespace gatehouse::auth {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using store::PresentedRefreshToken;
using store::RotateOutcome;

// 2023-11-14 22:13:20 UTC.
const SysTime kT0 = from_unix_seconds(1'700'000'000);
constexpr seconds kGrace{10};

// The current token of a live session: made at kT0, an hour to live, in a session of a week.
PresentedRefreshToken current_token() {
  PresentedRefreshToken token;
  token.expires_at = kT0 + hours(1);
  token.session.id = "sid";
  token.session.user_id = 7;
  token.session.created_at = kT0;
  token.session.last_used_at = kT0;
  token.session.expires_at = kT0 + hours(24 * 7);
  return token;
}

// The same token, replaced at `retired_at`; `replacement_current` says whether its replacement is
// still the session's current token.
PresentedRefreshToken retired_token(SysTime retired_at, bool replacement_current = true) {
  PresentedRefreshToken token = current_token();
  token.retired_at = retired_at;
  token.replacement_current = replacement_current;
  return token;
}

RotateOutcome decide(const std::optional<PresentedRefreshToken>& token, SysTime now,
                     seconds grace = kGrace) {
  return decide_rotation(token, now, grace);
}

// ---- each outcome ----

TEST(DecideRotation, UnknownTokenIsUnknown) {
  EXPECT_EQ(decide(std::nullopt, kT0), RotateOutcome::kUnknown);
  EXPECT_EQ(decide(std::nullopt, kT0, seconds(0)), RotateOutcome::kUnknown);
}

TEST(DecideRotation, CurrentTokenOfALiveSessionIsRotated) {
  EXPECT_EQ(decide(current_token(), kT0), RotateOutcome::kRotated);
  EXPECT_EQ(decide(current_token(), kT0 + minutes(59)), RotateOutcome::kRotated);
  EXPECT_EQ(decide(current_token(), kT0 + minutes(30), seconds(0)), RotateOutcome::kRotated);
}

TEST(DecideRotation, TokenIsExpiredFromItsExpirySecond) {
  const PresentedRefreshToken token = current_token();
  EXPECT_EQ(decide(token, token.expires_at - seconds(1)), RotateOutcome::kRotated);
  EXPECT_EQ(decide(token, token.expires_at - milliseconds(1)), RotateOutcome::kRotated);
  EXPECT_EQ(decide(token, token.expires_at), RotateOutcome::kExpired);
  EXPECT_EQ(decide(token, token.expires_at + hours(1)), RotateOutcome::kExpired);
}

TEST(DecideRotation, SessionEndWinsOverAFresherToken) {
  PresentedRefreshToken token = current_token();
  token.session.expires_at = kT0 + minutes(30);
  EXPECT_EQ(decide(token, kT0 + minutes(30) - seconds(1)), RotateOutcome::kRotated);
  EXPECT_EQ(decide(token, kT0 + minutes(30)), RotateOutcome::kExpired);
  EXPECT_EQ(decide(token, kT0 + minutes(45)), RotateOutcome::kExpired);
}

TEST(DecideRotation, RevokedSessionIsRevoked) {
  PresentedRefreshToken token = current_token();
  token.session.revoked_at = kT0 + minutes(1);
  EXPECT_EQ(decide(token, kT0 + minutes(2)), RotateOutcome::kRevoked);
}

TEST(DecideRotation, RetiredTokenIsAReuse) {
  EXPECT_EQ(decide(retired_token(kT0 + minutes(1)), kT0 + minutes(2)), RotateOutcome::kReused);
  // Even when the retired token's own lifetime is over: a replay of it is still a theft.
  EXPECT_EQ(decide(retired_token(kT0 + minutes(1)), kT0 + hours(2)), RotateOutcome::kReused);
}

TEST(DecideRotation, ParentWithinGraceIsAGraceReplay) {
  EXPECT_EQ(decide(retired_token(kT0), kT0), RotateOutcome::kGraceReplay);
  EXPECT_EQ(decide(retired_token(kT0), kT0 + seconds(3)), RotateOutcome::kGraceReplay);
}

// ---- where rules meet ----

// Times are whole seconds: a token retired at second S is replayed within the grace up to second
// S + grace - 1, whatever the fractions, so the grace honoured is between grace - 1 s and grace.
TEST(DecideRotation, GraceEndsAtWholeSeconds) {
  EXPECT_EQ(decide(retired_token(kT0), kT0 + kGrace - seconds(1)), RotateOutcome::kGraceReplay);
  // Retired early in its second: replayed almost a whole grace later, still within it.
  EXPECT_EQ(decide(retired_token(kT0), kT0 + kGrace - milliseconds(1)),
            RotateOutcome::kGraceReplay);
  EXPECT_EQ(decide(retired_token(kT0), kT0 + kGrace), RotateOutcome::kReused);
  // Retired late in its second: the replay at the grace's second is a reuse although less than
  // the grace has passed.
  EXPECT_EQ(decide(retired_token(kT0 + milliseconds(999)), kT0 + kGrace + milliseconds(1)),
            RotateOutcome::kReused);
}

TEST(DecideRotation, NoGraceMeansEveryReplayIsAReuse) {
  EXPECT_EQ(decide(retired_token(kT0), kT0, seconds(0)), RotateOutcome::kReused);
  EXPECT_EQ(decide(retired_token(kT0), kT0 + milliseconds(500), seconds(0)),
            RotateOutcome::kReused);
}

// The grace is for the token just replaced: once its replacement has been replaced too (or was
// never stored sealed), a replay of it is a reuse even inside the interval.
TEST(DecideRotation, RetiredTokenWhoseReplacementIsNotCurrentIsAReuse) {
  EXPECT_EQ(decide(retired_token(kT0, /*replacement_current=*/false), kT0 + seconds(1)),
            RotateOutcome::kReused);
}

TEST(DecideRotation, RevokedBeatsGrace) {
  PresentedRefreshToken token = retired_token(kT0);
  token.session.revoked_at = kT0 + seconds(1);
  EXPECT_EQ(decide(token, kT0 + seconds(2)), RotateOutcome::kRevoked);
}

TEST(DecideRotation, RevokedBeatsReuseAndExpiry) {
  PresentedRefreshToken reused = retired_token(kT0 - hours(1));
  reused.session.revoked_at = kT0;
  EXPECT_EQ(decide(reused, kT0 + minutes(1)), RotateOutcome::kRevoked);

  PresentedRefreshToken expired = current_token();
  expired.session.revoked_at = kT0 + minutes(1);
  EXPECT_EQ(decide(expired, expired.expires_at + hours(1)), RotateOutcome::kRevoked);
  expired.session.expires_at = kT0 + minutes(10);
  EXPECT_EQ(decide(expired, kT0 + minutes(20)), RotateOutcome::kRevoked);
}

// An ended session gets no token, not even within the grace: the replay counts as a reuse.
TEST(DecideRotation, ExpiredSessionBeatsGrace) {
  PresentedRefreshToken token = retired_token(kT0);
  token.session.expires_at = kT0 + seconds(2);
  EXPECT_EQ(decide(token, kT0 + seconds(1)), RotateOutcome::kGraceReplay);
  EXPECT_EQ(decide(token, kT0 + seconds(2)), RotateOutcome::kReused);
  EXPECT_EQ(decide(token, kT0 + seconds(5)), RotateOutcome::kReused);
}

// A reuse is told apart from an expiry: a replayed token whose session ran out is a reuse, so the
// session is revoked rather than merely refused.
TEST(DecideRotation, RetiredBeatsExpired) {
  PresentedRefreshToken token = retired_token(kT0 - hours(2), /*replacement_current=*/false);
  token.session.expires_at = kT0 - hours(1);
  EXPECT_EQ(decide(token, kT0), RotateOutcome::kReused);
}

}  // namespace
}  // namespace gatehouse::auth
