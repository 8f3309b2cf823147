#include "pipeline/frame_ring.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <random>
#include <set>
#include <thread>

namespace dlc::pipeline {
namespace {

// Decoder, three workers finishing in random order, writer: every frame comes out once, in
// order, and no more than the ring's slots are ever in flight.
TEST(FrameRing, FramesLeaveInOrderWithBoundedSlots) {
  constexpr std::int64_t kFrames = 500;
  FrameRing ring(5);
  std::atomic<int> in_flight{0};
  std::atomic<int> most_in_flight{0};
  std::thread decoder([&] {
    for (std::int64_t i = 0;; ++i) {
      auto* slot = ring.acquire_free();
      ASSERT_NE(slot, nullptr);
      if (i == kFrames) {
        ring.end_input(slot, kFrames);
        return;
      }
      const int now = ++in_flight;
      int seen = most_in_flight.load();
      while (now > seen && !most_in_flight.compare_exchange_weak(seen, now)) {
      }
      ring.submit(slot, i);
    }
  });
  std::vector<std::thread> workers;
  for (int w = 0; w < 3; ++w) {
    workers.emplace_back([&, w] {
      std::mt19937 random(static_cast<unsigned>(w));
      while (auto* slot = ring.take_work()) {
        std::this_thread::sleep_for(std::chrono::microseconds(random() % 200));
        ring.complete(slot);
      }
    });
  }
  std::vector<std::int64_t> written;
  while (auto* slot = ring.take_next_done()) {
    written.push_back(slot->index);
    --in_flight;
    ring.release(slot);
  }
  decoder.join();
  for (auto& w : workers) w.join();
  ASSERT_EQ(written.size(), static_cast<std::size_t>(kFrames));
  for (std::int64_t i = 0; i < kFrames; ++i) ASSERT_EQ(written[static_cast<std::size_t>(i)], i);
  EXPECT_LE(most_in_flight.load(), 5);
}

TEST(FrameRing, CloseReleasesEveryWaiter) {
  FrameRing ring(2);
  std::thread worker([&] { EXPECT_EQ(ring.take_work(), nullptr); });
  std::thread writer([&] { EXPECT_EQ(ring.take_next_done(), nullptr); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ring.close();
  worker.join();
  writer.join();
  EXPECT_EQ(ring.acquire_free(), nullptr);
}

TEST(FrameRing, EmptyInputEndsAtOnce) {
  FrameRing ring(3);
  ring.end_input(ring.acquire_free(), 0);
  EXPECT_EQ(ring.take_work(), nullptr);
  EXPECT_EQ(ring.take_next_done(), nullptr);
}

}  // namespace
}  // namespace dlc::pipeline
