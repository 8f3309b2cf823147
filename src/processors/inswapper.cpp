#include "processors/inswapper.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>
#include <stdexcept>

#include "face/alignment.hpp"
#include "runtime/stage_times.hpp"
#include "face/blob.hpp"
#include "runtime/onnx_file.hpp"
#include "runtime/tensor_view.hpp"

namespace dlc::processors {
namespace {

constexpr int kOnnxFloat = 1;     // TensorProto.FLOAT
constexpr int kOnnxFloat16 = 10;  // TensorProto.FLOAT16

std::atomic<std::uint64_t> g_sessions_built{0};

bool is_float16(const runtime::TensorInfo& t) { return t.element_type == ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16; }

void check_tensor(const std::filesystem::path& model, const runtime::TensorInfo& t, std::vector<std::int64_t> shape) {
  const bool type_ok = t.element_type == ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT || is_float16(t);
  bool shape_ok = t.shape.size() == shape.size();
  for (std::size_t i = 0; shape_ok && i < shape.size(); ++i) shape_ok = t.shape[i] < 0 || t.shape[i] == shape[i];
  if (!type_ok || !shape_ok) {
    throw runtime::ModelError(model, "not an inswapper_128 model: " + runtime::describe(t));
  }
}

}  // namespace

std::vector<float> read_emap(const std::filesystem::path& model) {
  const auto info = runtime::scan_onnx_file(model);
  if (!info.last_initializer) throw runtime::ModelError(model, "has no initializers, so no emap");
  const auto& emap = *info.last_initializer;
  constexpr auto kCount = static_cast<std::size_t>(kEmbeddingSize) * kEmbeddingSize;
  const bool half = emap.data_type == kOnnxFloat16;
  const std::uint64_t expected = kCount * (half ? sizeof(std::uint16_t) : sizeof(float));
  if ((emap.data_type != kOnnxFloat && !half) || emap.dims != std::vector<std::int64_t>{kEmbeddingSize, kEmbeddingSize} ||
      emap.raw_size != expected) {
    throw runtime::ModelError(model, "its last initializer '" + emap.name +
                                         "' is not inswapper's emap (512×512 float32 or float16, stored raw)");
  }
  std::ifstream in(model, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(emap.raw_offset));
  // ONNX stores raw data little-endian, as this machine is.
  std::vector<float> values(kCount);
  if (half) {
    std::vector<Ort::Float16_t> raw(kCount);
    in.read(reinterpret_cast<char*>(raw.data()), static_cast<std::streamsize>(expected));
    for (std::size_t i = 0; i < kCount; ++i) values[i] = raw[i].ToFloat();
  } else {
    in.read(reinterpret_cast<char*>(values.data()), static_cast<std::streamsize>(expected));
  }
  if (!in) throw runtime::ModelError(model, "ends inside the emap");
  return values;
}

std::vector<float> inswapper_latent(const std::vector<float>& embedding, const std::vector<float>& emap) {
  if (embedding.size() != static_cast<std::size_t>(kEmbeddingSize) ||
      emap.size() != static_cast<std::size_t>(kEmbeddingSize) * kEmbeddingSize) {
    throw std::invalid_argument("inswapper_latent: expects a 512 embedding and a 512×512 emap");
  }
  std::vector<double> latent(kEmbeddingSize, 0.0);
  for (int i = 0; i < kEmbeddingSize; ++i) {
    const double e = embedding[static_cast<std::size_t>(i)];
    const float* row = emap.data() + static_cast<std::size_t>(i) * kEmbeddingSize;
    for (int j = 0; j < kEmbeddingSize; ++j) latent[static_cast<std::size_t>(j)] += e * row[j];
  }
  const double norm = std::sqrt(std::inner_product(latent.begin(), latent.end(), latent.begin(), 0.0));
  std::vector<float> result(kEmbeddingSize);
  for (std::size_t j = 0; j < result.size(); ++j) result[j] = norm > 0 ? static_cast<float>(latent[j] / norm) : 0.0f;
  return result;
}

InswapperSwapper::InswapperSwapper(const std::filesystem::path& model, const runtime::SessionPolicy& policy,
                                   const std::vector<float>& source_embedding, PasteMode mode)
    : session_(model, policy), latent_(inswapper_latent(source_embedding, read_emap(model))), mode_(mode) {
  ++g_sessions_built;
  if (session_.inputs().size() != 2 || session_.outputs().size() != 1) {
    throw runtime::ModelError(model, "not an inswapper_128 model: expected inputs target, source and one output");
  }
  check_tensor(model, session_.inputs()[0], {1, 3, kInswapperSize, kInswapperSize});
  check_tensor(model, session_.inputs()[1], {1, kEmbeddingSize});
  check_tensor(model, session_.outputs()[0], {1, 3, kInswapperSize, kInswapperSize});
  float16_ = is_float16(session_.inputs()[0]);
  if (float16_ != is_float16(session_.inputs()[1]) || float16_ != is_float16(session_.outputs()[0])) {
    throw runtime::ModelError(model, "mixes float16 and float32 tensors");
  }
}

cv::Matx23d InswapperSwapper::prepare_target(const cv::Mat& frame, const face::Face& target, std::vector<float>& blob) {
  thread_local cv::Mat crop;
  const auto frame_to_crop = face::align_to(target.kps, face::arcface_template(kInswapperSize));
  face::warp_crop(frame, frame_to_crop, kInswapperSize, crop);
  blob.resize(3 * static_cast<std::size_t>(kInswapperSize) * kInswapperSize);
  face::bgr_to_rgb_planar(crop, 0.0f, kInswapperStd, blob.data());
  return frame_to_crop;
}

std::uint64_t InswapperSwapper::sessions_built() { return g_sessions_built.load(); }

Footprint InswapperSwapper::footprint(const cv::Size& frame, const face::Face& target, bool with_mask) {
  return crop_footprint(frame, inswapper_soft_mask(), face::align_to(target.kps, face::arcface_template(kInswapperSize)),
                        with_mask);
}

cv::Mat InswapperSwapper::swap_crop(const cv::Mat& frame, const face::Face& target, cv::Matx23d& frame_to_crop) {
  return swap_crop(frame, target, latent_, frame_to_crop);
}

cv::Mat InswapperSwapper::swap_crop(const cv::Mat& frame, const face::Face& target, const std::vector<float>& latent,
                                    cv::Matx23d& frame_to_crop) {
  if (latent.size() != static_cast<std::size_t>(kEmbeddingSize)) {
    throw std::invalid_argument("InswapperSwapper: a latent has 512 values");
  }
  constexpr std::size_t kPlane = static_cast<std::size_t>(kInswapperSize) * kInswapperSize;
  thread_local std::vector<float> target_blob(3 * kPlane);
  thread_local std::vector<float> output(3 * kPlane);
  thread_local std::vector<Ort::Float16_t> target16(3 * kPlane);
  thread_local std::vector<Ort::Float16_t> source16(kEmbeddingSize);
  thread_local std::vector<Ort::Float16_t> output16(3 * kPlane);
  thread_local std::vector<float> source32;

  {
    const runtime::ScopedStage timed(runtime::Stage::kAlign);
    frame_to_crop = prepare_target(frame, target, target_blob);
  }

  const std::vector<std::int64_t> image_shape{1, 3, kInswapperSize, kInswapperSize};
  const std::vector<std::int64_t> latent_shape{1, kEmbeddingSize};
  std::vector<Ort::Value> inputs;
  std::vector<Ort::Value> outputs;
  if (float16_) {
    for (std::size_t i = 0; i < target_blob.size(); ++i) target16[i] = Ort::Float16_t(target_blob[i]);
    for (std::size_t i = 0; i < latent.size(); ++i) source16[i] = Ort::Float16_t(latent[i]);
    inputs.push_back(runtime::tensor_view(target16, image_shape));
    inputs.push_back(runtime::tensor_view(source16, latent_shape));
    outputs.push_back(runtime::tensor_view(output16, image_shape));
  } else {
    source32 = latent;
    inputs.push_back(runtime::tensor_view(target_blob, image_shape));
    inputs.push_back(runtime::tensor_view(source32, latent_shape));
    outputs.push_back(runtime::tensor_view(output, image_shape));
  }
  {
    const runtime::ScopedStage timed(runtime::Stage::kSwapInference);
    session_.run(inputs, outputs);
  }
  if (float16_) {
    for (std::size_t i = 0; i < output.size(); ++i) output[i] = output16[i].ToFloat();
  }

  // The known fp16 failure: NaN, or one value everywhere. Reported once; the face stays as it is.
  const auto [lo, hi] = std::minmax_element(output.begin(), output.end());
  const bool any_nan = std::any_of(output.begin(), output.end(), [](float v) { return !std::isfinite(v); });
  if (any_nan || *hi - *lo < 1e-6f) {
    if (!warned_.exchange(true)) {
      spdlog::warn("{}: the swapper's output is {}{}; faces are left unchanged", session_.path().string(),
                   any_nan ? "NaN" : "constant", float16_ ? " (a known failure of the fp16 file: use inswapper_128.onnx)" : "");
    }
    return {};
  }
  cv::Mat swapped(kInswapperSize, kInswapperSize, CV_8UC3);
  for (int y = 0; y < kInswapperSize; ++y) {
    auto* row = swapped.ptr<cv::Vec3b>(y);
    for (int x = 0; x < kInswapperSize; ++x) {
      const std::size_t i = static_cast<std::size_t>(y) * kInswapperSize + static_cast<std::size_t>(x);
      for (int c = 0; c < 3; ++c) {
        // Planar RGB out → interleaved BGR.
        row[x][c] = inswapper_output_byte(output[static_cast<std::size_t>(2 - c) * kPlane + i]);
      }
    }
  }
  return swapped;
}

void InswapperSwapper::process(cv::Mat& frame, const face::Face& target) { process(frame, target, latent_); }

void InswapperSwapper::process(cv::Mat& frame, const face::Face& target, const std::vector<float>& latent) {
  // A face that cannot be placed (NaN or degenerate keypoints) is the chain's to skip and count;
  // here it is only never pasted.
  const auto frame_to_crop_now = face::align_to(target.kps, face::arcface_template(kInswapperSize));
  if (!placeable(frame.size(), kInswapperSize, frame_to_crop_now)) return;
  cv::Matx23d frame_to_crop;
  const auto swapped = swap_crop(frame, target, latent, frame_to_crop);
  if (swapped.empty()) return;
  const runtime::ScopedStage timed(runtime::Stage::kPasteBack);
  if (mode_ == PasteMode::kLegacy) {
    paste_back_legacy(frame, swapped, frame_to_crop);
  } else {
    paste_back(frame, swapped, inswapper_soft_mask(), frame_to_crop);
  }
}

}  // namespace dlc::processors
