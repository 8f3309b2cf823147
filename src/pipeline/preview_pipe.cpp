#include "pipeline/preview_pipe.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <span>

#include "media/child_process.hpp"
#include "pipeline/paced_output.hpp"

namespace dlc::pipeline {

bool PreviewPipe::write(const cv::Mat& frame, std::int64_t index, double fps) {
  fit_frame(frame, fitted_, size_, FrameFit::kLetterbox);
  unsigned char header[kPreviewHeaderBytes];
  encode_preview_header({static_cast<std::uint32_t>(size_.width), static_cast<std::uint32_t>(size_.height),
                         static_cast<std::uint32_t>(std::lround(std::max(0.0, fps) * 1000.0)), index},
                        header);
  int error = media::write_to_pipe(fd_, std::as_bytes(std::span(header)));
  if (error == 0) error = media::write_to_pipe(fd_, std::as_bytes(std::span(fitted_.ptr(), fitted_.total() * fitted_.elemSize())));
  if (error != 0) problem_ = std::strerror(error);
  return error == 0;
}

}  // namespace dlc::pipeline
