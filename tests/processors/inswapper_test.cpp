#include "processors/inswapper.hpp"

#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <fstream>
#include <limits>
#include <numeric>

#include "face/alignment.hpp"
#include "support/paths.hpp"

namespace dlc::processors {
namespace {

// tools/make_fixture_models.py: emap[i][j] = ((2i + 3j) % 11 − 5) / 8, not symmetric.
float fixture_emap(std::size_t i, std::size_t j) { return static_cast<float>(static_cast<int>((2 * i + 3 * j) % 11) - 5) / 8.0f; }
// The fixture swapper's weights: output plane c is shifted by |latent · W[:, c]|.
double fixture_weight(std::size_t k, std::size_t c) { return static_cast<double>(static_cast<int>((7 * k + 3 * c) % 13) - 6) / 32.0; }

// insightface: latent = normalise(embedding · emap), computed here independently in doubles.
std::vector<double> expected_latent(const std::vector<float>& embedding) {
  std::vector<double> latent(512, 0.0);
  for (std::size_t i = 0; i < 512; ++i) {
    for (std::size_t j = 0; j < 512; ++j) latent[j] += static_cast<double>(embedding[i]) * fixture_emap(i, j);
  }
  const double norm = std::sqrt(std::inner_product(latent.begin(), latent.end(), latent.begin(), 0.0));
  for (auto& v : latent) v /= norm;
  return latent;
}

// The fixture's shift of output plane c (0 = red) for a latent.
double fixture_shift(const std::vector<double>& latent, std::size_t c) {
  double sum = 0;
  for (std::size_t k = 0; k < 512; ++k) sum += latent[k] * fixture_weight(k, c);
  return std::abs(sum);
}

std::vector<float> unit_embedding() {
  std::vector<float> e(512);
  for (std::size_t k = 0; k < e.size(); ++k) e[k] = std::sin(0.1f * static_cast<float>(k) + 0.3f);
  const float norm = std::sqrt(std::inner_product(e.begin(), e.end(), e.begin(), 0.0f));
  for (auto& v : e) v /= norm;
  return e;
}

// insightface truncates (astype(np.uint8)); lround would give 128 and 1 here.
TEST(InswapperOutput, TruncatesLikeInsightface) {
  EXPECT_EQ(inswapper_output_byte(0.5f), 127);          // 127.5
  EXPECT_EQ(inswapper_output_byte(1.9f / 255.0f), 1);   // 1.9
  EXPECT_EQ(inswapper_output_byte(1.0f), 255);
  EXPECT_EQ(inswapper_output_byte(1.5f), 255);           // clipped
  EXPECT_EQ(inswapper_output_byte(-0.2f), 0);
}

TEST(Emap, ReadsTheExactMatrix) {
  const auto emap = read_emap(test::fixture_model("inswapper_128.onnx"));
  ASSERT_EQ(emap.size(), 512u * 512u);
  for (std::size_t i = 0; i < 512; ++i) {
    for (std::size_t j = 0; j < 512; ++j) ASSERT_EQ(emap[i * 512 + j], fixture_emap(i, j)) << i << "," << j;
  }
  // The fp16 file's emap holds the same values, which float16 represents exactly.
  EXPECT_EQ(read_emap(test::fixture_model("inswapper_128_fp16.onnx")), emap);
  // Row-major as stored: a transposed read would give emap[j][i], which differs here.
  EXPECT_NE(fixture_emap(0, 1), fixture_emap(1, 0));
}

TEST(Emap, BadFilesAreClearErrors) {
  const auto dir = test::make_temp_dir();
  const auto source = test::fixture_model("inswapper_128.onnx");
  {
    // Truncated in the middle of the emap.
    std::ifstream in(source, std::ios::binary);
    std::vector<char> bytes(std::filesystem::file_size(source) - 4096);
    in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    std::ofstream(dir / "truncated.onnx", std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  std::ofstream(dir / "text.onnx") << "not a model at all";
  for (const char* name : {"truncated.onnx", "text.onnx"}) {
    try {
      read_emap(dir / name);
      ADD_FAILURE() << name << ": no error";
    } catch (const runtime::ModelError& e) {
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
  }
  // A model whose last initializer is something else.
  EXPECT_THROW(read_emap(test::fixture_model("w600k_r50.onnx")), runtime::ModelError);
  std::filesystem::remove_all(dir);
}

// insightface: latent = normalise(embedding · emap), computed here independently in doubles.
TEST(Inswapper, LatentIsTheNormalisedProduct) {
  const auto embedding = unit_embedding();
  const auto expected = expected_latent(embedding);
  InswapperSwapper swapper(test::fixture_model("inswapper_128.onnx"), runtime::SessionPolicy{}, embedding);
  ASSERT_EQ(swapper.latent().size(), 512u);
  for (std::size_t j = 0; j < 512; ++j) ASSERT_NEAR(swapper.latent()[j], expected[j], 1e-5) << j;
  EXPECT_EQ(inswapper_latent(embedding, read_emap(test::fixture_model("inswapper_128.onnx"))), swapper.latent());
}

// A face whose five points are the 128 template shifted by (200, 100): the crop is exactly the
// frame's 128×128 block at (200, 100), so the model's input is known pixel by pixel.
face::Face shifted_template_face() {
  face::Face f;
  const auto t = face::arcface_template(128);
  for (std::size_t i = 0; i < 5; ++i) f.kps[i] = t[i] + cv::Point2f(200, 100);
  f.has_kps = true;
  f.box = cv::Rect2f(200, 100, 128, 128);
  return f;
}

cv::Mat textured_frame() {
  cv::Mat frame(480, 640, CV_8UC3);
  for (int y = 0; y < frame.rows; ++y) {
    for (int x = 0; x < frame.cols; ++x) {
      frame.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<std::uint8_t>((3 * x + y) % 256),
                                            static_cast<std::uint8_t>((x + 5 * y) % 256), static_cast<std::uint8_t>((x * y) % 256));
    }
  }
  return frame;
}

// The model's target input, computed independently: the face sits on the 128 template shifted by
// (200, 100), so the crop is the frame's block there, as planar RGB / 255.
TEST(Inswapper, TargetInputIsTheAlignedCropOverTwoFiftyFive) {
  const auto frame = textured_frame();
  std::vector<float> blob;
  const auto frame_to_crop = InswapperSwapper::prepare_target(frame, shifted_template_face(), blob);
  EXPECT_NEAR(frame_to_crop(0, 0), 1.0, 1e-5);
  ASSERT_EQ(blob.size(), 3u * 128u * 128u);
  double worst = 0;
  for (int c = 0; c < 3; ++c) {
    for (int y = 0; y < 128; ++y) {
      for (int x = 0; x < 128; ++x) {
        const auto bgr = frame.at<cv::Vec3b>(100 + y, 200 + x);
        const double expected = bgr[2 - c] / 255.0;  // plane 0 is red
        worst = std::max(worst, std::abs(blob[static_cast<std::size_t>((c * 128 + y) * 128 + x)] - expected));
      }
    }
  }
  EXPECT_LT(worst, 1e-5);
}

// The fixture computes clip(1 − target + |latent · W[:, c]|) with target = RGB/255, so every
// component of the latent moves the output: the expected latent is computed here, not read back.
int worst_fixture_error(const cv::Mat& frame, const cv::Mat& crop, const std::vector<double>& latent) {
  int worst = 0;
  for (int y = 0; y < 128; ++y) {
    for (int x = 0; x < 128; ++x) {
      const auto in = frame.at<cv::Vec3b>(100 + y, 200 + x);
      const auto out = crop.at<cv::Vec3b>(y, x);
      for (int c = 0; c < 3; ++c) {
        const double shift = fixture_shift(latent, static_cast<std::size_t>(2 - c));  // BGR crop, RGB planes
        const double expected = std::clamp(1.0 - in[c] / 255.0 + shift, 0.0, 1.0) * 255.0;
        worst = std::max(worst, static_cast<int>(std::lround(std::abs(out[c] - expected))));
      }
    }
  }
  return worst;
}

void expect_fixture_swap(const char* model, int tolerance) {
  const auto embedding = unit_embedding();
  InswapperSwapper swapper(test::fixture_model(model), runtime::SessionPolicy{}, embedding);
  const auto frame = textured_frame();
  cv::Matx23d frame_to_crop;
  const auto crop = swapper.swap_crop(frame, shifted_template_face(), frame_to_crop);
  ASSERT_EQ(crop.size(), cv::Size(128, 128));
  EXPECT_NEAR(frame_to_crop(0, 2), -200.0, 1e-3);
  EXPECT_NEAR(frame_to_crop(1, 2), -100.0, 1e-3);
  const auto latent = expected_latent(embedding);
  // The shifts are large enough to tell latents apart (a few levels at least in some plane).
  EXPECT_GT(fixture_shift(latent, 0) + fixture_shift(latent, 1) + fixture_shift(latent, 2), 0.05);
  EXPECT_LE(worst_fixture_error(frame, crop, latent), tolerance) << model;
}

TEST(Inswapper, FixtureEndToEndFloat32) { expect_fixture_swap("inswapper_128.onnx", 1); }

// The fp16 file: inputs converted to float16 at the boundary, the output back to float32.
TEST(Inswapper, FixtureEndToEndFloat16) {
  InswapperSwapper swapper(test::fixture_model("inswapper_128_fp16.onnx"), runtime::SessionPolicy{}, unit_embedding());
  EXPECT_TRUE(swapper.float16());
  expect_fixture_swap("inswapper_128_fp16.onnx", 2);
}

// --map-faces: one session, a latent per call. Another source's latent gives that source's output.
TEST(Inswapper, ALatentPerCallServesAnotherSource) {
  InswapperSwapper swapper(test::fixture_model("inswapper_128.onnx"), runtime::SessionPolicy{}, unit_embedding());
  std::vector<float> other(512);
  for (std::size_t k = 0; k < other.size(); ++k) other[k] = std::cos(0.37f * static_cast<float>(k)) / 16.0f;
  const auto other_latent = inswapper_latent(other, read_emap(test::fixture_model("inswapper_128.onnx")));
  const auto frame = textured_frame();
  cv::Matx23d frame_to_crop;
  const auto crop = swapper.swap_crop(frame, shifted_template_face(), other_latent, frame_to_crop);
  ASSERT_EQ(crop.size(), cv::Size(128, 128));
  EXPECT_LE(worst_fixture_error(frame, crop, expected_latent(other)), 1);
  EXPECT_GT(worst_fixture_error(frame, crop, expected_latent(unit_embedding())), 3) << "the latents must differ";
  // process() with that latent pastes that crop.
  auto pasted = frame.clone();
  auto expected = frame.clone();
  swapper.process(pasted, shifted_template_face(), other_latent);
  paste_back(expected, crop, inswapper_soft_mask(), frame_to_crop);
  cv::Mat diff;
  cv::absdiff(pasted, expected, diff);
  EXPECT_EQ(cv::countNonZero(diff.reshape(1)), 0);
}

// Keypoints that give no usable transform (NaN) leave the frame as it was: nothing is cast to int.
TEST(Inswapper, UnplaceableFaceIsLeftAlone) {
  InswapperSwapper swapper(test::fixture_model("inswapper_128.onnx"), runtime::SessionPolicy{}, unit_embedding());
  auto face = shifted_template_face();
  face.kps[2].x = std::numeric_limits<float>::quiet_NaN();
  EXPECT_FALSE(InswapperSwapper::footprint({640, 480}, face, false).placeable);
  auto frame = textured_frame();
  const auto before = frame.clone();
  swapper.process(frame, face);
  cv::Mat diff;
  cv::absdiff(frame, before, diff);
  EXPECT_EQ(cv::countNonZero(diff.reshape(1)), 0);
}

TEST(Inswapper, ProcessPastesOnlyAroundTheFace) {
  InswapperSwapper swapper(test::fixture_model("inswapper_128.onnx"), runtime::SessionPolicy{}, unit_embedding());
  auto frame = textured_frame();
  const auto before = frame.clone();
  swapper.process(frame, shifted_template_face());
  cv::Mat diff;
  cv::absdiff(frame, before, diff);
  EXPECT_GT(cv::countNonZero(diff(cv::Rect(232, 132, 64, 64)).reshape(1)), 1000);  // the face changed
  diff(paste_region(frame.size(), 128, face::align_to(shifted_template_face().kps, face::arcface_template(128))))
      .setTo(0);
  EXPECT_EQ(cv::countNonZero(diff.reshape(1)), 0);
}

// An all-black crop makes the fixture's output constant (clip saturates): detected, reported,
// and the face is left as it was.
TEST(Inswapper, ConstantOutputLeavesTheFaceUnchanged) {
  InswapperSwapper swapper(test::fixture_model("inswapper_128.onnx"), runtime::SessionPolicy{}, unit_embedding());
  cv::Mat frame(480, 640, CV_8UC3, cv::Scalar::all(0));
  const auto before = frame.clone();
  swapper.process(frame, shifted_template_face());
  cv::Mat diff;
  cv::absdiff(frame, before, diff);
  EXPECT_EQ(cv::countNonZero(diff.reshape(1)), 0);
}

TEST(Inswapper, RefusesOtherModels) {
  EXPECT_THROW(InswapperSwapper(test::fixture_model("GFPGANv1.4.onnx"), runtime::SessionPolicy{}, unit_embedding()),
               runtime::ModelError);
}

}  // namespace
}  // namespace dlc::processors
