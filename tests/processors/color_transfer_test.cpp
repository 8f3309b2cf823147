#include "processors/color_transfer.hpp"

#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <cstdint>
#include <utility>

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

// A patch made in LAB: lightness l and colour channel a each in a checker of ± their spread
// (b neutral), so the two spreads can be set apart.
cv::Mat lab_patch(double l, double l_spread, double a, double a_spread) {
  cv::Mat lab(96, 96, CV_8UC3);
  for (int y = 0; y < lab.rows; ++y) {
    for (int x = 0; x < lab.cols; ++x) {
      const double light = (x / 8 + y / 8) % 2 ? 1 : -1;
      const double colour = (x / 12 + y / 4) % 2 ? 1 : -1;
      lab.at<cv::Vec3b>(y, x) = cv::Vec3b(cv::saturate_cast<std::uint8_t>(l + light * l_spread),
                                          cv::saturate_cast<std::uint8_t>(a + colour * a_spread), 128);
    }
  }
  cv::Mat bgr;
  cv::cvtColor(lab, bgr, cv::COLOR_Lab2BGR);
  return bgr;
}

// The spread of LAB's lightness and a channel inside the mask.
std::pair<double, double> lab_spreads(const cv::Mat& bgr, const cv::Mat& mask) {
  cv::Mat lab;
  cv::cvtColor(bgr, lab, cv::COLOR_BGR2Lab);
  cv::Scalar mean, spread;
  cv::meanStdDev(lab, mean, spread, mask);
  return {spread[0], spread[1]};
}

// A contrasty face with even colour onto a flat target with patchy colour: by default the face
// takes the target's spreads (its lightness flattened, its colour spread out); with the classic
// swapper's limits (lightness never flattened, colour never spread wider) it keeps its own, and
// its means still move to the target's.
TEST(ColorCorrection, SpreadLimitsBoundReinhardsRatios) {
  const cv::Mat target = lab_patch(110, 12, 150, 8);
  const cv::Mat original = lab_patch(170, 30, 135, 3);
  const auto mask = centre_mask();
  const auto [face_light, face_colour] = lab_spreads(original, mask);
  const auto [target_light, target_colour] = lab_spreads(target, mask);
  ASSERT_GT(face_light, 2 * target_light);
  ASSERT_LT(2 * face_colour, target_colour);

  cv::Mat face = original.clone();
  correct_colour(face, target, mask, ColorCorrection::kLab);
  const auto [light, colour] = lab_spreads(face, mask);
  EXPECT_NEAR(light, target_light, 2.0);
  EXPECT_NEAR(colour, target_colour, 2.0);

  face = original.clone();
  correct_colour(face, target, mask, ColorCorrection::kLab,
                 {.lightness_min = 1.0, .lightness_max = 3.0, .colour_min = 1.0 / 3.0, .colour_max = 1.0});
  const auto [kept_light, kept_colour] = lab_spreads(face, mask);
  EXPECT_NEAR(kept_light, face_light, 2.0);
  EXPECT_NEAR(kept_colour, face_colour, 2.0);
  EXPECT_LT(distance(cv::mean(face, mask), cv::mean(target, mask)), 0.1 * distance(cv::mean(original, mask), cv::mean(target, mask)));
}

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
