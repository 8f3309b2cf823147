#pragma once

#include <opencv2/core/mat.hpp>
#include <opencv2/core/matx.hpp>

namespace dlc::processors {

// Deep-Live-Cam's soft mask for the 128 swap crop: a filled ellipse centred at (64, 64) with
// axes 56×56, blurred with a 31×31 Gaussian of σ 12 (modules/processors/frame/face_swapper.py).
// 128×128, 8-bit; made once.
const cv::Mat& inswapper_soft_mask();

// A size×size 8-bit mask that is 255 inside and falls off linearly to 0 over the outer
// `feather` fraction of each side: the enhancers' 5 % edge feathering.
cv::Mat feathered_square_mask(int size, double feather);

// How a processed crop goes back into the frame.
struct PasteOptions {
  double opacity = 1.0;     // 0..1: the Qt UI's opacity slider; 1 = the swapped face only
  double sharpness = 0.0;   // 0..: unsharp masking of the crop before it is pasted
  bool poisson = false;     // --poisson-blend: OpenCV's seamless clone instead of alpha blending
};

// Pastes `crop` (size×size, 8-bit BGR) into `frame` through the inverse of frame_to_crop,
// blended by `mask` (size×size, 8-bit). Only the bounding box of the crop's projected corners,
// grown by 2 px and clipped to the frame, is read or written, so the cost follows the face's
// size, not the frame's. Returns that box (empty when the face lies outside the frame).
cv::Rect paste_back(cv::Mat& frame, const cv::Mat& crop, const cv::Mat& mask, const cv::Matx23d& frame_to_crop,
                    const PasteOptions& options = {});

// insightface's original paste-back (--paste-back legacy): a white crop warped back, threshold
// 20, eroded by k = max(√(h·w)/10, 10) and blurred by 2·max(√(h·w)/20, 5)+1, h×w the extent of
// the warped white; also limited to the face's box.
cv::Rect paste_back_legacy(cv::Mat& frame, const cv::Mat& crop, const cv::Matx23d& frame_to_crop,
                           const PasteOptions& options = {});

// region = region + (face − region)·mask·opacity in 8 bits (all three the same size; mask 8-bit).
void blend(cv::Mat& region, const cv::Mat& face, const cv::Mat& mask, double opacity = 1.0);

// The frame box paste_back touches for a crop of `size` pixels.
cv::Rect paste_region(const cv::Size& frame, int size, const cv::Matx23d& frame_to_crop);

}  // namespace dlc::processors
