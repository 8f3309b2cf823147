#pragma once

#include <opencv2/core/mat.hpp>

#include <string_view>

#include "face/face.hpp"

namespace dlc::processors {

// One step of --frame-processor (face_swapper, face_enhancer, ...), applied to each selected
// target face of a frame, in place. process() may be called from several threads at once, on
// different frames; whatever is fixed for the run (the source face, its latent, the masks) is
// computed once in the constructor.
class FaceProcessor {
 public:
  virtual ~FaceProcessor() = default;
  virtual std::string_view name() const = 0;
  // Whether target faces need landmarks (68 or 106 points) before process().
  virtual bool needs_landmarks() const { return false; }
  // target has its five keypoints (and landmarks when needs_landmarks()). Only the face's
  // neighbourhood of frame is read or written.
  virtual void process(cv::Mat& frame, const face::Face& target) = 0;
};

}  // namespace dlc::processors
