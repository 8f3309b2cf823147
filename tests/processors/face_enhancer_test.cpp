#include "processors/face_enhancer.hpp"

#include <gtest/gtest.h>
#include <opencv2/core.hpp>

#include <algorithm>
#include <cmath>
#include <utility>
#include <string>
#include <thread>
#include <vector>

#include "face/alignment.hpp"
#include "support/paths.hpp"

namespace dlc::processors {
namespace {

// A smooth texture: bilinear resampling of it errs by well under a level per pass, so the fixture
// enhancer's round trip (frame → 512 crop → frame) stays within a few levels of its formula.
cv::Mat textured_frame() {
  cv::Mat frame(480, 640, CV_8UC3);
  for (int y = 0; y < frame.rows; ++y) {
    for (int x = 0; x < frame.cols; ++x) {
      const double fx = x;
      const double fy = y;
      frame.at<cv::Vec3b>(y, x) = cv::Vec3b(cv::saturate_cast<std::uint8_t>(128 + 60 * std::sin(fx / 9.0) * std::cos(fy / 11.0)),
                                            cv::saturate_cast<std::uint8_t>(100 + 0.2 * fx + 40 * std::sin((fx + fy) / 13.0)),
                                            cv::saturate_cast<std::uint8_t>(60 + 0.3 * fy + 30 * std::cos(fx / 7.0)));
    }
  }
  return frame;
}

// The FFHQ template shrunk to a face about 200 px wide, turned by `degrees` and placed at
// `offset`, so the aligned crop magnifies the frame 2.56×.
face::Face placed_face(cv::Point2f offset, double degrees) {
  const auto t = face::ffhq_template(200);
  const double a = degrees * CV_PI / 180.0;
  face::Face f;
  for (std::size_t i = 0; i < t.size(); ++i) {
    const cv::Point2f p = t[i] - cv::Point2f(100, 100);
    f.kps[i] = offset + cv::Point2f(static_cast<float>(p.x * std::cos(a) - p.y * std::sin(a)),
                                    static_cast<float>(p.x * std::sin(a) + p.y * std::cos(a)));
  }
  f.has_kps = true;
  f.box = cv::Rect2f(offset - cv::Point2f(100, 100), cv::Size2f(200, 200));
  return f;
}

cv::Rect region_of(const cv::Mat& frame, const face::Face& f) {
  return paste_region(frame.size(), 512, face::align_to(f.kps, face::ffhq_template(512)));
}

// The fixture enhancers (tools/make_fixture_models.py): plane c = 0.8 · plane (c + 1) % 3 − 0.1 on
// x/127.5 − 1 RGB, so a BGR pixel (B, G, R) comes back as (0.8R, 0.8B, 0.8G) + 12.75. Feeding BGR, or
// x/255, gives other colours (e.g. 0.8G for blue, or −25.5 instead of +12.75).
cv::Vec3d fixture_enhanced(const cv::Vec3b& bgr) {
  return {0.8 * bgr[2] + 12.75, 0.8 * bgr[0] + 12.75, 0.8 * bgr[1] + 12.75};
}

// Inside the pasted crop's full-strength part (the feathered mask at 255): the largest distance
// from the fixture's colours, and outside the paste region, the count of changed values.
struct EnhancedCheck {
  double worst = 0;
  double mean = 0;
  int changed_outside = 0;
  int inside = 0;
};

EnhancedCheck check_enhanced(const cv::Mat& before, const cv::Mat& after, const face::Face& target) {
  EnhancedCheck check;
  const auto footprint = FaceEnhancer::footprint(before.size(), target, true);
  double sum = 0;
  for (int y = 0; y < before.rows; ++y) {
    for (int x = 0; x < before.cols; ++x) {
      const cv::Point p(x, y);
      if (!footprint.region.contains(p)) {
        check.changed_outside += before.at<cv::Vec3b>(p) != after.at<cv::Vec3b>(p) ? 1 : 0;
        continue;
      }
      if (footprint.mask.at<std::uint8_t>(p - footprint.region.tl()) < 255) continue;
      const auto expected = fixture_enhanced(before.at<cv::Vec3b>(p));
      const auto got = after.at<cv::Vec3b>(p);
      for (int c = 0; c < 3; ++c) {
        const double e = std::abs(got[c] - expected[c]);
        check.worst = std::max(check.worst, e);
        sum += e;
      }
      ++check.inside;
    }
  }
  check.mean = check.inside > 0 ? sum / (3.0 * check.inside) : 0;
  return check;
}

TEST(FaceEnhancer, ReadsTheDeclaredSizes) {
  const std::pair<const char*, std::pair<int, int>> models[] = {
      {"GFPGANv1.4.onnx", {512, 512}},
      {"gfpgan-1024.onnx", {512, 1024}},
      {"GPEN-BFR-256.onnx", {256, 256}},
      {"GPEN-BFR-512.onnx", {512, 512}},
  };
  for (const auto& [name, sizes] : models) {
    FaceEnhancer enhancer(test::fixture_model(name), runtime::SessionPolicy{});
    EXPECT_EQ(enhancer.name(), "face_enhancer");
    EXPECT_EQ(enhancer.input_size(), sizes.first) << name;
    EXPECT_EQ(enhancer.output_size(), sizes.second) << name;
    EXPECT_FALSE(enhancer.needs_landmarks());
  }
}

TEST(FaceEnhancer, RefusesModelsOfOtherShapes) {
  // w600k_r50: [N,3,112,112] → [N,512]; inswapper: two inputs; det_10g: dynamic H×W, 9 outputs.
  for (const char* name : {"w600k_r50.onnx", "inswapper_128.onnx", "det_10g.onnx"}) {
    try {
      FaceEnhancer enhancer(test::fixture_model(name), runtime::SessionPolicy{});
      ADD_FAILURE() << name << ": accepted";
    } catch (const runtime::ModelError& e) {
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("face enhancer"), std::string::npos) << e.what();
    }
  }
}

// The face comes back in the fixture's known colours (so RGB order and x/127.5 − 1 are pinned),
// at every resolution: GPEN-256, GFPGAN/GPEN-512, and gfpgan-1024 pasted at 1024.
TEST(FaceEnhancer, FixtureColoursInsideAndNothingOutside) {
  for (const char* model : {"GFPGANv1.4.onnx", "GPEN-BFR-256.onnx", "GPEN-BFR-512.onnx", "gfpgan-1024.onnx"}) {
    FaceEnhancer enhancer(test::fixture_model(model), runtime::SessionPolicy{});
    for (const double degrees : {0.0, 17.0}) {
      SCOPED_TRACE(std::string(model) + " at " + std::to_string(degrees));
      cv::Mat frame = textured_frame();
      const cv::Mat before = frame.clone();
      const auto target = placed_face({300, 220}, degrees);
      const auto region = region_of(frame, target);
      ASSERT_FALSE(region.empty());
      ASSERT_EQ(region & cv::Rect(0, 0, frame.cols, frame.rows), region);  // the whole face is in the frame

      enhancer.process(frame, target);

      const auto check = check_enhanced(before, frame, target);
      EXPECT_GT(check.inside, 20000);
      // Two bilinear warps and the crop's 8-bit truncation (up to a level below the formula;
      // GPEN-256 samples the face coarser).
      EXPECT_LE(check.worst, 5.0);
      EXPECT_LE(check.mean, 1.0);
      EXPECT_EQ(check.changed_outside, 0);
    }
  }
}

TEST(FaceEnhancer, ProcessIsSafeFromSeveralThreads) {
  FaceEnhancer enhancer(test::fixture_model("GFPGANv1.4.onnx"), runtime::SessionPolicy{});
  const auto target = placed_face({320, 240}, 5.0);
  cv::Mat expected = textured_frame();
  enhancer.process(expected, target);

  constexpr int kThreads = 4;
  std::vector<cv::Mat> frames(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    frames[static_cast<std::size_t>(i)] = textured_frame();
    threads.emplace_back([&, i] {
      for (int k = 0; k < 2; ++k) {
        cv::Mat copy = textured_frame();
        enhancer.process(copy, target);
        if (k == 1) frames[static_cast<std::size_t>(i)] = copy;
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& frame : frames) {
    cv::Mat diff;
    cv::absdiff(frame, expected, diff);
    EXPECT_EQ(cv::countNonZero(diff.reshape(1)), 0);
  }
}

// Deep-Live-Cam's GPEN template: the 96×112 reference points over (96, 112), × the input size.
TEST(EnhancerAlignment, GpenTemplateIsTheStretchedReference) {
  const auto t = enhancer_template(EnhancerKind::kGpen, 256);
  EXPECT_NEAR(t[0].x, 30.2946 / 96 * 256, 1e-3);
  EXPECT_NEAR(t[0].y, 51.6963 / 112 * 256, 1e-3);
  EXPECT_NEAR(t[4].x, 62.7299 / 96 * 256, 1e-3);
  EXPECT_NEAR(t[4].y, 92.3655 / 112 * 256, 1e-2);
  // GFPGAN keeps the FFHQ template.
  EXPECT_EQ(enhancer_template(EnhancerKind::kGfpgan, 512)[2], face::ffhq_template(512)[2]);
}

// GFPGAN: int(512·0.05) = 25 rows of linspace(0, 1, 25), multiplied at the corners, truncated;
// GPEN: 512/16 = 32 rows of linspace(0, 1, 32), the smaller at the corners.
TEST(EnhancerAlignment, MasksAreDeepLiveCams) {
  const auto gfpgan = enhancer_mask(EnhancerKind::kGfpgan, 512);
  EXPECT_EQ(gfpgan.at<std::uint8_t>(256, 0), 0);
  EXPECT_EQ(gfpgan.at<std::uint8_t>(256, 12), 127);   // 255·12/24 = 127.5, truncated
  EXPECT_EQ(gfpgan.at<std::uint8_t>(12, 12), 63);     // 255·0.5·0.5 = 63.75
  EXPECT_EQ(gfpgan.at<std::uint8_t>(256, 25), 255);   // past the 25-pixel ramp
  EXPECT_EQ(gfpgan.at<std::uint8_t>(256, 511), 0);
  const auto gpen = enhancer_mask(EnhancerKind::kGpen, 512);
  EXPECT_EQ(gpen.at<std::uint8_t>(256, 16), 132);     // 255·16/31 = 131.6
  EXPECT_EQ(gpen.at<std::uint8_t>(16, 16), 132);      // the minimum, not the product (68)
  EXPECT_EQ(gpen.at<std::uint8_t>(256, 31), 255);
  EXPECT_EQ(gpen.at<std::uint8_t>(256, 32), 255);
  EXPECT_EQ(gpen.at<std::uint8_t>(256, 480), 255);
  EXPECT_EQ(gpen.at<std::uint8_t>(256, 500), 90);     // 255·(1 − 20/31) = 90.48
}

// astype(np.uint8): (0 + 1)·127.5 = 127.5 → 127 (rounding gives 128).
TEST(EnhancerAlignment, OutputTruncates) {
  EXPECT_EQ(enhancer_output_byte(0.0f), 127);
  EXPECT_EQ(enhancer_output_byte(1.0f), 255);
  EXPECT_EQ(enhancer_output_byte(-1.5f), 0);
}

// GFPGAN's crop outside the frame is (135, 133, 132); GPEN's repeats the frame's edge.
TEST(EnhancerAlignment, BordersByKind) {
  const cv::Mat frame(480, 640, CV_8UC3, cv::Scalar(40, 90, 200));
  const auto target = placed_face({60, 60}, 0.0);  // the crop reaches past the top-left corner
  for (const auto kind : {EnhancerKind::kGfpgan, EnhancerKind::kGpen}) {
    FaceEnhancer enhancer(test::fixture_model("GPEN-BFR-256.onnx"), runtime::SessionPolicy{}, kind);
    cv::Mat crop;
    cv::Matx23d frame_to_crop;
    ASSERT_TRUE(enhancer.enhance_crop(frame, target, crop, frame_to_crop));
    const auto corner = crop.at<cv::Vec3b>(0, 0);
    const auto centre = crop.at<cv::Vec3b>(128, 128);
    if (kind == EnhancerKind::kGpen) {
      EXPECT_EQ(corner, centre);
    } else {
      EXPECT_NE(corner, centre);
      // The fixture's (0.8R, 0.8B, 0.8G) + 12.75 of the border colour, truncated.
      EXPECT_EQ(corner, cv::Vec3b(static_cast<std::uint8_t>(0.8 * 132 + 12.75), static_cast<std::uint8_t>(0.8 * 135 + 12.75),
                                  static_cast<std::uint8_t>(0.8 * 133 + 12.75)));
    }
  }
}

TEST(ScaleTransform, OneKeepsTheTransform) {
  const cv::Matx23d m(0.8, -0.3, 12.5, 0.3, 0.8, -40.25);
  const auto same = scale_transform(m, 1.0);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(same.val[i], m.val[i]);
}

TEST(ScaleTransform, TwiceTheCropCoversTheSameArea) {
  const cv::Matx23d m(0.8, -0.3, 12.5, 0.3, 0.8, -40.25);
  const auto twice = scale_transform(m, 2.0);
  const auto back = face::invert(m);
  // The 512 crop's outer pixel edges (−0.5 and 511.5) are the 1024 crop's (−0.5 and 1023.5),
  // and its pixel centres land halfway between two 1024 centres.
  const std::pair<cv::Point2f, cv::Point2f> cases[] = {
      {{-0.5f, -0.5f}, {-0.5f, -0.5f}},
      {{511.5f, -0.5f}, {1023.5f, -0.5f}},
      {{511.5f, 511.5f}, {1023.5f, 1023.5f}},
      {{0.0f, 0.0f}, {0.5f, 0.5f}},
      {{255.5f, 100.0f}, {511.5f, 200.5f}},
  };
  for (const auto& [at512, at1024] : cases) {
    const auto frame_point = face::apply(back, at512);
    const auto p = face::apply(twice, frame_point);
    EXPECT_NEAR(p.x, at1024.x, 1e-3);
    EXPECT_NEAR(p.y, at1024.y, 1e-3);
  }
  // paste_back's box for the 1024 crop is the 512 crop's, within a pixel (a transform that keeps
  // the whole crop inside the frame, so no side is clipped).
  const cv::Matx23d inside(0.8, -0.3, -500, 0.3, 0.8, -600);
  const auto region512 = paste_region({4000, 4000}, 512, inside);
  const auto region1024 = paste_region({4000, 4000}, 1024, scale_transform(inside, 2.0));
  ASSERT_GT(region512.x, 0);
  ASSERT_GT(region512.y, 0);
  EXPECT_LE(std::abs(region512.x - region1024.x), 1);
  EXPECT_LE(std::abs(region512.y - region1024.y), 1);
  EXPECT_LE(std::abs(region512.br().x - region1024.br().x), 1);
  EXPECT_LE(std::abs(region512.br().y - region1024.br().y), 1);
}

}  // namespace
}  // namespace dlc::processors
