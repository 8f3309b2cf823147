#pragma once

#include <opencv2/core/mat.hpp>
#include <opencv2/core/matx.hpp>

#include <vector>

namespace dlc::processors {

// Deep-Live-Cam's soft mask for the 128 swap crop: a filled ellipse centred at (64, 64) with
// axes 56×56, blurred with a 31×31 Gaussian of σ 12 (modules/processors/frame/face_swapper.py).
// 128×128, 8-bit; made once.
const cv::Mat& inswapper_soft_mask();

// A size×size 8-bit mask that is 255 inside and falls off linearly to 0 over the outer
// `feather` fraction of each side: the enhancers' 5 % edge feathering.
cv::Mat feathered_square_mask(int size, double feather);

// How a processed crop goes back into the frame. The processors paste with the defaults (their
// own mask, full strength); --opacity, --sharpness and --poisson-blend shape the made face once,
// after every step (compose()), so they never apply twice.
struct PasteOptions {
  double opacity = 1.0;     // 0..1: the Qt UI's opacity slider; 1 = the swapped face only
  double sharpness = 0.0;   // 0..: unsharp masking of the face before it is blended
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

// Whether a crop of `size` pixels can be placed in the frame through frame_to_crop: its six
// numbers finite, its scale neither ~0 nor huge (kMinCropScale..kMaxCropScale crop pixels per
// frame pixel) and the crop's projected corners within kMaxCoordinate of the frame, so every
// coordinate is an exact int. A face that fails (NaN keypoints, five points in one spot, a crop of
// millions of pixels) is skipped and counted, never pasted.
inline constexpr double kMinCropScale = 1e-3;
inline constexpr double kMaxCropScale = 1e3;
inline constexpr double kMaxCoordinate = 1 << 24;
bool placeable(const cv::Size& frame, int size, const cv::Matx23d& frame_to_crop);

// The frame box paste_back touches for a crop of `size` pixels; empty when the face lies outside
// the frame or the transform is not placeable().
cv::Rect paste_region(const cv::Size& frame, int size, const cv::Matx23d& frame_to_crop);

// Where one step paints a face and how strongly: a box of frame pixels and, in that box's
// coordinates, the 8-bit mask the step blends with (only when asked for).
struct Footprint {
  bool placeable = true;  // false: the face's transform is unusable (see placeable()): skip the face
  cv::Rect region;        // empty when the face lies outside the frame
  cv::Mat mask;
};

// The footprint of pasting a crop of crop_mask's size through frame_to_crop: its paste_region and,
// with_mask, crop_mask warped into it.
Footprint crop_footprint(const cv::Size& frame, const cv::Mat& crop_mask, const cv::Matx23d& frame_to_crop,
                         bool with_mask);

// Compose once (STYLE.md): a face's steps (swapper, enhancers) paint it at full strength with
// their own masks; then one composition takes the made face F against the original pixels O saved
// before the first step: sharpness S = F + (unsharp(F) − F)·mask, Poisson G = seamless clone of S
// into O inside the mask (else G = S), and the result O + (G − O)·opacity. Opacity 0.5 therefore
// leaves half of the original, whatever the number of steps.
struct FaceComposition {
  cv::Rect region;   // the union of the steps' regions
  cv::Mat original;  // frame(region) before the first step
  cv::Mat mask;      // the steps' masks in region coordinates, the largest of them at each pixel
};
// Whether these options change the made face at all (opacity < 1, sharpness > 0 or Poisson).
bool composes(const PasteOptions& options);
// Saves what compose() needs, from the steps' footprints (with their masks), before the first step.
FaceComposition begin_composition(const cv::Mat& frame, const std::vector<Footprint>& steps);
void compose(cv::Mat& frame, const FaceComposition& face, const PasteOptions& options);

}  // namespace dlc::processors
