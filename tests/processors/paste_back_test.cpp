#include "processors/paste_back.hpp"

#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <limits>

namespace dlc::processors {
namespace {

// A crop placed by scale 0.5 and a shift: frame (x, y) → crop (0.5x − 100, 0.5y − 50), so the 128
// crop covers frame (200..456, 100..356).
const cv::Matx23d kFrameToCrop(0.5, 0, -100, 0, 0.5, -50);

// Deep-Live-Cam's create_face_mask for the 128 crop, written out here from its numbers: a filled
// ellipse at (64, 64) with axes 56, blurred 31×31 with σ 12.
cv::Mat reference_soft_mask(int axis, int kernel, double sigma) {
  cv::Mat m(128, 128, CV_8U, cv::Scalar(0));
  cv::ellipse(m, cv::Point(64, 64), cv::Size(axis, axis), 0, 0, 360, cv::Scalar(255), cv::FILLED);
  cv::GaussianBlur(m, m, cv::Size(kernel, kernel), sigma);
  return m;
}

int differing(const cv::Mat& a, const cv::Mat& b) {
  cv::Mat diff;
  cv::absdiff(a, b, diff);
  return cv::countNonZero(diff.reshape(1));
}

TEST(PasteBack, SoftMaskIsDeepLiveCams) {
  const auto& mask = inswapper_soft_mask();
  ASSERT_EQ(mask.size(), cv::Size(128, 128));
  ASSERT_EQ(mask.type(), CV_8U);
  // Every one of the 16384 pixels is the reference's.
  EXPECT_EQ(differing(mask, reference_soft_mask(56, 31, 12.0)), 0);
  // ... and the comparison tells the constants apart: another axis, kernel or σ moves hundreds.
  for (const auto& other : {reference_soft_mask(55, 31, 12.0), reference_soft_mask(56, 29, 12.0),
                            reference_soft_mask(56, 31, 11.0)}) {
    EXPECT_GT(differing(mask, other), 300);
  }
  EXPECT_EQ(mask.at<std::uint8_t>(64, 64), 255);  // the ellipse's inside, far from its edge
  EXPECT_EQ(mask.at<std::uint8_t>(0, 0), 0);
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

// A crop with a bright bump in the middle: 100 + 80·exp(−r²/(2·15²)), r in crop pixels from
// (64, 64). Its Laplacian is not zero, so a seamless clone over a flat frame of 60 keeps the bump
// (≈ 80 levels above its edge) but takes its level from the frame: ≈ 140 at the centre, where an
// alpha paste shows the crop's 180 and a blend that does nothing leaves 60.
cv::Mat bump_crop() {
  cv::Mat crop(128, 128, CV_8UC3);
  for (int y = 0; y < 128; ++y) {
    for (int x = 0; x < 128; ++x) {
      const double r2 = (x - 64.0) * (x - 64.0) + (y - 64.0) * (y - 64.0);
      crop.at<cv::Vec3b>(y, x) = cv::Vec3b::all(cv::saturate_cast<std::uint8_t>(100 + 80 * std::exp(-r2 / 450.0)));
    }
  }
  return crop;
}

TEST(PasteBack, PoissonKeepsToTheRegion) {
  cv::Mat frame(720, 1280, CV_8UC3, cv::Scalar(60, 60, 60));
  const cv::Mat before = frame.clone();
  const auto region = paste_back(frame, bump_crop(), inswapper_soft_mask(), kFrameToCrop, {.poisson = true});
  cv::Mat diff;
  cv::absdiff(frame, before, diff);
  EXPECT_GT(cv::countNonZero(diff(region).reshape(1)), 1000) << "the clone changed the face";
  diff(region).setTo(0);
  EXPECT_EQ(cv::countNonZero(diff.reshape(1)), 0);
}

TEST(PasteBack, PoissonClonesTheGradientNotTheLevel) {
  cv::Mat cloned(720, 1280, CV_8UC3, cv::Scalar(60, 60, 60));
  cv::Mat alpha = cloned.clone();
  paste_back(cloned, bump_crop(), inswapper_soft_mask(), kFrameToCrop, {.poisson = true});
  paste_back(alpha, bump_crop(), inswapper_soft_mask(), kFrameToCrop);
  // The crop's centre (64, 64) is frame (328, 228); crop r = 40 is 80 frame pixels away.
  const auto at = [](const cv::Mat& m, int x, int y) { return static_cast<int>(m.at<cv::Vec3b>(y, x)[1]); };
  EXPECT_NEAR(at(alpha, 328, 228), 180, 2);
  EXPECT_NEAR(at(cloned, 328, 228), 140, 12) << "not a seamless clone (180: alpha; 60: nothing done)";
  // The bump's height is kept: centre minus 80 px out, 80·(1 − e^(−1600/450)) ≈ 78 levels.
  EXPECT_NEAR(at(cloned, 328, 228) - at(cloned, 408, 228), 78, 8);
  EXPECT_NEAR(at(cloned, 328, 228) - at(cloned, 328, 148), 78, 8);
}

// Transforms that cannot place a crop: NaN, zero or near-zero scale (the crop's inverse would
// cover ~10^11 frame pixels), an absurd shift, a crop shrunk to a millionth of a pixel.
TEST(PasteBack, UnplaceableTransformsAreRefused) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const cv::Matx23d cases[] = {
      {nan, 0, -100, 0, 0.5, -50},
      {0.5, 0, inf, 0, 0.5, -50},
      {0, 0, 0, 0, 0, 0},
      {1e-9, 0, -100, 0, 1e-9, -50},
      {0.5, 0, -1e30, 0, 0.5, -50},
      {1e6, 0, -100, 0, 1e6, -50},
  };
  for (const auto& m : cases) {
    SCOPED_TRACE(cv::format("%g %g %g / %g %g %g", m(0, 0), m(0, 1), m(0, 2), m(1, 0), m(1, 1), m(1, 2)));
    EXPECT_FALSE(placeable({1280, 720}, 128, m));
    EXPECT_TRUE(paste_region({1280, 720}, 128, m).empty());
    EXPECT_FALSE(crop_footprint({1280, 720}, inswapper_soft_mask(), m, true).placeable);
    cv::Mat frame(720, 1280, CV_8UC3, cv::Scalar(1, 2, 3));
    const cv::Mat crop(128, 128, CV_8UC3, cv::Scalar(200, 100, 50));
    EXPECT_TRUE(paste_back(frame, crop, inswapper_soft_mask(), m, {.sharpness = 1, .poisson = true}).empty());
    EXPECT_TRUE(paste_back_legacy(frame, crop, m).empty());
    EXPECT_EQ(differing(frame, cv::Mat(720, 1280, CV_8UC3, cv::Scalar(1, 2, 3))), 0);
  }
  EXPECT_TRUE(placeable({1280, 720}, 128, kFrameToCrop));
}

// --- compose once ---

// Two steps on one face: a swap (the soft mask at kFrameToCrop) and a wider "enhancer" pass (a
// feathered square over frame 150..500): their footprints, with masks.
std::vector<Footprint> two_steps(const cv::Size& frame) {
  const cv::Matx23d wide(512.0 / 350, 0, -150 * 512.0 / 350, 0, 512.0 / 350, -60 * 512.0 / 350);
  return {crop_footprint(frame, inswapper_soft_mask(), kFrameToCrop, true),
          crop_footprint(frame, feathered_square_mask(512, 0.05), wide, true)};
}

void paint_two_steps(cv::Mat& frame) {
  const cv::Matx23d wide(512.0 / 350, 0, -150 * 512.0 / 350, 0, 512.0 / 350, -60 * 512.0 / 350);
  paste_back(frame, cv::Mat(128, 128, CV_8UC3, cv::Scalar(200, 100, 50)), inswapper_soft_mask(), kFrameToCrop);
  paste_back(frame, cv::Mat(512, 512, CV_8UC3, cv::Scalar(20, 220, 120)), feathered_square_mask(512, 0.05), wide);
}

cv::Mat noise_frame() {
  cv::Mat frame(720, 1280, CV_8UC3);
  cv::randu(frame, 0, 255);
  return frame;
}

TEST(Compose, OpacityLeavesItsShareOfTheOriginalAfterEverySteps) {
  const auto original = noise_frame();
  cv::Mat full = original.clone();
  paint_two_steps(full);
  for (const double opacity : {0.5, 0.25}) {
    SCOPED_TRACE(opacity);
    cv::Mat frame = original.clone();
    const auto face = begin_composition(frame, two_steps(frame.size()));
    paint_two_steps(frame);
    compose(frame, face, {.opacity = opacity});
    // Every pixel: original + (made − original)·opacity, within the 8-bit rounding.
    cv::Mat expected;
    cv::addWeighted(original, 1.0 - opacity, full, opacity, 0.0, expected);
    cv::Mat diff;
    cv::absdiff(frame, expected, diff);
    double worst = 0;
    cv::minMaxLoc(diff.reshape(1), nullptr, &worst);
    // Deep-Live-Cam's addWeighted exactly (blend()'s 8-bit opacity scale was a level or two off).
    EXPECT_EQ(worst, 0.0);
    cv::absdiff(frame, original, diff);
    diff(face.region).setTo(0);
    EXPECT_EQ(cv::countNonZero(diff.reshape(1)), 0);
  }
}

TEST(Compose, DefaultsComposeNothing) {
  EXPECT_FALSE(composes({}));
  EXPECT_TRUE(composes({.opacity = 0.99}));
  EXPECT_TRUE(composes({.sharpness = 0.5}));
  EXPECT_TRUE(composes({.poisson = true}));
  cv::Mat frame = noise_frame();
  const auto face = begin_composition(frame, two_steps(frame.size()));
  paint_two_steps(frame);
  const cv::Mat made = frame.clone();
  compose(frame, face, {});
  EXPECT_EQ(differing(frame, made), 0);
}

// Deep-Live-Cam's apply_post_processing: the face's detection box (astype(int), clipped) is
// sharpened as a whole, addWeighted(box, 1 + s, GaussianBlur(box, σ 3), −s), after the blend.
TEST(Compose, SharpnessIsTheBoxsUnsharpMaskAtSigmaThree) {
  const auto original = noise_frame();
  cv::Mat frame = original.clone();
  auto face = begin_composition(frame, two_steps(frame.size()));
  face.box = face_pixel_box(cv::Rect2f(300.7f, 150.2f, 200.9f, 180.5f), frame.size());
  EXPECT_EQ(face.box, cv::Rect(cv::Point(300, 150), cv::Point(501, 330)));
  paint_two_steps(frame);
  const cv::Mat made = frame.clone();
  compose(frame, face, {.sharpness = 1.5});
  const auto unsharp = [&](double sigma) {
    cv::Mat box = made(face.box).clone();
    cv::Mat blurred;
    cv::GaussianBlur(box, blurred, cv::Size(0, 0), sigma);
    cv::addWeighted(box, 2.5, blurred, -1.5, 0.0, box);
    return box;
  };
  EXPECT_EQ(differing(frame(face.box), unsharp(3.0)), 0);
  EXPECT_GT(differing(frame(face.box), unsharp(2.0)), 1000);
  // Outside the box nothing changed, though the steps painted there.
  cv::Mat outside = frame.clone();
  made(face.box).copyTo(outside(face.box));
  EXPECT_EQ(differing(outside, made), 0);
}

TEST(Compose, FacePixelBoxTruncatesAndClips) {
  EXPECT_EQ(face_pixel_box(cv::Rect2f(-10.5f, 5.9f, 30.0f, 10.0f), {100, 100}), cv::Rect(0, 5, 19, 10));
  EXPECT_EQ(face_pixel_box(cv::Rect2f(90.2f, 90.2f, 30.0f, 30.0f), {100, 100}), cv::Rect(90, 90, 10, 10));
}

// The mouth goes back before Poisson and sharpness (Deep-Live-Cam's swap_face order), so the
// sharpened box also sharpens the kept mouth: restored after compose, it would be the original.
TEST(Compose, TheMouthGoesBackFirst) {
  const auto original = noise_frame();
  cv::Mat frame = original.clone();
  auto face = begin_composition(frame, two_steps(frame.size()));
  face.box = cv::Rect(250, 150, 300, 300);
  face.mouth.region = cv::Rect(380, 300, 40, 20);
  face.mouth.pixels = original(face.mouth.region).clone();
  face.mouth.mask = cv::Mat(face.mouth.region.size(), CV_32F, cv::Scalar(1.0f));
  paint_two_steps(frame);
  cv::Mat sharpened = frame.clone();
  compose(sharpened, face, {.sharpness = 1.0});
  EXPECT_GT(differing(sharpened(face.mouth.region), original(face.mouth.region)), 100);
  // Without anything to compose the mouth still goes back, exactly.
  compose(frame, face, {});
  EXPECT_EQ(differing(frame(face.mouth.region), original(face.mouth.region)), 0);
}

// Two roundings, as cv2.multiply(fake, a, 1/255) + cv2.multiply(target, 255 − a, 1/255):
// a = 1, face 50, region 150 gives 0 + round(149.41) = 149; one rounding of the sum gives 150.
TEST(PasteBack, BlendRoundsEachProduct) {
  cv::Mat region(1, 2, CV_8UC3, cv::Scalar::all(150));
  const cv::Mat face(1, 2, CV_8UC3, cv::Scalar::all(50));
  const cv::Mat mask = (cv::Mat_<std::uint8_t>(1, 2) << 1, 255);
  blend(region, face, mask);
  EXPECT_EQ(region.at<cv::Vec3b>(0, 0), cv::Vec3b::all(149));
  EXPECT_EQ(region.at<cv::Vec3b>(0, 1), cv::Vec3b::all(50));
}

// insightface measures the white's extent as max − min: 200 rows and columns of white are 199,
// so k = 19 and the blur 2·9 + 1 (boundingRect's 200 gives 20 and 21).
TEST(PasteBack, LegacyKernelsFromMaxMinusMin) {
  const auto at200 = legacy_mask_kernels({200, 200});
  EXPECT_EQ(at200.erode, 19);
  EXPECT_EQ(at200.blur, 19);
  const auto at201 = legacy_mask_kernels({201, 201});
  EXPECT_EQ(at201.erode, 20);
  EXPECT_EQ(at201.blur, 21);
  EXPECT_EQ(legacy_mask_kernels({50, 50}).erode, 10);  // the floors
  EXPECT_EQ(legacy_mask_kernels({50, 50}).blur, 11);
}

}  // namespace
}  // namespace dlc::processors
