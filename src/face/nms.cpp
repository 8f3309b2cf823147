#include "face/nms.hpp"

#include <algorithm>

namespace dlc::face {
namespace {

void sort_by_score(std::vector<Face>& faces) {
  std::ranges::stable_sort(faces, [](const Face& a, const Face& b) { return a.score > b.score; });
}

}  // namespace

float iou(const cv::Rect2f& a, const cv::Rect2f& b) {
  const float overlap = (a & b).area();
  const float combined = a.area() + b.area() - overlap;
  return combined > 0 ? overlap / combined : 0.0f;
}

float iou_inclusive(const cv::Rect2f& a, const cv::Rect2f& b) {
  const auto area = [](float w, float h) { return std::max(0.0f, w + 1.0f) * std::max(0.0f, h + 1.0f); };
  const float overlap = area(std::min(a.br().x, b.br().x) - std::max(a.x, b.x), std::min(a.br().y, b.br().y) - std::max(a.y, b.y));
  const float combined = area(a.width, a.height) + area(b.width, b.height) - overlap;
  return combined > 0 ? overlap / combined : 0.0f;
}

// The top_k best faces, best first, ties in their given order: the first top_k of a stable sort,
// found by a partial selection over (score, position) instead of sorting all of them.
void keep_top(std::vector<Face>& faces, std::size_t top_k) {
  if (faces.size() <= top_k) {
    sort_by_score(faces);
    return;
  }
  std::vector<std::size_t> order(faces.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  const auto better = [&](std::size_t a, std::size_t b) {
    return faces[a].score > faces[b].score || (faces[a].score == faces[b].score && a < b);
  };
  const auto end = order.begin() + static_cast<std::ptrdiff_t>(top_k);
  std::nth_element(order.begin(), end, order.end(), better);
  std::sort(order.begin(), end, better);
  std::vector<Face> top;
  top.reserve(top_k);
  for (auto it = order.begin(); it != end; ++it) top.push_back(std::move(faces[*it]));
  faces = std::move(top);
}

std::vector<Face> hard_nms(std::vector<Face> faces, float iou_threshold, std::size_t top_k) {
  keep_top(faces, top_k);
  std::vector<Face> kept;
  for (auto& face : faces) {
    const bool overlaps = std::ranges::any_of(kept, [&](const Face& k) { return iou_inclusive(k.box, face.box) > iou_threshold; });
    if (!overlaps) kept.push_back(std::move(face));
  }
  return kept;
}

std::vector<Face> weighted_nms(std::vector<Face> faces, float iou_threshold) {
  sort_by_score(faces);
  std::vector<Face> kept;
  std::vector<bool> used(faces.size(), false);
  for (std::size_t i = 0; i < faces.size(); ++i) {
    if (used[i]) continue;
    Face merged = faces[i];
    float total = 0;
    cv::Point2f tl(0, 0);
    cv::Point2f br(0, 0);
    Keypoints kps{};
    for (std::size_t j = i; j < faces.size(); ++j) {
      if (used[j] || iou(faces[i].box, faces[j].box) <= iou_threshold) continue;
      used[j] = true;
      const float w = faces[j].score;
      total += w;
      tl += w * faces[j].box.tl();
      br += w * faces[j].box.br();
      for (std::size_t k = 0; k < kps.size(); ++k) kps[k] += w * faces[j].kps[k];
    }
    merged.box = cv::Rect2f(tl / total, br / total);
    if (merged.has_kps) {
      for (std::size_t k = 0; k < kps.size(); ++k) merged.kps[k] = kps[k] / total;
    }
    kept.push_back(std::move(merged));
  }
  return kept;
}

}  // namespace dlc::face
