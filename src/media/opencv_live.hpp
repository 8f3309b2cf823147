#pragma once

#include <opencv2/core.hpp>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

// OpenCV's videoio and highgui (with Qt: 115 more libraries, 27 MB of RSS at start-up) live in
// a module of their own, dlc_opencv_live.so, loaded by `dlc live` on first need: a device camera
// is opened or a preview window is about to be shown. Every other dlc process, and a live run on
// a file camera without a preview, never maps them. The module and dlc are built together by the
// same compiler, so C++ types cross the boundary; exceptions do not: every call returns its
// failure as a message.

namespace dlc::media {

// A V4L2 device opened through cv::VideoCapture.
class LiveCapture {
 public:
  virtual ~LiveCapture() = default;
  // The next frame as the driver gives it (BGR, or gray/BGRA from some drivers); false when none
  // came.
  virtual bool read(cv::Mat& frame) noexcept = 0;
  // What the driver says, for messages only: drivers' rates are often wrong.
  virtual double driver_fps() const noexcept = 0;
};

struct LiveCaptureRequest {
  std::optional<int> index;  // opened by index when given, else by `device`
  std::string device;        // "/dev/video0"
  std::optional<cv::Size> size;
  std::optional<double> fps;
};

// A highgui window; destroying it closes the window.
class LiveWindow {
 public:
  virtual ~LiveWindow() = default;
  // False with `error` set when highgui refused the frame.
  virtual bool show(const cv::Mat& image, std::string& error) noexcept = 0;
  // Runs the GUI's events for 1 ms; the key pressed (low byte), or -1.
  virtual int poll_key() noexcept = 0;
  // False once the user has closed the window.
  virtual bool visible() noexcept = 0;
};

// The module's table. kOpenCvLiveAbi changes whenever this header does, so a module left over
// from an older build is refused rather than called through a stale layout.
inline constexpr int kOpenCvLiveAbi = 2;
struct OpenCvLiveApi {
  int abi = kOpenCvLiveAbi;
  // nullptr with `error` set when the device cannot be opened or configured.
  std::unique_ptr<LiveCapture> (*open_capture)(const LiveCaptureRequest& request, std::string& error) noexcept;
  // nullptr with `error` set when highgui cannot make the window.
  std::unique_ptr<LiveWindow> (*open_window)(const std::string& title, bool resizable, std::string& error) noexcept;
};

// The module's one exported symbol.
inline constexpr const char* kOpenCvLiveEntry = "dlc_opencv_live_api";
using OpenCvLiveEntry = const OpenCvLiveApi* (*)();

// Where the module is looked for: $DLC_LIVE_MODULE when set, else next to the running executable,
// else in an installed dlc's PREFIX/lib/dlc.
std::filesystem::path opencv_live_path();

// The module's table, loaded (RTLD_NOW | RTLD_LOCAL) on the first call and kept for the rest of
// the process; nullptr with `error` saying which file and why when it cannot be loaded. A failed
// load is tried again on the next call. Thread-safe.
const OpenCvLiveApi* load_opencv_live(std::string& error);

// Whether this process has loaded the module.
bool opencv_live_loaded();

}  // namespace dlc::media
