#include "processors/color_transfer.hpp"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cstdint>

#include "processors/scratch.hpp"

namespace dlc::processors {
namespace {

// Each channel's 256-entry map from the face's cumulative histogram onto the reference's: a value
// goes to the smallest reference value whose cumulative share reaches the face value's.
void histogram_lut(const cv::Mat& face_lab, const cv::Mat& reference_lab, const cv::Mat& mask, cv::Mat& lut) {
  std::array<std::array<double, 256>, 3> face_hist{};
  std::array<std::array<double, 256>, 3> reference_hist{};
  for (int y = 0; y < mask.rows; ++y) {
    const auto* m = mask.ptr<std::uint8_t>(y);
    const auto* f = face_lab.ptr<cv::Vec3b>(y);
    const auto* r = reference_lab.ptr<cv::Vec3b>(y);
    for (int x = 0; x < mask.cols; ++x) {
      if (m[x] == 0) continue;
      for (int c = 0; c < 3; ++c) {
        face_hist[c][f[x][c]] += 1;
        reference_hist[c][r[x][c]] += 1;
      }
    }
  }
  auto* entry = lut.ptr<cv::Vec3b>(0);
  for (int c = 0; c < 3; ++c) {
    for (int v = 1; v < 256; ++v) {
      face_hist[c][v] += face_hist[c][v - 1];
      reference_hist[c][v] += reference_hist[c][v - 1];
    }
    const double face_total = face_hist[c][255];
    const double reference_total = reference_hist[c][255];
    int r = 0;
    for (int v = 0; v < 256; ++v) {
      const double share = face_hist[c][v] / face_total;
      while (r < 255 && reference_hist[c][r] / reference_total < share) ++r;
      entry[v][c] = static_cast<std::uint8_t>(r);
    }
  }
}

void reinhard_lut(const cv::Mat& face_lab, const cv::Mat& reference_lab, const cv::Mat& mask, const SpreadLimits& limits,
                  cv::Mat& lut) {
  cv::Scalar face_mean, face_std, reference_mean, reference_std;
  cv::meanStdDev(face_lab, face_mean, face_std, mask);
  cv::meanStdDev(reference_lab, reference_mean, reference_std, mask);
  auto* entry = lut.ptr<cv::Vec3b>(0);
  for (int c = 0; c < 3; ++c) {
    const double low = c == 0 ? limits.lightness_min : limits.colour_min;
    const double high = c == 0 ? limits.lightness_max : limits.colour_max;
    const double ratio = face_std[c] > 0 ? std::clamp(reference_std[c] / face_std[c], low, high) : 1.0;
    for (int v = 0; v < 256; ++v) {
      entry[v][c] = cv::saturate_cast<std::uint8_t>((v - face_mean[c]) * ratio + reference_mean[c]);
    }
  }
}

}  // namespace

std::optional<ColorCorrection> color_correction_from(std::string_view name) {
  if (name == "none") return ColorCorrection::kNone;
  if (name == "lab") return ColorCorrection::kLab;
  if (name == "histogram") return ColorCorrection::kHistogram;
  return std::nullopt;
}

// The map is applied as a lookup table in OpenCV's 8-bit LAB, so the face is converted once each
// way and never leaves 8 bits.
void correct_colour(cv::Mat& face, const cv::Mat& reference, const cv::Mat& mask, ColorCorrection how,
                    const SpreadLimits& limits) {
  if (how == ColorCorrection::kNone || cv::countNonZero(mask) == 0) return;
  thread_local cv::Mat face_lab_buffer;
  thread_local cv::Mat reference_lab_buffer;
  thread_local cv::Mat lut;
  cv::Mat face_lab = scratch(face_lab_buffer, face.size(), CV_8UC3);
  cv::Mat reference_lab = scratch(reference_lab_buffer, face.size(), CV_8UC3);
  cv::cvtColor(face, face_lab, cv::COLOR_BGR2Lab);
  cv::cvtColor(reference, reference_lab, cv::COLOR_BGR2Lab);
  lut.create(1, 256, CV_8UC3);
  if (how == ColorCorrection::kLab) {
    reinhard_lut(face_lab, reference_lab, mask, limits, lut);
  } else {
    histogram_lut(face_lab, reference_lab, mask, lut);
  }
  cv::LUT(face_lab, lut, face_lab);
  cv::cvtColor(face_lab, face, cv::COLOR_Lab2BGR);
}

}  // namespace dlc::processors
