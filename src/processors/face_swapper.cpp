#include "processors/face_swapper.hpp"

#include <fmt/format.h>
#include <opencv2/imgproc.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <numeric>
#include <stdexcept>

#include "face/alignment.hpp"
#include "face/blob.hpp"
#include "face/recognizer.hpp"
#include "processors/inswapper.hpp"
#include "runtime/stage_times.hpp"
#include "runtime/tensor_view.hpp"

namespace dlc::processors {
namespace {

std::atomic<std::uint64_t> g_sessions_built{0};

bool is_float16(const runtime::TensorInfo& t) { return t.element_type == ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16; }

bool fits(const runtime::TensorInfo& t, const std::vector<std::int64_t>& shape) {
  const bool type_ok = t.element_type == ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT || is_float16(t);
  bool shape_ok = t.shape.size() == shape.size();
  for (std::size_t i = 0; shape_ok && i < shape.size(); ++i) shape_ok = t.shape[i] < 0 || t.shape[i] == shape[i];
  return type_ok && shape_ok;
}

// The index of the input called `name` (FaceFusion feeds the swappers by name: "source", "target").
std::size_t input_named(const runtime::ModelSession& session, const SwapperModel& model, std::string_view name,
                        const std::vector<std::int64_t>& shape) {
  for (std::size_t i = 0; i < session.inputs().size(); ++i) {
    const auto& t = session.inputs()[i];
    if (t.name != name) continue;
    if (!fits(t, shape)) {
      throw runtime::ModelError(session.path(), fmt::format("not a {} model: {}", model.name, runtime::describe(t)));
    }
    return i;
  }
  throw runtime::ModelError(session.path(), fmt::format("not a {} model: it has no input '{}'", model.name, name));
}

std::vector<float> unit(std::vector<double> v) {
  const double norm = std::sqrt(std::inner_product(v.begin(), v.end(), v.begin(), 0.0));
  std::vector<float> out(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) out[i] = norm > 0 ? static_cast<float>(v[i] / norm) : 0.0f;
  return out;
}

// simswap's source: FaceFusion's convert_source_embedding, the converter run on the raw
// embedding (insightface's, before it is normalised), its output normalised.
std::vector<float> converted_embedding(const std::filesystem::path& converter, const runtime::SessionPolicy& policy,
                                       const face::Face& source) {
  runtime::ModelSession session(converter, policy);
  const std::vector<std::int64_t> shape{1, kEmbeddingSize};
  if (session.inputs().size() != 1 || session.outputs().size() != 1 ||
      session.inputs()[0].element_type != ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT || !fits(session.inputs()[0], shape) ||
      session.outputs()[0].element_type != ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT || !fits(session.outputs()[0], shape)) {
    throw runtime::ModelError(converter, "not an embedding converter: expected one float32 input [1,512] and one "
                                         "float32 output [1,512]");
  }
  std::vector<float> raw = source.embedding;
  const float scale = source.embedding_norm > 0 ? source.embedding_norm : 1.0f;
  for (auto& v : raw) v *= scale;
  std::vector<float> converted(kEmbeddingSize);
  std::vector<Ort::Value> in;
  in.push_back(runtime::tensor_view(raw, shape));
  std::vector<Ort::Value> out;
  out.push_back(runtime::tensor_view(converted, shape));
  session.run(in, out);
  return unit(std::vector<double>(converted.begin(), converted.end()));
}

}  // namespace

std::vector<float> source_identity(const SwapperModel& model, const std::filesystem::path& file,
                                   const std::optional<std::filesystem::path>& converter,
                                   const runtime::SessionPolicy& policy, const face::Face& source) {
  if (source.embedding.size() != static_cast<std::size_t>(kEmbeddingSize)) {
    throw std::invalid_argument("source_identity: the source face has no 512-value embedding");
  }
  switch (model.source) {
    case SourceInput::kEmapLatent:
      return inswapper_latent(source.embedding, read_emap(file));
    case SourceInput::kUnitEmbedding:
      return unit(std::vector<double>(source.embedding.begin(), source.embedding.end()));
    case SourceInput::kConvertedEmbedding:
      if (!converter) throw runtime::ModelError(file, fmt::format("{} needs its embedding converter", model.name));
      return converted_embedding(*converter, policy, source);
  }
  throw std::logic_error("source_identity: unknown SourceInput");
}

void output_to_bgr8(const SwapperModel& model, const float* output, cv::Mat& bgr) {
  const int size = model.size;
  const auto plane = static_cast<std::size_t>(size) * static_cast<std::size_t>(size);
  bgr.create(size, size, CV_8UC3);
  for (int y = 0; y < size; ++y) {
    auto* row = bgr.ptr<cv::Vec3b>(y);
    for (int x = 0; x < size; ++x) {
      const std::size_t i = static_cast<std::size_t>(y) * static_cast<std::size_t>(size) + static_cast<std::size_t>(x);
      for (int c = 0; c < 3; ++c) {
        const auto rgb = static_cast<std::size_t>(2 - c);  // planar RGB out → interleaved BGR
        float v = output[rgb * plane + i];
        if (model.denormalise_output) v = v * model.std[rgb] + model.mean[rgb];
        row[x][c] = swapper_output_byte(v);
      }
    }
  }
}

const cv::Mat& swapper_soft_mask(int size) {
  if (size == kInswapperSize) return inswapper_soft_mask();
  static std::mutex lock;
  static std::map<int, cv::Mat> masks;
  const std::lock_guard guard(lock);
  auto& mask = masks[size];
  if (mask.empty()) cv::resize(inswapper_soft_mask(), mask, cv::Size(size, size), 0, 0, cv::INTER_LINEAR);
  return mask;
}

FaceSwapper::FaceSwapper(const SwapperModel& model, const std::filesystem::path& file,
                         const runtime::SessionPolicy& policy, std::vector<float> source, PasteMode mode,
                         ColorCorrection colour)
    : model_(model), session_(file, policy), source_(std::move(source)), mode_(mode), colour_(colour) {
  ++g_sessions_built;
  const std::size_t outputs = model.has_mask_output ? 2 : 1;
  if (session_.inputs().size() != 2 || session_.outputs().size() != outputs) {
    throw runtime::ModelError(file, fmt::format("not a {} model: expected inputs source and target and {} output{}",
                                                model.name, outputs, outputs == 1 ? "" : "s"));
  }
  const std::vector<std::int64_t> image{1, 3, model.size, model.size};
  target_index_ = input_named(session_, model, "target", image);
  source_index_ = input_named(session_, model, "source", {1, kEmbeddingSize});
  if (!fits(session_.outputs()[0], image) ||
      (model.has_mask_output && !fits(session_.outputs()[1], {1, 1, model.size, model.size}))) {
    throw runtime::ModelError(file, fmt::format("not a {} model: output {}", model.name,
                                                runtime::describe(session_.outputs()[0])));
  }
  float16_ = is_float16(session_.inputs()[0]);
  const auto same = [this](const runtime::TensorInfo& t) { return is_float16(t) == float16_; };
  if (!std::ranges::all_of(session_.inputs(), same) || !std::ranges::all_of(session_.outputs(), same)) {
    throw runtime::ModelError(file, "mixes float16 and float32 tensors");
  }
  if (source_.size() != static_cast<std::size_t>(kEmbeddingSize)) {
    throw std::invalid_argument("FaceSwapper: a source identity has 512 values");
  }
}

cv::Matx23d FaceSwapper::prepare_target(const SwapperModel& model, const cv::Mat& frame, const face::Face& target,
                                        std::vector<float>& blob) {
  thread_local cv::Mat crop;
  const auto frame_to_crop = face::align_to(target.kps, crop_template_points(model));
  face::warp_crop(frame, frame_to_crop, model.size, crop);
  const auto plane = static_cast<std::size_t>(model.size) * static_cast<std::size_t>(model.size);
  blob.resize(3 * plane);
  face::bgr_to_rgb_planar(crop, 0.0f, 255.0f, blob.data());
  for (std::size_t c = 0; c < 3; ++c) {
    if (model.mean[c] == 0.0f && model.std[c] == 1.0f) continue;  // inswapper: x/255 as it is
    for (std::size_t i = c * plane; i < (c + 1) * plane; ++i) blob[i] = (blob[i] - model.mean[c]) / model.std[c];
  }
  return frame_to_crop;
}

std::uint64_t FaceSwapper::sessions_built() { return g_sessions_built.load(); }

Footprint FaceSwapper::footprint(const SwapperModel& model, const cv::Size& frame, const face::Face& target,
                                 bool with_mask) {
  return crop_footprint(frame, swapper_soft_mask(model.size), face::align_to(target.kps, crop_template_points(model)),
                        with_mask);
}

void FaceSwapper::infer(std::vector<float>& target_blob, const std::vector<float>& source,
                        std::vector<float>& output) {
  if (source.size() != static_cast<std::size_t>(kEmbeddingSize)) {
    throw std::invalid_argument("FaceSwapper: a source identity has 512 values");
  }
  const auto image_count = 3 * static_cast<std::size_t>(model_.size) * static_cast<std::size_t>(model_.size);
  if (target_blob.size() != image_count) throw std::invalid_argument("FaceSwapper: the target blob's size is wrong");
  thread_local std::vector<float> source32;
  thread_local std::vector<float> mask;
  thread_local std::vector<Ort::Float16_t> target16;
  thread_local std::vector<Ort::Float16_t> source16;
  thread_local std::vector<Ort::Float16_t> output16;
  thread_local std::vector<Ort::Float16_t> mask16;
  const std::vector<std::int64_t> image_shape{1, 3, model_.size, model_.size};
  const std::vector<std::int64_t> mask_shape{1, 1, model_.size, model_.size};
  const std::vector<std::int64_t> source_shape{1, kEmbeddingSize};
  output.resize(image_count);
  std::vector<Ort::Value> inputs(2);
  std::vector<Ort::Value> outputs;
  if (float16_) {
    target16.resize(image_count);
    source16.resize(source.size());
    output16.resize(image_count);
    for (std::size_t i = 0; i < image_count; ++i) target16[i] = Ort::Float16_t(target_blob[i]);
    for (std::size_t i = 0; i < source.size(); ++i) source16[i] = Ort::Float16_t(source[i]);
    inputs[target_index_] = runtime::tensor_view(target16, image_shape);
    inputs[source_index_] = runtime::tensor_view(source16, source_shape);
    outputs.push_back(runtime::tensor_view(output16, image_shape));
    if (model_.has_mask_output) {
      mask16.resize(image_count / 3);
      outputs.push_back(runtime::tensor_view(mask16, mask_shape));
    }
  } else {
    source32 = source;  // ORT takes non-const buffers; the caller's source stays untouched
    inputs[target_index_] = runtime::tensor_view(target_blob, image_shape);
    inputs[source_index_] = runtime::tensor_view(source32, source_shape);
    outputs.push_back(runtime::tensor_view(output, image_shape));
    if (model_.has_mask_output) {
      mask.resize(image_count / 3);
      outputs.push_back(runtime::tensor_view(mask, mask_shape));
    }
  }
  {
    const runtime::ScopedStage timed(runtime::Stage::kSwapInference);
    session_.run(inputs, outputs);
  }
  if (float16_) {
    for (std::size_t i = 0; i < image_count; ++i) output[i] = output16[i].ToFloat();
  }
}

cv::Mat FaceSwapper::swap_crop(const cv::Mat& frame, const face::Face& target, cv::Matx23d& frame_to_crop) {
  return swap_crop(frame, target, source_, frame_to_crop);
}

cv::Mat FaceSwapper::swap_crop(const cv::Mat& frame, const face::Face& target, const std::vector<float>& source,
                               cv::Matx23d& frame_to_crop) {
  thread_local std::vector<float> target_blob;
  thread_local std::vector<float> output;
  {
    const runtime::ScopedStage timed(runtime::Stage::kAlign);
    frame_to_crop = prepare_target(model_, frame, target, target_blob);
  }
  infer(target_blob, source, output);

  // The known fp16 failure: NaN, or one value everywhere. Reported once; the face stays as it is.
  const auto [lo, hi] = std::minmax_element(output.begin(), output.end());
  const bool any_nan = std::any_of(output.begin(), output.end(), [](float v) { return !std::isfinite(v); });
  if (any_nan || *hi - *lo < 1e-6f) {
    if (!warned_.exchange(true)) {
      spdlog::warn("{}: the swapper's output is {}{}; faces are left unchanged", session_.path().string(),
                   any_nan ? "NaN" : "constant",
                   float16_ && model_.source == SourceInput::kEmapLatent
                       ? " (a known failure of the fp16 file: use inswapper_128.onnx)"
                       : "");
    }
    return {};
  }
  cv::Mat swapped;
  output_to_bgr8(model_, output.data(), swapped);
  return swapped;
}

void FaceSwapper::process(cv::Mat& frame, const face::Face& target) { process(frame, target, source_); }

void FaceSwapper::process(cv::Mat& frame, const face::Face& target, const std::vector<float>& source) {
  // A face that cannot be placed (NaN or degenerate keypoints) is the chain's to skip and count;
  // here it is only never pasted.
  const auto frame_to_crop_now = face::align_to(target.kps, crop_template_points(model_));
  if (!placeable(frame.size(), model_.size, frame_to_crop_now)) return;
  cv::Matx23d frame_to_crop;
  auto swapped = swap_crop(frame, target, source, frame_to_crop);
  if (swapped.empty()) return;
  const runtime::ScopedStage timed(runtime::Stage::kPasteBack);
  if (colour_ != ColorCorrection::kNone) {
    // Measured where the soft mask pastes: the face, not the crop's corners of hair and background.
    thread_local cv::Mat target_crop;
    thread_local cv::Mat face_mask;
    cv::warpAffine(frame, target_crop, frame_to_crop, swapped.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
    cv::compare(swapper_soft_mask(model_.size), 127, face_mask, cv::CMP_GT);
    correct_colour(swapped, target_crop, face_mask, colour_);
  }
  if (mode_ == PasteMode::kLegacy) {
    paste_back_legacy(frame, swapped, frame_to_crop);
  } else {
    paste_back(frame, swapped, swapper_soft_mask(model_.size), frame_to_crop);
  }
}

}  // namespace dlc::processors
