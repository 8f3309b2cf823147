#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <vector>

#include "face/detector.hpp"
#include "runtime/model_session.hpp"

namespace dlc::face {

// SCRFD constants (insightface model_zoo/scrfd.py; PRODUCT.md §3).
inline constexpr int kScrfdStrides[] = {8, 16, 32};
inline constexpr int kScrfdAnchorsPerCell = 2;
inline constexpr float kScrfdMean = 127.5f;
inline constexpr float kScrfdStd = 128.0f;
inline constexpr float kScrfdDefaultScore = 0.5f;
inline constexpr float kScrfdNmsIou = 0.4f;
// The input side must be a multiple of the coarsest stride: only then is every level's feature
// map (side / stride) cells wide, the grid the decoding assumes. 160 to 1280, as --face-detector-size.
inline constexpr int kScrfdSizeStep = 32;
inline constexpr int kScrfdMinSize = 160;
inline constexpr int kScrfdMaxSize = 1280;
inline constexpr bool scrfd_size_allowed(int size) {
  return size >= kScrfdMinSize && size <= kScrfdMaxSize && size % kScrfdSizeStep == 0;
}

// One stride's raw outputs: scores [n], box distances [n×4], keypoint offsets [n×10] (empty for
// models without keypoints), n = (height/stride)·(width/stride)·2 anchors in row-major cell order.
struct ScrfdLevel {
  int stride = 8;
  std::span<const float> scores;
  std::span<const float> boxes;
  std::span<const float> kps;
};

// Decodes one level in input pixels: anchor centre (col, row)·stride; box = centre ∓
// distance·stride; keypoints = centre + offset·stride; only scores ≥ threshold.
void decode_scrfd_level(const ScrfdLevel& level, int input_width, float threshold, std::vector<Face>& out);

// The letterboxed image's size for a frame: insightface's (scrfd.py detect) ratio = height/width
// in double; a tall frame gets height `size` and width int(size / ratio), a wide one width `size`
// and height int(size · ratio). (Scaling both sides by min(size/w, size/h) loses a pixel on
// about 1 % of sizes: 3940×1576 gives 255 rows where insightface gives 256.)
cv::Size scrfd_letterbox(const cv::Size& frame, int size);

// det_10g.onnx (SCRFD-10GF with keypoints): the image letterboxed into size×size at the top left.
// Boxes and keypoints are scaled back to the frame and not clipped to it, as insightface leaves
// them (a face at the edge keeps its full box, and so its 2d106 crop).
// A size that scrfd_size_allowed refuses throws std::invalid_argument; outputs whose sizes do not
// fit the anchor grid (scores n = (size/stride)²·2, boxes 4n, keypoints 10n) throw ModelError.
class ScrfdDetector : public FaceDetector {
 public:
  ScrfdDetector(const std::filesystem::path& model, const runtime::SessionPolicy& policy, int size = 640,
                float score_threshold = kScrfdDefaultScore);
  std::vector<Face> detect(const cv::Mat& bgr) override;
  std::string_view name() const override { return "scrfd"; }

 private:
  runtime::ModelSession session_;
  int size_;
  float threshold_;
  bool has_kps_;
};

}  // namespace dlc::face
