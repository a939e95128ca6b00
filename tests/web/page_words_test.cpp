// The words pages print figures and instants in.
#include <gtest/gtest.h>

#include "web/page.h"

namespace s2s::web {
namespace {

TEST(PageWordsTest, InstantsAreShownInLondonTimeAndFiguresInThousands) {
  EXPECT_EQ(long_date_time("2026-12-01T14:05:00.000000Z"), "1 December 2026 at 14:05");  // GMT
  EXPECT_EQ(long_date_time("2026-07-01T13:05:00.000000Z"), "1 July 2026 at 14:05");      // BST
  EXPECT_EQ(long_date_time("2026-06-30T23:30:00.000000Z"), "1 July 2026 at 00:30");      // the next day in London
  EXPECT_EQ(long_date_time("2026-12-01"), "1 December 2026");                            // a day alone
  EXPECT_EQ(long_date_time("nonsense"), "nonsense");
  EXPECT_EQ(thousands(0), "0");
  EXPECT_EQ(thousands(999), "999");
  EXPECT_EQ(thousands(1000), "1,000");
  EXPECT_EQ(thousands(1234567), "1,234,567");
}

}  // namespace
}  // namespace s2s::web
