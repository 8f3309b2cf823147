#pragma once

#include <opencv2/core/types.hpp>

#include <array>
#include <vector>

namespace dlc::face {

// The five points every swapper and aligner works from, in insightface's order and image
// coordinates: the eye on the image's left, the eye on the image's right, the nose tip, the
// mouth corner on the image's left, the mouth corner on the image's right.
enum Keypoint { kLeftEye = 0, kRightEye = 1, kNose = 2, kLeftMouth = 3, kRightMouth = 4 };
using Keypoints = std::array<cv::Point2f, 5>;

struct Face {
  cv::Rect2f box;                      // in the frame's pixels
  float score = 0;                     // the detector's confidence, 0..1
  Keypoints kps{};                     // valid when has_kps
  bool has_kps = false;
  std::vector<cv::Point2f> landmarks;  // 68 (dlib) or 106 (2d106det) points; empty if not computed
  std::vector<float> embedding;        // 512 values of unit length; empty if not computed
  float embedding_norm = 0;            // the recognizer's raw output's length (simswap's converter takes it raw)
};

}  // namespace dlc::face
