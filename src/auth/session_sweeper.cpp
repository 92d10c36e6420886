#include "auth/session_sweeper.hpp"

#include <spdlog/spdlog.h>

namespace gatehouse::auth {

SessionSweeper::SessionSweeper(store::Store& store, const Clock& clock,
                               std::chrono::seconds interval, std::chrono::seconds retention)
    : store_(store),
      clock_(clock),
      retention_(retention),
      thread_("gh-sweeper", interval, [this] { tick(); }) {}

Result<std::size_t> SessionSweeper::sweep_once() {
  return store_.sweep(clock_.now(), retention_);
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
