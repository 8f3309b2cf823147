#include "face/blob.hpp"

#include <stdexcept>

namespace dlc::face {

void bgr_to_rgb_planar(const cv::Mat& bgr, float mean, float std, float* out) {
  if (bgr.type() != CV_8UC3) throw std::invalid_argument("bgr_to_rgb_planar: expects an 8-bit 3-channel image");
  const auto plane = static_cast<std::size_t>(bgr.rows) * static_cast<std::size_t>(bgr.cols);
  float* r = out;
  float* g = out + plane;
  float* b = out + 2 * plane;
  const float scale = 1.0f / std;
  for (int y = 0; y < bgr.rows; ++y) {
    const auto* row = bgr.ptr<cv::Vec3b>(y);
    for (int x = 0; x < bgr.cols; ++x) {
      *b++ = (static_cast<float>(row[x][0]) - mean) * scale;
      *g++ = (static_cast<float>(row[x][1]) - mean) * scale;
      *r++ = (static_cast<float>(row[x][2]) - mean) * scale;
    }
  }
}

}  // namespace dlc::face
