#include "face/alignment.hpp"

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <numbers>

namespace dlc::face {
namespace {

Keypoints template_keypoints() {
  Keypoints k;
  const auto t = arcface_template(112);
  std::copy(t.begin(), t.end(), k.begin());
  return k;
}

// A known similarity (scale 1.7, rotation 20°, translation) applied to the template is
// recovered from the points alone.
TEST(Alignment, RecoversAKnownSimilarity) {
  const double angle = 20.0 * std::numbers::pi / 180.0;
  const double scale = 1.7;
  const cv::Matx23d truth(scale * std::cos(angle), -scale * std::sin(angle), 311.5, scale * std::sin(angle),
                          scale * std::cos(angle), 97.25);
  const auto src = template_keypoints();
  Keypoints moved;
  for (std::size_t i = 0; i < 5; ++i) moved[i] = apply(truth, src[i]);
  const auto found = similarity_transform(src, moved);
  for (int r = 0; r < 2; ++r) {
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(found(r, c), truth(r, c), 1e-5) << r << "," << c;
  }
  // And the frame → crop direction maps the moved points back onto the template.
  const auto back = align_to(moved, arcface_template(112));
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_NEAR(apply(back, moved[i]).x, src[i].x, 1e-3);
    EXPECT_NEAR(apply(back, moved[i]).y, src[i].y, 1e-3);
  }
}

TEST(Alignment, NeverReflects) {
  // Mirrored points: the best similarity without reflection has a positive determinant.
  auto src = template_keypoints();
  Keypoints mirrored;
  for (std::size_t i = 0; i < 5; ++i) mirrored[i] = {112.0f - src[i].x, src[i].y};
  const auto m = similarity_transform(src, mirrored);
  EXPECT_GT(m(0, 0) * m(1, 1) - m(0, 1) * m(1, 0), 0.0);
}

TEST(Alignment, InswapperTemplateIsShiftedByEight) {
  const auto t112 = arcface_template(112);
  const auto t128 = arcface_template(128);
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_FLOAT_EQ(t128[i].x, t112[i].x + 8.0f);
    EXPECT_FLOAT_EQ(t128[i].y, t112[i].y);
  }
  EXPECT_FLOAT_EQ(arcface_template(224)[0].x, 2 * 38.2946f);
  EXPECT_FLOAT_EQ(ffhq_template(512)[2].y, 314.01935f);
  EXPECT_FLOAT_EQ(ffhq_template(256)[2].y, 314.01935f / 2);
}

// Deep-Live-Cam's enhancers fit with LMEDS: one point 40 px off (a bad nose) barely moves the
// eyes' fit, where the least-squares Umeyama fit spreads the error over every point.
TEST(Alignment, LmedsIgnoresOneOutlier) {
  const auto dst = ffhq_template(512);
  Keypoints kps;
  for (std::size_t i = 0; i < 5; ++i) kps[i] = dst[i] * 0.5f + cv::Point2f(100, 50);
  kps[kNose] += cv::Point2f(40, 0);
  const auto lmeds = align_lmeds(kps, dst);
  const auto umeyama = align_to(kps, dst);
  const auto error = [&](const cv::Matx23d& m) { return cv::norm(apply(m, kps[kLeftEye]) - dst[kLeftEye]); };
  EXPECT_LT(error(lmeds), 0.5);
  EXPECT_GT(error(umeyama), 5.0);
}

TEST(Alignment, WarpAndInverseRoundTrip) {
  cv::Mat frame(200, 300, CV_8UC3, cv::Scalar(0, 0, 0));
  cv::rectangle(frame, cv::Rect(140, 90, 20, 20), cv::Scalar(255, 255, 255), cv::FILLED);
  const cv::Matx23d to_crop(0.5, 0, -50, 0, 0.5, -25);  // (150, 100) → (25, 25)
  cv::Mat crop;
  warp_crop(frame, to_crop, 64, crop);
  EXPECT_EQ(crop.size(), cv::Size(64, 64));
  EXPECT_EQ(crop.at<cv::Vec3b>(25, 25), cv::Vec3b(255, 255, 255));
  EXPECT_EQ(crop.at<cv::Vec3b>(5, 5), cv::Vec3b(0, 0, 0));
  const auto back = invert(to_crop);
  EXPECT_NEAR(apply(back, {25, 25}).x, 150.0f, 1e-4);
  EXPECT_NEAR(apply(back, {25, 25}).y, 100.0f, 1e-4);
}

}  // namespace
}  // namespace dlc::face
