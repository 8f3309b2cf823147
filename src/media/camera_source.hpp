#pragma once

#include <opencv2/core.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "media/v4l2_device.hpp"
#include "media/video_probe.hpp"

namespace dlc::media {

using CameraClock = std::chrono::steady_clock;
using CameraTime = CameraClock::time_point;

// Where live frames come from: a V4L2 device, or a video file played at its own pace.
class CameraSource {
 public:
  virtual ~CameraSource() = default;

  // Waits for the next frame and fills `frame` (CV_8UC3, frame_size(); reusing its buffer when it
  // has that shape) and `captured`, the moment it was taken. False when no frame will come: the
  // end of a file, a device that stopped delivering.
  virtual bool read(cv::Mat& frame, CameraTime& captured) = 0;

  virtual cv::Size frame_size() const = 0;
  // Frames per second: a file's own rate, exactly; a device's rate as measured from the arrival
  // times of its frames (drivers' figures are often wrong), never what was asked for.
  virtual Rational frame_rate() const = 0;
  // Frames a file camera passed over because their time had gone by before they were read.
  virtual std::int64_t frames_skipped() const { return 0; }
  // "/dev/video0", "clip.mp4": for messages.
  virtual const std::string& name() const = 0;
};

struct CameraOptions {
  // An index ("0"), a device ("/dev/video2"), an existing video file played as a camera, or a
  // V4L2 card name ("HD Webcam", see camera_by_name).
  std::string camera = "0";
  std::optional<cv::Size> size;  // asked of a device; a file keeps its own size
  std::optional<double> fps;     // asked of a device; a file keeps its own rate
};

// Opens the camera CameraOptions names. Throws VideoError naming the device or file when it is
// missing, busy, gives no frame, or is not a video, and for a device when OpenCV's videoio module
// (dlc_opencv_live.so, media/opencv_live.hpp) cannot be loaded. A file camera never loads it.
std::unique_ptr<CameraSource> open_camera(const CameraOptions& options);

// What a capture device offers, from VIDIOC_ENUM_FMT, VIDIOC_ENUM_FRAMESIZES and
// VIDIOC_ENUM_FRAMEINTERVALS.
struct CameraMode {
  std::string format;  // fourcc: "MJPG", "YUYV"
  cv::Size size;       // a stepwise or continuous range gives its largest size
  std::vector<double> fps;  // frame rates offered at that size, highest first
};
struct CameraDevice {
  std::string node;  // "/dev/video0"
  std::string card;  // "HD Webcam: HD Webcam"
  std::string driver;
  std::vector<CameraMode> modes;
};
// The capture devices among io's video nodes (output-only nodes, such as a v4l2loopback device
// without a writer, are left out; so are nodes that cannot be opened).
std::vector<CameraDevice> list_cameras(V4l2Io& io);
// `dlc live --list-cameras`: a line per device, then one per format and size with its rates.
std::string describe_cameras(const std::vector<CameraDevice>& cameras);
// The node of the capture device whose card name is `name`, compared without case; else of the
// only one whose card name contains it. Throws VideoError naming `name` and the cards there are.
std::string camera_by_name(const std::string& name, V4l2Io& io);

// "1280x720" -> 1280×720. Throws std::invalid_argument for anything else.
cv::Size parse_frame_size(std::string_view text);

// A rate in frames per second as a Rational: whole where it is within 0.05 of a whole number
// (a camera measured at 29.98 fps is a 30 fps camera), else in thousandths.
Rational rate_rational(double fps);

}  // namespace dlc::media
