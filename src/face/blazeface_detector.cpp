#include "face/blazeface_detector.hpp"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "face/nms.hpp"
#include "runtime/tensor_view.hpp"

namespace dlc::face {
namespace {

// Anchor strides of SsdAnchorsCalculator: face_detection_short_range.pbtxt (front, 128) and the
// graphs of MediaPipe's earlier back-camera model, face_detection_back (256); both num_layers 4.
constexpr int kFrontStrides[] = {8, 16, 16, 16};
constexpr int kBackStrides[] = {16, 32, 32, 32};
constexpr int kFrontInput = 128;  // input_size_width/height of the short-range graph
constexpr int kBackInput = 256;   // input_size_width/height of the back graph
// aspect_ratios: 1.0 plus interpolated_scale_aspect_ratio: 1.0 (the option's default).
constexpr int kAnchorsPerLayer = 2;
constexpr float kAnchorOffset = 0.5f;  // anchor_offset_x / anchor_offset_y
constexpr std::size_t kCoords = 16;    // num_coords: box (4) + 6 keypoints × 2
constexpr std::size_t kKeypointOffset = 4;  // keypoint_coord_offset
constexpr float kScoreClip = 100.0f;   // score_clipping_thresh of TensorsToDetectionsCalculator
constexpr float kNmsIou = 0.3f;        // min_suppression_threshold, WEIGHTED, INTERSECTION_OVER_UNION
// output_tensor_float_range {min: -1 max: 1} of ImageToTensorCalculator: 0..255 → −1..1.
constexpr double kPixelScale = 2.0 / 255.0;
constexpr double kPixelOffset = -1.0;
// BORDER_ZERO pads with black pixels, which the range above maps to −1.
constexpr float kPadValue = -1.0f;

// Consecutive layers of one stride share a grid of ceil(input / stride) cells a side.
struct AnchorGrid {
  int cells = 0;
  int anchors_per_cell = 0;
  std::size_t rows() const {
    return static_cast<std::size_t>(cells) * static_cast<std::size_t>(cells) * static_cast<std::size_t>(anchors_per_cell);
  }
};

std::vector<AnchorGrid> anchor_grids(int input_size, std::span<const int> strides) {
  std::vector<AnchorGrid> grids;
  for (std::size_t layer = 0; layer < strides.size();) {
    std::size_t next = layer;
    while (next < strides.size() && strides[next] == strides[layer]) ++next;
    const int cells = static_cast<int>(std::ceil(static_cast<float>(input_size) / static_cast<float>(strides[layer])));
    grids.push_back({cells, kAnchorsPerLayer * static_cast<int>(next - layer)});
    layer = next;
  }
  return grids;
}

}  // namespace

std::vector<cv::Point2f> BlazeFaceDetector::ssd_anchors(int input_size, std::span<const int> strides) {
  std::vector<cv::Point2f> anchors;
  for (const auto& grid : anchor_grids(input_size, strides)) {
    const auto cells = static_cast<float>(grid.cells);
    for (int y = 0; y < grid.cells; ++y) {
      for (int x = 0; x < grid.cells; ++x) {
        const cv::Point2f centre((static_cast<float>(x) + kAnchorOffset) / cells,
                                 (static_cast<float>(y) + kAnchorOffset) / cells);
        anchors.insert(anchors.end(), static_cast<std::size_t>(grid.anchors_per_cell), centre);
      }
    }
  }
  return anchors;
}

std::vector<int> BlazeFaceDetector::strides_for(int input_size) {
  if (input_size == kFrontInput) return {std::begin(kFrontStrides), std::end(kFrontStrides)};
  if (input_size == kBackInput) return {std::begin(kBackStrides), std::end(kBackStrides)};
  return {};
}

BlazeFaceDetector::Decoded BlazeFaceDetector::decode(std::span<const float, 16> row, cv::Point2f anchor,
                                                     float input_size) {
  // reverse_output_order: x before y; x/y/w/h_scale equal the input size; fixed anchors are
  // 1 × 1, so offsets scale by 1/input_size alone.
  const float cx = row[0] / input_size + anchor.x;
  const float cy = row[1] / input_size + anchor.y;
  const float w = row[2] / input_size;
  const float h = row[3] / input_size;
  Decoded decoded;
  decoded.box = cv::Rect2f(cx - w / 2, cy - h / 2, w, h);
  for (std::size_t k = 0; k < decoded.keypoints.size(); ++k) {
    decoded.keypoints[k] = {row[kKeypointOffset + 2 * k] / input_size + anchor.x,
                            row[kKeypointOffset + 2 * k + 1] / input_size + anchor.y};
  }
  return decoded;
}

float BlazeFaceDetector::score_of(float raw) {
  return 1.0f / (1.0f + std::exp(-std::clamp(raw, -kScoreClip, kScoreClip)));
}

BlazeFaceDetector::BlazeFaceDetector(const std::filesystem::path& model, const runtime::SessionPolicy& policy,
                                     float score_threshold)
    : session_(model, policy), score_threshold_(score_threshold) {
  const auto& inputs = session_.inputs();
  const auto in_shape = inputs.empty() ? std::vector<std::int64_t>{} : inputs[0].shape;
  if (inputs.size() != 1 || in_shape.size() != 4 || in_shape[1] != in_shape[2] || in_shape[3] != 3 ||
      strides_for(static_cast<int>(in_shape[1])).empty()) {
    throw runtime::ModelError(model, "not a BlazeFace detector: expected one input [1,128,128,3] or [1,256,256,3]" +
                                         (inputs.empty() ? std::string() : ", found " + runtime::describe(inputs[0])));
  }
  input_size_ = static_cast<int>(in_shape[1]);
  const auto strides = strides_for(input_size_);
  anchors_ = ssd_anchors(input_size_, strides);

  // The Barracuda export splits scores and regressors per grid; find each by its shape.
  const auto& outputs = session_.outputs();
  const auto find = [&](std::size_t rows, std::int64_t columns) {
    const std::vector<std::int64_t> wanted{1, static_cast<std::int64_t>(rows), columns};
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      if (outputs[i].shape == wanted) return i;
    }
    throw runtime::ModelError(model, "not a BlazeFace detector: no output of shape " + runtime::shape_text(wanted));
  };
  for (const auto& grid : anchor_grids(input_size_, strides)) {
    score_outputs_.push_back(find(grid.rows(), 1));
    regressor_outputs_.push_back(find(grid.rows(), static_cast<std::int64_t>(kCoords)));
  }
}

BlazeFaceDetector::Letterbox BlazeFaceDetector::fill_input(const cv::Mat& bgr, std::vector<float>& input) const {
  // MediaPipe's FIT: the whole frame scaled to fit the square, centred, the rest black.
  const double scale = std::min(static_cast<double>(input_size_) / bgr.cols, static_cast<double>(input_size_) / bgr.rows);
  const cv::Size scaled(std::clamp(static_cast<int>(std::lround(bgr.cols * scale)), 1, input_size_),
                        std::clamp(static_cast<int>(std::lround(bgr.rows * scale)), 1, input_size_));
  Letterbox box;
  box.scale_x = static_cast<float>(scaled.width) / static_cast<float>(bgr.cols);
  box.scale_y = static_cast<float>(scaled.height) / static_cast<float>(bgr.rows);
  box.pad_x = (input_size_ - scaled.width) / 2;
  box.pad_y = (input_size_ - scaled.height) / 2;

  // Per thread, so detect() stays safe to share; sized once per thread and model size.
  thread_local cv::Mat resized;
  thread_local cv::Mat rgb;
  // Area averaging when shrinking: MediaPipe samples bilinearly, which aliases a 720p frame
  // brought down to 128 pixels.
  const int interpolation = scale < 1.0 ? cv::INTER_AREA : cv::INTER_LINEAR;
  cv::resize(bgr, resized, scaled, 0, 0, interpolation);
  cv::cvtColor(resized, rgb, cv::COLOR_BGR2RGB);
  input.assign(static_cast<std::size_t>(input_size_) * static_cast<std::size_t>(input_size_) * 3, kPadValue);
  cv::Mat tensor(input_size_, input_size_, CV_32FC3, input.data());
  rgb.convertTo(tensor(cv::Rect(cv::Point(box.pad_x, box.pad_y), scaled)), CV_32F, kPixelScale, kPixelOffset);
  return box;
}

std::vector<BlazeFaceDetection> BlazeFaceDetector::detect_with_keypoints(const cv::Mat& bgr) {
  if (bgr.empty()) return {};
  if (bgr.type() != CV_8UC3) throw std::invalid_argument("BlazeFaceDetector: expected an 8-bit, 3-channel image");

  thread_local std::vector<float> input;
  const Letterbox letterbox = fill_input(bgr, input);
  const std::int64_t input_shape[] = {1, input_size_, input_size_, 3};
  Ort::Value inputs[] = {
      Ort::Value::CreateTensor<float>(runtime::host_memory_info(), input.data(), input.size(), input_shape, 4)};

  const auto& infos = session_.outputs();
  thread_local std::vector<std::vector<float>> results;
  results.resize(infos.size());
  std::vector<Ort::Value> outputs;
  outputs.reserve(infos.size());
  for (std::size_t i = 0; i < infos.size(); ++i) {
    std::size_t count = 1;
    for (const auto d : infos[i].shape) count *= static_cast<std::size_t>(d);
    results[i].resize(count);
    outputs.push_back(Ort::Value::CreateTensor<float>(runtime::host_memory_info(), results[i].data(), count, infos[i].shape.data(),
                                                      infos[i].shape.size()));
  }
  session_.run(inputs, outputs);

  // Candidates in input pixels. Face holds five points; the sixth (left ear tragion) rides in a
  // second list whose Face::kps[0] is that point, so both go through the same weighted NMS.
  const auto size = static_cast<float>(input_size_);
  std::vector<Face> first_five;
  std::vector<Face> sixth;
  std::size_t anchor = 0;
  for (std::size_t g = 0; g < score_outputs_.size(); ++g) {
    const auto& scores = results[score_outputs_[g]];
    const auto& regressors = results[regressor_outputs_[g]];
    for (std::size_t r = 0; r < scores.size(); ++r, ++anchor) {
      const float score = score_of(scores[r]);
      if (!(score >= score_threshold_)) continue;  // a NaN from a broken model is no face either
      const auto decoded = decode(std::span<const float, kCoords>(regressors.data() + r * kCoords, kCoords),
                                  anchors_[anchor], size);
      Face face;
      face.score = score;
      face.box = cv::Rect2f(decoded.box.tl() * size, decoded.box.br() * size);
      face.has_kps = true;
      for (std::size_t k = 0; k < face.kps.size(); ++k) face.kps[k] = decoded.keypoints[k] * size;
      sixth.push_back(face);
      sixth.back().kps[0] = decoded.keypoints[5] * size;
      first_five.push_back(std::move(face));
    }
  }
  // Equal boxes and scores in equal order: both calls cluster alike and keep the same faces.
  const auto merged = weighted_nms(std::move(first_five), kNmsIou);
  const auto merged_sixth = weighted_nms(std::move(sixth), kNmsIou);

  const cv::Point2f pad(static_cast<float>(letterbox.pad_x), static_cast<float>(letterbox.pad_y));
  const auto to_frame = [&](cv::Point2f p) {
    return cv::Point2f((p.x - pad.x) / letterbox.scale_x, (p.y - pad.y) / letterbox.scale_y);
  };
  const cv::Rect2f frame(0, 0, static_cast<float>(bgr.cols), static_cast<float>(bgr.rows));
  std::vector<BlazeFaceDetection> detections;
  detections.reserve(merged.size());
  for (std::size_t i = 0; i < merged.size(); ++i) {
    BlazeFaceDetection d;
    d.face.score = merged[i].score;
    d.face.box = cv::Rect2f(to_frame(merged[i].box.tl()), to_frame(merged[i].box.br())) & frame;
    // A face found only in the black padding is not in the frame.
    if (d.face.box.area() <= 0) continue;
    for (std::size_t k = 0; k < merged[i].kps.size(); ++k) d.keypoints[k] = to_frame(merged[i].kps[k]);
    d.keypoints[5] = to_frame(merged_sixth[i].kps[0]);
    detections.push_back(std::move(d));
  }
  return detections;
}

std::vector<Face> BlazeFaceDetector::detect(const cv::Mat& bgr) {
  auto detections = detect_with_keypoints(bgr);
  std::vector<Face> faces;
  faces.reserve(detections.size());
  for (auto& d : detections) faces.push_back(std::move(d.face));
  return faces;
}

}  // namespace dlc::face
