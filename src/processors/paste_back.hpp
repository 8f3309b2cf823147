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
// `feather` fraction of each side.
cv::Mat feathered_square_mask(int size, double feather);

// How a processed crop goes back into the frame. The processors paste with the defaults (their
// own mask, full strength); --opacity, --sharpness and --poisson-blend shape the made face once,
// after every step (compose()), so they never apply twice.
struct PasteOptions {
  double opacity = 1.0;     // 0..1: the Qt UI's opacity slider; 1 = the swapped face only
  double sharpness = 0.0;   // 0..: unsharp masking (σ 3) of the face's box after the blend
  bool poisson = false;     // --poisson-blend: OpenCV's seamless clone instead of alpha blending
};

// Pastes `crop` (size×size, 8-bit BGR) into `frame` through the inverse of frame_to_crop,
// blended by `mask` (size×size, 8-bit). Only the bounding box of the crop's projected corners,
// grown by 2 px and clipped to the frame, is read or written, so the cost follows the face's
// size, not the frame's. Returns that box (empty when the face lies outside the frame).
cv::Rect paste_back(cv::Mat& frame, const cv::Mat& crop, const cv::Mat& mask, const cv::Matx23d& frame_to_crop,
                    const PasteOptions& options = {});

// insightface's original paste-back (--paste-back legacy): a white crop warped back, threshold
// 20, eroded by k = max(√(h·w)/10, 10) and blurred by 2·max(√(h·w)/20, 5)+1, h and w the extent
// of the warped white as insightface measures it (max − min of its rows and columns: one less
// than boundingRect's size); also limited to the face's box.
struct LegacyMaskKernels {
  int erode = 0;  // k×k
  int blur = 0;   // blur×blur Gaussian, σ from the size
};
// The legacy mask's kernels for the warped white's boundingRect.
LegacyMaskKernels legacy_mask_kernels(const cv::Size& white_extent);
cv::Rect paste_back_legacy(cv::Mat& frame, const cv::Mat& crop, const cv::Matx23d& frame_to_crop,
                           const PasteOptions& options = {});

// region = face·a/255 + region·(255 − a)/255, a = mask·opacity, in 8 bits (all three the same
// size; mask 8-bit). Each product is rounded on its own and the sum saturated, as Deep-Live-Cam's
// cv2.multiply(…, scale=1/255) + cv2.add paste does (one rounding of the sum would differ by ±1).
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
// before the first step: the mouth M = F with the saved mouth put back, Poisson G = seamless clone
// of M into O inside the mask (else G = M), the result O·(1 − opacity) + G·opacity, and last the
// unsharp mask on the face's box. Opacity 0.5 therefore leaves half of the original, whatever the
// number of steps.
// --mouth-mask: the target's own mouth, taken before the steps (processors/mouth_mask.hpp).
struct SavedMouth {
  cv::Rect region;  // in frame pixels; empty when the face has no usable landmarks
  cv::Mat pixels;   // the frame's original pixels there
  cv::Mat mask;     // float 0..1, feathered
};

// The order is Deep-Live-Cam's (face_swapper.py swap_face, then apply_post_processing): the made
// face, the mouth put back, Poisson, opacity (addWeighted of the original and the result, over
// the face's region), then sharpness on the face's detection box in the frame (σ 3, unmasked).
struct FaceComposition {
  cv::Rect region;   // the union of the steps' regions
  cv::Mat original;  // frame(region) before the first step
  cv::Mat mask;      // the steps' masks in region coordinates, the largest of them at each pixel
  cv::Rect box;      // the face's detection box as pixels (face_pixel_box), where sharpness applies
  SavedMouth mouth;  // empty region: no mouth to put back
};
// A detection box as Deep-Live-Cam's sharpening takes it: bbox.astype(int) (each corner truncated
// toward zero), clipped to the frame.
cv::Rect face_pixel_box(const cv::Rect2f& box, const cv::Size& frame);
// Whether these options change the made face at all (opacity < 1, sharpness > 0 or Poisson).
bool composes(const PasteOptions& options);
// Saves what compose() needs, from the steps' footprints (with their masks), before the first step.
FaceComposition begin_composition(const cv::Mat& frame, const std::vector<Footprint>& steps);
void compose(cv::Mat& frame, const FaceComposition& face, const PasteOptions& options);

}  // namespace dlc::processors
