#include "store/sql/retry.hpp"

namespace gatehouse::store::sql {

RetryDecision decide_retry(const RetryRules& rules, const FailedAttempt& attempt) {
  if (attempt.commit_in_doubt) return RetryDecision::kGiveUp;
  switch (attempt.failure) {
    case FailureKind::kLockConflict:
      return attempt.lock_conflicts_before < rules.lock_conflict_retries ? RetryDecision::kRetry
                                                                         : RetryDecision::kGiveUp;
    case FailureKind::kLockTimeout:
      return attempt.lock_conflicts_before < rules.lock_timeout_retries ? RetryDecision::kRetry
                                                                        : RetryDecision::kGiveUp;
    case FailureKind::kConnectionLost:
      if (attempt.reconnected_before || attempt.took >= rules.stale_connection_window) {
        return RetryDecision::kGiveUp;
      }
      return RetryDecision::kReconnectAndRetry;
    default:
      return RetryDecision::kGiveUp;
  }
}

}  // namespace gatehouse::store::sql
