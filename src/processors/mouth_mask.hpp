#pragma once

#include <opencv2/core/mat.hpp>

#include "face/face.hpp"
#include "processors/paste_back.hpp"

namespace dlc::processors {

// --mouth-mask: the target's own mouth, kept through the swap. Taken before the processors run
// and put back by compose() (before Poisson and opacity), only inside the mouth's box.
//
// Deep-Live-Cam's create_lower_mouth_mask / apply_mouth_area (face_swapper.py @bdeeb3a): the
// 106-point lip outline 52–63 (its code names 52–71 the regression that made the polygon cross
// itself), scaled about its mean by e = 1 + 2·s horizontally and above the centre, e² below it
// (towards the chin), s = size/100 (the "Mouth Mask" slider, --mouth-mask-size); the points
// truncated to ints; the box their extent plus 10 % each side, clipped to the frame; the polygon
// filled, blurred (2f + 1)² with f = clamp(min(box w, h) / 8, 1, 30), divided by its maximum;
// pixels = original·m + swapped·(1 − m), truncated. dlc also takes dlib's 68-point outer lip
// 48–59 (Deep-Live-Cam needs the 106 points).
inline constexpr double kMouthMaskMaxSize = 100.0;
inline constexpr double kMouthBoxPadding = 0.1;
inline constexpr int kMouthFeatherDivisor = 8;
inline constexpr int kMouthFeatherMax = 30;

// The expanded mouth polygon in frame pixels (empty when the face has no usable lip points).
std::vector<cv::Point> mouth_polygon(const face::Face& face, double size);
// --draw-mouth-mask: that polygon's closed outline over the frame (dlc-gui's preview while its
// Mouth mask slider is held), kMouthOutlineThickness pixels per kMouthOutlineFrameStep of the
// frame's shorter side, at least one.
inline constexpr int kMouthOutlineFrameStep = 256;
void draw_mouth_outline(cv::Mat& frame, const face::Face& face, double size);
SavedMouth save_mouth(const cv::Mat& frame, const face::Face& face, double size = 0.0);
void restore_mouth(cv::Mat& frame, const SavedMouth& mouth);

}  // namespace dlc::processors
