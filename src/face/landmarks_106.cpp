#include "face/landmarks_106.hpp"

#include <algorithm>
#include <stdexcept>
#include <string_view>

#include "face/alignment.hpp"
#include "face/blob.hpp"
#include "runtime/onnx_file.hpp"
#include "runtime/tensor_view.hpp"

namespace dlc::face {

InputNormalisation landmark_normalisation(const std::vector<std::string>& first_node_names) {
  bool sub = false;
  bool mul = false;
  for (std::size_t i = 0; i < first_node_names.size() && i < runtime::OnnxFileInfo::kFirstNodes; ++i) {
    const std::string_view name = first_node_names[i];
    sub = sub || name.starts_with("Sub") || name.starts_with("_minus");
    mul = mul || name.starts_with("Mul") || name.starts_with("_mul");
    if (i < 3 && name == "bn_data") sub = mul = true;
  }
  if (sub && mul) return {0.0f, 1.0f};
  return {127.5f, 128.0f};
}

Landmarks106::Landmarks106(const std::filesystem::path& model, const runtime::SessionPolicy& policy)
    : session_(model, policy), normalisation_(landmark_normalisation(runtime::scan_onnx_file(model).first_node_names)) {
  if (session_.inputs().size() != 1 || session_.outputs().size() != 1) {
    throw runtime::ModelError(model, "not a 106-point landmark model: expected 1 input and 1 output");
  }
}

cv::Matx23d landmark_crop_transform(const cv::Rect2f& box, int crop_size) {
  // insightface landmark.py: scale = size / (max(w, h)·1.5), the box centre to the crop centre.
  const double scale = crop_size / (std::max(box.width, box.height) * 1.5);
  const double cx = box.x + box.width / 2.0;
  const double cy = box.y + box.height / 2.0;
  const double half = crop_size / 2.0;
  return {scale, 0, half - scale * cx, 0, scale, half - scale * cy};
}

std::vector<cv::Point2f> Landmarks106::landmarks(const cv::Mat& bgr, const cv::Rect2f& box) {
  thread_local cv::Mat crop;
  thread_local std::vector<float> blob(3 * kCropSize * kCropSize);
  const auto to_crop = landmark_crop_transform(box, kCropSize);
  warp_crop(bgr, to_crop, kCropSize, crop);
  bgr_to_rgb_planar(crop, normalisation_.mean, normalisation_.std, blob.data());
  const std::int64_t shape[] = {1, 3, kCropSize, kCropSize};
  std::vector<Ort::Value> inputs;
  inputs.push_back(runtime::tensor_view(blob, shape));
  const auto out = session_.run(inputs);
  if (out[0].GetTensorTypeAndShapeInfo().GetElementCount() != 2 * kPoints) {
    throw runtime::ModelError(session_.path(), "expected 212 outputs (106 points)");
  }
  const float* p = out[0].GetTensorData<float>();
  const auto to_frame = invert(to_crop);
  std::vector<cv::Point2f> points(kPoints);
  const float half = kCropSize / 2.0f;
  for (int i = 0; i < kPoints; ++i) {
    points[static_cast<std::size_t>(i)] = apply(to_frame, {(p[2 * i] + 1.0f) * half, (p[2 * i + 1] + 1.0f) * half});
  }
  return points;
}

Keypoints keypoints_from_106(const std::vector<cv::Point2f>& points) {
  if (points.size() != Landmarks106::kPoints) throw std::invalid_argument("keypoints_from_106: expects 106 points");
  return {points[38], points[88], points[86], points[52], points[61]};
}

}  // namespace dlc::face
