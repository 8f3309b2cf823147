#include "processors/mouth_mask.hpp"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

namespace dlc::processors {
namespace {

std::vector<cv::Point2f> lip_outline(const face::Face& face) {
  const auto& p = face.landmarks;
  if (p.size() == 106) return {p.begin() + 52, p.begin() + 64};
  if (p.size() == 68) return {p.begin() + 48, p.begin() + 60};
  return {};
}

}  // namespace

std::vector<cv::Point> mouth_polygon(const face::Face& face, double size) {
  const auto outline = lip_outline(face);
  if (outline.empty()) return {};
  cv::Point2f centre(0, 0);
  for (const auto& q : outline) {
    if (!std::isfinite(q.x) || !std::isfinite(q.y)) return {};
    centre += q;
  }
  centre *= 1.0f / static_cast<float>(outline.size());
  const auto s = static_cast<float>(std::clamp(size / kMouthMaskMaxSize, 0.0, 1.0));
  const float expansion = 1.0f + 2.0f * s;
  const float chin_bias = 1.0f + 2.0f * s;
  std::vector<cv::Point> polygon;
  for (const auto& q : outline) {
    const auto offset = q - centre;
    const float scale_y = offset.y > 0 ? expansion * chin_bias : expansion;
    // astype(np.int32): truncated toward zero.
    polygon.emplace_back(static_cast<int>(centre.x + offset.x * expansion), static_cast<int>(centre.y + offset.y * scale_y));
  }
  return polygon;
}

SavedMouth save_mouth(const cv::Mat& frame, const face::Face& face, double size) {
  const auto polygon = mouth_polygon(face, size);
  SavedMouth mouth;
  if (polygon.empty()) return mouth;
  int x0 = polygon[0].x, y0 = polygon[0].y, x1 = x0, y1 = y0;
  for (const auto& q : polygon) {
    x0 = std::min(x0, q.x);
    y0 = std::min(y0, q.y);
    x1 = std::max(x1, q.x);
    y1 = std::max(y1, q.y);
  }
  const int pad_x = static_cast<int>((x1 - x0) * kMouthBoxPadding);
  const int pad_y = static_cast<int>((y1 - y0) * kMouthBoxPadding);
  x0 = std::max(0, x0 - pad_x);
  y0 = std::max(0, y0 - pad_y);
  x1 = std::min(frame.cols, x1 + pad_x);
  y1 = std::min(frame.rows, y1 + pad_y);
  if (x1 <= x0 || y1 <= y0) return mouth;
  mouth.region = cv::Rect(cv::Point(x0, y0), cv::Point(x1, y1));
  mouth.pixels = frame(mouth.region).clone();
  cv::Mat filled = cv::Mat::zeros(mouth.region.size(), CV_8U);
  std::vector<cv::Point> shifted;
  for (const auto& q : polygon) shifted.push_back(q - mouth.region.tl());
  cv::fillPoly(filled, std::vector<std::vector<cv::Point>>{shifted}, cv::Scalar(255));
  const int feather = std::clamp(std::min(mouth.region.width, mouth.region.height) / kMouthFeatherDivisor, 1, kMouthFeatherMax);
  const int kernel = 2 * feather + 1;
  filled.convertTo(mouth.mask, CV_32F);
  cv::GaussianBlur(mouth.mask, mouth.mask, cv::Size(kernel, kernel), 0);
  double peak = 0;
  cv::minMaxLoc(mouth.mask, nullptr, &peak);
  if (peak > 1e-6) mouth.mask *= 1.0 / peak;
  else mouth.mask.setTo(0);
  return mouth;
}

void draw_mouth_outline(cv::Mat& frame, const face::Face& face, double size) {
  const auto polygon = mouth_polygon(face, size);
  if (polygon.empty()) return;
  const int thickness = std::max(1, std::min(frame.cols, frame.rows) / kMouthOutlineFrameStep);
  // Green (BGR): the colour furthest from lips and skin.
  cv::polylines(frame, std::vector<std::vector<cv::Point>>{polygon}, true, cv::Scalar(0, 255, 0), thickness, cv::LINE_AA);
}

void restore_mouth(cv::Mat& frame, const SavedMouth& mouth) {
  if (mouth.region.empty()) return;
  cv::Mat target = frame(mouth.region);
  for (int y = 0; y < target.rows; ++y) {
    auto* out = target.ptr<cv::Vec3b>(y);
    const auto* in = mouth.pixels.ptr<cv::Vec3b>(y);
    const auto* m = mouth.mask.ptr<float>(y);
    for (int x = 0; x < target.cols; ++x) {
      if (m[x] <= 0.0f) continue;
      for (int c = 0; c < 3; ++c) {
        const float v = static_cast<float>(in[x][c]) * m[x] + static_cast<float>(out[x][c]) * (1.0f - m[x]);
        out[x][c] = static_cast<std::uint8_t>(std::clamp(v, 0.0f, 255.0f));  // np.clip + astype
      }
    }
  }
}

}  // namespace dlc::processors
