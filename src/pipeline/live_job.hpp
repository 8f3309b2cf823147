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
#include "pipeline/latency_histogram.hpp"
#include "pipeline/paced_output.hpp"
#include "media/v4l2_device.hpp"

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
  bool fix_blueish = false;  // --fix-blueish-cam: each camera frame's red and blue swapped first
  bool show_fps = false;     // --show-fps: the preview's frame-rate overlay on from the start (`f` toggles it)
  // --preview-pipe WxH: each frame the preview shows (overlay included) also written to this
  // descriptor, letterboxed to preview_pipe_size (pipeline/preview_pipe.hpp); -1: none.
  int preview_pipe_fd = -1;
  cv::Size preview_pipe_size{640, 360};
  // The paced outputs (PacedOutput, at the camera's rate: one frame per camera frame period of
  // the session, the last processed frame repeated when the swapper is late).
  // --record: at the camera's size, with the encoder and quality below.
  std::filesystem::path record;
  std::string encoder = "libx264";
  int quality = 18;
  // --stream URL (media::is_stream_url) and --virtual-camera [DEVICE] ("" = the first
  // v4l2loopback device): at output_size, fitted with output_fit.
  std::string stream;
  std::optional<std::string> virtual_camera;
  cv::Size output_size{1280, 720};
  FrameFit output_fit = FrameFit::kCrop;
  bool stamp_capture_time = false;  // --stamp-capture-time: draw_stamp on every paced output
  media::V4l2Io* v4l2 = nullptr;    // the virtual camera's system calls (a test's fake); null: the system's
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
  std::int64_t dropped_before_output = 0;      // processing → preview queue
  std::int64_t dropped_over_budget = 0;        // taken from the camera, dropped by the governor
  double capture_fps = 0;    // measured between the first and last captured frame
  double processed_fps = 0;  // measured between the first and last processed frame
  LatencyStats latency;      // capture timestamp → shown/recorded
  bool preview = false;      // a window was shown
  std::int64_t piped = 0;    // frames written to the preview pipe
  std::filesystem::path recording;  // empty when not recording
  std::string stream;               // empty when not streaming
  std::string virtual_camera;       // the device written to; empty when none
  // The paced output (all of the above get the same ticks): 0 when there is none.
  std::int64_t recorded = 0;          // frames written to each, repeats included
  std::int64_t record_repeats = 0;    // ticks that wrote the last frame again (the swapper late)
  std::int64_t output_late = 0;       // ticks written more than a period late (a slow consumer)
  std::int64_t output_skipped = 0;    // ticks skipped: the consumers fell more than a second behind
  LatencyStats output_latency;        // capture → written to the paced outputs
  media::Rational record_fps;
  LiveEnd end = LiveEnd::kCameraEnded;
  double seconds = 0;
};

// Called on the processing thread with each frame that is not dropped; `index` is the camera's
// frame number (gaps are dropped frames). It works on `frame` in place, keeping its size.
using LiveFrameCallback = std::function<void(cv::Mat& frame, std::int64_t index)>;

// The live loop: a capture thread → 2-slot drop-oldest queue → `process` on one processing thread
// → 2-slot drop-oldest queue → preview window on the calling thread, and → PacedOutput (the
// recording, the stream, the virtual camera), which takes a copy of each processed frame and
// writes at the camera's rate on its own thread: neither output ever holds up the processing. A
// slow `process` makes the first queue drop the oldest frames, so what is shown is never more
// than a few frames old. The paced outputs get one frame per camera frame period from the first
// processed frame's capture to the last captured frame (to a file camera's last frame, skipped
// or not). Frames the governor drops (over the budget) are counted apart. Ends at the end of a
// file camera, after max_frames camera frames, after duration_s, on *stop, or on q/Esc in the
// preview; frames already queued are still processed and output.
// The preview's keys: q/Esc quit, m toggles the mirror, f toggles a frame-rate overlay.
// Throws media::VideoError for a camera that cannot be opened, media::V4l2OutputError for a
// virtual camera that cannot, std::runtime_error when an output fails (no partial recording is
// left), and whatever `process` throws, after every thread has stopped.
LiveReport run_live(const LiveOptions& options, const LiveFrameCallback& process);
// The same on a camera the caller opened (to fail on a missing camera before loading models).
LiveReport run_live(media::CameraSource& camera, const LiveOptions& options, const LiveFrameCallback& process);

}  // namespace dlc::pipeline
