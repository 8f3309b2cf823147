#pragma once

#include <opencv2/core/types.hpp>

#include <cstddef>
#include <vector>

#include "face/face.hpp"

namespace dlc::face {

float iou(const cv::Rect2f& a, const cv::Rect2f& b);
// insightface's overlap (scrfd.py nms): boxes as inclusive pixel ranges, every width and height
// (the two areas and the intersection's) taken as x2 − x1 + 1.
float iou_inclusive(const cv::Rect2f& a, const cv::Rect2f& b);

// The candidates hard_nms looks at: the best 1000 by score, as SCRFD's own test configuration
// pre-selects them (mmdetection's scrfd configs: nms_pre=1000). Suppression compares each candidate
// with every face kept so far, so 4,000 candidates of a low --face-detector-score cost ~50 ms a
// frame where 1,000 cost a small part of that; a frame with 1,000 real faces above the threshold is
// not one dlc swaps.
constexpr std::size_t kNmsTopK = 1000;

// Classic non-maximum suppression over the top_k best candidates: best score first (ties in their
// given order), a face is dropped when its box overlaps a kept one by more than iou_threshold
// (SCRFD uses 0.4), measured by iou_inclusive as insightface.
std::vector<Face> hard_nms(std::vector<Face> faces, float iou_threshold, std::size_t top_k = kNmsTopK);

// MediaPipe's weighted NMS: each kept face is the score-weighted mean (box and keypoints) of
// every candidate overlapping it by more than iou_threshold (BlazeFace uses 0.3); its score is
// the best of them.
std::vector<Face> weighted_nms(std::vector<Face> faces, float iou_threshold);

}  // namespace dlc::face
