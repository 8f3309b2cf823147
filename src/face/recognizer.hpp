#pragma once

#include <filesystem>
#include <vector>

#include "face/face.hpp"
#include "runtime/model_session.hpp"

namespace dlc::face {

// ArcFace recognizer (w600k_r50.onnx): the face aligned to the 112 template, (x − 127.5)/127.5
// RGB, a 512-value embedding normalised to unit length (insightface arcface_onnx.py).
class Recognizer {
 public:
  static constexpr int kCropSize = 112;
  static constexpr float kMean = 127.5f;
  static constexpr float kStd = 127.5f;

  Recognizer(const std::filesystem::path& model, const runtime::SessionPolicy& policy);
  // The face must have its five keypoints. raw_norm, when given, receives the raw output's length.
  std::vector<float> embed(const cv::Mat& bgr, const Face& face, float* raw_norm = nullptr);

 private:
  runtime::ModelSession session_;
};

// Cosine similarity of two unit embeddings (their dot product).
float similarity(const std::vector<float>& a, const std::vector<float>& b);
// Scales to unit length; a zero vector stays zero.
void normalize(std::vector<float>& v);

}  // namespace dlc::face
