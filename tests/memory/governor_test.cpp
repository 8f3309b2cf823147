#include "memory/governor.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

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
  EXPECT_EQ(governor.time_held(), waited);
}

constexpr std::uint64_t kMiB = 1ULL << 20;

// Readings handed out in turn, then the last one for ever.
RssGovernor::RssReader readings(std::vector<std::uint64_t> values) {
  auto next = std::make_shared<std::size_t>(0);
  return [values = std::move(values), next] { return values[std::min(values.size() - 1, (*next)++)]; };
}

TEST(RssGovernor, SaysOnceWhenThrottlingStartsWithTheFigures) {
  std::vector<std::string> warnings;
  // Over, under, over, under, then under: two holds, no sleeping.
  RssGovernor governor(2048 * kMiB, readings({2000 * kMiB, 100 * kMiB, 2000 * kMiB, 100 * kMiB, 100 * kMiB}), {},
                       [&](const std::string& text) { warnings.push_back(text); });
  for (int frame = 0; frame < 5; ++frame) governor.wait_for_room();
  EXPECT_EQ(governor.throttle_count(), 2u);
  EXPECT_EQ(governor.timeout_count(), 0u);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0],
            "RSS 2000.0 MB reached 95 % of the 2048.0 MB budget (--max-memory): holding frames back (at most "
            "2000 ms each) until it falls under 90 % (said once; the counts come at the end)");
}

TEST(RssGovernor, DropsFromTheHighMarkUntilUnderTheLowMark) {
  std::vector<std::string> warnings;
  int relieved = 0;
  // Budget 1000: high mark 950, low mark 900.
  RssGovernor governor(1000, readings({940, 960, 920, 890, 940, 990, 100}), [&] { ++relieved; },
                       [&](const std::string& text) { warnings.push_back(text); });
  std::vector<bool> dropped;
  for (int frame = 0; frame < 7; ++frame) dropped.push_back(governor.should_drop());
  EXPECT_EQ(dropped, (std::vector<bool>{false, true, true, false, false, true, false}));
  EXPECT_EQ(governor.dropped_count(), 3u);
  EXPECT_EQ(governor.throttle_count(), 2u);  // two episodes, each relieved once
  EXPECT_EQ(relieved, 2);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("dropping camera frames"), std::string::npos) << warnings[0];
}

}  // namespace
}  // namespace dlc::memory
