#pragma once

#include <opencv2/core/mat.hpp>

#include <algorithm>

namespace dlc::processors {

// A size × type view of buffer, which only ever grows: a thread's scratch image, reused by
// faces of every size (a video's face changes size each frame, and each triangle has its own)
// where create() would allocate anew at each new size.
inline cv::Mat scratch(cv::Mat& buffer, cv::Size size, int type) {
  if (buffer.type() != type || buffer.cols < size.width || buffer.rows < size.height) {
    buffer.create(std::max(buffer.rows, size.height), std::max(buffer.cols, size.width), type);
  }
  return buffer(cv::Rect(cv::Point(0, 0), size));
}

}  // namespace dlc::processors
