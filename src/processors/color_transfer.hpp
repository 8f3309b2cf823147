#pragma once

#include <opencv2/core/mat.hpp>

#include <optional>
#include <string_view>

namespace dlc::processors {

// How a swapped face's colours are matched to the target's before it is pasted (--color-correction).
enum class ColorCorrection {
  kNone,       // the swapper's colours as they are (Deep-Live-Cam's behaviour)
  kLab,        // Reinhard's mean/std transfer in LAB (Deep-Live-Cam's apply_color_transfer, never called there)
  kHistogram,  // each LAB channel's histogram matched to the target's
};

// "none", "lab", "histogram"; nullopt for anything else.
std::optional<ColorCorrection> color_correction_from(std::string_view name);

// How far kLab may scale a channel's spread about its mean (Reinhard's ratio, the reference's std
// over the face's), for LAB's lightness and its two colour channels. The defaults only keep a
// flat, dim face from turning its noise into texture and a contrasty one from being flattened to
// nothing: 3 is well beyond two real faces' ratio.
struct SpreadLimits {
  double lightness_min = 1.0 / 3.0;
  double lightness_max = 3.0;
  double colour_min = 1.0 / 3.0;
  double colour_max = 3.0;
};

// Moves face's colours (CV_8UC3 BGR) towards reference's (the same size and type), both measured
// inside mask (CV_8U, non-zero = in), and applies the change to every pixel of face. Reinhard et al.
// 2001 for kLab, its ratios within limits; for kHistogram each channel's cumulative histogram
// inside the mask is mapped onto the reference's. Nothing happens for kNone or an empty mask.
// Scratch buffers are per thread.
void correct_colour(cv::Mat& face, const cv::Mat& reference, const cv::Mat& mask, ColorCorrection how,
                    const SpreadLimits& limits = {});

}  // namespace dlc::processors
