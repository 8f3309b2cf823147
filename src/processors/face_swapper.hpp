#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <vector>

#include "face/face.hpp"
#include "processors/face_processor.hpp"
#include "processors/color_transfer.hpp"
#include "processors/paste_back.hpp"
#include "processors/swapper_models.hpp"
#include "runtime/model_session.hpp"

namespace dlc::processors {

enum class PasteMode { kSoftMask, kLegacy };

// The `source` input a swapper takes for a source face (its SourceInput): inswapper's latent from
// the file's emap, hyperswap's unit embedding, or simswap's converted embedding (the converter
// file run once, then released). source.embedding must be set (and embedding_norm for simswap).
// Throws runtime::ModelError naming a file that cannot serve.
std::vector<float> source_identity(const SwapperModel& model, const std::filesystem::path& file,
                                   const std::optional<std::filesystem::path>& converter,
                                   const runtime::SessionPolicy& policy, const face::Face& source);

// One output value (0..1 nominal) as an 8-bit pixel: clip(255·v, 0, 255) truncated, as insightface's
// inswapper.py does with astype(np.uint8) (rounding would add +0.5 LSB on average).
inline std::uint8_t swapper_output_byte(float v) { return static_cast<std::uint8_t>(std::clamp(v * 255.0f, 0.0f, 255.0f)); }

// The swapped crop's pixels from the model's output (planar RGB, size² per plane): denormalised
// when the model says so, ×255, clipped and truncated (swapper_output_byte) to 8-bit interleaved BGR (FaceFusion's
// normalize_crop_frame; insightface's inswapper.py for inswapper).
void output_to_bgr8(const SwapperModel& model, const float* output, cv::Mat& bgr);

// Deep-Live-Cam's soft mask (inswapper_soft_mask) for a crop of `size` pixels: the 128 mask
// scaled, so the ellipse covers the same part of the face whatever the crop's size.
const cv::Mat& swapper_soft_mask(int size);

// The face_swapper step for any SwapperModel: the target face aligned to the model's template at
// its size, normalised, swapped with the source identity, pasted back with the soft mask. float16
// files are converted at the boundary. One session serves every source face: only the source
// input differs (--map-faces passes one per call). --opacity and the rest are the compositor's.
class FaceSwapper : public FaceProcessor {
 public:
  // source: source_identity() of the source face for this model and file.
  FaceSwapper(const SwapperModel& model, const std::filesystem::path& file, const runtime::SessionPolicy& policy,
              std::vector<float> source, PasteMode mode = PasteMode::kSoftMask,
              ColorCorrection colour = ColorCorrection::kNone);
  std::string_view name() const override { return "face_swapper"; }
  void process(cv::Mat& frame, const face::Face& target) override;
  // The same with another source's identity (source_identity of that face).
  void process(cv::Mat& frame, const face::Face& target, const std::vector<float>& source);

  // How many FaceSwapper sessions this process has built (a test seam: --map-faces builds one).
  static std::uint64_t sessions_built();
  // Where process() paints a face: the crop's box and the soft mask warped into it.
  static Footprint footprint(const SwapperModel& model, const cv::Size& frame, const face::Face& target,
                             bool with_mask);

  const SwapperModel& model() const { return model_; }
  const std::vector<float>& source() const { return source_; }
  bool float16() const { return float16_; }
  // The model's `target` input for a face: the crop on the model's template, planar RGB
  // (x/255 − mean)/std, written to blob (3·size² floats); returns the frame → crop transform.
  static cv::Matx23d prepare_target(const SwapperModel& model, const cv::Mat& frame, const face::Face& target,
                                    std::vector<float>& blob);
  // One run of the model: its first output (planar RGB, 3·size² floats) for a prepared target
  // (which the model only reads).
  void infer(std::vector<float>& target_blob, const std::vector<float>& source, std::vector<float>& output);
  // The swapped crop for a target, before paste-back (what process() pastes); empty when the
  // model's output was unusable (NaN or constant).
  cv::Mat swap_crop(const cv::Mat& frame, const face::Face& target, cv::Matx23d& frame_to_crop);
  cv::Mat swap_crop(const cv::Mat& frame, const face::Face& target, const std::vector<float>& source,
                    cv::Matx23d& frame_to_crop);

 private:
  const SwapperModel& model_;
  runtime::ModelSession session_;
  std::vector<float> source_;
  bool float16_ = false;
  std::size_t target_index_ = 0;
  std::size_t source_index_ = 1;
  PasteMode mode_;
  ColorCorrection colour_;  // --color-correction: the swapped crop matched to the target's crop
  std::atomic<bool> warned_{false};
};

}  // namespace dlc::processors
