#include "processors/face_enhancer.hpp"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "face/alignment.hpp"
#include "runtime/stage_times.hpp"
#include "face/blob.hpp"
#include "runtime/tensor_view.hpp"

namespace dlc::processors {
namespace {

// The spatial size of a [1,3,S,S] float32 image tensor (batch may be dynamic), or 0 when the
// tensor is not one.
std::int64_t square_image_size(const runtime::TensorInfo& t) {
  if (t.element_type != ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT || t.shape.size() != 4) return 0;
  const bool batch_ok = t.shape[0] == 1 || t.shape[0] < 0;
  if (!batch_ok || t.shape[1] != 3 || t.shape[2] <= 0 || t.shape[2] != t.shape[3]) return 0;
  return t.shape[2];
}

// NaN and Inf are the floats whose exponent bits are all set; testing the bits as integers
// lets the loop vectorise, which std::isfinite does not.
bool has_non_finite(std::span<const float> values) {
  constexpr std::uint32_t kExponent = 0x7f800000u;
  bool bad = false;
  for (const float v : values) bad |= (std::bit_cast<std::uint32_t>(v) & kExponent) == kExponent;
  return bad;
}

// Deep-Live-Cam _onnx_enhancer.py _get_face_affine: the 96×112 reference points over (96, 112).
constexpr std::array<std::array<float, 2>, 5> kGpenTemplateUnit{{{0.31556875f, 0.4615741f},
                                                                 {0.68262291f, 0.4615741f},
                                                                 {0.50009375f, 0.6405054f},
                                                                 {0.34947187f, 0.8246919f},
                                                                 {0.65343645f, 0.8246919f}}};
// face_enhancer.py _align_face: borderValue=(135, 133, 132).
const cv::Scalar kGfpganBorder(135, 133, 132);
constexpr double kGfpganFeather = 0.05;  // face_enhancer.py _paste_back: int(size·0.05)
constexpr int kGpenFeatherDivisor = 16;  // _onnx_enhancer.py: max(1, size // 16)

// np.linspace(from, to, n) in float32.
std::vector<float> linspace(float from, float to, int n) {
  std::vector<float> out(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) out[static_cast<std::size_t>(i)] = n == 1 ? from : from + (to - from) * i / (n - 1);
  return out;
}

cv::Matx23d frame_to_input(EnhancerKind kind, const face::Face& target, int size) {
  return face::align_lmeds(target.kps, enhancer_template(kind, size));
}

}  // namespace

std::array<cv::Point2f, 5> enhancer_template(EnhancerKind kind, int size) {
  if (kind == EnhancerKind::kGfpgan) return face::ffhq_template(size);
  std::array<cv::Point2f, 5> points;
  for (std::size_t i = 0; i < points.size(); ++i) {
    points[i] = {kGpenTemplateUnit[i][0] * static_cast<float>(size), kGpenTemplateUnit[i][1] * static_cast<float>(size)};
  }
  return points;
}

cv::Mat enhancer_mask(EnhancerKind kind, int size) {
  cv::Mat mask(size, size, CV_32F, cv::Scalar(1.0f));
  const bool gfpgan = kind == EnhancerKind::kGfpgan;
  const int border = std::max(1, gfpgan ? static_cast<int>(size * kGfpganFeather) : size / kGpenFeatherDivisor);
  const auto up = linspace(0.0f, 1.0f, border);
  const auto down = linspace(1.0f, 0.0f, border);
  for (int y = 0; y < size; ++y) {
    for (int x = 0; x < size; ++x) {
      float& m = mask.at<float>(y, x);
      // Rows first, then columns, as the Python assigns them.
      if (y < border) m = gfpgan ? m * up[static_cast<std::size_t>(y)] : up[static_cast<std::size_t>(y)];
      if (y >= size - border) m = gfpgan ? m * down[static_cast<std::size_t>(y - (size - border))] : down[static_cast<std::size_t>(y - (size - border))];
      if (x < border) m = gfpgan ? m * up[static_cast<std::size_t>(x)] : std::min(m, up[static_cast<std::size_t>(x)]);
      if (x >= size - border) {
        const float r = down[static_cast<std::size_t>(x - (size - border))];
        m = gfpgan ? m * r : std::min(m, r);
      }
    }
  }
  cv::Mat out(size, size, CV_8U);
  // GFPGAN: (mask·255).astype(uint8), truncated; GPEN's float mask rounded to the nearest level.
  for (int y = 0; y < size; ++y) {
    for (int x = 0; x < size; ++x) {
      const float v = mask.at<float>(y, x) * 255.0f;
      out.at<std::uint8_t>(y, x) = static_cast<std::uint8_t>(gfpgan ? v : std::round(v));
    }
  }
  return out;
}

cv::Matx23d scale_transform(const cv::Matx23d& frame_to_crop, double factor) {
  cv::Matx23d scaled = frame_to_crop * factor;
  const double shift = (factor - 1.0) / 2.0;
  scaled(0, 2) += shift;
  scaled(1, 2) += shift;
  return scaled;
}

FaceEnhancer::FaceEnhancer(const std::filesystem::path& model, const runtime::SessionPolicy& policy,
                           EnhancerKind kind)
    : session_(model, policy), kind_(kind) {
  if (session_.inputs().size() != 1 || session_.outputs().size() != 1) {
    throw runtime::ModelError(model, "not a face enhancer (GFPGAN, GPEN-BFR): expected 1 input and 1 output, found " +
                                         std::to_string(session_.inputs().size()) + " and " +
                                         std::to_string(session_.outputs().size()));
  }
  const auto& in = session_.inputs()[0];
  const auto& out = session_.outputs()[0];
  const auto n = square_image_size(in);
  const auto m = square_image_size(out);
  if (n == 0 || (m != n && m != 2 * n)) {
    throw runtime::ModelError(model, "not a face enhancer (GFPGAN, GPEN-BFR): expects float32 [1,3,N,N] in and "
                                     "[1,3,N,N] or [1,3,2N,2N] out, found " +
                                         runtime::describe(in) + " and " + runtime::describe(out));
  }
  input_size_ = static_cast<int>(n);
  output_size_ = static_cast<int>(m);
  mask_ = enhancer_mask(kind_, output_size_);
}

bool FaceEnhancer::enhance_crop(const cv::Mat& frame, const face::Face& target, cv::Mat& crop,
                                cv::Matx23d& frame_to_crop) {
  if (!target.has_kps) throw std::invalid_argument("FaceEnhancer: the face has no keypoints");
  const auto n = static_cast<std::size_t>(input_size_);
  const auto m = static_cast<std::size_t>(output_size_);
  thread_local cv::Mat aligned;
  thread_local std::vector<float> blob;
  thread_local std::vector<float> output;
  thread_local std::array<cv::Mat, 3> planes;
  // resize() keeps the capacity, so after the first frame these allocate nothing.
  blob.resize(3 * n * n);
  output.resize(3 * m * m);

  const auto to_input = frame_to_input(kind_, target, input_size_);
  cv::warpAffine(frame, aligned, cv::Mat(to_input), cv::Size(input_size_, input_size_), cv::INTER_LINEAR,
                 kind_ == EnhancerKind::kGfpgan ? cv::BORDER_CONSTANT : cv::BORDER_REPLICATE, kGfpganBorder);
  face::bgr_to_rgb_planar(aligned, kEnhancerMean, kEnhancerStd, blob.data());

  const std::array<std::int64_t, 4> input_shape{1, 3, input_size_, input_size_};
  const std::array<std::int64_t, 4> output_shape{1, 3, output_size_, output_size_};
  std::array<Ort::Value, 1> inputs{runtime::tensor_view(blob, input_shape)};
  std::array<Ort::Value, 1> outputs{runtime::tensor_view(output, output_shape)};
  session_.run(inputs, outputs);

  if (has_non_finite(output)) {
    if (!warned_.exchange(true)) {
      spdlog::warn("{}: the enhancer's output has NaN or Inf values; those faces are left unchanged",
                   session_.path().string());
    }
    return false;
  }
  // Planar RGB in [−1, 1] → clip((y + 1)·127.5, 0, 255) truncated, as Deep-Live-Cam's
  // astype(np.uint8). The planes go into the BGR crop in reverse order.
  const std::size_t plane = m * m;
  for (std::size_t c = 0; c < 3; ++c) {
    planes[c].create(output_size_, output_size_, CV_8U);
    const float* in = output.data() + (2 - c) * plane;
    auto* out = planes[c].ptr<std::uint8_t>();
    for (std::size_t i = 0; i < plane; ++i) out[i] = enhancer_output_byte(in[i]);
  }
  cv::merge(planes.data(), planes.size(), crop);
  frame_to_crop = scale_transform(to_input, static_cast<double>(output_size_) / input_size_);
  return true;
}

Footprint FaceEnhancer::footprint(const cv::Size& frame, const face::Face& target, bool with_mask) {
  constexpr int kSize = 512;
  static const cv::Mat mask = enhancer_mask(EnhancerKind::kGfpgan, kSize);
  return crop_footprint(frame, mask, frame_to_input(EnhancerKind::kGfpgan, target, kSize), with_mask);
}

Footprint FaceEnhancer::gpen_footprint(const cv::Size& frame, const face::Face& target, bool with_mask) {
  constexpr int kSize = 512;
  static const cv::Mat mask = enhancer_mask(EnhancerKind::kGpen, kSize);
  return crop_footprint(frame, mask, frame_to_input(EnhancerKind::kGpen, target, kSize), with_mask);
}

void FaceEnhancer::process(cv::Mat& frame, const face::Face& target) {
  const runtime::ScopedStage timed(runtime::Stage::kEnhance);
  // A face that cannot be placed is the chain's to skip and count; here it is only never pasted.
  if (target.has_kps && !placeable(frame.size(), input_size_, frame_to_input(kind_, target, input_size_))) {
    return;
  }
  thread_local cv::Mat crop;
  cv::Matx23d frame_to_crop;
  if (!enhance_crop(frame, target, crop, frame_to_crop)) return;
  paste_back(frame, crop, mask_, frame_to_crop);
}

}  // namespace dlc::processors
