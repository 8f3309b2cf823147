#include "pipeline/latest_queue.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace dlc::pipeline {
namespace {

TEST(LatestQueue, FullQueueDropsTheOldest) {
  LatestQueue<int> queue(2);
  EXPECT_FALSE(queue.push(1).has_value());
  EXPECT_FALSE(queue.push(2).has_value());
  const auto dropped = queue.push(3);
  ASSERT_TRUE(dropped.has_value());
  EXPECT_EQ(*dropped, 1);
  EXPECT_EQ(queue.dropped(), 1u);
  EXPECT_EQ(queue.size(), 2u);
  EXPECT_EQ(queue.pop(), 2);
  EXPECT_EQ(queue.pop(), 3);
  EXPECT_EQ(queue.size(), 0u);
}

TEST(LatestQueue, CloseDrainsThenEnds) {
  LatestQueue<int> queue(2);
  queue.push(7);
  queue.close();
  const auto refused = queue.push(8);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(*refused, 8);
  EXPECT_EQ(queue.dropped(), 0u);  // a refused push is not a drop
  EXPECT_EQ(queue.pop(), 7);
  EXPECT_EQ(queue.pop(), std::nullopt);
  int out = 0;
  EXPECT_EQ(queue.pop_for(out, std::chrono::milliseconds(1)), LatestQueue<int>::Pop::kClosed);
}

TEST(LatestQueue, PopForTimesOutWhenEmpty) {
  LatestQueue<int> queue(2);
  int out = -1;
  EXPECT_EQ(queue.pop_for(out, std::chrono::milliseconds(5)), LatestQueue<int>::Pop::kTimeout);
  EXPECT_EQ(out, -1);
  queue.push(4);
  EXPECT_EQ(queue.pop_for(out, std::chrono::milliseconds(5)), LatestQueue<int>::Pop::kItem);
  EXPECT_EQ(out, 4);
}

TEST(LatestQueue, PushWaitLosesNothing) {
  LatestQueue<int> queue(2);
  constexpr int kItems = 2000;
  std::thread producer([&] {
    for (int i = 0; i < kItems; ++i) {
      int item = i;
      ASSERT_TRUE(queue.push_wait(item));
    }
    queue.close();
  });
  int expected = 0;
  while (auto item = queue.pop()) ASSERT_EQ(*item, expected++);
  producer.join();
  EXPECT_EQ(expected, kItems);
  EXPECT_EQ(queue.dropped(), 0u);
}

TEST(LatestQueue, CloseReleasesAWaitingPush) {
  LatestQueue<int> queue(1);
  queue.push(1);
  bool pushed = true;
  int item = 2;
  std::thread producer([&] { pushed = queue.push_wait(item); });
  queue.close();
  producer.join();
  EXPECT_FALSE(pushed);
  EXPECT_EQ(item, 2);  // left with the caller
  EXPECT_EQ(queue.take_all(), std::vector<int>{1});
}

// A fast producer and a slow consumer: the consumer sees increasing items, never more than the
// slots behind, every item is either taken or counted as dropped, and the newest always arrives.
TEST(LatestQueue, SlowConsumerSeesTheNewest) {
  LatestQueue<int> queue(2);
  constexpr int kItems = 5000;
  std::thread producer([&] {
    for (int i = 0; i < kItems; ++i) {
      queue.push(i);
      if (i % 100 == 0) std::this_thread::yield();
    }
    queue.close();
  });
  std::vector<int> taken;
  while (auto item = queue.pop()) {
    taken.push_back(*item);
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  producer.join();
  ASSERT_FALSE(taken.empty());
  for (std::size_t i = 1; i < taken.size(); ++i) ASSERT_GT(taken[i], taken[i - 1]);
  EXPECT_EQ(taken.back(), kItems - 1);
  EXPECT_EQ(taken.size() + queue.dropped(), static_cast<std::size_t>(kItems));
}

}  // namespace
}  // namespace dlc::pipeline
