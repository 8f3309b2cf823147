#include "face/recognizer.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "face/alignment.hpp"
#include "support/paths.hpp"

namespace dlc::face {
namespace {

// A face whose keypoints are the 112 template itself: the aligned crop is the image's top-left
// 112×112 corner, untouched.
Face template_face() {
  Face f;
  const auto t = arcface_template(112);
  std::copy(t.begin(), t.end(), f.kps.begin());
  f.has_kps = true;
  f.box = cv::Rect2f(0, 0, 112, 112);
  return f;
}

// The fixture recognizer's output k is mean(channel k % 3) · (1 + k/512) of its input, so a flat
// image gives a known embedding; normalised to unit length.
TEST(Recognizer, FixtureEmbeddingIsNormalisedAndFollowsTheColour) {
  Recognizer recognizer(test::fixture_model("w600k_r50.onnx"), runtime::SessionPolicy{});
  // BGR (255, 127.5±, 0): RGB planes (0 → −1, 128 → 0.0039, 255 → +1) after (x − 127.5)/127.5.
  cv::Mat image(200, 200, CV_8UC3, cv::Scalar(255, 128, 0));
  const auto e = recognizer.embed(image, template_face());
  ASSERT_EQ(e.size(), 512u);
  float norm = 0;
  for (float v : e) norm += v * v;
  EXPECT_NEAR(norm, 1.0f, 1e-5f);
  std::vector<float> expected(512);
  const float rgb[3] = {-1.0f, (128 - 127.5f) / 127.5f, 1.0f};
  for (std::size_t k = 0; k < 512; ++k) expected[k] = rgb[k % 3] * (1.0f + static_cast<float>(k) / 512.0f);
  normalize(expected);
  for (std::size_t k = 0; k < 512; ++k) ASSERT_NEAR(e[k], expected[k], 1e-5f) << k;
}

TEST(Recognizer, SimilarityOfUnitVectors) {
  std::vector<float> a{3, 4};
  normalize(a);
  EXPECT_FLOAT_EQ(a[0], 0.6f);
  EXPECT_FLOAT_EQ(similarity(a, a), 1.0f);
  std::vector<float> zero{0, 0};
  normalize(zero);
  EXPECT_EQ(zero, (std::vector<float>{0, 0}));
}

TEST(Recognizer, FaceWithoutKeypointsIsRefused) {
  Recognizer recognizer(test::fixture_model("w600k_r50.onnx"), runtime::SessionPolicy{});
  cv::Mat image(120, 120, CV_8UC3, cv::Scalar::all(0));
  EXPECT_THROW(recognizer.embed(image, Face{}), std::invalid_argument);
}

}  // namespace
}  // namespace dlc::face
