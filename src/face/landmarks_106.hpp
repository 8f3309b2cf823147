#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "face/face.hpp"
#include "runtime/model_session.hpp"

namespace dlc::face {

// A model's input normalisation: (pixel − mean) / std.
struct InputNormalisation {
  float mean = 0.0f;
  float std = 1.0f;
};

// insightface's landmark.py rule, from the names of the graph's first 8 nodes: a name starting
// "Sub" or "_minus" and one starting "Mul" or "_mul" (or "bn_data" among the first 3) mean the
// graph normalises itself (MXNet exports: raw pixels in, mean 0, std 1); otherwise 127.5 and 128.
InputNormalisation landmark_normalisation(const std::vector<std::string>& first_node_names);

// insightface's 2d106det.onnx: a 192 crop around the box (scale 192 / (1.5·max(w, h)), box
// centre at the crop centre), normalised by landmark_normalisation of the file's first nodes,
// output 106 (x, y) pairs in [−1, 1] → (p + 1)·96 in the crop, mapped back to the frame
// (insightface model_zoo/landmark.py).
class Landmarks106 {
 public:
  static constexpr int kCropSize = 192;
  static constexpr int kPoints = 106;

  Landmarks106(const std::filesystem::path& model, const runtime::SessionPolicy& policy);
  std::vector<cv::Point2f> landmarks(const cv::Mat& bgr, const cv::Rect2f& box);
  InputNormalisation normalisation() const { return normalisation_; }

 private:
  runtime::ModelSession session_;
  InputNormalisation normalisation_;
};

// The crop transform insightface uses for a box: frame → 192 crop.
cv::Matx23d landmark_crop_transform(const cv::Rect2f& box, int crop_size);

// The five points from the 106: eye centres 38 and 88, nose tip 86, mouth corners 52 and 61, as
// Deep-Live-Cam's _onnx_enhancer.py takes them (_get_face_affine).
Keypoints keypoints_from_106(const std::vector<cv::Point2f>& points);

}  // namespace dlc::face
