#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <vector>

#include "processors/face_processor.hpp"
#include "processors/paste_back.hpp"
#include "runtime/model_session.hpp"

namespace dlc::processors {

inline constexpr int kInswapperSize = 128;     // the crop inswapper_128 swaps
inline constexpr int kEmbeddingSize = 512;     // ArcFace's embedding, inswapper's latent
inline constexpr float kInswapperStd = 255.0f;  // target input x/255 (insightface inswapper.py)

// inswapper's emap: the model file's last initializer, 512×512 float32, read from where the
// protobuf scan finds its raw bytes (1 MiB) without loading the model a second time. Throws
// runtime::ModelError naming the file when it is absent or not 512×512 float32.
std::vector<float> read_emap(const std::filesystem::path& model);

// insightface's latent: normalise(embedding · emap) (inswapper.py: np.dot(latent, emap) / norm).
std::vector<float> inswapper_latent(const std::vector<float>& embedding, const std::vector<float>& emap);

// One output value (0..1 nominal) as an 8-bit pixel: clip(255·v, 0, 255) truncated, as
// insightface's inswapper.py does with astype(np.uint8) (rounding would add +0.5 LSB on average).
inline std::uint8_t inswapper_output_byte(float v) {
  return static_cast<std::uint8_t>(std::clamp(v * 255.0f, 0.0f, 255.0f));
}

enum class PasteMode { kSoftMask, kLegacy };

// Deep-Live-Cam's swapper: inswapper_128.onnx (or its fp16 file, converted at the boundary). One
// session serves every source face: only the latent differs (--map-faces passes one per call).
// It pastes with its own mask at full strength; --opacity and the rest are the compositor's.
class InswapperSwapper : public FaceProcessor {
 public:
  // source_embedding: the source face's unit embedding (w600k_r50); its latent is process()'s.
  InswapperSwapper(const std::filesystem::path& model, const runtime::SessionPolicy& policy,
                   const std::vector<float>& source_embedding, PasteMode mode = PasteMode::kSoftMask);
  std::string_view name() const override { return "face_swapper"; }
  void process(cv::Mat& frame, const face::Face& target) override;
  // The same with another source's latent (inswapper_latent of its embedding and this model's emap).
  void process(cv::Mat& frame, const face::Face& target, const std::vector<float>& latent);

  // How many InswapperSwapper sessions this process has built (a test seam: --map-faces builds one).
  static std::uint64_t sessions_built();
  // Where process() paints a face: the 128 crop's box and the soft mask warped into it.
  static Footprint footprint(const cv::Size& frame, const face::Face& target, bool with_mask);

  const std::vector<float>& latent() const { return latent_; }
  bool float16() const { return float16_; }
  // The model's `target` input for a face: the 128 crop (ArcFace template + 8 px) as planar RGB
  // x/255, written to blob (3·128·128 floats); returns the frame → crop transform.
  static cv::Matx23d prepare_target(const cv::Mat& frame, const face::Face& target, std::vector<float>& blob);
  // The swapped 128 crop for a target, before paste-back (what process() pastes); empty when
  // the model's output was unusable (NaN or constant).
  cv::Mat swap_crop(const cv::Mat& frame, const face::Face& target, cv::Matx23d& frame_to_crop);
  cv::Mat swap_crop(const cv::Mat& frame, const face::Face& target, const std::vector<float>& latent,
                    cv::Matx23d& frame_to_crop);

 private:
  runtime::ModelSession session_;
  std::vector<float> latent_;
  bool float16_ = false;
  PasteMode mode_;
  std::atomic<bool> warned_{false};
};

}  // namespace dlc::processors
