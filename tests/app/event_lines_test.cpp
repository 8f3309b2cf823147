#include "app/event_lines.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace dlc::app::events {
namespace {

using std::chrono::milliseconds;
using Clock = RecentRate::Clock;

// A fake clock: the readings are given.
const Clock::time_point kStart{};

// 30 fps for ten seconds, then 10 fps: within a second the rate says 10, where the average since
// the start would still say 28.
TEST(RecentRate, FollowsASlowdownWithinASecond) {
  RecentRate rate(kStart);
  auto t = kStart;
  std::int64_t frames = 0;
  for (int i = 0; i < 300; ++i, ++frames) {
    t += milliseconds(1000) / 30;
    rate.add(t);
  }
  EXPECT_NEAR(rate.per_second(t), 30.0, 2.0);
  for (int i = 0; i < 12; ++i, ++frames) {
    t += milliseconds(100);
    rate.add(t);
  }
  EXPECT_NEAR(rate.per_second(t), 10.0, 2.0);  // a window of 0.5 to 1 s: a frame more or less
  const double average = static_cast<double>(frames) / std::chrono::duration<double>(t - kStart).count();
  EXPECT_GT(average, 25.0);  // what the events said before
}

// No frame for a while: the rate falls to 0 (not the last rate kept); the first frames count
// from the start.
TEST(RecentRate, AStallIsZeroAndTheStartCounts) {
  RecentRate rate(kStart);
  EXPECT_EQ(rate.per_second(kStart), 0.0);
  rate.add(kStart + milliseconds(100));
  rate.add(kStart + milliseconds(200));
  EXPECT_NEAR(rate.per_second(kStart + milliseconds(250)), 8.0, 1e-9);  // 2 frames in 0.25 s
  EXPECT_EQ(rate.per_second(kStart + milliseconds(5000)), 0.0);
  rate.add(kStart + milliseconds(5100));
  EXPECT_NEAR(rate.per_second(kStart + milliseconds(5100)), 1.0 / 0.6, 1e-9);  // one frame in the last 0.6 s
}

}  // namespace
}  // namespace dlc::app::events
