#pragma once

#include <opencv2/core/mat.hpp>
#include <opencv2/core/matx.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <atomic>
#include <filesystem>

#include "processors/face_processor.hpp"
#include "processors/paste_back.hpp"
#include "runtime/model_session.hpp"

namespace dlc::processors {

inline constexpr float kEnhancerMean = 127.5f;    // input x/127.5 − 1 (GFPGAN's normalize(0.5, 0.5))
inline constexpr float kEnhancerStd = 127.5f;

// Deep-Live-Cam's two enhancer code paths (@bdeeb3a). Both fit the five points with
// cv::estimateAffinePartial2D(…, LMEDS) and truncate the output to 8 bits (astype(np.uint8)).
// - kGfpgan (face_enhancer.py, GFPGAN): the FFHQ-512 template scaled to the input, a constant
//   (135, 133, 132) border, a square mask whose outer int(5 %) rows and columns ramp
//   linspace(0, 1) (the ramps multiplied at the corners), ×255 truncated.
// - kGpen (_onnx_enhancer.py, GPEN-BFR-256/512): the 96×112 reference points divided by 96 and
//   112 (so stretched to a square) × the input, a replicated border, the outer max(1, size/16)
//   ramping linspace(0, 1) (the smaller ramp at the corners). Its float mask is 8-bit here.
enum class EnhancerKind { kGfpgan, kGpen };
inline std::uint8_t enhancer_output_byte(float v) {
  return static_cast<std::uint8_t>(std::clamp((v + 1.0f) * 127.5f, 0.0f, 255.0f));
}
std::array<cv::Point2f, 5> enhancer_template(EnhancerKind kind, int size);
cv::Mat enhancer_mask(EnhancerKind kind, int size);  // size×size, 8-bit

// The frame → crop transform of the same crop rendered `factor` times larger (an enhancer whose
// output is 2× its input). Both crops cover the same area, so with OpenCV's pixel centres at
// integer coordinates x' = factor·x + (factor − 1)/2; factor 1 leaves the transform as it is.
cv::Matx23d scale_transform(const cv::Matx23d& frame_to_crop, double factor);

// Face restoration: GFPGANv1.4 (512 → 512), gfpgan-1024 (512 → 1024) and GPEN-BFR-256/512
// (N → N). The face is aligned as `kind` says, restored, and pasted back at the output's
// resolution (Deep-Live-Cam resizes gfpgan-1024's output to 512 first) through the kind's
// feathered square, at full strength: --opacity and the rest shape the made face once, after
// every step (compose()).
class FaceEnhancer : public FaceProcessor {
 public:
  // The input size N and output size M are the model's declared [1,3,N,N] and [1,3,M,M], M = N
  // or 2N, float32; anything else is refused with runtime::ModelError naming the file.
  FaceEnhancer(const std::filesystem::path& model, const runtime::SessionPolicy& policy,
               EnhancerKind kind = EnhancerKind::kGfpgan);
  std::string_view name() const override { return "face_enhancer"; }
  void process(cv::Mat& frame, const face::Face& target) override;
  // Where process() paints a face, for any of the models: the aligned crop covers the same area
  // whatever its resolution, so the box and the feathered mask are computed at 512.
  static Footprint footprint(const cv::Size& frame, const face::Face& target, bool with_mask);
  static Footprint gpen_footprint(const cv::Size& frame, const face::Face& target, bool with_mask);

  int input_size() const { return input_size_; }
  int output_size() const { return output_size_; }
  // The restored M×M crop (8-bit BGR) for a target, before paste-back, and the frame → crop
  // transform at M. False, and the face is to be left alone, when the output has NaN or Inf.
  bool enhance_crop(const cv::Mat& frame, const face::Face& target, cv::Mat& crop, cv::Matx23d& frame_to_crop);

 private:
  runtime::ModelSession session_;
  EnhancerKind kind_;
  int input_size_ = 0;
  int output_size_ = 0;
  cv::Mat mask_;  // enhancer_mask(kind_, M), shared read-only by every thread
  std::atomic<bool> warned_{false};
};

}  // namespace dlc::processors
