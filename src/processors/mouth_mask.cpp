#include "processors/mouth_mask.hpp"

#include "processors/paste_back.hpp"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <vector>

namespace dlc::processors {
namespace {

constexpr float kGrowth = 1.3f;  // the lips plus a margin, so the seam falls on skin
constexpr double kFeatherPerWidth = 0.06;  // blur σ as a share of the mouth's width: soft, yet opaque inside

std::vector<cv::Point2f> lip_outline(const face::Face& face) {
  const auto& p = face.landmarks;
  if (p.size() == 106) return {p.begin() + 52, p.begin() + 64};
  if (p.size() == 68) return {p.begin() + 48, p.begin() + 60};
  return {};
}

}  // namespace

SavedMouth save_mouth(const cv::Mat& frame, const face::Face& face) {
  auto outline = lip_outline(face);
  SavedMouth mouth;
  if (outline.empty()) return mouth;
  cv::Point2f centre(0, 0);
  for (const auto& q : outline) centre += q;
  centre *= 1.0f / static_cast<float>(outline.size());
  for (auto& q : outline) q = centre + (q - centre) * kGrowth;
  const auto bounds = cv::boundingRect(outline);
  const int feather = std::max(1, static_cast<int>(bounds.width * kFeatherPerWidth));
  mouth.region = cv::Rect(bounds.x - 2 * feather, bounds.y - 2 * feather, bounds.width + 4 * feather,
                          bounds.height + 4 * feather) &
                 cv::Rect(0, 0, frame.cols, frame.rows);
  if (mouth.region.empty()) return mouth;
  mouth.pixels = frame(mouth.region).clone();
  mouth.mask = cv::Mat::zeros(mouth.region.size(), CV_8U);
  std::vector<cv::Point> polygon;
  for (const auto& q : outline) polygon.emplace_back(cvRound(q.x) - mouth.region.x, cvRound(q.y) - mouth.region.y);
  cv::fillPoly(mouth.mask, std::vector<std::vector<cv::Point>>{polygon}, cv::Scalar(255));
  cv::GaussianBlur(mouth.mask, mouth.mask, cv::Size(0, 0), feather);
  return mouth;
}

void restore_mouth(cv::Mat& frame, const SavedMouth& mouth) {
  if (mouth.region.empty()) return;
  cv::Mat target = frame(mouth.region);
  blend(target, mouth.pixels, mouth.mask);
}

}  // namespace dlc::processors
