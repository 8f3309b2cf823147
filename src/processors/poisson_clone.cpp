#include "processors/poisson_clone.hpp"

#include <opencv2/imgproc.hpp>
#include <opencv2/photo.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>

#include "processors/scratch.hpp"

namespace dlc::processors {
namespace {

// seamlessClone's Poisson solver runs discrete sine transforms through cv::dft along rows of
// 2w − 2 and columns of 2h − 2 values, w × h being its mask's bounding box (OpenCV 4's
// seamless_cloning_impl.cpp, Cloning::dst). cv::dft is fast for lengths made of small primes
// and slows with a length's largest prime factor: measured on one core for a w × w box,
// w = 163 (324 = 2²·3⁴) took 12 ms, w = 180 (358 = 2·179) 95 ms, w = 200 (398 = 2·199) 132 ms.
// Lengths whose prime factors are at most 7 all ran in 12–28 ms there.
constexpr int kLargestFastPrime = 7;

bool fast_clone_length(int w) {
  int n = 2 * w - 2;
  if (n <= 0) return false;
  for (int p = 2; p <= kLargestFastPrime; ++p) {
    while (n % p == 0) n /= p;
  }
  return n == 1;
}

// The span [start, start + length) along one axis that seamlessClone's box should have for a
// mask spanning [a, a + w) in an image of `size` pixels: the closest length the solver is fast
// for, grown by up to what the image holds (seamlessClone clears its outer pixel) or else
// trimmed by up to `trim` (the seam then moves that far inwards at the mask's extreme points).
// Unchanged when neither finds one.
std::pair<int, int> clone_span(int a, int w, int size, int trim) {
  for (int longer = w; longer <= size - 2; ++longer) {
    if (!fast_clone_length(longer)) continue;
    // Centred on the mask, kept inside [1, size − 1): it still covers the mask, which lies
    // inside [kCloneClearance, size − kCloneClearance).
    const int start = std::clamp(a - (longer - w) / 2, 1, size - 1 - longer);
    return {start, longer};
  }
  for (int shorter = w - 1; shorter >= std::max(3, w - 2 * trim); --shorter) {
    if (fast_clone_length(shorter)) return {a + (w - shorter) / 2, shorter};
  }
  return {a, w};
}

// The clone at the images' own resolution.
bool clone_here(const cv::Mat& face, const cv::Mat& destination, const cv::Mat& seam, int trim, cv::Mat& cloned) {
  thread_local cv::Mat clone_mask_buffer;
  const cv::Size size = seam.size();
  const auto seam_box = cv::boundingRect(seam);
  if (seam_box.empty()) return false;
  if (seam_box.x < kCloneClearance || seam_box.y < kCloneClearance ||
      seam_box.br().x > size.width - kCloneClearance || seam_box.br().y > size.height - kCloneClearance) {
    return false;
  }
  // The solver's box is set to a size it is fast for: the mask is trimmed to it, or given a
  // pixel at two opposite corners, which seamlessClone's own 3-pixel erosion of the mask
  // removes before it takes any gradient from them.
  const auto [x, width] = clone_span(seam_box.x, seam_box.width, size.width, trim);
  const auto [y, height] = clone_span(seam_box.y, seam_box.height, size.height, trim);
  const cv::Rect window(x, y, width, height);
  cv::Mat clone_mask = scratch(clone_mask_buffer, size, CV_8U);
  clone_mask.setTo(0);
  seam(window).copyTo(clone_mask(window));
  clone_mask.at<std::uint8_t>(window.tl()) = 255;
  clone_mask.at<std::uint8_t>(window.br() - cv::Point(1, 1)) = 255;
  // seamlessClone centres the mask's box on this point: the face stays where it is.
  cv::seamlessClone(face, destination, clone_mask, window.tl() + cv::Point(width / 2, height / 2), cloned,
                    cv::NORMAL_CLONE);
  return true;
}

}  // namespace

bool poisson_clone(const cv::Mat& face, const cv::Mat& destination, const cv::Mat& seam, int trim, int factor,
                   cv::Mat& cloned) {
  if (factor <= 1) return clone_here(face, destination, seam, trim, cloned);
  thread_local cv::Mat face_small_buffer;
  thread_local cv::Mat destination_small_buffer;
  thread_local cv::Mat seam_small_buffer;
  thread_local cv::Mat cloned_small_buffer;
  thread_local cv::Mat correction_small_buffer;
  thread_local cv::Mat correction_buffer;
  const cv::Size size = seam.size();
  const cv::Size small(std::max(1, static_cast<int>(std::lround(static_cast<double>(size.width) / factor))),
                       std::max(1, static_cast<int>(std::lround(static_cast<double>(size.height) / factor))));
  cv::Mat face_small = scratch(face_small_buffer, small, CV_8UC3);
  cv::Mat destination_small = scratch(destination_small_buffer, small, CV_8UC3);
  cv::Mat seam_small = scratch(seam_small_buffer, small, CV_8U);
  cv::resize(face, face_small, small, 0, 0, cv::INTER_AREA);
  cv::resize(destination, destination_small, small, 0, 0, cv::INTER_AREA);
  // A coarse pixel is inside when most of what it covers is.
  cv::resize(seam, seam_small, small, 0, 0, cv::INTER_AREA);
  cv::threshold(seam_small, seam_small, 127, 255, cv::THRESH_BINARY);
  cv::Mat cloned_small = scratch(cloned_small_buffer, small, CV_8UC3);
  if (!clone_here(face_small, destination_small, seam_small, std::max(1, trim / factor), cloned_small)) return false;
  // The correction everywhere on the coarse grid: the membrane inside, the seam's own difference
  // (destination − face) outside, so that scaling it up meets the seam with its boundary values.
  cv::Mat correction_small = scratch(correction_small_buffer, small, CV_32FC3);
  cv::subtract(cloned_small, face_small, correction_small, cv::noArray(), CV_32FC3);
  cv::Mat correction = scratch(correction_buffer, size, CV_32FC3);
  cv::resize(correction_small, correction, size, 0, 0, cv::INTER_LINEAR);
  destination.copyTo(cloned);
  for (int y = 0; y < size.height; ++y) {
    const auto* inside = seam.ptr<std::uint8_t>(y);
    const auto* f = face.ptr<cv::Vec3b>(y);
    const auto* c = correction.ptr<cv::Vec3f>(y);
    auto* out = cloned.ptr<cv::Vec3b>(y);
    for (int x = 0; x < size.width; ++x) {
      if (inside[x] == 0) continue;
      for (int k = 0; k < 3; ++k) out[x][k] = cv::saturate_cast<std::uint8_t>(f[x][k] + c[x][k]);
    }
  }
  return true;
}

}  // namespace dlc::processors
