// The store's contract for the account lifecycle: account tokens (single use, one per purpose,
// counted code failures) and the outbox (claims that never hand one mail to two senders), run on
// every backend like store_contract_test.cpp.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <latch>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store_contract_fixture.hpp"

namespace gatehouse::store {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using testing::kT0;

class MailStoreContractTest : public testing::StoreContractFixture {
 protected:
  // Queues a mail to `recipient` and claims it for `claimer`; its id.
  std::int64_t queued_and_claimed(const std::string& recipient, const std::string& claimer,
                                  std::optional<std::int64_t> user_id = std::nullopt) {
    auto id = store_->enqueue_mail(
        NewMail{.kind = "reset_password", .recipient = recipient, .user_id = user_id, .now = kT0});
    EXPECT_TRUE(id) << id.error().internal;
    auto claimed = store_->claim_mail(claimer, kT0, kT0 + minutes(5), 100);
    EXPECT_TRUE(claimed) << claimed.error().internal;
    return id ? *id : 0;
  }

  AccountToken token(std::int64_t user_id, const std::string& hash, const std::string& purpose,
                     SysTime created = kT0) {
    return AccountToken{.token_hash = hash,
                        .user_id = user_id,
                        .purpose = purpose,
                        .code_hash = "code-" + hash,
                        .email = "to@example.com",
                        .created_at = created,
                        .expires_at = created + minutes(30)};
  }

  // Issues `t` through a freshly queued and claimed mail; true when it was written.
  bool issue(const AccountToken& t) {
    const std::int64_t mail = queued_and_claimed(t.email, "sender-a", t.user_id);
    auto issued = store_->issue_account_token(t, mail, "sender-a", "sealed-" + t.token_hash);
    EXPECT_TRUE(issued) << issued.error().internal;
    return issued && *issued;
  }
};

INSTANTIATE_TEST_SUITE_P(Backends, MailStoreContractTest,
                         ::testing::ValuesIn(testing::all_backends()), testing::backend_test_name);

// ---- account tokens ----

TEST_P(MailStoreContractTest, IssuedTokenReadsBackAndSealsItsMail) {
  const User user = create("token@example.com");
  const std::int64_t mail = queued_and_claimed("token@example.com", "sender-a", user.id);
  auto issued =
      store_->issue_account_token(token(user.id, "h1", "reset_password"), mail, "sender-a", "s1");
  ASSERT_TRUE(issued) << issued.error().internal;
  EXPECT_TRUE(*issued);

  auto found = store_->find_account_token("h1");
  ASSERT_TRUE(found) << found.error().internal;
  ASSERT_TRUE(*found);
  EXPECT_EQ((*found)->user_id, user.id);
  EXPECT_EQ((*found)->purpose, "reset_password");
  EXPECT_EQ((*found)->code_hash, "code-h1");
  EXPECT_EQ((*found)->email, "to@example.com");
  EXPECT_EQ((*found)->created_at, kT0);
  EXPECT_EQ((*found)->expires_at, kT0 + minutes(30));
  EXPECT_EQ((*found)->failed_codes, 0);
  EXPECT_EQ(backend().scalar("SELECT secret FROM api_outbox WHERE id = " + std::to_string(mail)),
            "s1");

  auto missing = store_->find_account_token("nope");
  ASSERT_TRUE(missing) << missing.error().internal;
  EXPECT_FALSE(*missing);
}

TEST_P(MailStoreContractTest, ANewTokenEndsThePreviousOneOfItsPurposeOnly) {
  const User user = create("purpose@example.com");
  ASSERT_TRUE(issue(token(user.id, "reset-1", "reset_password")));
  ASSERT_TRUE(issue(token(user.id, "verify-1", "verify_email")));
  ASSERT_TRUE(issue(token(user.id, "reset-2", "reset_password", kT0 + seconds(1))));

  EXPECT_FALSE(*store_->find_account_token("reset-1"));
  EXPECT_TRUE(*store_->find_account_token("reset-2"));
  EXPECT_TRUE(*store_->find_account_token("verify-1"));

  auto to = store_->find_account_tokens_by_email("to@example.com");
  ASSERT_TRUE(to) << to.error().internal;
  ASSERT_EQ(to->size(), 2u);
  EXPECT_EQ((*to)[0].token_hash, "reset-2") << "newest first";
}

TEST_P(MailStoreContractTest, ALostClaimWritesNoToken) {
  const User user = create("lost@example.com");
  const std::int64_t mail = queued_and_claimed("lost@example.com", "sender-a", user.id);
  auto issued =
      store_->issue_account_token(token(user.id, "h1", "verify_email"), mail, "sender-b", "s");
  ASSERT_TRUE(issued) << issued.error().internal;
  EXPECT_FALSE(*issued);
  EXPECT_FALSE(*store_->find_account_token("h1"));
  EXPECT_EQ(backend().scalar("SELECT secret FROM api_outbox WHERE id = " + std::to_string(mail)),
            "NULL");
}

TEST_P(MailStoreContractTest, FailedCodesAreCounted) {
  const User user = create("codes@example.com");
  ASSERT_TRUE(issue(token(user.id, "h1", "verify_email")));
  for (std::int64_t expected = 1; expected <= 3; ++expected) {
    auto count = store_->count_failed_code("h1");
    ASSERT_TRUE(count) << count.error().internal;
    EXPECT_EQ(*count, expected);
  }
  EXPECT_EQ((*store_->find_account_token("h1"))->failed_codes, 3);
  auto gone = store_->count_failed_code("unknown");
  ASSERT_TRUE(gone) << gone.error().internal;
  EXPECT_EQ(*gone, 0);
}

TEST_P(MailStoreContractTest, UsingATokenAppliesTheUpdateOnceAndOnlyBeforeItExpires) {
  const User user = create("use@example.com");
  const User other = create("other@example.com");
  ASSERT_TRUE(issue(token(user.id, "reset", "reset_password")));
  ASSERT_TRUE(issue(token(user.id, "verify", "verify_email")));
  ASSERT_TRUE(store_->create_session(testing::make_session(user.id, "s1", "r1")));
  ASSERT_TRUE(store_->create_session(testing::make_session(user.id, "s2", "r2")));
  ASSERT_TRUE(store_->create_session(testing::make_session(other.id, "s3", "r3")));

  AccountUpdate update;
  update.password_hash = "new-hash";
  update.verified = false;
  update.end_sessions = true;
  update.revoke_reason = "password_reset";
  update.end_token_purposes = {"verify_email"};
  update.mails.push_back(NewMail{.kind = "password_changed",
                                 .recipient = "use@example.com",
                                 .user_id = user.id,
                                 .now = kT0 + minutes(1)});

  // Expired: nothing happens.
  auto late = store_->use_account_token("reset", kT0 + minutes(31), update);
  ASSERT_TRUE(late) << late.error().internal;
  EXPECT_FALSE(*late);
  EXPECT_TRUE(*store_->find_account_token("reset"));

  auto used = store_->use_account_token("reset", kT0 + minutes(1), update);
  ASSERT_TRUE(used) << used.error().internal;
  ASSERT_TRUE(*used);
  EXPECT_EQ((*used)->user.id, user.id);
  EXPECT_EQ((*used)->user.password_hash, "new-hash");
  EXPECT_FALSE((*used)->user.verified);
  EXPECT_EQ((*used)->user.email, "use@example.com") << "unset fields stay";
  EXPECT_EQ((*used)->sessions_ended, 2u) << "r1 and r2";
  EXPECT_FALSE(*store_->find_account_token("reset"));
  EXPECT_FALSE(*store_->find_account_token("verify"));
  EXPECT_TRUE(testing::session_of(*store_, "r1").revoked_at);
  EXPECT_TRUE(testing::session_of(*store_, "r2").revoked_at);
  EXPECT_FALSE(testing::session_of(*store_, "r3").revoked_at) << "another user's session";
  EXPECT_EQ(backend().scalar("SELECT COUNT(*) FROM api_outbox WHERE kind = 'password_changed'"),
            "1");

  auto again = store_->use_account_token("reset", kT0 + minutes(2), update);
  ASSERT_TRUE(again) << again.error().internal;
  EXPECT_FALSE(*again) << "single use";
}

TEST_P(MailStoreContractTest, ConcurrentUsesOfOneTokenHaveOneWinner) {
  constexpr int kThreads = 6;
  const User user = create("race@example.com");
  ASSERT_TRUE(issue(token(user.id, "h1", "verify_email")));
  AccountUpdate update;
  update.verified = true;
  std::latch start(kThreads);
  std::atomic<int> winners = 0;
  std::atomic<int> errors = 0;
  {
    std::vector<std::jthread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&] {
        start.arrive_and_wait();
        auto used = store_->use_account_token("h1", kT0 + minutes(1), update);
        if (!used) {
          ++errors;
        } else if (*used) {
          ++winners;
        }
      });
    }
  }
  EXPECT_EQ(errors, 0);
  EXPECT_EQ(winners, 1);
}

TEST_P(MailStoreContractTest, AnEmailTakenMeanwhileUndoesTheWholeUse) {
  const User user = create("old@example.com");
  create("taken@example.com");
  ASSERT_TRUE(issue(token(user.id, "change", "change_email")));
  AccountUpdate update;
  update.email = "taken@example.com";
  update.end_sessions = true;
  update.revoke_reason = "email_changed";
  ASSERT_TRUE(store_->create_session(testing::make_session(user.id, "s1", "r1")));

  auto used = store_->use_account_token("change", kT0 + minutes(1), update);
  ASSERT_FALSE(used);
  EXPECT_EQ(used.error().code, ErrorCode::kAccountExists);
  EXPECT_TRUE(*store_->find_account_token("change")) << "the token stays for another try";
  EXPECT_FALSE(testing::session_of(*store_, "r1").revoked_at);
  EXPECT_EQ((*store_->find_user_by_id(user.id))->email, "old@example.com");
}

TEST_P(MailStoreContractTest, UpdateAccountKeepsTheNamedSession) {
  const User user = create("keep@example.com");
  ASSERT_TRUE(store_->create_session(testing::make_session(user.id, "mine", "r1")));
  ASSERT_TRUE(store_->create_session(testing::make_session(user.id, "theirs", "r2")));
  ASSERT_TRUE(issue(token(user.id, "reset", "reset_password")));
  AccountUpdate update;
  update.password_hash = "changed";
  update.end_sessions = true;
  update.keep_sid = "mine";
  update.revoke_reason = "password_changed";
  update.end_token_purposes = {"reset_password"};
  auto updated = store_->update_account(user.id, update, kT0 + hours(1));
  ASSERT_TRUE(updated) << updated.error().internal;
  EXPECT_EQ(updated->user.password_hash, "changed");
  EXPECT_EQ(updated->user.updated_at, kT0 + hours(1));
  EXPECT_EQ(updated->sessions_ended, 1u);
  EXPECT_FALSE(testing::session_of(*store_, "r1").revoked_at);
  EXPECT_TRUE(testing::session_of(*store_, "r2").revoked_at);
  EXPECT_FALSE(*store_->find_account_token("reset"));

  auto gone = store_->update_account(user.id + 100, update, kT0);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::kUserGone);
}

// ---- the outbox ----

TEST_P(MailStoreContractTest, MailIsClaimedOnceUntilItsLeaseRunsOut) {
  auto first = store_->enqueue_mail(NewMail{.kind = "verify_email",
                                            .recipient = "a@example.com",
                                            .user_id = 7,
                                            .secret = "sealed",
                                            .now = kT0});
  ASSERT_TRUE(first) << first.error().internal;
  auto second =
      store_->enqueue_mail(NewMail{.kind = "notice", .recipient = "b@example.com", .now = kT0});
  ASSERT_TRUE(second) << second.error().internal;
  EXPECT_GT(*second, *first);

  auto claimed = store_->claim_mail("a", kT0, kT0 + minutes(1), 10);
  ASSERT_TRUE(claimed) << claimed.error().internal;
  ASSERT_EQ(claimed->size(), 2u);
  const OutboxMail& m = (*claimed)[0];
  EXPECT_EQ(m.id, *first) << "oldest first";
  EXPECT_EQ(m.kind, "verify_email");
  EXPECT_EQ(m.recipient, "a@example.com");
  EXPECT_EQ(m.user_id, std::optional<std::int64_t>(7));
  EXPECT_EQ(m.secret, std::optional<std::string>("sealed"));
  EXPECT_EQ(m.created_at, kT0);
  EXPECT_EQ(m.attempts, 0);
  EXPECT_EQ((*claimed)[1].user_id, std::nullopt);
  EXPECT_EQ((*claimed)[1].secret, std::nullopt);

  EXPECT_TRUE(store_->claim_mail("b", kT0 + seconds(30), kT0 + minutes(2), 10)->empty())
      << "held by a";
  auto taken_over = store_->claim_mail("b", kT0 + minutes(2), kT0 + minutes(3), 1);
  ASSERT_TRUE(taken_over) << taken_over.error().internal;
  ASSERT_EQ(taken_over->size(), 1u) << "a's lease ran out; the limit is 1";
  EXPECT_EQ((*taken_over)[0].id, *first);

  // Only the holder settles it.
  auto by_a = store_->mail_sent(*first, "a", kT0 + minutes(2));
  ASSERT_TRUE(by_a) << by_a.error().internal;
  EXPECT_FALSE(*by_a);
  auto by_b = store_->mail_sent(*first, "b", kT0 + minutes(2));
  ASSERT_TRUE(by_b) << by_b.error().internal;
  EXPECT_TRUE(*by_b);
  EXPECT_EQ(backend().scalar("SELECT secret FROM api_outbox WHERE id = " + std::to_string(*first)),
            "NULL")
      << "the secret goes with the send";
  EXPECT_EQ(*store_->pending_mail_count(), 1u);
  EXPECT_TRUE(store_->claim_mail("c", kT0 + hours(1), kT0 + hours(2), 10)->size() == 1)
      << "only the unsettled one";
}

TEST_P(MailStoreContractTest, AFailedSendIsRetriedWhenDue) {
  auto id = store_->enqueue_mail(NewMail{.kind = "k", .recipient = "r@example.com", .now = kT0});
  ASSERT_TRUE(id) << id.error().internal;
  ASSERT_EQ(store_->claim_mail("a", kT0, kT0 + minutes(1), 10)->size(), 1u);
  auto failed = store_->mail_failed(*id, "a", kT0 + minutes(10), "connection refused");
  ASSERT_TRUE(failed) << failed.error().internal;
  EXPECT_TRUE(*failed);
  EXPECT_TRUE(store_->claim_mail("a", kT0 + minutes(9), kT0 + minutes(20), 10)->empty())
      << "not due yet, though no claim holds it";
  auto due = store_->claim_mail("b", kT0 + minutes(10), kT0 + minutes(20), 10);
  ASSERT_TRUE(due) << due.error().internal;
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].attempts, 1);
  EXPECT_EQ(backend().scalar("SELECT last_error FROM api_outbox"), "connection refused");

  auto dropped = store_->mail_dropped(*id, "b", kT0 + minutes(10), "no such account");
  ASSERT_TRUE(dropped) << dropped.error().internal;
  EXPECT_TRUE(*dropped);
  EXPECT_EQ(backend().scalar("SELECT outcome FROM api_outbox"), "dropped");
  EXPECT_EQ(*store_->pending_mail_count(), 0u);
}

TEST_P(MailStoreContractTest, ConcurrentClaimersNeverShareAMail) {
  constexpr int kMails = 40;
  constexpr int kThreads = 4;
  for (int i = 0; i < kMails; ++i) {
    ASSERT_TRUE(store_->enqueue_mail(
        NewMail{.kind = "k", .recipient = std::to_string(i) + "@example.com", .now = kT0}));
  }
  std::latch start(kThreads);
  std::vector<std::vector<std::int64_t>> got(kThreads);
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        start.arrive_and_wait();
        const std::string me = "sender-" + std::to_string(t);
        while (true) {
          auto claimed = store_->claim_mail(me, kT0, kT0 + minutes(5), 3);
          if (!claimed) {
            ADD_FAILURE() << claimed.error().internal;
            return;
          }
          if (claimed->empty()) return;
          for (const OutboxMail& m : *claimed) got[t].push_back(m.id);
        }
      });
    }
  }
  std::set<std::int64_t> all;
  std::size_t total = 0;
  for (const auto& ids : got) {
    total += ids.size();
    all.insert(ids.begin(), ids.end());
  }
  EXPECT_EQ(total, static_cast<std::size_t>(kMails)) << "no mail handed out twice";
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kMails)) << "every mail handed out";
}

TEST_P(MailStoreContractTest, SweepDeletesExpiredTokensAndOldSettledMail) {
  const User user = create("sweep@example.com");
  ASSERT_TRUE(issue(token(user.id, "h1", "verify_email")));
  const std::int64_t mail_id = queued_and_claimed("x@example.com", "sender-a");
  // issue() queued one more mail, claimed by the same sender: settle both.
  ASSERT_TRUE(*store_->mail_sent(mail_id, "sender-a", kT0));
  EXPECT_EQ(*store_->pending_mail_count(), 1u);

  auto swept = store_->sweep(kT0 + minutes(10), hours(24));
  ASSERT_TRUE(swept) << swept.error().internal;
  EXPECT_EQ(*swept, 0u) << "the token lives, the mail was sent within the retention";
  swept = store_->sweep(kT0 + hours(25), hours(24));
  ASSERT_TRUE(swept) << swept.error().internal;
  EXPECT_EQ(*swept, 2u) << "the expired token and the mail sent a day ago";
  EXPECT_FALSE(*store_->find_account_token("h1"));
  EXPECT_EQ(*store_->pending_mail_count(), 1u) << "unsent mail is never swept";
}

}  // namespace
}  // namespace gatehouse::store
