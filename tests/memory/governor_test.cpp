#include "memory/governor.hpp"

#include <gtest/gtest.h>

#include <atomic>

namespace dlc::memory {
namespace {

TEST(RssGovernor, UnderTheHighMarkNobodyWaits) {
  int relieved = 0;
  RssGovernor governor(1000, [] { return std::uint64_t{940}; }, [&] { ++relieved; });
  EXPECT_EQ(governor.high_mark_bytes(), 950u);
  EXPECT_EQ(governor.low_mark_bytes(), 900u);
  EXPECT_EQ(governor.wait_for_room().count(), 0);
  EXPECT_EQ(relieved, 0);
  EXPECT_EQ(governor.throttle_count(), 0u);
}

TEST(RssGovernor, WaitsUntilRssFallsUnderTheLowMark) {
  // RSS starts at the budget and falls by 20 bytes per reading, as if a consumer drained a queue.
  std::atomic<std::uint64_t> rss{1000};
  int relieved = 0;
  RssGovernor governor(
      1000, [&] { return rss.fetch_sub(20); }, [&] { ++relieved; });
  governor.wait_for_room(std::chrono::seconds(5));
  EXPECT_LT(rss.load() + 20, 900u + 1);  // the last reading was under the low mark
  EXPECT_EQ(relieved, 1);
  EXPECT_EQ(governor.throttle_count(), 1u);
  EXPECT_EQ(governor.timeout_count(), 0u);
}

TEST(RssGovernor, GivesUpAfterMaxWaitInsteadOfHanging) {
  RssGovernor governor(1000, [] { return std::uint64_t{2000}; });
  const auto waited = governor.wait_for_room(std::chrono::milliseconds(60));
  EXPECT_GE(waited.count(), 60);
  EXPECT_EQ(governor.timeout_count(), 1u);
}

}  // namespace
}  // namespace dlc::memory
