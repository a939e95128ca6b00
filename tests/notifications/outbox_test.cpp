#include "notifications/outbox.h"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "cases/kinds.h"
#include "tests/support/test_database.h"
#include "workflow/engine.h"

namespace s2s::notifications {
namespace {

TEST(OutboxTest, EventsQueueMessagesInTheirOwnTransaction) {
  testing::TestDatabase test_db;
  auto db = test_db.open_migrated();
  EXPECT_EQ(outbox_counts(*db).pending, 0);
  workflow::Engine engine(db, cases::all_kinds());
  const auto c = engine.open_case("support_request", 100001, {{"source", "self"}, {"summary", "help"}}, "lead:a");
  EXPECT_EQ(outbox_counts(*db).pending, 1);  // referral_received
  // A refused event queues nothing.
  EXPECT_THROW(engine.apply(c.id, "close", {}, "lead:a", engine.today()), workflow::EngineError);
  const auto counts = outbox_counts(*db);
  EXPECT_EQ(counts.pending, 1);
  EXPECT_EQ(counts.sent, 0);
  EXPECT_EQ(counts.dead, 0);
}

}  // namespace
}  // namespace s2s::notifications
