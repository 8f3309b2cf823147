#include "processors/face_swapper.hpp"

#include <gtest/gtest.h>
#include <opencv2/core.hpp>

#include <cmath>
#include <limits>
#include <numeric>

#include "face/alignment.hpp"
#include "processors/inswapper.hpp"
#include "support/paths.hpp"

namespace dlc::processors {
namespace {

const SwapperModel& model(std::string_view name) {
  const auto* m = swapper_model_named(name);
  EXPECT_NE(m, nullptr) << name;
  return *m;
}

// tools/make_fixture_models.py: every fixture swapper shifts output plane c by latent · W[:, c]
// (inswapper: its absolute value).
double fixture_weight(std::size_t k, std::size_t c) { return static_cast<double>(static_cast<int>((7 * k + 3 * c) % 13) - 6) / 32.0; }
double fixture_shift(const std::vector<float>& source, std::size_t c) {
  double sum = 0;
  for (std::size_t k = 0; k < 512; ++k) sum += static_cast<double>(source[k]) * fixture_weight(k, c);
  return sum;
}

// A unit embedding that moves the fixtures' outputs by about ±0.2 in the red and blue planes: a
// sine, plus a tenth of the unit direction W[:, 0] − W[:, 2] (a sine alone shifts them by < 0.013).
std::vector<float> unit_embedding() {
  const auto unit = [](std::vector<double> v) {
    const double norm = std::sqrt(std::inner_product(v.begin(), v.end(), v.begin(), 0.0));
    for (auto& x : v) x /= norm;
    return v;
  };
  std::vector<double> sine(512);
  std::vector<double> red_minus_blue(512);
  for (std::size_t k = 0; k < 512; ++k) {
    sine[k] = std::sin(0.1 * static_cast<double>(k) + 0.3);
    red_minus_blue[k] = fixture_weight(k, 0) - fixture_weight(k, 2);
  }
  sine = unit(sine);
  red_minus_blue = unit(red_minus_blue);
  for (std::size_t k = 0; k < 512; ++k) sine[k] += 0.1 * red_minus_blue[k];
  const auto e = unit(sine);
  return {e.begin(), e.end()};
}

face::Face source_face(float raw_norm = 7.5f) {
  face::Face f;
  f.embedding = unit_embedding();
  f.embedding_norm = raw_norm;
  return f;
}

std::vector<float> inswapper_source() {
  return inswapper_latent(unit_embedding(), read_emap(test::fixture_model("inswapper_128.onnx")));
}

// A face whose five points are the model's template shifted by (200, 100): the crop is exactly the
// frame's size×size block at (200, 100), so the model's input is known pixel by pixel.
face::Face shifted_template_face(const SwapperModel& m) {
  face::Face f;
  const auto t = crop_template_points(m);
  for (std::size_t i = 0; i < 5; ++i) f.kps[i] = t[i] + cv::Point2f(200, 100);
  f.has_kps = true;
  f.box = cv::Rect2f(200, 100, static_cast<float>(m.size), static_cast<float>(m.size));
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

// The target input computed independently from the frame's block: (x/255 − mean[c])/std[c], RGB planes.
double worst_target_error(const SwapperModel& m, double mean_r, double mean_g, double mean_b, double std_r,
                          double std_g, double std_b) {
  const auto frame = textured_frame();
  std::vector<float> blob;
  const auto frame_to_crop = FaceSwapper::prepare_target(m, frame, shifted_template_face(m), blob);
  EXPECT_NEAR(frame_to_crop(0, 0), 1.0, 1e-5);
  EXPECT_NEAR(frame_to_crop(0, 2), -200.0, 1e-3);
  const auto n = static_cast<std::size_t>(m.size);
  EXPECT_EQ(blob.size(), 3 * n * n);
  const double mean[] = {mean_r, mean_g, mean_b};
  const double stdev[] = {std_r, std_g, std_b};
  double worst = 0;
  for (int c = 0; c < 3; ++c) {
    for (int y = 0; y < m.size; ++y) {
      for (int x = 0; x < m.size; ++x) {
        const auto bgr = frame.at<cv::Vec3b>(100 + y, 200 + x);
        const double expected = (bgr[2 - c] / 255.0 - mean[c]) / stdev[c];  // plane 0 is red
        worst = std::max(worst, std::abs(blob[(static_cast<std::size_t>(c) * n + static_cast<std::size_t>(y)) * n +
                                              static_cast<std::size_t>(x)] -
                                         expected));
      }
    }
  }
  return worst;
}

// The swapped crop against the pixel formula the fixture makes of a pixel value x in plane c:
// clip(1 − x/255 + gain·shift[c]) (inswapper: |shift|), in 8-bit levels.
int worst_crop_error(const SwapperModel& m, const cv::Mat& frame, const cv::Mat& crop, const std::vector<float>& source,
                     double gain) {
  double shifts[3];
  for (int c = 0; c < 3; ++c) {
    shifts[c] = fixture_shift(source, static_cast<std::size_t>(2 - c));  // BGR crop, RGB planes
    if (m.source == SourceInput::kEmapLatent) shifts[c] = std::abs(shifts[c]);
  }
  int worst = 0;
  for (int y = 0; y < m.size; ++y) {
    for (int x = 0; x < m.size; ++x) {
      const auto in = frame.at<cv::Vec3b>(100 + y, 200 + x);
      const auto out = crop.at<cv::Vec3b>(y, x);
      for (int c = 0; c < 3; ++c) {
        const double expected = std::clamp(1.0 - in[c] / 255.0 + gain * shifts[c], 0.0, 1.0) * 255.0;
        worst = std::max(worst, static_cast<int>(std::lround(std::abs(out[c] - expected))));
      }
    }
  }
  return worst;
}

// ---- inswapper_128: x/255 in, the emap latent, the output as it is

TEST(FaceSwapper, InswapperSourceIsTheEmapLatent) {
  const auto& m = model("inswapper_128");
  const auto file = test::fixture_model("inswapper_128.onnx");
  EXPECT_EQ(source_identity(m, file, std::nullopt, {}, source_face()), inswapper_source());
  FaceSwapper swapper(m, file, runtime::SessionPolicy{}, inswapper_source());
  EXPECT_EQ(swapper.source(), inswapper_source());
}

TEST(FaceSwapper, InswapperTargetInputIsTheAlignedCropOverTwoFiftyFive) {
  EXPECT_LT(worst_target_error(model("inswapper_128"), 0, 0, 0, 1, 1, 1), 1e-5);
}

void expect_inswapper_swap(const char* file, int tolerance) {
  const auto& m = model("inswapper_128");
  FaceSwapper swapper(m, test::fixture_model(file), runtime::SessionPolicy{}, inswapper_source());
  const auto frame = textured_frame();
  cv::Matx23d frame_to_crop;
  const auto crop = swapper.swap_crop(frame, shifted_template_face(m), frame_to_crop);
  ASSERT_EQ(crop.size(), cv::Size(128, 128));
  EXPECT_NEAR(frame_to_crop(1, 2), -100.0, 1e-3);
  EXPECT_GT(std::abs(fixture_shift(inswapper_source(), 0)) + std::abs(fixture_shift(inswapper_source(), 1)), 0.05);
  EXPECT_LE(worst_crop_error(m, frame, crop, inswapper_source(), 1.0), tolerance) << file;
}

TEST(FaceSwapper, InswapperFixtureEndToEndFloat32) { expect_inswapper_swap("inswapper_128.onnx", 1); }

// The fp16 file: inputs converted to float16 at the boundary, the output back to float32.
TEST(FaceSwapper, InswapperFixtureEndToEndFloat16) {
  FaceSwapper swapper(model("inswapper_128"), test::fixture_model("inswapper_128_fp16.onnx"), runtime::SessionPolicy{},
                      inswapper_source());
  EXPECT_TRUE(swapper.float16());
  expect_inswapper_swap("inswapper_128_fp16.onnx", 2);
}

// --map-faces: one session, a source identity per call. Another source's gives that source's output.
TEST(FaceSwapper, ASourcePerCallServesAnotherSource) {
  const auto& m = model("inswapper_128");
  FaceSwapper swapper(m, test::fixture_model("inswapper_128.onnx"), runtime::SessionPolicy{}, inswapper_source());
  std::vector<float> other(512);
  for (std::size_t k = 0; k < other.size(); ++k) other[k] = std::cos(0.37f * static_cast<float>(k)) / 16.0f;
  const auto other_latent = inswapper_latent(other, read_emap(test::fixture_model("inswapper_128.onnx")));
  const auto frame = textured_frame();
  cv::Matx23d frame_to_crop;
  const auto crop = swapper.swap_crop(frame, shifted_template_face(m), other_latent, frame_to_crop);
  ASSERT_EQ(crop.size(), cv::Size(128, 128));
  EXPECT_LE(worst_crop_error(m, frame, crop, other_latent, 1.0), 1);
  EXPECT_GT(worst_crop_error(m, frame, crop, inswapper_source(), 1.0), 3) << "the latents must differ";
  auto pasted = frame.clone();
  auto expected = frame.clone();
  swapper.process(pasted, shifted_template_face(m), other_latent);
  paste_back(expected, crop, inswapper_soft_mask(), frame_to_crop);
  cv::Mat diff;
  cv::absdiff(pasted, expected, diff);
  EXPECT_EQ(cv::countNonZero(diff.reshape(1)), 0);
}

// Keypoints that give no usable transform (NaN) leave the frame as it was: nothing is cast to int.
TEST(FaceSwapper, UnplaceableFaceIsLeftAlone) {
  const auto& m = model("inswapper_128");
  FaceSwapper swapper(m, test::fixture_model("inswapper_128.onnx"), runtime::SessionPolicy{}, inswapper_source());
  auto face = shifted_template_face(m);
  face.kps[2].x = std::numeric_limits<float>::quiet_NaN();
  EXPECT_FALSE(FaceSwapper::footprint(m, {640, 480}, face, false).placeable);
  auto frame = textured_frame();
  const auto before = frame.clone();
  swapper.process(frame, face);
  cv::Mat diff;
  cv::absdiff(frame, before, diff);
  EXPECT_EQ(cv::countNonZero(diff.reshape(1)), 0);
}

void expect_pastes_only_around_the_face(const SwapperModel& m, const char* file, std::vector<float> source) {
  FaceSwapper swapper(m, test::fixture_model(file), runtime::SessionPolicy{}, std::move(source));
  auto frame = textured_frame();
  const auto before = frame.clone();
  swapper.process(frame, shifted_template_face(m));
  cv::Mat diff;
  cv::absdiff(frame, before, diff);
  const int mid = m.size / 2;
  EXPECT_GT(cv::countNonZero(diff(cv::Rect(200 + mid - 32, 100 + mid - 32, 64, 64)).reshape(1)), 1000) << file;
  diff(paste_region(frame.size(), m.size, face::align_to(shifted_template_face(m).kps, crop_template_points(m))))
      .setTo(0);
  EXPECT_EQ(cv::countNonZero(diff.reshape(1)), 0) << file;
}

TEST(FaceSwapper, ProcessPastesOnlyAroundTheFace) {
  expect_pastes_only_around_the_face(model("inswapper_128"), "inswapper_128.onnx", inswapper_source());
  expect_pastes_only_around_the_face(model("hyperswap_1a_256"), "hyperswap_1a_256.onnx", unit_embedding());
  expect_pastes_only_around_the_face(model("simswap_256"), "simswap_256.onnx", unit_embedding());
}

// An all-black crop makes the fixture's output constant (clip saturates): detected, reported,
// and the face is left as it was.
TEST(FaceSwapper, ConstantOutputLeavesTheFaceUnchanged) {
  const auto& m = model("inswapper_128");
  FaceSwapper swapper(m, test::fixture_model("inswapper_128.onnx"), runtime::SessionPolicy{}, inswapper_source());
  cv::Mat frame(480, 640, CV_8UC3, cv::Scalar::all(0));
  const auto before = frame.clone();
  swapper.process(frame, shifted_template_face(m));
  cv::Mat diff;
  cv::absdiff(frame, before, diff);
  EXPECT_EQ(cv::countNonZero(diff.reshape(1)), 0);
}

TEST(FaceSwapper, RefusesOtherModels) {
  EXPECT_THROW(FaceSwapper(model("inswapper_128"), test::fixture_model("GFPGANv1.4.onnx"), {}, inswapper_source()),
               runtime::ModelError);
  // Each file serves its own definition only: the sizes and the inputs differ.
  EXPECT_THROW(FaceSwapper(model("hyperswap_1a_256"), test::fixture_model("inswapper_128.onnx"), {}, unit_embedding()),
               runtime::ModelError);
  EXPECT_THROW(FaceSwapper(model("inswapper_128"), test::fixture_model("simswap_256.onnx"), {}, inswapper_source()),
               runtime::ModelError);
}

// ---- hyperswap_1a/1b/1c_256: FaceFusion's 'arcface_128' at 256, (x/255 − 0.5)/0.5 in, y·0.5 + 0.5
// out, the unit ArcFace embedding as the source

TEST(FaceSwapper, HyperswapSourceIsTheUnitEmbedding) {
  const auto& m = model("hyperswap_1a_256");
  const auto source = source_identity(m, test::fixture_model("hyperswap_1a_256.onnx"), std::nullopt, {}, source_face());
  const auto expected = unit_embedding();
  ASSERT_EQ(source.size(), 512u);
  for (std::size_t k = 0; k < 512; ++k) ASSERT_NEAR(source[k], expected[k], 1e-6) << k;
}

// FaceFusion's 'arcface_128' template is insightface's arcface_dst + 8 px over 128: at 256 the
// first eye sits at (0.36167656, 0.40387734) × 256 (face_helper.py).
TEST(FaceSwapper, HyperswapCropIsArcFace128AtTwoFiftySix) {
  const auto t = crop_template_points(model("hyperswap_1a_256"));
  EXPECT_NEAR(t[0].x, 0.36167656 * 256, 1e-3);
  EXPECT_NEAR(t[0].y, 0.40387734 * 256, 1e-3);
  EXPECT_NEAR(t[4].x, 0.61507734 * 256, 1e-3);
  EXPECT_NEAR(t[4].y, 0.72034453 * 256, 1e-3);
}

TEST(FaceSwapper, HyperswapTargetInputIsMinusOneToOne) {
  EXPECT_LT(worst_target_error(model("hyperswap_1a_256"), 0.5, 0.5, 0.5, 0.5, 0.5, 0.5), 1e-5);
}

// The model's output within 1e-5 of the fixture's formula, shift[c] − target[c], and the crop its
// denormalisation: 1 − x/255 + shift[c]/2.
TEST(FaceSwapper, HyperswapFixturesEndToEnd) {
  const auto& m = model("hyperswap_1a_256");
  for (const char* file : {"hyperswap_1a_256.onnx", "hyperswap_1b_256.onnx", "hyperswap_1c_256.onnx"}) {
    const auto& mm = model(std::string_view(file).substr(0, 16));
    FaceSwapper swapper(mm, test::fixture_model(file), runtime::SessionPolicy{}, unit_embedding());
    const auto frame = textured_frame();
    std::vector<float> target;
    FaceSwapper::prepare_target(mm, frame, shifted_template_face(mm), target);
    std::vector<float> output;
    swapper.infer(target, unit_embedding(), output);
    ASSERT_EQ(output.size(), target.size());
    const auto source = unit_embedding();
    const double shifts[] = {fixture_shift(source, 0), fixture_shift(source, 1), fixture_shift(source, 2)};
    double worst = 0;
    constexpr std::size_t kPlane = 256 * 256;
    for (std::size_t i = 0; i < output.size(); ++i) {
      worst = std::max(worst, std::abs(output[i] - (shifts[i / kPlane] - target[i])));
    }
    EXPECT_LT(worst, 1e-5) << file;
    cv::Matx23d frame_to_crop;
    const auto crop = swapper.swap_crop(frame, shifted_template_face(mm), frame_to_crop);
    ASSERT_EQ(crop.size(), cv::Size(256, 256));
    EXPECT_LE(worst_crop_error(m, frame, crop, unit_embedding(), 0.5), 1) << file;
    // Without the denormalisation the crop would be another image.
    EXPECT_GT(std::abs(fixture_shift(unit_embedding(), 0)), 0.2);
    EXPECT_GT(worst_crop_error(m, frame, crop, unit_embedding(), 1.0), 3) << file;
  }
}

// ---- simswap_256: 'arcface_112_v1' at 256, ImageNet's per-channel mean/std in, the output as it
// is, the source normalise(converter(raw embedding))

std::vector<double> expected_converted(const std::vector<float>& raw) {
  std::vector<double> out(512, 0.0);
  for (std::size_t j = 0; j < 512; ++j) {
    double sum = static_cast<double>(static_cast<int>(j % 5) - 2) / 4.0;
    for (std::size_t i = 0; i < 512; ++i) sum += raw[i] * (static_cast<int>((i + 2 * j) % 7) - 3) / 16.0;
    out[j] = sum;
  }
  const double norm = std::sqrt(std::inner_product(out.begin(), out.end(), out.begin(), 0.0));
  for (auto& v : out) v /= norm;
  return out;
}

TEST(FaceSwapper, SimswapSourceIsTheNormalisedConvertedRawEmbedding) {
  const auto& m = model("simswap_256");
  const auto converter = test::fixture_model("crossface_simswap.onnx");
  // A raw length of 30 (ArcFace's are of that order) against the converter's bias of length 8.
  const auto source = source_identity(m, test::fixture_model("simswap_256.onnx"), converter, {}, source_face(30.0f));
  auto raw = unit_embedding();
  for (auto& v : raw) v *= 30.0f;
  const auto expected = expected_converted(raw);
  const auto from_unit = expected_converted(unit_embedding());
  ASSERT_EQ(source.size(), 512u);
  double worst = 0;
  double unit_gap = 0;
  for (std::size_t k = 0; k < 512; ++k) {
    worst = std::max(worst, std::abs(source[k] - expected[k]));
    unit_gap = std::max(unit_gap, std::abs(source[k] - from_unit[k]));
  }
  EXPECT_LT(worst, 1e-5);
  EXPECT_GT(unit_gap, 1e-2) << "the converter must see the raw embedding, not the unit one";
  EXPECT_THROW(source_identity(m, test::fixture_model("simswap_256.onnx"), std::nullopt, {}, source_face()),
               runtime::ModelError);
}

TEST(FaceSwapper, SimswapCropIsArcFace112V1AtTwoFiftySix) {
  const auto t = crop_template_points(model("simswap_256"));
  EXPECT_NEAR(t[0].x, 0.35473214 * 256, 1e-3);
  EXPECT_NEAR(t[2].y, 0.61154464 * 256, 1e-3);
  EXPECT_LT(worst_target_error(model("simswap_256"), 0.485, 0.456, 0.406, 0.229, 0.224, 0.225), 1e-5);
}

TEST(FaceSwapper, SimswapFixtureEndToEnd) {
  const auto& m = model("simswap_256");
  FaceSwapper swapper(m, test::fixture_model("simswap_256.onnx"), runtime::SessionPolicy{}, unit_embedding());
  const auto frame = textured_frame();
  std::vector<float> target;
  FaceSwapper::prepare_target(m, frame, shifted_template_face(m), target);
  std::vector<float> output;
  swapper.infer(target, unit_embedding(), output);
  const double mean[] = {0.485, 0.456, 0.406};
  const double stdev[] = {0.229, 0.224, 0.225};
  const auto source = unit_embedding();
  const double shifts[] = {fixture_shift(source, 0), fixture_shift(source, 1), fixture_shift(source, 2)};
  double worst = 0;
  constexpr std::size_t kPlane = 256 * 256;
  for (std::size_t i = 0; i < output.size(); ++i) {
    const auto c = i / kPlane;
    const double expected = 1.0 - (target[i] * stdev[c] + mean[c]) + shifts[c];
    worst = std::max(worst, std::abs(output[i] - expected));
  }
  EXPECT_LT(worst, 1e-5);
  cv::Matx23d frame_to_crop;
  const auto crop = swapper.swap_crop(frame, shifted_template_face(m), frame_to_crop);
  ASSERT_EQ(crop.size(), cv::Size(256, 256));
  EXPECT_LE(worst_crop_error(m, frame, crop, unit_embedding(), 1.0), 1);
}

// The soft mask follows the crop: at 256 the 128 ellipse scaled, full inside, zero at the corners.
TEST(FaceSwapper, SoftMaskScalesWithTheCrop) {
  const auto& mask = swapper_soft_mask(256);
  ASSERT_EQ(mask.size(), cv::Size(256, 256));
  EXPECT_EQ(mask.at<std::uint8_t>(128, 128), 255);
  EXPECT_EQ(mask.at<std::uint8_t>(0, 0), 0);
  EXPECT_EQ(mask.at<std::uint8_t>(128, 2 * 64 + 2 * 40), inswapper_soft_mask().at<std::uint8_t>(64, 64 + 40));
  EXPECT_EQ(&swapper_soft_mask(128), &inswapper_soft_mask());
}

}  // namespace
}  // namespace dlc::processors
