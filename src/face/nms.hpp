#pragma once

#include <opencv2/core/types.hpp>

#include <vector>

#include "face/face.hpp"

namespace dlc::face {

float iou(const cv::Rect2f& a, const cv::Rect2f& b);
// insightface's overlap (scrfd.py nms): boxes as inclusive pixel ranges, every width and height
// (the two areas and the intersection's) taken as x2 − x1 + 1.
float iou_inclusive(const cv::Rect2f& a, const cv::Rect2f& b);

// Classic non-maximum suppression: best score first, a face is dropped when its box overlaps a
// kept one by more than iou_threshold (SCRFD uses 0.4), measured by iou_inclusive as insightface.
std::vector<Face> hard_nms(std::vector<Face> faces, float iou_threshold);

// MediaPipe's weighted NMS: each kept face is the score-weighted mean (box and keypoints) of
// every candidate overlapping it by more than iou_threshold (BlazeFace uses 0.3); its score is
// the best of them.
std::vector<Face> weighted_nms(std::vector<Face> faces, float iou_threshold);

}  // namespace dlc::face
