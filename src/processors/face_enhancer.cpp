#include "processors/face_enhancer.hpp"

#include <opencv2/core.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <bit>
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

}  // namespace

cv::Matx23d scale_transform(const cv::Matx23d& frame_to_crop, double factor) {
  cv::Matx23d scaled = frame_to_crop * factor;
  const double shift = (factor - 1.0) / 2.0;
  scaled(0, 2) += shift;
  scaled(1, 2) += shift;
  return scaled;
}

FaceEnhancer::FaceEnhancer(const std::filesystem::path& model, const runtime::SessionPolicy& policy)
    : session_(model, policy) {
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
  mask_ = feathered_square_mask(output_size_, kEnhancerFeather);
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

  const auto frame_to_input = face::align_to(target.kps, face::ffhq_template(input_size_));
  face::warp_crop(frame, frame_to_input, input_size_, aligned);
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
  // Planar RGB in [−1, 1] → (y + 1)·127.5, rounded; saturating at 0 and 255 is the clip to
  // [−1, 1]. The planes go into the BGR crop in reverse order.
  const std::size_t plane = m * m;
  for (std::size_t c = 0; c < 3; ++c) {
    const cv::Mat channel(output_size_, output_size_, CV_32F, output.data() + (2 - c) * plane);
    channel.convertTo(planes[c], CV_8U, kEnhancerStd, kEnhancerMean);
  }
  cv::merge(planes.data(), planes.size(), crop);
  frame_to_crop = scale_transform(frame_to_input, static_cast<double>(output_size_) / input_size_);
  return true;
}

Footprint FaceEnhancer::footprint(const cv::Size& frame, const face::Face& target, bool with_mask) {
  constexpr int kSize = 512;
  static const cv::Mat mask = feathered_square_mask(kSize, kEnhancerFeather);
  return crop_footprint(frame, mask, face::align_to(target.kps, face::ffhq_template(kSize)), with_mask);
}

void FaceEnhancer::process(cv::Mat& frame, const face::Face& target) {
  const runtime::ScopedStage timed(runtime::Stage::kEnhance);
  // A face that cannot be placed is the chain's to skip and count; here it is only never pasted.
  if (target.has_kps && !placeable(frame.size(), input_size_, face::align_to(target.kps, face::ffhq_template(input_size_)))) {
    return;
  }
  thread_local cv::Mat crop;
  cv::Matx23d frame_to_crop;
  if (!enhance_crop(frame, target, crop, frame_to_crop)) return;
  paste_back(frame, crop, mask_, frame_to_crop);
}

}  // namespace dlc::processors
