#include "face/scrfd_detector.hpp"

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "face/nms.hpp"
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
  // White is (255 − 127.5)/128 = 0.99609375 in the input: score sigmoid(3.984375) = 0.981727
  // (/127.5 would give sigmoid(4) = 0.982014).
  EXPECT_NEAR(faces.front().score, 1.0f / (1.0f + std::exp(-4.0f * 127.5f / 128.0f)), 1e-6);
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

// insightface's sizes: 3940×1576 is 0.4 high per wide, 640·0.4 = 256 rows (min-scale gives 255).
TEST(ScrfdDetector, LetterboxSizesAsInsightface) {
  EXPECT_EQ(scrfd_letterbox({3940, 1576}, 640), cv::Size(640, 256));
  EXPECT_EQ(scrfd_letterbox({1280, 720}, 640), cv::Size(640, 360));
  EXPECT_EQ(scrfd_letterbox({720, 1280}, 640), cv::Size(360, 640));
  EXPECT_EQ(scrfd_letterbox({500, 500}, 640), cv::Size(640, 640));
  EXPECT_EQ(scrfd_letterbox({10000, 1}, 640), cv::Size(640, 1));
}

// insightface does not clip: a block in the frame's corner gives the stride-32 anchor at (0, 0)
// the fixture's box (−32, −32)–(64, 64) in the input, (−64, −64)–(128, 128) in the frame.
TEST(ScrfdDetector, BoxesAtTheEdgeAreNotClipped) {
  ScrfdDetector detector(test::fixture_model("det_10g.onnx"), runtime::SessionPolicy{});
  cv::Mat frame(720, 1280, CV_8UC3, cv::Scalar(0, 0, 0));
  cv::rectangle(frame, cv::Rect(0, 0, 64, 64), cv::Scalar(255, 255, 255), cv::FILLED);
  const auto faces = detector.detect(frame);
  const auto corner = std::ranges::find_if(faces, [](const Face& f) { return std::abs(f.box.width - 192) < 1e-2f; });
  ASSERT_NE(corner, faces.end());
  EXPECT_NEAR(corner->box.x, -64, 1e-2);
  EXPECT_NEAR(corner->box.y, -64, 1e-2);
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

// broken/det_10g.onnx declares 9 outputs, but its stride-32 keypoints have 5 values per anchor:
// reading 10 would run past the tensor's end.
TEST(ScrfdDetector, RefusesOutputsThatDoNotFitTheAnchorGrid) {
  const auto model = test::fixture_model("broken/det_10g.onnx");
  ScrfdDetector detector(model, runtime::SessionPolicy{});
  const cv::Mat frame(480, 640, CV_8UC3, cv::Scalar(0, 0, 0));
  try {
    detector.detect(frame);
    FAIL() << "a keypoint output of 5 values per anchor was read";
  } catch (const runtime::ModelError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(model.string()), std::string::npos) << what;
    // stride 32 at 640: 20 x 20 cells x 2 anchors = 800 anchors, 4000 values instead of 8000.
    EXPECT_NE(what.find("'500' (stride 32) has 4000 values at input size 640, expected 8000"), std::string::npos)
        << what;
  }
}

// Only multiples of 32 give every level a whole grid (500 / 32 = 15.6 cells: the model's
// stride-32 map has 16, the decoding would assume 15).
TEST(ScrfdDetector, RefusesSizesOffTheGrid) {
  for (const int size : {500, 650, 128, 1312}) {
    EXPECT_FALSE(scrfd_size_allowed(size)) << size;
    EXPECT_THROW(ScrfdDetector(test::fixture_model("det_10g.onnx"), runtime::SessionPolicy{}, size),
                 std::invalid_argument)
        << size;
  }
  for (const int size : {160, 320, 608, 640, 1280}) EXPECT_TRUE(scrfd_size_allowed(size)) << size;
}

// probe/det_10g.onnx (tools/make_fixture_models.py): at stride 32 the score is
// sigmoid(256·R − 254) and the box distances are (1, 1, 1 + G, 1 + B), with R, G, B the cell's
// mean of input channels 0, 1, 2; strides 8 and 16 never score. A 640×480 frame goes in
// unscaled, so a 32×32 block on a cell is that cell's exact input.
class ScrfdProbe : public testing::Test {
 protected:
  static std::vector<Face> detect(int r, int g, int b, cv::Rect block) {
    ScrfdDetector detector(test::fixture_model("probe/det_10g.onnx"), runtime::SessionPolicy{});
    cv::Mat frame(480, 640, CV_8UC3, cv::Scalar(0, 0, 0));
    cv::rectangle(frame, block, cv::Scalar(b, g, r), cv::FILLED);  // OpenCV frames are BGR
    return detector.detect(frame);
  }
};

// Channel 0 is red and (v − 127.5)/128 its value: R = 255 gives 255/256 and the logit exactly 1.
// /127.5 would give 1.0 and the logit 2 (score 0.881); BGR would put B = 64 in channel 0 and find
// nothing. G and B come back through the box's right and bottom edges.
TEST_F(ScrfdProbe, NormalisesBy128FromRgb) {
  const auto faces = detect(255, 170, 64, cv::Rect(320, 160, 32, 32));  // the cell (10, 5)
  ASSERT_EQ(faces.size(), 1u) << "the cell's two anchors are one face after NMS";
  const auto& f = faces[0];
  EXPECT_NEAR(f.score, 1.0f / (1.0f + std::exp(-1.0f)), 1e-6);
  // Centre (320, 160), stride 32: left 320 − 32, top 160 − 32, right 320 + 32·(1 + 42.5/128),
  // bottom 160 + 32·(1 − 63.5/128).
  EXPECT_NEAR(f.box.x, 288.0f, 1e-3);
  EXPECT_NEAR(f.box.y, 128.0f, 1e-3);
  EXPECT_NEAR(f.box.br().x, 362.625f, 1e-3);
  EXPECT_NEAR(f.box.br().y, 176.125f, 1e-3);
}

TEST_F(ScrfdProbe, OneBelowWhiteIsNoFace) {
  EXPECT_TRUE(detect(254, 170, 64, cv::Rect(320, 160, 32, 32)).empty()) << "sigmoid(−1) is under 0.5";
}

// Two neighbouring cells of one row give boxes of width w = 32·(2 + G') (G' = (G − 127.5)/128)
// one stride apart, 48.125 high. insightface's IoU with its +1 is (w − 31)/(w + 33): G = 166
// (w = 73.625) gives 42.625/106.625 = 0.3998, under SCRFD's 0.4, both kept; G = 167 gives
// 42.875/106.875 = 0.4012, one suppressed. G = 170 is suppressed too (0.4053), where the IoU
// without the +1 (42.625/106.625) would keep both.
TEST_F(ScrfdProbe, NmsSuppressesAboveIou04Only) {
  const cv::Rect two_cells(320, 160, 64, 32);
  const auto below = detect(255, 166, 64, two_cells);
  ASSERT_EQ(below.size(), 2u);
  EXPECT_NEAR(std::abs(below[0].box.x - below[1].box.x), 32.0f, 1e-3);
  EXPECT_NEAR(iou_inclusive(below[0].box, below[1].box), 42.625f / 106.625f, 1e-5);
  EXPECT_EQ(detect(255, 167, 64, two_cells).size(), 1u);
  EXPECT_EQ(detect(255, 170, 64, two_cells).size(), 1u);
}

}  // namespace
}  // namespace dlc::face
