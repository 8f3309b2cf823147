#pragma once

#include <opencv2/core/mat.hpp>

#include <filesystem>
#include <stdexcept>
#include <vector>

#include "runtime/model_session.hpp"

namespace dlc::processors {

inline constexpr const char* kNsfwModelFile = "open_nsfw.onnx";
// Yahoo open_nsfw as ONNX, as FaceFusion 2.x's content analyser runs it: the frame resized to
// 224×224, BGR minus (104, 117, 123), NHWC, one [1,2] softmax output whose index 1 is NSFW.
inline constexpr int kNsfwSize = 224;
inline constexpr float kNsfwMeanBgr[3] = {104.0f, 117.0f, 123.0f};
// Deep-Live-Cam (modules/predicter.py): MAX_PROBABILITY 0.85; videos: every 100th frame.
inline constexpr float kNsfwThreshold = 0.85f;
inline constexpr int kNsfwFrameInterval = 100;

// A target --nsfw-filter refuses: exit 7, no output.
class NsfwRefused : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// --nsfw-filter: scores a frame with open_nsfw.onnx. score() is thread-safe.
class NsfwFilter {
 public:
  // Throws runtime::ModelError when the file cannot be loaded or has another signature.
  NsfwFilter(const std::filesystem::path& model, const runtime::SessionPolicy& policy);
  // The NSFW probability of a whole 8-bit BGR frame.
  float score(const cv::Mat& bgr);
  bool refuses(float score) const { return score > kNsfwThreshold; }
  // The model's input for a frame: 224×224×3 floats, BGR − mean, NHWC.
  static void prepare(const cv::Mat& bgr, std::vector<float>& blob);
  // Throws NsfwRefused naming `what` (the target, or "frame N of ...") when bgr scores over the threshold.
  void check(const cv::Mat& bgr, const std::string& what);

 private:
  runtime::ModelSession session_;
};

}  // namespace dlc::processors
