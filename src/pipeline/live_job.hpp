#pragma once

#include <opencv2/core.hpp>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "media/camera_source.hpp"
#include "media/video_probe.hpp"
#include "memory/governor.hpp"

namespace dlc::pipeline {

// How far the live loop has come, handed to LiveOptions::on_tick about once a second.
struct LiveProgress {
  std::int64_t captured = 0;
  std::int64_t processed = 0;
  std::int64_t shown = 0;    // reached the output: shown in the preview and/or recorded
  std::int64_t dropped = 0;  // both queues and the memory governor
  double seconds = 0;
};

struct LiveOptions {
  media::CameraOptions camera;
  // No preview window. Also the case, with one info line, without a display, and, with one
  // warning, when OpenCV's highgui module (media/opencv_live.hpp) cannot be loaded.
  bool headless = false;
  bool mirror = false;    // --live-mirror: flipped left-right before processing; `m` toggles it
  // --record: every processed frame at the camera's rate, each repeated until the next one's
  // camera time, so that the recording lasts as long as the session.
  std::filesystem::path record;
  std::string encoder = "libx264";
  int quality = 18;
  std::optional<std::int64_t> max_frames;  // camera frames
  std::optional<double> duration_s;  // camera time from the first frame
  const std::atomic<bool>* stop = nullptr;  // set by a signal: the run ends as after `q`
  // Asked before each camera frame is queued: over the budget, the frame is dropped (a camera
  // cannot be held) and counted.
  memory::RssGovernor* governor = nullptr;
  // Called about once a second on run_live's calling thread (e.g. for the [DLC.MEMORY] lines).
  std::function<void(const LiveProgress&)> on_tick;
  std::string window_title = "dlc live";
  bool resizable_window = false;  // --live-resizable: the user can resize it, the image scales
};

struct LatencyStats {
  std::int64_t samples = 0;
  double p50_ms = 0;
  double p95_ms = 0;
  double max_ms = 0;
};

// Capture-to-output latencies in fixed bins, so a run of hours uses the same memory as one of
// seconds. Percentiles are a bin's centre (kBinMs resolution) and never above the exact maximum.
class LatencyHistogram {
 public:
  static constexpr double kBinMs = 0.5;
  static constexpr std::size_t kBins = 10'000;  // up to 5 s; slower frames fall in the last bin

  void add(double ms);
  LatencyStats stats() const;

 private:
  double percentile(double fraction) const;

  std::vector<std::uint32_t> bins_ = std::vector<std::uint32_t>(kBins, 0);
  std::int64_t count_ = 0;
  double max_ms_ = 0;
};

enum class LiveEnd { kCameraEnded, kMaxFrames, kDuration, kStopRequested, kUserQuit };
std::string_view to_string(LiveEnd end);

struct LiveReport {
  std::string camera;
  cv::Size frame_size;
  std::int64_t captured = 0;        // frames taken from the camera
  std::int64_t camera_skipped = 0;  // a file camera's frames whose time passed before they were read
  std::int64_t processed = 0;       // frames the callback finished
  std::int64_t shown = 0;           // frames that reached the preview and/or recording
  std::int64_t dropped_before_processing = 0;  // camera → processing queue, oldest dropped
  std::int64_t dropped_before_output = 0;      // processing → output queue (0 while recording)
  std::int64_t dropped_over_budget = 0;        // taken from the camera, dropped by the governor
  double capture_fps = 0;    // measured between the first and last captured frame
  double processed_fps = 0;  // measured between the first and last processed frame
  LatencyStats latency;      // capture timestamp → shown/recorded
  bool preview = false;      // a window was shown
  std::filesystem::path recording;  // empty when not recording
  std::int64_t recorded = 0;          // frames written, repeats included
  std::int64_t record_repeats = 0;    // writes of a frame already written (over frames not processed)
  media::Rational record_fps;
  LiveEnd end = LiveEnd::kCameraEnded;
  double seconds = 0;
};

// Called on the processing thread with each frame that is not dropped; `index` is the camera's
// frame number (gaps are dropped frames). It works on `frame` in place, keeping its size.
using LiveFrameCallback = std::function<void(cv::Mat& frame, std::int64_t index)>;

// The live loop: a capture thread → 2-slot drop-oldest queue → `process` on one processing thread
// → 2-slot queue → preview window and/or recording on the calling thread. A slow `process` makes
// the first queue drop the oldest frames, so what is shown is never more than a few frames old.
// While recording, the second queue waits instead of dropping: every processed frame is
// recorded, and repeated over the camera frames that were not processed (keyed on the frames'
// capture times, so on a file camera on its frame indices): the recording has one frame per
// camera frame period from the first captured frame to the last (to a file camera's last frame,
// skipped or not). Frames the governor drops
// (over the budget) are counted apart. Ends at the end of a file camera, after max_frames camera
// frames, after duration_s, on *stop, or on q/Esc in the preview; frames already queued are
// still processed and output.
// The preview's keys: q/Esc quit, m toggles the mirror, f toggles a frame-rate overlay.
// Throws media::VideoError for a camera that cannot be opened, std::runtime_error when the
// recording fails (no partial file is left), and whatever `process` throws, after every thread
// has stopped.
LiveReport run_live(const LiveOptions& options, const LiveFrameCallback& process);
// The same on a camera the caller opened (to fail on a missing camera before loading models).
LiveReport run_live(media::CameraSource& camera, const LiveOptions& options, const LiveFrameCallback& process);

}  // namespace dlc::pipeline
