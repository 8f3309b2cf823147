#include "media/camera_source.hpp"

#include <fcntl.h>
#include <linux/videodev2.h>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <opencv2/imgproc.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <atomic>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "media/opencv_live.hpp"
#include "media/video_reader.hpp"

namespace dlc::media {
namespace {

// A device's rate, measured over its last kWindow frames: long enough to smooth the jitter of
// USB delivery, short enough to follow a camera that lowers its rate in the dark.
class RateMeter {
 public:
  void add(CameraTime arrival) {
    arrivals_[next_ % kWindow] = arrival;
    ++next_;
    const auto n = std::min<std::size_t>(next_, kWindow);
    if (n < 2) return;
    const auto first = arrivals_[(next_ - n) % kWindow];
    const std::chrono::duration<double> span = arrival - first;
    if (span.count() > 0) fps_.store(static_cast<double>(n - 1) / span.count());
  }
  double fps() const { return fps_.load(); }  // 0 until two frames have arrived

 private:
  static constexpr std::size_t kWindow = 32;
  std::array<CameraTime, kWindow> arrivals_{};
  std::size_t next_ = 0;
  std::atomic<double> fps_{0.0};
};

void to_bgr(cv::Mat& frame) {
  if (frame.type() == CV_8UC1) cv::cvtColor(frame, frame, cv::COLOR_GRAY2BGR);
  if (frame.type() == CV_8UC4) cv::cvtColor(frame, frame, cv::COLOR_BGRA2BGR);
}

// A V4L2 camera through OpenCV's videoio, which lives in dlc_opencv_live.so (media/opencv_live.hpp),
// loaded here, once the device node is known to exist. The rate is measured, not taken from the
// driver: the constructor reads a short warm-up (which also lets auto-exposure settle) and times it.
class DeviceCamera final : public CameraSource {
 public:
  DeviceCamera(std::optional<int> index, std::string device, const CameraOptions& options) : name_(std::move(device)) {
    // Without the node OpenCV would only print a warning; this way the error names the device.
    if (!std::filesystem::exists(name_)) throw VideoError(name_, "no such camera device");
    std::string error;
    const auto* live = load_opencv_live(error);
    if (live == nullptr) throw VideoError(name_, "a device camera needs OpenCV's videoio, but " + error);
    capture_ = live->open_capture({index, name_, options.size, options.fps}, error);
    if (!capture_) throw VideoError(name_, error);

    cv::Mat frame;
    // A busy device often opens but fails here, when streaming starts.
    if (!capture_->read(frame)) throw VideoError(name_, "the camera gives no frames (in use by another program?)");
    to_bgr(frame);
    size_ = frame.size();
    if (options.size && size_ != *options.size) {
      spdlog::info("{}: asked for {}x{}, the camera gives {}x{}", name_, options.size->width, options.size->height,
                   size_.width, size_.height);
    }
    const auto warmup_end = CameraClock::now() + kWarmup;
    for (int i = 0; i < kWarmupFrames && CameraClock::now() < warmup_end; ++i) {
      if (!capture_->read(frame)) throw VideoError(name_, "the camera stopped giving frames right after it started");
      meter_.add(CameraClock::now());
    }
    if (meter_.fps() <= 0) {
      throw VideoError(name_, "the camera gave fewer than 2 frames in " + std::to_string(kWarmup.count()) + " ms");
    }
    spdlog::debug("{}: {}x{}, {:.2f} fps measured (the driver says {:.2f})", name_, size_.width, size_.height,
                  meter_.fps(), capture_->driver_fps());
  }

  bool read(cv::Mat& frame, CameraTime& captured) override {
    if (!capture_->read(frame)) return false;
    captured = CameraClock::now();
    meter_.add(captured);
    to_bgr(frame);
    return true;
  }

  cv::Size frame_size() const override { return size_; }
  Rational frame_rate() const override { return rate_rational(meter_.fps()); }
  const std::string& name() const override { return name_; }

 private:
  static constexpr int kWarmupFrames = 12;
  static constexpr std::chrono::milliseconds kWarmup{1500};

  std::string name_;
  std::unique_ptr<LiveCapture> capture_;
  cv::Size size_;
  RateMeter meter_;
};

// A video file behaving like a camera: frame k exists from start + k/fps on, and a reader that
// comes late gets the newest frame whose time has come, not a backlog; the ones passed over are
// counted. The clock starts when the first frame has been decoded.
class FileCamera final : public CameraSource {
 public:
  explicit FileCamera(const std::filesystem::path& path) : name_(path.string()), reader_(path) {
    if (!reader_.info().fps.valid()) throw VideoError(path, "the video states no frame rate to play it at");
  }

  bool read(cv::Mat& frame, CameraTime& captured) override {
    for (;;) {
      if (!reader_.read(frame)) {
        const auto result = reader_.finish();
        if (!result.clean) spdlog::warn("{}: the decoder stopped after {} frames: {}", name_, result.frames_read, result.stderr_tail);
        return false;
      }
      // The clock starts with the first decoded frame, so ffmpeg's start-up is not taken for lateness.
      if (!start_) start_ = CameraClock::now();
      const auto due = due_time(next_index_++);
      if (CameraClock::now() >= due_time(next_index_)) {
        ++skipped_;  // the next frame is due already: this one is stale
        continue;
      }
      std::this_thread::sleep_until(due);
      captured = due;
      return true;
    }
  }

  cv::Size frame_size() const override { return {reader_.info().width, reader_.info().height}; }
  Rational frame_rate() const override { return reader_.info().fps; }
  std::int64_t frames_skipped() const override { return skipped_; }
  const std::string& name() const override { return name_; }

 private:
  CameraTime due_time(std::int64_t index) const {
    const auto& fps = reader_.info().fps;
    const double seconds = static_cast<double>(index) * static_cast<double>(fps.den) / static_cast<double>(fps.num);
    return *start_ + std::chrono::duration_cast<CameraClock::duration>(std::chrono::duration<double>(seconds));
  }

  std::string name_;
  VideoReader reader_;
  std::optional<CameraTime> start_;
  std::int64_t next_index_ = 0;
  std::int64_t skipped_ = 0;
};

std::optional<int> parse_index(std::string_view text) {
  int value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || value < 0) return std::nullopt;
  return value;
}

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// The rates of one size, highest first; a stepwise range gives its two ends.
std::vector<double> frame_rates(V4l2Io& io, int fd, unsigned fourcc, cv::Size size) {
  std::vector<double> rates;
  for (unsigned i = 0;; ++i) {
    v4l2_frmivalenum interval{};
    interval.index = i;
    interval.pixel_format = fourcc;
    interval.width = static_cast<unsigned>(size.width);
    interval.height = static_cast<unsigned>(size.height);
    if (io.ioctl(fd, VIDIOC_ENUM_FRAMEINTERVALS, &interval) < 0) break;
    const auto rate = [](const v4l2_fract& f) { return f.numerator == 0 ? 0.0 : static_cast<double>(f.denominator) / f.numerator; };
    if (interval.type == V4L2_FRMIVAL_TYPE_DISCRETE) {
      rates.push_back(rate(interval.discrete));
      continue;
    }
    rates.push_back(rate(interval.stepwise.min));  // the shortest interval: the highest rate
    rates.push_back(rate(interval.stepwise.max));
    break;
  }
  std::sort(rates.rbegin(), rates.rend());
  return rates;
}

std::vector<CameraMode> camera_modes(V4l2Io& io, int fd) {
  std::vector<CameraMode> modes;
  for (unsigned f = 0;; ++f) {
    v4l2_fmtdesc format{};
    format.index = f;
    format.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    if (io.ioctl(fd, VIDIOC_ENUM_FMT, &format) < 0) break;
    for (unsigned s = 0;; ++s) {
      v4l2_frmsizeenum size{};
      size.index = s;
      size.pixel_format = format.pixelformat;
      if (io.ioctl(fd, VIDIOC_ENUM_FRAMESIZES, &size) < 0) break;
      const bool discrete = size.type == V4L2_FRMSIZE_TYPE_DISCRETE;
      const cv::Size wh = discrete ? cv::Size(static_cast<int>(size.discrete.width), static_cast<int>(size.discrete.height))
                                   : cv::Size(static_cast<int>(size.stepwise.max_width), static_cast<int>(size.stepwise.max_height));
      modes.push_back({fourcc_name(format.pixelformat), wh, frame_rates(io, fd, format.pixelformat, wh)});
      if (!discrete) break;
    }
  }
  return modes;
}

}  // namespace

std::vector<CameraDevice> list_cameras(V4l2Io& io) {
  std::vector<CameraDevice> cameras;
  for (const auto& node : io.video_nodes()) {
    const int fd = io.open(node, O_RDONLY | O_NONBLOCK);
    if (fd < 0) continue;
    const V4l2Fd owner(io, fd);
    V4l2Caps caps;
    int error = 0;
    if (!query_caps(io, fd, caps, error) || !caps.capture()) continue;
    cameras.push_back({node, caps.card, caps.driver, camera_modes(io, fd)});
  }
  return cameras;
}

std::string describe_cameras(const std::vector<CameraDevice>& cameras) {
  if (cameras.empty()) return "no camera found (no capture device among /dev/video*)\n";
  std::string text;
  for (const auto& camera : cameras) {
    text += fmt::format("{}: \"{}\" ({})\n", camera.node, camera.card, camera.driver);
    for (const auto& mode : camera.modes) {
      std::vector<std::string> rates;
      for (const double fps : mode.fps) rates.push_back(fmt::format("{:g}", std::round(fps * 100) / 100));
      text += fmt::format("  {} {}x{}{}{}\n", mode.format, mode.size.width, mode.size.height,
                          rates.empty() ? "" : " at ", fmt::join(rates, ", "));
    }
  }
  return text;
}

std::string camera_by_name(const std::string& name, V4l2Io& io) {
  const auto cameras = list_cameras(io);
  const auto wanted = lowercase(name);
  for (const auto& camera : cameras) {
    if (lowercase(camera.card) == wanted) return camera.node;
  }
  std::vector<const CameraDevice*> partial;
  for (const auto& camera : cameras) {
    if (lowercase(camera.card).find(wanted) != std::string::npos) partial.push_back(&camera);
  }
  if (partial.size() == 1) return partial.front()->node;
  std::vector<std::string> cards;
  for (const auto& camera : cameras) cards.push_back(fmt::format("\"{}\" ({})", camera.card, camera.node));
  if (cameras.empty()) {
    throw VideoError(name, "not a camera index, device, video file or camera name (no capture device here); give "
                           "an index (0), a device (/dev/video0) or an existing video file");
  }
  throw VideoError(name, fmt::format("{} camera names match; the cameras here: {} (dlc live --list-cameras)",
                                     partial.empty() ? "no" : "several", fmt::join(cards, ", ")));
}

std::unique_ptr<CameraSource> open_camera(const CameraOptions& options) {
  const auto& spec = options.camera;
  if (const auto index = parse_index(spec)) {
    return std::make_unique<DeviceCamera>(index, "/dev/video" + std::to_string(*index), options);
  }
  std::error_code ec;
  if (std::filesystem::is_regular_file(spec, ec)) return std::make_unique<FileCamera>(spec);
  if (spec.starts_with("/dev/")) return std::make_unique<DeviceCamera>(std::nullopt, spec, options);
  SystemV4l2 io;
  return std::make_unique<DeviceCamera>(std::nullopt, camera_by_name(spec, io), options);
}

cv::Size parse_frame_size(std::string_view text) {
  const auto x = text.find('x');
  const auto width = x == std::string_view::npos ? std::nullopt : parse_index(text.substr(0, x));
  const auto height = x == std::string_view::npos ? std::nullopt : parse_index(text.substr(x + 1));
  if (!width || !height || *width == 0 || *height == 0) {
    throw std::invalid_argument("frame size '" + std::string(text) + "' is not WxH, e.g. 1280x720");
  }
  return {*width, *height};
}

Rational rate_rational(double fps) {
  if (!(fps > 0)) return {};
  if (std::abs(fps - std::round(fps)) < 0.05) return {std::llround(fps), 1};
  return {std::llround(fps * 1000), 1000};
}

}  // namespace dlc::media
