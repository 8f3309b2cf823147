#include "processors/nsfw_filter.hpp"

#include <fmt/format.h>
#include <opencv2/imgproc.hpp>

#include "runtime/tensor_view.hpp"

namespace dlc::processors {

NsfwFilter::NsfwFilter(const std::filesystem::path& model, const runtime::SessionPolicy& policy)
    : session_(model, policy) {
  const auto float32 = [](const runtime::TensorInfo& t) { return t.element_type == ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT; };
  const auto dims = [](const runtime::TensorInfo& t, std::vector<std::int64_t> shape) {
    if (t.shape.size() != shape.size()) return false;
    for (std::size_t i = 0; i < shape.size(); ++i) {
      if (t.shape[i] >= 0 && t.shape[i] != shape[i]) return false;
    }
    return true;
  };
  if (session_.inputs().size() != 1 || session_.outputs().size() != 1 || !float32(session_.inputs()[0]) ||
      !float32(session_.outputs()[0]) || !dims(session_.inputs()[0], {1, kNsfwSize, kNsfwSize, 3}) ||
      !dims(session_.outputs()[0], {1, 2})) {
    throw runtime::ModelError(model, "not an open_nsfw model: expected one float32 input [1,224,224,3] and one "
                                     "float32 output [1,2]");
  }
}

void NsfwFilter::prepare(const cv::Mat& bgr, std::vector<float>& blob) {
  thread_local cv::Mat resized;
  cv::resize(bgr, resized, cv::Size(kNsfwSize, kNsfwSize), 0, 0, cv::INTER_LINEAR);
  blob.resize(static_cast<std::size_t>(kNsfwSize) * kNsfwSize * 3);
  std::size_t i = 0;
  for (int y = 0; y < kNsfwSize; ++y) {
    const auto* row = resized.ptr<cv::Vec3b>(y);
    for (int x = 0; x < kNsfwSize; ++x) {
      for (int c = 0; c < 3; ++c) blob[i++] = static_cast<float>(row[x][c]) - kNsfwMeanBgr[c];
    }
  }
}

float NsfwFilter::score(const cv::Mat& bgr) {
  thread_local std::vector<float> blob;
  thread_local std::vector<float> probabilities(2);
  prepare(bgr, blob);
  const std::int64_t input_shape[] = {1, kNsfwSize, kNsfwSize, 3};
  const std::int64_t output_shape[] = {1, 2};
  std::vector<Ort::Value> inputs;
  inputs.push_back(runtime::tensor_view(blob, input_shape));
  std::vector<Ort::Value> outputs;
  outputs.push_back(runtime::tensor_view(probabilities, output_shape));
  session_.run(inputs, outputs);
  return probabilities[1];
}

void NsfwFilter::check(const cv::Mat& bgr, const std::string& what) {
  const float p = score(bgr);
  if (refuses(p)) {
    throw NsfwRefused(fmt::format("--nsfw-filter: {} scores {:.2f} for NSFW (over {}, {}): refused, nothing written",
                                  what, p, kNsfwThreshold, session_.path().filename().string()));
  }
}

}  // namespace dlc::processors
