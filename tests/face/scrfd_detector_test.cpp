#include "face/scrfd_detector.hpp"

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "support/paths.hpp"

namespace dlc::face {
namespace {

// A 64-wide input at stride 8 has 8 columns; anchor 2·(3·8 + 5) + 1 is the second anchor of
// the cell at column 5, row 3: centre (40, 24).
TEST(ScrfdDecode, RecoversBoxesAndKeypoints) {
  constexpr int kCells = 8 * 8;
  std::vector<float> scores(2 * kCells, 0.1f);
  std::vector<float> boxes(2 * kCells * 4, 0.0f);
  std::vector<float> kps(2 * kCells * 10, 0.0f);
  const std::size_t i = 2 * (3 * 8 + 5) + 1;
  scores[i] = 0.87f;
  const float d[4] = {1.5f, 2.0f, 0.25f, 3.125f};
  std::copy(d, d + 4, boxes.begin() + static_cast<std::ptrdiff_t>(4 * i));
  const float k[10] = {-1, -1, 1, -1, 0, 0, -0.5f, 1, 0.5f, 1};
  std::copy(k, k + 10, kps.begin() + static_cast<std::ptrdiff_t>(10 * i));

  std::vector<Face> faces;
  decode_scrfd_level({8, scores, boxes, kps}, 64, 0.5f, faces);
  ASSERT_EQ(faces.size(), 1u);
  const auto& f = faces[0];
  EXPECT_FLOAT_EQ(f.score, 0.87f);
  EXPECT_NEAR(f.box.x, 40 - 1.5f * 8, 1e-4);
  EXPECT_NEAR(f.box.y, 24 - 2.0f * 8, 1e-4);
  EXPECT_NEAR(f.box.br().x, 40 + 0.25f * 8, 1e-4);
  EXPECT_NEAR(f.box.br().y, 24 + 3.125f * 8, 1e-4);
  ASSERT_TRUE(f.has_kps);
  for (std::size_t p = 0; p < 5; ++p) {
    EXPECT_NEAR(f.kps[p].x, 40 + k[2 * p] * 8, 1e-4);
    EXPECT_NEAR(f.kps[p].y, 24 + k[2 * p + 1] * 8, 1e-4);
  }
}

TEST(ScrfdDecode, ThresholdAndNoKeypoints) {
  std::vector<float> scores{0.49f, 0.5f};
  std::vector<float> boxes(8, 1.0f);
  std::vector<Face> faces;
  decode_scrfd_level({32, scores, boxes, {}}, 32, 0.5f, faces);
  ASSERT_EQ(faces.size(), 1u);
  EXPECT_FALSE(faces[0].has_kps);
  EXPECT_FLOAT_EQ(faces[0].box.width, 64.0f);
}

// End to end through the fixture det_10g (its score is sigmoid(4 · the cell's mean input); its
// boxes are (cx − s, cy − s, cx + 2s, cy + 2s)): a bright square in a dark frame is found where
// it is, scaled back from the letterbox.
TEST(ScrfdDetector, FixtureModelEndToEnd) {
  ScrfdDetector detector(test::fixture_model("det_10g.onnx"), runtime::SessionPolicy{});
  // 1280×720 → letterbox scale 0.5; a white 64×64 block at (640, 320) covers the 32-stride cell
  // (10, 5) of the 640 input exactly.
  cv::Mat frame(720, 1280, CV_8UC3, cv::Scalar(0, 0, 0));
  cv::rectangle(frame, cv::Rect(640, 320, 64, 64), cv::Scalar(255, 255, 255), cv::FILLED);
  const auto faces = detector.detect(frame);
  ASSERT_FALSE(faces.empty());
  // White is (255 − 127.5)/128 ≈ 0.996 in the input: score sigmoid(4·0.996) ≈ 0.98.
  EXPECT_NEAR(faces.front().score, 1.0f / (1.0f + std::exp(-4.0f * 127.5f / 128.0f)), 1e-3);
  const auto find = [&](cv::Rect2f expected) -> const Face* {
    for (const auto& f : faces) {
      if (std::abs(f.box.x - expected.x) < 1e-2f && std::abs(f.box.y - expected.y) < 1e-2f &&
          std::abs(f.box.width - expected.width) < 1e-2f && std::abs(f.box.height - expected.height) < 1e-2f) {
        return &f;
      }
    }
    return nullptr;
  };
  // Stride 32: anchor centre (320, 160) in the input → box (288, 128)–(384, 224) → ×2 in the frame.
  const auto* coarse = find(cv::Rect2f(576, 256, 192, 192));
  ASSERT_NE(coarse, nullptr);
  ASSERT_TRUE(coarse->has_kps);
  EXPECT_NEAR(coarse->kps[kLeftEye].x, 640, 1e-2);   // the anchor centre
  EXPECT_NEAR(coarse->kps[kRightEye].x, 704, 1e-2);  // + one stride (32 px in the input)
  EXPECT_NEAR(coarse->kps[kNose].y, 320 + 32, 1e-2);  // + half a stride
  // Stride 8, the block's top-left cell: (312, 152)–(336, 176) in the input. Its box overlaps the
  // coarse one by IoU 0.06, under SCRFD's 0.4, so NMS keeps both.
  EXPECT_NE(find(cv::Rect2f(624, 304, 48, 48)), nullptr);
}

TEST(ScrfdDetector, DarkFrameHasNoFace) {
  ScrfdDetector detector(test::fixture_model("det_10g.onnx"), runtime::SessionPolicy{});
  // Mid-grey (127.5 ≈ 0 in the input) scores sigmoid(0) = 0.5 everywhere; black scores lower.
  cv::Mat frame(480, 640, CV_8UC3, cv::Scalar(0, 0, 0));
  EXPECT_TRUE(detector.detect(frame).empty());
}

TEST(ScrfdDetector, RefusesAModelWithTheWrongOutputs) {
  EXPECT_THROW(ScrfdDetector(test::fixture_model("w600k_r50.onnx"), runtime::SessionPolicy{}), runtime::ModelError);
}

}  // namespace
}  // namespace dlc::face
