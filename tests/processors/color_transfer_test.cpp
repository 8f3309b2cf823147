#include "processors/color_transfer.hpp"

#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>

namespace dlc::processors {
namespace {

// A face-sized patch of one colour with texture (a ramp plus a checker), so std and histogram
// have something to match.
cv::Mat patch(cv::Scalar colour) {
  cv::Mat image(96, 96, CV_8UC3);
  for (int y = 0; y < image.rows; ++y) {
    for (int x = 0; x < image.cols; ++x) {
      const int detail = ((x / 6 + y / 6) % 2) * 24 + x % 16;
      image.at<cv::Vec3b>(y, x) = cv::Vec3b(cv::saturate_cast<std::uint8_t>(colour[0] + detail),
                                            cv::saturate_cast<std::uint8_t>(colour[1] + detail),
                                            cv::saturate_cast<std::uint8_t>(colour[2] + detail));
    }
  }
  return image;
}

cv::Mat centre_mask() {
  cv::Mat mask(96, 96, CV_8U, cv::Scalar(0));
  cv::circle(mask, {48, 48}, 36, cv::Scalar(255), cv::FILLED);
  return mask;
}

double distance(const cv::Scalar& a, const cv::Scalar& b) {
  return std::sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) + (a[2] - b[2]) * (a[2] - b[2]));
}

TEST(ColorCorrection, NamesAreTheFlagsValues) {
  EXPECT_EQ(color_correction_from("none"), ColorCorrection::kNone);
  EXPECT_EQ(color_correction_from("lab"), ColorCorrection::kLab);
  EXPECT_EQ(color_correction_from("histogram"), ColorCorrection::kHistogram);
  EXPECT_FALSE(color_correction_from("LAB").has_value());
}

class ColorCorrectionMoves : public testing::TestWithParam<ColorCorrection> {};

// A pinkish face onto a darker, browner target: the face's mean colour inside the mask ends
// much nearer the target's than it started.
TEST_P(ColorCorrectionMoves, TheFacesColourTowardsTheTargets) {
  const cv::Mat target = patch({40, 70, 110});
  cv::Mat face = patch({150, 140, 210});
  const auto mask = centre_mask();
  const double before = distance(cv::mean(face, mask), cv::mean(target, mask));
  correct_colour(face, target, mask, GetParam());
  const double after = distance(cv::mean(face, mask), cv::mean(target, mask));
  EXPECT_GT(before, 100.0);
  EXPECT_LT(after, 0.1 * before) << "before " << before << " after " << after;
}

INSTANTIATE_TEST_SUITE_P(Methods, ColorCorrectionMoves, testing::Values(ColorCorrection::kLab, ColorCorrection::kHistogram),
                         [](const testing::TestParamInfo<ColorCorrection>& param_info) { return param_info.param == ColorCorrection::kLab ? "lab" : "histogram"; });

TEST(ColorCorrection, NoneOrAnEmptyMaskLeavesTheFace) {
  const cv::Mat target = patch({40, 70, 110});
  const cv::Mat original = patch({150, 140, 210});
  cv::Mat face = original.clone();
  correct_colour(face, target, centre_mask(), ColorCorrection::kNone);
  EXPECT_EQ(cv::norm(face, original, cv::NORM_INF), 0.0);
  correct_colour(face, target, cv::Mat(96, 96, CV_8U, cv::Scalar(0)), ColorCorrection::kLab);
  EXPECT_EQ(cv::norm(face, original, cv::NORM_INF), 0.0);
}

}  // namespace
}  // namespace dlc::processors
