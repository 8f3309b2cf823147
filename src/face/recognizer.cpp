#include "face/recognizer.hpp"

#include <cmath>
#include <numeric>
#include <stdexcept>

#include "face/alignment.hpp"
#include "face/blob.hpp"
#include "runtime/tensor_view.hpp"

namespace dlc::face {

Recognizer::Recognizer(const std::filesystem::path& model, const runtime::SessionPolicy& policy)
    : session_(model, policy) {
  if (session_.inputs().size() != 1 || session_.outputs().size() != 1) {
    throw runtime::ModelError(model, "not a recognizer: expected 1 input and 1 output");
  }
}

std::vector<float> Recognizer::embed(const cv::Mat& bgr, const Face& face, float* raw_norm) {
  if (!face.has_kps) throw std::invalid_argument("Recognizer::embed: the face has no keypoints");
  thread_local cv::Mat crop;
  thread_local std::vector<float> blob(3 * kCropSize * kCropSize);
  warp_crop(bgr, align_to(face.kps, arcface_template(kCropSize)), kCropSize, crop);
  bgr_to_rgb_planar(crop, kMean, kStd, blob.data());
  const std::int64_t shape[] = {1, 3, kCropSize, kCropSize};
  std::vector<Ort::Value> inputs;
  inputs.push_back(runtime::tensor_view(blob, shape));
  const auto out = session_.run(inputs);
  const float* data = out[0].GetTensorData<float>();
  std::vector<float> embedding(data, data + out[0].GetTensorTypeAndShapeInfo().GetElementCount());
  if (raw_norm != nullptr) *raw_norm = std::sqrt(std::inner_product(embedding.begin(), embedding.end(), embedding.begin(), 0.0f));
  normalize(embedding);
  return embedding;
}

float similarity(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) throw std::invalid_argument("similarity: embeddings of different sizes");
  return std::inner_product(a.begin(), a.end(), b.begin(), 0.0f);
}

void normalize(std::vector<float>& v) {
  const float norm = std::sqrt(std::inner_product(v.begin(), v.end(), v.begin(), 0.0f));
  if (norm > 0) {
    for (auto& x : v) x /= norm;
  }
}

}  // namespace dlc::face
