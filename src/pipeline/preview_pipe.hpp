#pragma once

#include <opencv2/core.hpp>

#include <string>

#include "pipeline/preview_format.hpp"

namespace dlc::pipeline {

// Writes preview frames to a file descriptor (blocking; a reader that closes the pipe makes
// write() fail with EPIPE instead of raising SIGPIPE).
class PreviewPipe {
 public:
  PreviewPipe(int fd, cv::Size size) : fd_(fd), size_(size) {}
  // false: the descriptor failed; problem() says why.
  bool write(const cv::Mat& frame, std::int64_t index, double fps);
  const std::string& problem() const { return problem_; }
  cv::Size size() const { return size_; }

 private:
  int fd_;
  cv::Size size_;
  cv::Mat fitted_;
  std::string problem_;
};

}  // namespace dlc::pipeline
