// The retry rules of every backend (sql::decide_retry), as a pure function: an operation runs again
// only when nothing of it can have been committed.

#include "store/sql/retry.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include "store/sql/connection.hpp"

namespace gatehouse::store::sql {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// PostgreSQL's rules (open_postgres_database): one more attempt after a lock conflict or a lock
// timeout, and a lost connection retried when it failed within the connect timeout of the
// attempt's start.
RetryRules server_rules() {
  RetryRules rules;
  rules.lock_conflict_retries = 1;
  rules.lock_timeout_retries = 1;
  rules.stale_connection_window = seconds(2);
  return rules;
}

FailedAttempt failed(FailureKind failure, std::chrono::steady_clock::duration took = {}) {
  FailedAttempt attempt;
  attempt.failure = failure;
  attempt.took = took;
  return attempt;
}

// ---- lock conflicts ----

TEST(DecideRetry, LockConflictIsRetriedUpToTheRulesCount) {
  RetryRules rules = server_rules();
  rules.lock_conflict_retries = 3;
  FailedAttempt attempt = failed(FailureKind::kLockConflict);
  for (int before = 0; before < 3; ++before) {
    attempt.lock_conflicts_before = before;
    EXPECT_EQ(decide_retry(rules, attempt), RetryDecision::kRetry) << before;
  }
  attempt.lock_conflicts_before = 3;
  EXPECT_EQ(decide_retry(rules, attempt), RetryDecision::kGiveUp);
  attempt.lock_conflicts_before = 4;
  EXPECT_EQ(decide_retry(rules, attempt), RetryDecision::kGiveUp);
}

TEST(DecideRetry, LockConflictIsRetriedOnceOnServers) {
  FailedAttempt attempt = failed(FailureKind::kLockConflict, seconds(3));
  EXPECT_EQ(decide_retry(server_rules(), attempt), RetryDecision::kRetry);
  attempt.lock_conflicts_before = 1;
  EXPECT_EQ(decide_retry(server_rules(), attempt), RetryDecision::kGiveUp);
}

// Galera aborts a transaction at certification at once, so conflicts get several retries; a
// timed-out lock wait made the caller wait the whole timeout, so it gets few (MySQL: 4 and 1).
TEST(DecideRetry, LockTimeoutsHaveTheirOwnSmallerBudget) {
  RetryRules rules = server_rules();
  rules.lock_conflict_retries = 4;
  FailedAttempt timeout = failed(FailureKind::kLockTimeout);
  EXPECT_EQ(decide_retry(rules, timeout), RetryDecision::kRetry);
  timeout.lock_conflicts_before = 1;
  EXPECT_EQ(decide_retry(rules, timeout), RetryDecision::kGiveUp);
  FailedAttempt conflict = failed(FailureKind::kLockConflict);
  conflict.lock_conflicts_before = 3;
  EXPECT_EQ(decide_retry(rules, conflict), RetryDecision::kRetry);
  EXPECT_EQ(decide_retry(RetryRules{}, timeout), RetryDecision::kGiveUp);
}

// SQLite's busy handler has already waited out the busy timeout.
TEST(DecideRetry, LockConflictIsNeverRetriedWithoutRetries) {
  EXPECT_EQ(decide_retry(RetryRules{}, failed(FailureKind::kLockConflict)), RetryDecision::kGiveUp);
}

// The lock-conflict retries and the reconnect are counted apart.
TEST(DecideRetry, LockConflictAfterAReconnectIsStillRetried) {
  FailedAttempt attempt = failed(FailureKind::kLockConflict);
  attempt.reconnected_before = true;
  EXPECT_EQ(decide_retry(server_rules(), attempt), RetryDecision::kRetry);
}

// ---- lost connections ----

TEST(DecideRetry, ConnectionLostQuicklyIsRetriedOnAFreshConnection) {
  EXPECT_EQ(decide_retry(server_rules(), failed(FailureKind::kConnectionLost)),
            RetryDecision::kReconnectAndRetry);
  EXPECT_EQ(decide_retry(server_rules(), failed(FailureKind::kConnectionLost, milliseconds(1999))),
            RetryDecision::kReconnectAndRetry);
}

// A server that stopped answering (the attempt ran into a read timeout) is not asked again.
TEST(DecideRetry, ConnectionLostAfterTheWindowIsNotRetried) {
  EXPECT_EQ(decide_retry(server_rules(), failed(FailureKind::kConnectionLost, seconds(2))),
            RetryDecision::kGiveUp);
  EXPECT_EQ(decide_retry(server_rules(), failed(FailureKind::kConnectionLost, seconds(5))),
            RetryDecision::kGiveUp);
}

TEST(DecideRetry, ConnectionLostIsRetriedOnceOnly) {
  FailedAttempt attempt = failed(FailureKind::kConnectionLost, milliseconds(1));
  attempt.reconnected_before = true;
  EXPECT_EQ(decide_retry(server_rules(), attempt), RetryDecision::kGiveUp);
}

TEST(DecideRetry, ConnectionLostAfterLockConflictsIsStillRetriedOnce) {
  FailedAttempt attempt = failed(FailureKind::kConnectionLost, milliseconds(1));
  attempt.lock_conflicts_before = 1;
  EXPECT_EQ(decide_retry(server_rules(), attempt), RetryDecision::kReconnectAndRetry);
}

// Without a window (SQLite: a local file is never "lost") nothing is retried.
TEST(DecideRetry, ConnectionLostIsNeverRetriedWithoutAWindow) {
  EXPECT_EQ(decide_retry(RetryRules{}, failed(FailureKind::kConnectionLost)),
            RetryDecision::kGiveUp);
}

// ---- a COMMIT in doubt ----

// The COMMIT may have been carried out: repeating the operation could apply it twice.
TEST(DecideRetry, CommitInDoubtIsNeverRetried) {
  FailedAttempt lost = failed(FailureKind::kConnectionLost, milliseconds(1));
  lost.commit_in_doubt = true;
  EXPECT_EQ(decide_retry(server_rules(), lost), RetryDecision::kGiveUp);

  FailedAttempt conflict = failed(FailureKind::kLockConflict);
  conflict.commit_in_doubt = true;
  EXPECT_EQ(decide_retry(server_rules(), conflict), RetryDecision::kGiveUp);
}

// ---- other failures ----

TEST(DecideRetry, OtherFailuresAreNeverRetried) {
  RetryRules generous;
  generous.lock_conflict_retries = 10;
  generous.stale_connection_window = seconds(60);
  for (const FailureKind kind : {FailureKind::kNone, FailureKind::kUniqueViolation,
                                 FailureKind::kForeignKeyViolation, FailureKind::kOther}) {
    EXPECT_EQ(decide_retry(generous, failed(kind)), RetryDecision::kGiveUp) << to_string(kind);
  }
}

}  // namespace
}  // namespace gatehouse::store::sql
