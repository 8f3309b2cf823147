#pragma once

#include <filesystem>
#include <vector>

#include "face/face.hpp"
#include "runtime/model_session.hpp"

namespace dlc::face {

// insightface's 2d106det.onnx: a 192 crop around the box (scale 192 / (1.5·max(w, h)), box
// centre at the crop centre), raw pixels (its graph subtracts and scales itself), output
// 106 (x, y) pairs in [−1, 1] → (p + 1)·96 in the crop, mapped back to the frame
// (insightface model_zoo/landmark.py).
class Landmarks106 {
 public:
  static constexpr int kCropSize = 192;
  static constexpr int kPoints = 106;

  Landmarks106(const std::filesystem::path& model, const runtime::SessionPolicy& policy);
  std::vector<cv::Point2f> landmarks(const cv::Mat& bgr, const cv::Rect2f& box);

 private:
  runtime::ModelSession session_;
};

// The crop transform insightface uses for a box: frame → 192 crop.
cv::Matx23d landmark_crop_transform(const cv::Rect2f& box, int crop_size);

// The five points from the 106, by the index set other ports of insightface's 2d106 markup use
// (eye centres 38 and 88, nose tip 86, mouth corners 52 and 61; to be checked against the real
// model once it can be run).
Keypoints keypoints_from_106(const std::vector<cv::Point2f>& points);

}  // namespace dlc::face
