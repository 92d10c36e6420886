// The admin policies (src/admin/admin_policy.hpp): who may use the admin API, the guard rails that
// keep an active admin, and what a change writes besides its fields.
#include <gtest/gtest.h>

#include <chrono>

#include "admin/admin_policy.hpp"
#include "auth/audit_trail.hpp"

namespace gatehouse::admin {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

const SysTime kNow = SysTime{} + std::chrono::hours(24 * 365 * 50);

store::User account(std::int64_t id, std::string role, bool disabled = false) {
  store::User u;
  u.id = id;
  u.email = "u" + std::to_string(id) + "@example.com";
  u.name = "U";
  u.role = std::move(role);
  if (disabled) u.disabled_at = kNow - minutes(1);
  return u;
}

TEST(AdminAccess, NeedsAnActiveAdminWithARecentPassword) {
  const minutes fresh(15);
  EXPECT_TRUE(check_admin_access(account(1, "admin"), kNow - minutes(15), kNow, fresh));
  EXPECT_EQ(check_admin_access(account(1, "admin"), kNow - minutes(15) - seconds(1), kNow, fresh)
                .error()
                .code,
            ErrorCode::kReauthenticate);
  EXPECT_EQ(check_admin_access(account(1, "user"), kNow, kNow, fresh).error().code,
            ErrorCode::kAdminRequired);
  EXPECT_EQ(check_admin_access(account(1, "admin", true), kNow, kNow, fresh).error().code,
            ErrorCode::kAdminRequired);
  // A role the policy does not know is no admin either.
  EXPECT_EQ(check_admin_access(account(1, "Admin"), kNow, kNow, fresh).error().code,
            ErrorCode::kAdminRequired);
  EXPECT_TRUE(is_known_role("user"));
  EXPECT_TRUE(is_known_role("admin"));
  EXPECT_FALSE(is_known_role("root"));
  EXPECT_FALSE(is_known_role(""));
}

TEST(AdminGuardRails, AnAdminNeverDisablesOrDeletesTheirOwnAccount) {
  const store::User me = account(7, "admin");
  store::UserChange disable{.disabled = true};
  EXPECT_EQ(check_admin_change(me, disable, AdminAction::kChange, 7, 3).error().code,
            ErrorCode::kOwnAccount);
  EXPECT_EQ(check_admin_change(me, {}, AdminAction::kDelete, 7, 3).error().code,
            ErrorCode::kOwnAccount);
  // Renaming oneself, or stepping down while another admin remains, is fine.
  EXPECT_TRUE(check_admin_change(me, {.name = "Me"}, AdminAction::kChange, 7, 3));
  EXPECT_TRUE(check_admin_change(me, {.role = "user"}, AdminAction::kChange, 7, 2));
  // The operator at the command line has no account of their own.
  EXPECT_TRUE(check_admin_change(me, disable, AdminAction::kChange, std::nullopt, 2));
}

TEST(AdminGuardRails, TheLastActiveAdminStays) {
  const store::User last = account(1, "admin");
  for (const store::UserChange& ends :
       {store::UserChange{.role = "user"}, store::UserChange{.disabled = true}}) {
    EXPECT_EQ(check_admin_change(last, ends, AdminAction::kChange, 2, 1).error().code,
              ErrorCode::kLastAdmin);
    EXPECT_EQ(check_admin_change(last, ends, AdminAction::kChange, std::nullopt, 1).error().code,
              ErrorCode::kLastAdmin);
    EXPECT_TRUE(check_admin_change(last, ends, AdminAction::kChange, 2, 2));
  }
  EXPECT_EQ(check_admin_change(last, {}, AdminAction::kDelete, std::nullopt, 1).error().code,
            ErrorCode::kLastAdmin);
  // Changes that keep the admin an admin, and accounts that are no active admin, are free.
  EXPECT_TRUE(check_admin_change(last, {.role = "admin"}, AdminAction::kChange, 2, 1));
  EXPECT_TRUE(check_admin_change(last, {.disabled = false}, AdminAction::kChange, 2, 1));
  EXPECT_TRUE(check_admin_change(last, {.verified = false}, AdminAction::kChange, 2, 1));
  EXPECT_TRUE(check_admin_change(account(3, "admin", true), {}, AdminAction::kDelete, 2, 1));
  EXPECT_TRUE(check_admin_change(account(3, "user"), {}, AdminAction::kDelete, 2, 1));
}

store::AuditEvent base() {
  return store::AuditEvent{.at = kNow, .ip = "192.0.2.1", .user_agent = "ua", .actor_id = 9};
}

TEST(AdminChangePlan, ARoleChangeOrADisablingEndsTheSessionsAndSaysSo) {
  const store::User alice = account(5, "user");
  store::ChangePlan plan = plan_admin_change(alice, {.role = "admin"}, base());
  EXPECT_TRUE(plan.end_sessions);
  EXPECT_EQ(plan.revoke_reason, "role_changed");
  ASSERT_EQ(plan.events.size(), 1u);
  EXPECT_EQ(plan.events[0].event, "role_changed");
  EXPECT_EQ(plan.events[0].detail, "user -> admin");
  EXPECT_EQ(plan.events[0].email, alice.email);
  EXPECT_EQ(plan.events[0].actor_id, 9);

  plan = plan_admin_change(alice, {.name = "A", .verified = true, .disabled = true}, base());
  EXPECT_TRUE(plan.end_sessions);
  EXPECT_EQ(plan.revoke_reason, "account_disabled");
  ASSERT_EQ(plan.events.size(), 2u);
  EXPECT_EQ(plan.events[0].event, "user_updated");
  EXPECT_EQ(plan.events[0].detail, "name, verified=true");
  EXPECT_EQ(plan.events[1].event, "account_disabled");

  // Enabling ends nothing; a change to what already is plans nothing at all.
  plan = plan_admin_change(account(5, "user", true), {.disabled = false}, base());
  EXPECT_FALSE(plan.end_sessions);
  ASSERT_EQ(plan.events.size(), 1u);
  EXPECT_EQ(plan.events[0].event, "account_enabled");
  plan = plan_admin_change(alice, {.name = "U", .role = "user", .verified = false}, base());
  EXPECT_FALSE(plan.end_sessions);
  EXPECT_TRUE(plan.events.empty());
}

}  // namespace
}  // namespace gatehouse::admin
