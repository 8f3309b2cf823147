#include "pipeline/frame_swapper.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <thread>

namespace dlc::pipeline {
namespace {

std::vector<face::Face> one_face_at(float x) {
  face::Face f;
  f.box = {x, 0, 10, 10};
  return {f};
}

TEST(FaceCadence, EveryFrameDetectsWhenNIsOne) {
  FaceCadence cadence(1, 4);
  int calls = 0;
  for (int i = 0; i < 5; ++i) cadence.faces(i, [&] { return ++calls, one_face_at(static_cast<float>(i)); });
  EXPECT_EQ(calls, 5);
}

// Frames 0..29 from three threads in scrambled order within a window of 6 in flight: only the key
// frames detect, and each frame gets its key frame's faces.
TEST(FaceCadence, FramesBetweenKeysGetTheKeyFramesFaces) {
  constexpr int kEvery = 3;
  constexpr int kFrames = 30;
  FaceCadence cadence(kEvery, 6 / kEvery + 2);
  std::atomic<int> calls{0};
  std::vector<float> seen(kFrames, -1);
  std::atomic<int> next{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 random(static_cast<unsigned>(t));
      for (int i = next++; i < kFrames; i = next++) {
        std::this_thread::sleep_for(std::chrono::microseconds(random() % 500));
        const auto faces = cadence.faces(i, [&] {
          ++calls;
          return one_face_at(static_cast<float>(i));
        });
        seen[static_cast<std::size_t>(i)] = faces.front().box.x;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(calls.load(), kFrames / kEvery);
  for (int i = 0; i < kFrames; ++i) EXPECT_EQ(seen[static_cast<std::size_t>(i)], static_cast<float>(i - i % kEvery)) << i;
}

// A key frame whose detection fails lets its waiting frames go on (without faces).
TEST(FaceCadence, AFailedKeyFrameReleasesItsWaiters) {
  FaceCadence cadence(2, 3);
  EXPECT_THROW(cadence.faces(0, []() -> std::vector<face::Face> { throw std::runtime_error("x"); }),
               std::runtime_error);
  EXPECT_TRUE(cadence.faces(1, [] { return one_face_at(1); }).empty());
}

// A frame whose key frame has left the window detects for itself rather than wait forever.
TEST(FaceCadence, AKeyOutsideTheWindowIsDetectedAgain) {
  FaceCadence cadence(2, 2);
  for (int key : {0, 2, 4}) cadence.faces(key, [&] { return one_face_at(static_cast<float>(key)); });
  int calls = 0;
  const auto faces = cadence.faces(1, [&] { return ++calls, one_face_at(99); });
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(faces.front().box.x, 99.0f);
}

}  // namespace
}  // namespace dlc::pipeline
