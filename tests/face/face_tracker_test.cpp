#include "face/face_tracker.hpp"

#include <gtest/gtest.h>

#include <random>

namespace dlc::face {
namespace {

Face face_at(float x, float y, float size = 100) {
  Face f;
  f.box = {x, y, size, size};
  f.score = 0.9f;
  f.has_kps = true;
  f.kps = {cv::Point2f(x + 0.3f * size, y + 0.4f * size), cv::Point2f(x + 0.7f * size, y + 0.4f * size),
           cv::Point2f(x + 0.5f * size, y + 0.6f * size), cv::Point2f(x + 0.35f * size, y + 0.8f * size),
           cv::Point2f(x + 0.65f * size, y + 0.8f * size)};
  return f;
}

TrackerOptions options(std::optional<OneEuroParams> smoothing, int hold = 0) {
  TrackerOptions o;
  o.smoothing = smoothing;
  o.hold_frames = hold;
  return o;
}

TEST(FaceTracker, PresetsByName) {
  EXPECT_FALSE(smoothing_preset("off")->has_value());
  const auto light = smoothing_preset("light")->value();
  const auto strong = smoothing_preset("strong")->value();
  EXPECT_GT(light.min_cutoff, strong.min_cutoff);  // strong smooths more
  EXPECT_DOUBLE_EQ(light.lead, 1.0);               // light cancels its lag
  EXPECT_DOUBLE_EQ(strong.lead, 0.0);
  EXPECT_TRUE(smoothing_preset("default")->has_value());
  EXPECT_FALSE(smoothing_preset("heavy"));
}

TEST(FaceTracker, KeepsIdsAcrossFramesAndStartsNewOnes) {
  FaceTracker tracker(options(std::nullopt));
  auto out = tracker.update({face_at(0, 0), face_at(400, 0)}, 0.0);
  ASSERT_EQ(out.size(), 2u);
  const auto left = out[0].track;
  const auto right = out[1].track;
  EXPECT_NE(left, right);
  // Listed the other way round and moved a little: the same tracks.
  out = tracker.update({face_at(405, 2), face_at(4, 1)}, 0.04);
  ASSERT_EQ(out.size(), 2u);
  for (const auto& f : out) {
    EXPECT_EQ(f.track, f.face.box.x > 200 ? right : left);
    EXPECT_EQ(f.age, 2);
    EXPECT_FALSE(f.predicted);
  }
  // Smoothing off: the geometry is the detection's.
  EXPECT_FLOAT_EQ(out[0].face.box.x + out[1].face.box.x, 409.0f);
  // A face far from both: a third track.
  out = tracker.update({face_at(900, 300)}, 0.08);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NE(out[0].track, left);
  EXPECT_NE(out[0].track, right);
}

TEST(FaceTracker, EmbeddingsKeepTwoOverlappingPeopleApart) {
  FaceTracker tracker(options(std::nullopt));
  auto a = face_at(0, 0);
  a.embedding = {1, 0};
  auto b = face_at(30, 0);
  b.embedding = {0, 1};
  const auto first = tracker.update({a, b}, 0.0);
  // They swap places; overlap alone would link each to the other's track.
  auto a2 = face_at(30, 0);
  a2.embedding = {1, 0};
  auto b2 = face_at(0, 0);
  b2.embedding = {0, 1};
  const auto second = tracker.update({a2, b2}, 0.04);
  ASSERT_EQ(second.size(), 2u);
  for (const auto& f : second) {
    EXPECT_EQ(f.track, f.face.embedding[0] > 0.5f ? first[0].track : first[1].track);
  }
}

TEST(FaceTracker, SmoothingHalvesTheJitterOfAStillFace) {
  const auto jitter = [](std::optional<OneEuroParams> smoothing) {
    FaceTracker tracker(options(smoothing));
    std::mt19937 rng(3);
    std::normal_distribution<float> noise(0.0f, 2.0f);
    double squared = 0;
    for (int i = 0; i < 200; ++i) {
      const auto out = tracker.update({face_at(200 + noise(rng), 100 + noise(rng))}, i / 25.0);
      if (i < 25) continue;
      const auto dx = out.at(0).face.kps[kNose].x - 250.0;
      squared += dx * dx;
    }
    return std::sqrt(squared / 175);
  };
  const double raw = jitter(std::nullopt);
  EXPECT_NEAR(raw, 2.0, 0.4);
  EXPECT_LT(jitter(*smoothing_preset("default")), raw / 2);
}

TEST(FaceTracker, HoldsAMissedFaceOnItsPredictedPathThenDropsIt) {
  FaceTracker tracker(options(std::nullopt, 2));
  for (int i = 0; i < 10; ++i) tracker.update({face_at(100 + 4.0f * i, 50)}, i / 25.0);  // 100 px/s
  auto out = tracker.update({}, 10 / 25.0);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].predicted);
  EXPECT_NEAR(out[0].face.box.x, 140.0, 1.5);  // carried on at the track's speed, not held still
  EXPECT_EQ(tracker.update({}, 11 / 25.0).size(), 1u);
  EXPECT_TRUE(tracker.update({}, 12 / 25.0).empty());  // missed for a third frame: gone
  // Found again after that: a new track.
  out = tracker.update({face_at(152, 50)}, 13 / 25.0);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].age, 1);
}

TEST(FaceTracker, WithoutHoldAMissedFaceIsGoneAtOnce) {
  FaceTracker tracker(options(std::nullopt, 0));
  tracker.update({face_at(100, 50)}, 0.0);
  EXPECT_TRUE(tracker.update({}, 0.04).empty());
}

TEST(FaceTracker, CarryMovesTracksBetweenKeyFrames) {
  FaceTracker tracker(options(*smoothing_preset("default")));
  for (int i = 0; i < 20; ++i) tracker.update({face_at(100 + 4.0f * i, 50)}, i / 25.0);
  const auto at_key = tracker.carry(19 / 25.0).at(0).face.box.x;
  const auto later = tracker.carry(22 / 25.0).at(0).face.box.x;
  EXPECT_NEAR(later - at_key, 12.0, 2.5);  // three frames at 4 px a frame
  EXPECT_TRUE(tracker.carry(22 / 25.0).at(0).predicted);
}

TEST(FaceTracker, AJumpStartsTheFiltersAgain) {
  FaceTracker tracker(options(*smoothing_preset("strong")));
  for (int i = 0; i < 20; ++i) tracker.update({face_at(100, 50)}, i / 25.0);
  // 40 px at once (IoU 0.43 with the prediction): the same track, at the new place at once.
  const auto out = tracker.update({face_at(140, 50)}, 20 / 25.0);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_GT(out[0].age, 1);
  EXPECT_FLOAT_EQ(out[0].face.box.x, 140.0f);
}

TEST(FaceTracker, LandmarksFollowTheSmoothedPoints) {
  FaceTracker tracker(options(*smoothing_preset("strong")));
  auto f = face_at(100, 50);
  f.landmarks = {f.kps[kNose]};
  tracker.update({f}, 0.0);
  auto g = face_at(103, 50);
  g.landmarks = {g.kps[kNose]};
  const auto out = tracker.update({g}, 0.04);
  ASSERT_EQ(out.at(0).face.landmarks.size(), 1u);
  EXPECT_NEAR(out[0].face.landmarks[0].x, out[0].face.kps[kNose].x, 1e-3);
  EXPECT_LT(out[0].face.kps[kNose].x, g.kps[kNose].x);  // smoothed: not all the way yet
}

TEST(FaceTracker, DropForgetsOneTrack) {
  FaceTracker tracker(options(std::nullopt, 5));
  const auto out = tracker.update({face_at(0, 0), face_at(400, 0)}, 0.0);
  tracker.drop(out[0].track);
  EXPECT_EQ(tracker.tracks(), 1u);
}

}  // namespace
}  // namespace dlc::face
