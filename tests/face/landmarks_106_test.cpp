#include "face/landmarks_106.hpp"

#include <gtest/gtest.h>
#include <opencv2/core/mat.hpp>

#include <cmath>
#include <numbers>

#include "support/paths.hpp"

namespace dlc::face {
namespace {

// The fixture gives point k = 0.5·(cos, sin)(2πk/106) in [−1, 1] whatever the image: in the crop
// (p + 1)·96, i.e. a circle of radius 48 around the crop centre, which maps back to a circle of
// radius 48 / scale around the box centre, scale = 192 / (1.5·max(w, h)).
TEST(Landmarks106, FixtureCircleMapsBackAroundTheBox) {
  Landmarks106 model(test::fixture_model("2d106det.onnx"), runtime::SessionPolicy{});
  cv::Mat frame(480, 640, CV_8UC3, cv::Scalar(40, 80, 120));
  const cv::Rect2f box(300, 100, 120, 160);
  const auto points = model.landmarks(frame, box);
  ASSERT_EQ(points.size(), 106u);
  const double scale = 192.0 / (1.5 * 160.0);
  const double radius = 48.0 / scale;
  for (std::size_t k = 0; k < points.size(); ++k) {
    const double angle = 2.0 * std::numbers::pi * static_cast<double>(k) / 106.0;
    EXPECT_NEAR(points[k].x, 360.0 + radius * std::cos(angle), 1e-3) << k;
    EXPECT_NEAR(points[k].y, 180.0 + radius * std::sin(angle), 1e-3) << k;
  }
}

// insightface's rule (landmark.py): both a Sub and a Mul among the first 8 nodes (or bn_data
// among the first 3) → the graph normalises, raw pixels in; else (x − 127.5)/128.
TEST(Landmarks106, NormalisationFromTheFirstNodes) {
  const auto is = [](InputNormalisation n, float mean, float std) { return n.mean == mean && n.std == std; };
  EXPECT_TRUE(is(landmark_normalisation({"_minusscalar0", "_mulscalar0", "conv_1_conv2d"}), 0.0f, 1.0f));
  EXPECT_TRUE(is(landmark_normalisation({"Sub_0", "Mul_1"}), 0.0f, 1.0f));
  EXPECT_TRUE(is(landmark_normalisation({"data", "x", "bn_data"}), 0.0f, 1.0f));
  EXPECT_TRUE(is(landmark_normalisation({"a", "b", "c", "bn_data"}), 127.5f, 128.0f));  // not among the first 3
  EXPECT_TRUE(is(landmark_normalisation({"Sub_0", "Conv_1"}), 127.5f, 128.0f));        // Sub without Mul
  EXPECT_TRUE(is(landmark_normalisation({"a", "b", "c", "d", "e", "f", "g", "h", "Sub", "Mul"}), 127.5f, 128.0f));
  EXPECT_TRUE(is(landmark_normalisation({}), 127.5f, 128.0f));
  // The fixture's nodes are gap, flatten, fc: neither.
  Landmarks106 model(test::fixture_model("2d106det.onnx"), runtime::SessionPolicy{});
  EXPECT_TRUE(is(model.normalisation(), 127.5f, 128.0f));
}

TEST(Landmarks106, CropTransformCentresTheBox) {
  const auto m = landmark_crop_transform(cv::Rect2f(10, 20, 100, 50), 192);
  EXPECT_NEAR(m(0, 0) * 60 + m(0, 2), 96.0, 1e-9);  // box centre (60, 45) → (96, 96)
  EXPECT_NEAR(m(1, 1) * 45 + m(1, 2), 96.0, 1e-9);
  EXPECT_NEAR(m(0, 0), 192.0 / 150.0, 1e-12);
}

TEST(Landmarks106, FivePointsByIndex) {
  std::vector<cv::Point2f> points(106);
  for (std::size_t i = 0; i < points.size(); ++i) points[i] = {static_cast<float>(i), 0};
  const auto k = keypoints_from_106(points);
  EXPECT_EQ(k[kLeftEye].x, 38);
  EXPECT_EQ(k[kRightEye].x, 88);
  EXPECT_EQ(k[kNose].x, 86);
  EXPECT_EQ(k[kLeftMouth].x, 52);
  EXPECT_EQ(k[kRightMouth].x, 61);
  EXPECT_THROW(keypoints_from_106({}), std::invalid_argument);
}

}  // namespace
}  // namespace dlc::face
