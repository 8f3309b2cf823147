// dlc_opencv_live.so: the only code of dlc that calls OpenCV's videoio and highgui (see
// media/opencv_live.hpp). Built with hidden visibility; it exports dlc_opencv_live_api alone.
// Nothing thrown here leaves the module: OpenCV's and the standard library's exceptions become
// messages.

#include <opencv2/highgui.hpp>
#include <opencv2/videoio.hpp>

#include <exception>
#include <string>

#include "media/module_errors.hpp"
#include "media/opencv_live.hpp"

namespace dlc::media {
namespace {

// MJPG is asked for because most USB cameras give 720p and above at full rate only compressed.
class OpenCvCapture final : public LiveCapture {
 public:
  bool open(const LiveCaptureRequest& request, std::string& error) {
    const bool opened = request.index ? capture_.open(*request.index, cv::CAP_V4L2)
                                      : capture_.open(request.device, cv::CAP_V4L2);
    if (!opened || !capture_.isOpened()) {
      error = "the camera cannot be opened (not a capture device, no permission, or in use by another program)";
      return false;
    }
    capture_.set(cv::CAP_PROP_FOURCC, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'));
    if (request.size) {
      capture_.set(cv::CAP_PROP_FRAME_WIDTH, request.size->width);
      capture_.set(cv::CAP_PROP_FRAME_HEIGHT, request.size->height);
    }
    if (request.fps) capture_.set(cv::CAP_PROP_FPS, *request.fps);
    return true;
  }

  bool read(cv::Mat& frame) noexcept override {
    try {
      return capture_.read(frame) && !frame.empty();
    } catch (...) {
      return false;
    }
  }

  double driver_fps() const noexcept override {
    try {
      return capture_.get(cv::CAP_PROP_FPS);
    } catch (...) {
      return 0.0;
    }
  }

 private:
  cv::VideoCapture capture_;
};

class HighguiWindow final : public LiveWindow {
 public:
  HighguiWindow(std::string title, bool resizable) : title_(std::move(title)) {
    // GUI_NORMAL: the frame alone, without the Qt backend's toolbar and status bar. Resizable
    // (--live-resizable): the image scales to the window, keeping its aspect.
    cv::namedWindow(title_, (resizable ? cv::WINDOW_NORMAL | cv::WINDOW_KEEPRATIO : cv::WINDOW_AUTOSIZE) |
                                cv::WINDOW_GUI_NORMAL);
  }

  ~HighguiWindow() override {
    try {
      cv::destroyWindow(title_);
      cv::waitKey(1);  // lets the GUI process the close
    } catch (...) {
    }
  }

  bool show(const cv::Mat& image, std::string& error) noexcept override {
    try {
      cv::imshow(title_, image);
      return true;
    } catch (...) {
      error = message_of(std::current_exception());
      return false;
    }
  }

  int poll_key() noexcept override {
    try {
      const int key = cv::waitKey(1);
      return key < 0 ? -1 : key & 0xff;
    } catch (...) {
      return -1;
    }
  }

  bool visible() noexcept override {
    try {
      return cv::getWindowProperty(title_, cv::WND_PROP_VISIBLE) >= 1;
    } catch (...) {
      return false;
    }
  }

 private:
  std::string title_;
};

std::unique_ptr<LiveCapture> open_capture(const LiveCaptureRequest& request, std::string& error) noexcept {
  try {
    auto capture = std::make_unique<OpenCvCapture>();
    if (!capture->open(request, error)) return nullptr;
    return capture;
  } catch (...) {
    error = message_of(std::current_exception());
    return nullptr;
  }
}

std::unique_ptr<LiveWindow> open_window(const std::string& title, bool resizable, std::string& error) noexcept {
  try {
    return std::make_unique<HighguiWindow>(title, resizable);
  } catch (...) {
    error = message_of(std::current_exception());
    return nullptr;
  }
}

const OpenCvLiveApi kApi{kOpenCvLiveAbi, &open_capture, &open_window};

}  // namespace
}  // namespace dlc::media

extern "C" __attribute__((visibility("default"))) const dlc::media::OpenCvLiveApi* dlc_opencv_live_api() {
  return &dlc::media::kApi;
}
