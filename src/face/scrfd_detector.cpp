#include "face/scrfd_detector.hpp"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "face/blob.hpp"
#include "face/nms.hpp"
#include "runtime/tensor_view.hpp"

namespace dlc::face {
namespace {

std::size_t element_count(const Ort::Value& value) { return value.GetTensorTypeAndShapeInfo().GetElementCount(); }

std::span<const float> values(const Ort::Value& value) {
  return {value.GetTensorData<float>(), element_count(value)};
}

int checked_size(int size) {
  if (!scrfd_size_allowed(size)) {
    throw std::invalid_argument("SCRFD input size " + std::to_string(size) + " is not a multiple of " +
                                std::to_string(kScrfdSizeStep) + " from " + std::to_string(kScrfdMinSize) + " to " +
                                std::to_string(kScrfdMaxSize));
  }
  return size;
}

}  // namespace

void decode_scrfd_level(const ScrfdLevel& level, int input_width, float threshold, std::vector<Face>& out) {
  const int s = level.stride;
  const int cols = input_width / s;
  const bool with_kps = !level.kps.empty();
  for (std::size_t i = 0; i < level.scores.size(); ++i) {
    if (level.scores[i] < threshold) continue;
    const auto cell = static_cast<int>(i) / kScrfdAnchorsPerCell;
    const float cx = static_cast<float>((cell % cols) * s);
    const float cy = static_cast<float>((cell / cols) * s);
    const float* d = level.boxes.data() + 4 * i;
    Face face;
    face.score = level.scores[i];
    face.box = cv::Rect2f(cv::Point2f(cx - d[0] * s, cy - d[1] * s), cv::Point2f(cx + d[2] * s, cy + d[3] * s));
    if (with_kps) {
      const float* k = level.kps.data() + 10 * i;
      for (std::size_t p = 0; p < 5; ++p) face.kps[p] = {cx + k[2 * p] * s, cy + k[2 * p + 1] * s};
      face.has_kps = true;
    }
    out.push_back(face);
  }
}

ScrfdDetector::ScrfdDetector(const std::filesystem::path& model, const runtime::SessionPolicy& policy, int size,
                             float score_threshold)
    : session_(model, policy), size_(checked_size(size)), threshold_(score_threshold) {
  const auto outputs = session_.outputs().size();
  if (session_.inputs().size() != 1 || (outputs != 6 && outputs != 9)) {
    throw runtime::ModelError(model, "not an SCRFD detector: expected 1 input and 6 or 9 outputs, found " +
                                         std::to_string(session_.inputs().size()) + " and " + std::to_string(outputs));
  }
  has_kps_ = outputs == 9;
}

cv::Size scrfd_letterbox(const cv::Size& frame, int size) {
  const double ratio = static_cast<double>(frame.height) / frame.width;
  // insightface compares with the model's ratio, 1 for the square input.
  if (ratio > 1.0) return {std::max(1, static_cast<int>(size / ratio)), size};
  return {size, std::max(1, static_cast<int>(size * ratio))};
}

std::vector<Face> ScrfdDetector::detect(const cv::Mat& bgr) {
  const auto scaled = scrfd_letterbox(bgr.size(), size_);
  thread_local cv::Mat canvas;
  thread_local cv::Mat resized;
  thread_local std::vector<float> blob;
  canvas.create(size_, size_, CV_8UC3);
  canvas.setTo(cv::Scalar::all(0));
  cv::resize(bgr, resized, scaled, 0, 0, cv::INTER_LINEAR);
  resized.copyTo(canvas(cv::Rect(0, 0, scaled.width, scaled.height)));
  // Zero pixels map to (0 − 127.5)/128, as the Python original feeds them.
  blob.resize(3 * static_cast<std::size_t>(size_) * static_cast<std::size_t>(size_));
  bgr_to_rgb_planar(canvas, kScrfdMean, kScrfdStd, blob.data());

  const std::int64_t shape[] = {1, 3, size_, size_};
  std::vector<Ort::Value> inputs;
  inputs.push_back(runtime::tensor_view(blob, shape));
  const auto out = session_.run(inputs);

  std::vector<Face> faces;
  const std::size_t levels = std::size(kScrfdStrides);
  for (std::size_t l = 0; l < levels; ++l) {
    const int stride = kScrfdStrides[l];
    ScrfdLevel level{stride, values(out[l]), values(out[levels + l]), {}};
    if (has_kps_) level.kps = values(out[2 * levels + l]);
    // A model whose outputs do not fit the grid would be read past their ends.
    const auto cells = static_cast<std::size_t>(size_ / stride) * static_cast<std::size_t>(size_ / stride);
    const auto anchors = cells * kScrfdAnchorsPerCell;
    const auto check = [&](std::size_t index, std::size_t got, std::size_t per_anchor) {
      if (got == anchors * per_anchor) return;
      throw runtime::ModelError(
          session_.path(), "SCRFD output '" + session_.outputs()[index].name + "' (stride " + std::to_string(stride) +
                               ") has " + std::to_string(got) + " values at input size " + std::to_string(size_) +
                               ", expected " + std::to_string(anchors * per_anchor) + " (" + std::to_string(anchors) +
                               " anchors x " + std::to_string(per_anchor) + ")");
    };
    check(l, level.scores.size(), 1);
    check(levels + l, level.boxes.size(), 4);
    if (has_kps_) check(2 * levels + l, level.kps.size(), 10);
    decode_scrfd_level(level, size_, threshold_, faces);
  }
  faces = hard_nms(std::move(faces), kScrfdNmsIou);

  // insightface divides by det_scale = new_height / height (its sizes are truncated to ints).
  const auto inv = static_cast<float>(bgr.rows) / static_cast<float>(scaled.height);
  for (auto& face : faces) {
    face.box = cv::Rect2f(face.box.tl() * inv, face.box.br() * inv);
    for (auto& p : face.kps) p *= inv;
  }
  return faces;
}

}  // namespace dlc::face
