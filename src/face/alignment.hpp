#pragma once

#include <opencv2/core/mat.hpp>
#include <opencv2/core/matx.hpp>

#include <array>
#include <span>

#include "face/face.hpp"

namespace dlc::face {

// ArcFace's five-point template for a 112×112 crop (insightface face_align.arcface_dst), in
// Keypoint order.
inline constexpr std::array<std::array<float, 2>, 5> kArcFaceTemplate112{{
    {38.2946f, 51.6963f}, {73.5318f, 51.5014f}, {56.0252f, 71.7366f}, {41.5493f, 92.3655f}, {70.7299f, 92.2041f}}};

// GFPGAN's FFHQ template for a 512×512 crop (GFPGAN's face_template), in Keypoint order.
inline constexpr std::array<std::array<float, 2>, 5> kFfhqTemplate512{{
    {192.98138f, 239.94708f}, {318.90277f, 240.19366f}, {256.63416f, 314.01935f}, {201.26117f, 371.41043f},
    {313.08905f, 371.15118f}}};

// The least-squares similarity (rotation, uniform scale, translation; no reflection) taking src
// onto dst: Umeyama's closed form, as in OpenCV's FaceRecognizerSF alignment.
cv::Matx23d similarity_transform(std::span<const cv::Point2f> src, std::span<const cv::Point2f> dst);

// insightface's estimate_norm: the ArcFace template for a crop of `size` pixels. 112 and its
// multiples scale the template; 128 (inswapper) keeps it and shifts x by +8.
std::array<cv::Point2f, 5> arcface_template(int size);
std::array<cv::Point2f, 5> ffhq_template(int size);

// The frame → crop transform for a face's five points onto a template.
cv::Matx23d align_to(const Keypoints& kps, const std::array<cv::Point2f, 5>& dst);
// The same by cv::estimateAffinePartial2D with LMEDS (a 4-degree similarity: the least-median
// pair, then refined), as Deep-Live-Cam's enhancers align; NaNs when OpenCV finds none.
cv::Matx23d align_lmeds(const Keypoints& kps, const std::array<cv::Point2f, 5>& dst);

// Warps the crop out of the frame: bilinear, constant 0 border (insightface norm_crop).
void warp_crop(const cv::Mat& frame, const cv::Matx23d& frame_to_crop, int size, cv::Mat& crop);

cv::Matx23d invert(const cv::Matx23d& m);
cv::Point2f apply(const cv::Matx23d& m, cv::Point2f p);

}  // namespace dlc::face
