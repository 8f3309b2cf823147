#pragma once

#include <opencv2/core.hpp>

#include <stdexcept>
#include <string>

#include "media/v4l2_device.hpp"
#include "media/video_probe.hpp"

namespace dlc::media {

// A virtual camera dlc cannot open, in one line a user can act on (names the device).
class V4l2OutputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// v4l2loopback's driver name in VIDIOC_QUERYCAP.
inline constexpr const char* kV4l2LoopbackDriver = "v4l2 loopback";
// What to run when no loopback device exists (FIELD.md §5; exclusive_caps=1 is what Chrome and
// meeting apps need to list it as a camera).
inline constexpr const char* kV4l2LoopbackModprobe = "sudo modprobe v4l2loopback exclusive_caps=1 card_label=dlc";

struct V4l2OutputOptions {
  std::string device;  // "/dev/video4"; empty: the first v4l2loopback device
  cv::Size size{1280, 720};
  Rational fps{30, 1};  // advertised to readers through VIDIOC_S_PARM
};

// A v4l2loopback device fed as a camera: opened write-only, checked with VIDIOC_QUERYCAP to be a
// loopback output device, set to YUV420 (I420) at a fixed size with VIDIOC_S_FMT, then one write()
// of a whole I420 frame per frame. Throws V4l2OutputError from the constructor: module not loaded
// (no device: the modprobe line), busy, no permission (group video), not a loopback device, or a
// format the device changed.
class V4l2Output {
 public:
  explicit V4l2Output(const V4l2OutputOptions& options, V4l2Io& io);
  ~V4l2Output() = default;
  V4l2Output(const V4l2Output&) = delete;
  V4l2Output& operator=(const V4l2Output&) = delete;

  // frame: CV_8UC3 BGR of the options' size (std::invalid_argument otherwise). False when the
  // device refused the frame; problem() says why.
  bool write(const cv::Mat& frame);
  const std::string& device() const { return device_; }
  const std::string& card() const { return card_; }
  const std::string& problem() const { return problem_; }
  std::int64_t frames_written() const { return frames_written_; }

 private:
  V4l2Io& io_;
  std::string device_;
  std::string card_;
  cv::Size size_;
  V4l2Fd fd_;
  cv::Mat i420_;
  std::string problem_;
  std::int64_t frames_written_ = 0;
};

}  // namespace dlc::media
