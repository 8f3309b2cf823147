#include "processors/nsfw_filter.hpp"

#include <gtest/gtest.h>
#include <opencv2/core.hpp>

#include <cmath>

#include "support/paths.hpp"

namespace dlc::processors {
namespace {

cv::Mat gradient(int rows, int cols) {
  cv::Mat m(rows, cols, CV_8UC3);
  for (int y = 0; y < rows; ++y) {
    for (int x = 0; x < cols; ++x) {
      m.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<std::uint8_t>(x % 256), static_cast<std::uint8_t>(y % 256), 200);
    }
  }
  return m;
}

// The input open_nsfw takes: 224×224, NHWC, BGR minus (104, 117, 123), channel order kept.
TEST(NsfwFilter, InputIsBgrMinusTheMeanNhwc) {
  cv::Mat frame(224, 224, CV_8UC3, cv::Scalar(10, 20, 30));
  frame.at<cv::Vec3b>(5, 7) = cv::Vec3b(200, 150, 100);
  std::vector<float> blob;
  NsfwFilter::prepare(frame, blob);
  ASSERT_EQ(blob.size(), 224u * 224u * 3u);
  EXPECT_FLOAT_EQ(blob[0], 10.0f - 104.0f);
  EXPECT_FLOAT_EQ(blob[1], 20.0f - 117.0f);
  EXPECT_FLOAT_EQ(blob[2], 30.0f - 123.0f);
  const std::size_t at = (5 * 224 + 7) * 3;
  EXPECT_FLOAT_EQ(blob[at], 200.0f - 104.0f);
  EXPECT_FLOAT_EQ(blob[at + 2], 100.0f - 123.0f);
}

// The fixture's score is sigmoid(m/4 − 5), m the mean of the input it is given: the whole frame,
// resized, reaches the model.
TEST(NsfwFilter, ScoreIsTheFixturesFormula) {
  NsfwFilter filter(test::fixture_model("open_nsfw.onnx"), runtime::SessionPolicy{});
  const auto frame = gradient(300, 500);
  std::vector<float> blob;
  NsfwFilter::prepare(frame, blob);
  double sum = 0;
  for (const float v : blob) sum += v;
  const double m = sum / static_cast<double>(blob.size());
  EXPECT_NEAR(filter.score(frame), 1.0 / (1.0 + std::exp(-(m / 4 - 5))), 1e-5);
}

// Deep-Live-Cam's threshold: over 0.85 refuses. Grey 200 scores ~1, grey 100 ~0.0001.
TEST(NsfwFilter, RefusesOverTheThreshold) {
  NsfwFilter filter(test::fixture_model("open_nsfw.onnx"), runtime::SessionPolicy{});
  const cv::Mat bright(100, 100, CV_8UC3, cv::Scalar::all(200));
  const cv::Mat dark(100, 100, CV_8UC3, cv::Scalar::all(100));
  EXPECT_GT(filter.score(bright), 0.99f);
  EXPECT_LT(filter.score(dark), 0.01f);
  EXPECT_FALSE(filter.refuses(0.85f));
  EXPECT_TRUE(filter.refuses(0.8501f));
  EXPECT_NO_THROW(filter.check(dark, "the target 'dark.png'"));
  try {
    filter.check(bright, "the target 'bright.png'");
    ADD_FAILURE() << "no refusal";
  } catch (const NsfwRefused& e) {
    EXPECT_NE(std::string(e.what()).find("the target 'bright.png' scores 1.00"), std::string::npos) << e.what();
  }
}

TEST(NsfwFilter, RefusesOtherModels) {
  EXPECT_THROW(NsfwFilter(test::fixture_model("w600k_r50.onnx"), runtime::SessionPolicy{}), runtime::ModelError);
}

}  // namespace
}  // namespace dlc::processors
