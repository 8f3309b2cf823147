#include "processors/mouth_mask.hpp"

#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <numbers>

namespace dlc::processors {
namespace {

// 106 landmarks: the lip outline 52–63 on a circle of radius 20 around (300.5, 200.5); the inner
// lip 64–71 far off to the right, so a mask that took 52–71 would be four times as wide.
face::Face lips_face() {
  face::Face f;
  f.landmarks.assign(106, cv::Point2f(300.5f, 200.5f));
  for (int i = 0; i < 12; ++i) {
    const double angle = 2.0 * std::numbers::pi * i / 12.0;
    f.landmarks[static_cast<std::size_t>(52 + i)] =
        cv::Point2f(static_cast<float>(300.5 + 20 * std::cos(angle)), static_cast<float>(200.5 + 20 * std::sin(angle)));
  }
  for (int i = 64; i < 72; ++i) f.landmarks[static_cast<std::size_t>(i)] = {460.0f, 200.5f};
  return f;
}

TEST(MouthMask, OutlineIsLips52To63Truncated) {
  const auto polygon = mouth_polygon(lips_face(), 0.0);
  ASSERT_EQ(polygon.size(), 12u);
  EXPECT_EQ(polygon[0], cv::Point(320, 200));  // (320.5, 200.5) truncated
  EXPECT_EQ(polygon[3], cv::Point(300, 220));  // (300.5, 220.5)
  EXPECT_EQ(polygon[6], cv::Point(280, 200));  // (280.5, 200.5)
  // Extent 280..320 × 180..220, +10 % (4 px) each side: points 64–71 are left out.
  const cv::Mat frame(400, 640, CV_8UC3, cv::Scalar(1, 2, 3));
  const auto mouth = save_mouth(frame, lips_face(), 0.0);
  EXPECT_EQ(mouth.region, cv::Rect(cv::Point(276, 176), cv::Point(324, 224)));
}

// Size 100 (the slider's top): ×3 across and above the centre, ×9 below it (towards the chin).
TEST(MouthMask, SizeStretchesTowardsTheChin) {
  const auto polygon = mouth_polygon(lips_face(), 100.0);
  EXPECT_EQ(polygon[0], cv::Point(360, 200));  // 300.5 + 3·20
  EXPECT_EQ(polygon[9], cv::Point(300, 140));  // above: 200.5 − 3·20 = 140.5
  EXPECT_EQ(polygon[3], cv::Point(300, 380));  // below: 200.5 + 9·20 = 380.5
  const auto half = mouth_polygon(lips_face(), 50.0);
  EXPECT_EQ(half[0], cv::Point(340, 200));     // ×2
  EXPECT_EQ(half[3], cv::Point(300, 280));     // ×4
  EXPECT_EQ(mouth_polygon(lips_face(), 250.0), polygon);  // clamped to 100
}

// --draw-mouth-mask: the polygon's outline drawn in green, nothing else touched; a larger size
// draws a larger outline (the lips' circle at 0, ×3 across and ×9 down at 100).
TEST(MouthMask, OutlineIsDrawnAndGrowsWithTheSize) {
  const auto extent = [](double size) {
    cv::Mat frame(400, 640, CV_8UC3, cv::Scalar(1, 2, 3));
    draw_mouth_outline(frame, lips_face(), size);
    cv::Mat changed;
    cv::inRange(frame, cv::Scalar(1, 2, 3), cv::Scalar(1, 2, 3), changed);
    cv::bitwise_not(changed, changed);
    return cv::boundingRect(changed);
  };
  const auto lips = extent(0.0);
  const auto chin = extent(100.0);
  EXPECT_NEAR(lips.x, 280, 2);
  EXPECT_NEAR(lips.br().x, 321, 2);
  EXPECT_NEAR(chin.x, 240, 2);
  EXPECT_NEAR(chin.br().y, 381, 2);
  EXPECT_GT(chin.area(), 4 * lips.area());
  cv::Mat frame(400, 640, CV_8UC3, cv::Scalar(1, 2, 3));
  draw_mouth_outline(frame, lips_face(), 0.0);
  const auto on = frame.at<cv::Vec3b>(200, 320);  // on the outline: green (BGR, anti-aliased)
  EXPECT_GT(on[1], 150);
  EXPECT_LT(std::max(on[0], on[2]), 50);
  EXPECT_EQ(frame.at<cv::Vec3b>(200, 300), cv::Vec3b(1, 2, 3));    // inside it: as it was
  // No lip points: nothing drawn.
  cv::Mat untouched(50, 50, CV_8UC3, cv::Scalar(1, 2, 3));
  draw_mouth_outline(untouched, face::Face{}, 50.0);
  EXPECT_EQ(cv::countNonZero(untouched.reshape(1) != cv::Mat(untouched.reshape(1)).clone()), 0);
}

TEST(MouthMask, FeatherIsNormalisedToOne) {
  const cv::Mat frame(400, 640, CV_8UC3, cv::Scalar(1, 2, 3));
  const auto mouth = save_mouth(frame, lips_face(), 0.0);
  ASSERT_EQ(mouth.mask.type(), CV_32F);
  double lo = 0, hi = 0;
  cv::minMaxLoc(mouth.mask, &lo, &hi);
  EXPECT_FLOAT_EQ(static_cast<float>(hi), 1.0f);
  // Box 48×48: feather 48/8 = 6, a 13×13 blur: the corner, 11 px from the circle, is 0.
  EXPECT_EQ(mouth.mask.at<float>(0, 0), 0.0f);
  EXPECT_FLOAT_EQ(mouth.mask.at<float>(24, 24), 1.0f);
}

// original·m + swapped·(1 − m), truncated: 101·0.5 = 50.5 → 50 (rounding gives 51).
TEST(MouthMask, RestoreTruncatesLikeAstype) {
  SavedMouth mouth;
  mouth.region = cv::Rect(1, 1, 2, 1);
  mouth.pixels = cv::Mat(1, 2, CV_8UC3, cv::Scalar::all(101));
  mouth.mask = (cv::Mat_<float>(1, 2) << 0.5f, 1.0f);
  cv::Mat frame(4, 4, CV_8UC3, cv::Scalar::all(0));
  restore_mouth(frame, mouth);
  EXPECT_EQ(frame.at<cv::Vec3b>(1, 1), cv::Vec3b::all(50));
  EXPECT_EQ(frame.at<cv::Vec3b>(1, 2), cv::Vec3b::all(101));
  EXPECT_EQ(frame.at<cv::Vec3b>(0, 0), cv::Vec3b::all(0));
}

TEST(MouthMask, NoLandmarksNoMouth) {
  const cv::Mat frame(100, 100, CV_8UC3, cv::Scalar::all(0));
  EXPECT_TRUE(save_mouth(frame, face::Face{}).region.empty());
  auto nan = lips_face();
  nan.landmarks[55].x = std::nanf("");
  EXPECT_TRUE(save_mouth(frame, nan).region.empty());
}

}  // namespace
}  // namespace dlc::processors
