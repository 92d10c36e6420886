#include "auth/session_sweeper.hpp"

#include <spdlog/spdlog.h>

namespace gatehouse::auth {

SessionSweeper::SessionSweeper(store::Store& store, const Clock& clock,
                               std::chrono::seconds interval, std::chrono::seconds audit_retention,
                               std::chrono::seconds retention)
    : store_(store),
      clock_(clock),
      audit_retention_(audit_retention),
      retention_(retention),
      thread_("gh-sweeper", interval, [this] { tick(); }) {}

Result<std::size_t> SessionSweeper::sweep_once() {
  const SysTime now = clock_.now();
  auto swept = store_.sweep(now, retention_);
  if (!swept || audit_retention_.count() == 0) return swept;
  auto events = store_.delete_events_before(now - audit_retention_);
  if (!events) return std::move(events).error();
  return *swept + *events;
}

void SessionSweeper::tick() {
  auto swept = sweep_once();
  if (!swept) {
    spdlog::warn("session sweep failed: {}", swept.error().internal);
  } else if (*swept > 0) {
    spdlog::info("session sweep: {} expired row(s) deleted", *swept);
  }
}

}  // namespace gatehouse::auth
