#include "processors/paste_back.hpp"

#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

namespace dlc::processors {
namespace {

// A crop placed by scale 0.5 and a shift: frame (x, y) → crop (0.5x − 100, 0.5y − 50), so the 128
// crop covers frame (200..456, 100..356).
const cv::Matx23d kFrameToCrop(0.5, 0, -100, 0, 0.5, -50);

TEST(PasteBack, SoftMaskIsDeepLiveCams) {
  const auto& mask = inswapper_soft_mask();
  ASSERT_EQ(mask.size(), cv::Size(128, 128));
  EXPECT_EQ(mask.at<std::uint8_t>(64, 64), 255);  // the ellipse's inside, far from its edge
  EXPECT_EQ(mask.at<std::uint8_t>(0, 0), 0);
  EXPECT_GT(mask.at<std::uint8_t>(64, 8), 0);  // the edge (64 − 56) is blurred, not cut
  EXPECT_LT(mask.at<std::uint8_t>(64, 8), 255);
}

TEST(PasteBack, RegionIsTheProjectedCropPlusTwo) {
  EXPECT_EQ(paste_region({1280, 720}, 128, kFrameToCrop), cv::Rect(198, 98, 260, 260));
  EXPECT_EQ(paste_region({300, 200}, 128, kFrameToCrop), cv::Rect(198, 98, 102, 102));  // clipped
  EXPECT_TRUE(paste_region({100, 100}, 128, kFrameToCrop).empty());
}

TEST(PasteBack, TouchesOnlyTheRegionAndPastesTheFace) {
  cv::Mat frame(720, 1280, CV_8UC3);
  cv::randu(frame, 0, 255);
  const cv::Mat before = frame.clone();
  const cv::Mat crop(128, 128, CV_8UC3, cv::Scalar(10, 200, 30));
  const auto region = paste_back(frame, crop, inswapper_soft_mask(), kFrameToCrop);
  EXPECT_EQ(region, cv::Rect(198, 98, 260, 260));
  // Outside the region: not one pixel differs.
  cv::Mat diff;
  cv::absdiff(frame, before, diff);
  EXPECT_GT(cv::countNonZero(diff.reshape(1)), 0);
  diff(region).setTo(0);
  EXPECT_EQ(cv::countNonZero(diff.reshape(1)), 0);
  // At the ellipse's centre (crop 64, 64 → frame 328, 228): the face itself.
  EXPECT_EQ(frame.at<cv::Vec3b>(228, 328), cv::Vec3b(10, 200, 30));
  // At the crop's corner the mask is 0: the frame is unchanged.
  EXPECT_EQ(frame.at<cv::Vec3b>(101, 201), before.at<cv::Vec3b>(101, 201));
}

TEST(PasteBack, OpacityBlendsHalfway) {
  cv::Mat frame(720, 1280, CV_8UC3, cv::Scalar(0, 0, 0));
  const cv::Mat crop(128, 128, CV_8UC3, cv::Scalar(200, 100, 50));
  paste_back(frame, crop, inswapper_soft_mask(), kFrameToCrop, {.opacity = 0.5});
  const auto centre = frame.at<cv::Vec3b>(228, 328);
  EXPECT_NEAR(centre[0], 100, 1);
  EXPECT_NEAR(centre[1], 50, 1);
  EXPECT_NEAR(centre[2], 25, 1);
}

TEST(PasteBack, FeatheredSquare) {
  const auto mask = feathered_square_mask(100, 0.05);
  EXPECT_EQ(mask.at<std::uint8_t>(50, 50), 255);
  EXPECT_EQ(mask.at<std::uint8_t>(50, 10), 255);
  EXPECT_LT(mask.at<std::uint8_t>(50, 0), 40);
  EXPECT_LT(mask.at<std::uint8_t>(50, 2), mask.at<std::uint8_t>(50, 4));
}

TEST(PasteBack, LegacyAlsoStaysInTheRegion) {
  cv::Mat frame(720, 1280, CV_8UC3, cv::Scalar(0, 0, 0));
  const cv::Mat crop(128, 128, CV_8UC3, cv::Scalar(255, 255, 255));
  const auto region = paste_back_legacy(frame, crop, kFrameToCrop);
  cv::Mat outside = frame.clone();
  outside(region).setTo(0);
  EXPECT_EQ(cv::countNonZero(outside.reshape(1)), 0);
  EXPECT_EQ(frame.at<cv::Vec3b>(228, 328), cv::Vec3b(255, 255, 255));
}

TEST(PasteBack, PoissonKeepsToTheRegion) {
  cv::Mat frame(720, 1280, CV_8UC3, cv::Scalar(60, 60, 60));
  const cv::Mat before = frame.clone();
  const cv::Mat crop(128, 128, CV_8UC3, cv::Scalar(200, 200, 200));
  const auto region = paste_back(frame, crop, inswapper_soft_mask(), kFrameToCrop, {.poisson = true});
  cv::Mat diff;
  cv::absdiff(frame, before, diff);
  diff(region).setTo(0);
  EXPECT_EQ(cv::countNonZero(diff.reshape(1)), 0);
}

}  // namespace
}  // namespace dlc::processors
