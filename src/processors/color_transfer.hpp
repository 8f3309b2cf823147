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

// Moves face's colours (CV_8UC3 BGR) towards reference's (the same size and type), both measured
// inside mask (CV_8U, non-zero = in), and applies the change to every pixel of face. Reinhard et al.
// 2001 for kLab; for kHistogram each channel's cumulative histogram inside the mask is mapped onto
// the reference's. Nothing happens for kNone or an empty mask. Scratch buffers are per thread.
void correct_colour(cv::Mat& face, const cv::Mat& reference, const cv::Mat& mask, ColorCorrection how);

}  // namespace dlc::processors
