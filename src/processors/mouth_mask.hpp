#pragma once

#include <opencv2/core/mat.hpp>

#include "face/face.hpp"

namespace dlc::processors {

// --mouth-mask: the target's own mouth, kept through the swap. Taken before the processors run
// and put back after them with a feathered mask, only inside the mouth's box.
struct SavedMouth {
  cv::Rect region;  // in frame pixels; empty when the face has no usable landmarks
  cv::Mat pixels;   // the frame's original pixels there
  cv::Mat mask;     // 8-bit, feathered
};

// The mouth polygon: 106-point lip points 52–63 (PRODUCT.md §3), or the 68-point outer lip 48–59;
// grown by kGrowth around its centre and feathered by a blur proportional to its width.
SavedMouth save_mouth(const cv::Mat& frame, const face::Face& face);
void restore_mouth(cv::Mat& frame, const SavedMouth& mouth);

}  // namespace dlc::processors
