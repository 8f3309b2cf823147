#pragma once

#include <opencv2/core/mat.hpp>

#include <string_view>
#include <vector>

#include "face/face.hpp"

namespace dlc::face {

// One face detector; implementations: scrfd_detector (det_10g.onnx), blazeface_detector
// (MediaPipe BlazeFace), dlib_detector (HOG). detect() is safe to call from several threads.
class FaceDetector {
 public:
  virtual ~FaceDetector() = default;
  // bgr: an 8-bit, 3-channel image. Faces are returned best score first, in frame coordinates;
  // has_kps tells whether the detector gave the five points (SCRFD does; the others need a
  // landmark model to complete them).
  virtual std::vector<Face> detect(const cv::Mat& bgr) = 0;
  virtual std::string_view name() const = 0;
};

}  // namespace dlc::face
