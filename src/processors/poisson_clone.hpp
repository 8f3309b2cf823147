#pragma once

#include <opencv2/core/mat.hpp>

namespace dlc::processors {

// Poisson seamless cloning (Pérez et al. 2003, OpenCV's cv::seamlessClone with NORMAL_CLONE) of
// face into destination inside seam, the face kept where it is. face, destination and cloned:
// CV_8UC3 of one size; seam: CV_8U of that size, non-zero inside. The solver's box is set to a
// size its sine transforms are fast for (the mask trimmed by up to trim px or grown, see
// poisson_clone.cpp). Outside seam cloned is destination. False (cloned untouched) when seam
// comes closer than kCloneClearance to the border, where seamlessClone would cut it, or is empty.
//
// factor > 1 solves at 1/factor of the resolution: the clone's correction (cloned − face) is the
// membrane that takes face's values on the seam to destination's, smooth inside (harmonic), so
// it is solved on face, destination and seam scaled down, scaled back up and added to face at
// full size. The solver's cost falls with the pixel count (factor²); what is lost is the
// correction's detail at the seam finer than factor px. Thread-safe: its scratch is per thread.
bool poisson_clone(const cv::Mat& face, const cv::Mat& destination, const cv::Mat& seam, int trim, int factor,
                   cv::Mat& cloned);

// seamlessClone clears its mask's outer pixel (OpenCV 4's seamless_cloning.cpp): a seam mask
// closer than this to the border would be cut there.
inline constexpr int kCloneClearance = 2;

}  // namespace dlc::processors
