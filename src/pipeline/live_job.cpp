#include "pipeline/live_job.hpp"

#include <dlfcn.h>

#include <fmt/format.h>
#include <opencv2/imgproc.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "media/opencv_live.hpp"
#include "media/v4l2_output.hpp"
#include "media/video_writer.hpp"
#include "pipeline/latest_queue.hpp"
#include "pipeline/preview_pipe.hpp"

namespace dlc::pipeline {
namespace {

using Clock = media::CameraClock;

struct LiveFrame {
  cv::Mat image;
  std::int64_t index = -1;
  media::CameraTime captured;
};

// Frame buffers handed back by the output and by the queues' drops, reused by the camera, so
// the loop allocates its frames once (capture, two queues of 2, processing, output: about 7).
class FramePool {
 public:
  cv::Mat take() {
    std::lock_guard lock(mutex_);
    if (free_.empty()) return {};
    cv::Mat image = std::move(free_.back());
    free_.pop_back();
    return image;
  }
  void give(cv::Mat&& image) {
    std::lock_guard lock(mutex_);
    if (free_.size() < kMaxFree && !image.empty()) free_.push_back(std::move(image));
  }

 private:
  static constexpr std::size_t kMaxFree = 8;
  std::mutex mutex_;
  std::vector<cv::Mat> free_;
};

// The first exception of any thread, rethrown once every thread has stopped.
class FirstError {
 public:
  void capture() {
    std::lock_guard lock(mutex_);
    if (!error_) error_ = std::current_exception();
  }
  bool any() {
    std::lock_guard lock(mutex_);
    return error_ != nullptr;
  }
  void rethrow() {
    std::lock_guard lock(mutex_);
    if (error_) std::rethrow_exception(error_);
  }

 private:
  std::mutex mutex_;
  std::exception_ptr error_;
};

// Whatever ends the run first is its reason.
class EndReason {
 public:
  void set(LiveEnd end) {
    std::lock_guard lock(mutex_);
    if (!end_) end_ = end;
  }
  std::optional<LiveEnd> get() {
    std::lock_guard lock(mutex_);
    return end_;
  }

 private:
  std::mutex mutex_;
  std::optional<LiveEnd> end_;
};

// OpenCV's Qt backend aborts the process when it cannot reach the X server, so highgui's module
// is loaded and the preview opened only after libX11 (loaded at run time: dlc links no X library)
// has connected once.
bool x_display_reachable(std::string& why) {
  const char* display = std::getenv("DISPLAY");
  if (display == nullptr || *display == '\0') {
    why = "DISPLAY is not set";
    return false;
  }
  // Kept loaded on purpose: the Qt backend loads the same library right after.
  void* x11 = dlopen("libX11.so.6", RTLD_NOW | RTLD_LOCAL);
  if (x11 == nullptr) {
    why = "libX11.so.6 cannot be loaded";
    return false;
  }
  using OpenDisplay = void* (*)(const char*);
  using CloseDisplay = int (*)(void*);
  const auto open_display = reinterpret_cast<OpenDisplay>(dlsym(x11, "XOpenDisplay"));
  const auto close_display = reinterpret_cast<CloseDisplay>(dlsym(x11, "XCloseDisplay"));
  if (open_display == nullptr || close_display == nullptr) {
    why = "libX11.so.6 has no XOpenDisplay";
    return false;
  }
  void* connection = open_display(nullptr);
  if (connection == nullptr) {
    why = fmt::format("cannot connect to display {}", display);
    return false;
  }
  close_display(connection);
  return true;
}

double rate_between(std::int64_t frames, media::CameraTime first, media::CameraTime last) {
  const std::chrono::duration<double> span = last - first;
  return frames >= 2 && span.count() > 0 ? static_cast<double>(frames - 1) / span.count() : 0.0;
}

void draw_rate(cv::Mat& image, double fps) {
  const auto text = fmt::format("{:.1f} fps", fps);
  const cv::Point origin(10, 30);
  cv::putText(image, text, origin, cv::FONT_HERSHEY_SIMPLEX, 0.8, cv::Scalar(0, 0, 0), 4, cv::LINE_AA);
  cv::putText(image, text, origin, cv::FONT_HERSHEY_SIMPLEX, 0.8, cv::Scalar(255, 255, 255), 2, cv::LINE_AA);
}

}  // namespace

std::string_view to_string(LiveEnd end) {
  switch (end) {
    case LiveEnd::kCameraEnded: return "the camera ended";
    case LiveEnd::kMaxFrames: return "--max-frames reached";
    case LiveEnd::kDuration: return "--duration reached";
    case LiveEnd::kStopRequested: return "stop requested";
    case LiveEnd::kUserQuit: return "quit from the preview";
  }
  return "?";
}

LiveReport run_live(const LiveOptions& options, const LiveFrameCallback& process) {
  const auto camera = media::open_camera(options.camera);
  return run_live(*camera, options, process);
}

LiveReport run_live(media::CameraSource& camera, const LiveOptions& options, const LiveFrameCallback& process) {
  LiveReport report;
  report.camera = camera.name();
  report.frame_size = camera.frame_size();

  // The paced outputs, opened before the camera's first frame: a device that cannot be written
  // to fails the run at once.
  auto fps = camera.frame_rate();
  if (!fps.valid()) fps = {30, 1};
  std::vector<PacedConsumer> consumers;
  std::unique_ptr<media::VideoWriter> recording;
  std::unique_ptr<media::VideoWriter> stream;
  std::unique_ptr<media::V4l2Output> virtual_camera;
  media::SystemV4l2 system_v4l2;
  const auto add_writer = [&](std::unique_ptr<media::VideoWriter>& writer, const std::string& name,
                              media::VideoWriterOptions out) {
    out.fps = fps;
    const cv::Size size(out.width, out.height);
    writer = std::make_unique<media::VideoWriter>(std::move(out));
    auto* w = writer.get();
    consumers.push_back({name, size, options.output_fit, [w](const cv::Mat& frame) { return w->write(frame); },
                         [] { return std::string("ffmpeg stopped taking frames"); }});
  };
  if (!options.record.empty()) {
    media::VideoWriterOptions out;
    out.output = options.record;
    out.width = report.frame_size.width;
    out.height = report.frame_size.height;
    out.encoder = options.encoder;
    out.quality = options.quality;
    add_writer(recording, "recording " + options.record.string(), out);
    report.recording = options.record;
  }
  if (!options.stream.empty()) {
    media::VideoWriterOptions out;
    out.output = options.stream;
    out.width = options.output_size.width;
    out.height = options.output_size.height;
    add_writer(stream, "stream " + options.stream, out);
    report.stream = options.stream;
  }
  if (options.virtual_camera) {
    const media::V4l2OutputOptions out{*options.virtual_camera, options.output_size, fps};
    virtual_camera = std::make_unique<media::V4l2Output>(out, options.v4l2 != nullptr ? *options.v4l2 : system_v4l2);
    auto* v = virtual_camera.get();
    consumers.push_back({"virtual camera " + v->device(), options.output_size, options.output_fit,
                         [v](const cv::Mat& frame) { return v->write(frame); }, [v] { return v->problem(); }});
    report.virtual_camera = v->device();
  }
  std::unique_ptr<PacedOutput> paced;
  if (!consumers.empty()) {
    paced = std::make_unique<PacedOutput>(fps, std::move(consumers), options.stamp_capture_time);
    report.record_fps = fps;
  }

  // OpenCV's highgui comes from dlc_opencv_live.so, loaded only here: a headless run never maps it.
  std::unique_ptr<media::LiveWindow> window;
  if (!options.headless) {
    std::string why;
    if (!x_display_reachable(why)) {
      spdlog::info("no display ({}): running headless", why);
    } else if (const auto* live = media::load_opencv_live(why); live == nullptr) {
      spdlog::warn("the preview needs OpenCV's highgui, but {}; running headless", why);
    } else if (window = live->open_window(options.window_title, options.resizable_window, why); !window) {
      spdlog::warn("the preview window cannot be opened ({}); running headless", why);
    }
    report.preview = window != nullptr;
  }
  std::optional<PreviewPipe> pipe;
  if (options.preview_pipe_fd >= 0) pipe.emplace(options.preview_pipe_fd, options.preview_pipe_size);

  LatestQueue<LiveFrame> to_process(2);
  LatestQueue<LiveFrame> to_output(2);
  FramePool pool;
  FirstError error;
  EndReason end;
  std::atomic<bool> quit{false};
  std::atomic<bool> mirror{options.mirror};
  std::atomic<std::int64_t> captured{0};
  std::atomic<std::int64_t> processed{0};
  std::atomic<std::int64_t> over_budget{0};
  const auto start = Clock::now();
  const auto stop_requested = [&] { return options.stop != nullptr && options.stop->load(); };
  const auto abort_all = [&] {
    quit = true;
    to_process.close();
    to_output.close();
  };

  media::CameraTime first_capture{};
  media::CameraTime last_capture{};
  std::thread capture([&] {
    try {
      for (std::int64_t index = 0;; ++index) {
        if (quit) break;
        if (stop_requested()) {
          end.set(LiveEnd::kStopRequested);
          break;
        }
        if (options.max_frames && index >= *options.max_frames) {
          end.set(LiveEnd::kMaxFrames);
          break;
        }
        LiveFrame frame{pool.take(), index, {}};
        if (!camera.read(frame.image, frame.captured)) {
          end.set(LiveEnd::kCameraEnded);
          break;
        }
        // Written before frame 0 is queued: the output loop reads it after popping a frame.
        if (index == 0) first_capture = frame.captured;
        // Camera time from the first frame, so that a camera slow to start does not shorten the
        // session, and its recording lasts --duration.
        if (options.duration_s &&
            std::chrono::duration<double>(frame.captured - first_capture).count() >= *options.duration_s) {
          end.set(LiveEnd::kDuration);
          break;
        }
        last_capture = frame.captured;
        if (paced) paced->camera_at(frame.captured);
        ++captured;
        if (options.governor != nullptr && options.governor->should_drop()) {
          ++over_budget;
          pool.give(std::move(frame.image));
          continue;
        }
        if (auto stale = to_process.push(std::move(frame))) pool.give(std::move(stale->image));
      }
    } catch (...) {
      error.capture();
      abort_all();
    }
    // The paced outputs end with the camera, not when the frames still queued are done.
    if (paced && captured > 0) paced->end_at(last_capture, captured.load() + camera.frames_skipped());
    to_process.close();
  });

  media::CameraTime first_done{};
  media::CameraTime last_done{};
  std::thread processing([&] {
    try {
      cv::Mat flipped;
      while (auto frame = to_process.pop()) {
        if (error.any()) {
          pool.give(std::move(frame->image));
          continue;
        }
        // Deep-Live-Cam's "Fix Blueish Cam": a camera that delivers RGB as if it were BGR.
        if (options.fix_blueish) cv::cvtColor(frame->image, frame->image, cv::COLOR_BGR2RGB);
        if (mirror) {
          cv::flip(frame->image, flipped, 1);
          std::swap(frame->image, flipped);
        }
        process(frame->image, frame->index);
        last_done = Clock::now();
        if (processed++ == 0) first_done = last_done;
        if (paced) paced->offer(frame->image, frame->captured);
        if (auto stale = to_output.push(std::move(*frame))) {
          pool.give(std::move(stale->image));
        }
      }
    } catch (...) {
      error.capture();
      abort_all();
    }
    to_output.close();
  });

  cv::Mat overlay;
  LatencyHistogram latency;
  bool show_rate = options.show_fps;
  double shown_rate = 0;
  std::int64_t shown_this_second = 0;
  auto rate_window_start = start;
  auto next_tick = start + std::chrono::seconds(1);
  const auto wait = window ? std::chrono::milliseconds(10) : std::chrono::milliseconds(100);
  std::string show_error;
  try {
    for (;;) {
      LiveFrame frame;
      const auto got = to_output.pop_for(frame, wait);
      if (got == LatestQueue<LiveFrame>::Pop::kClosed) break;
      // A paced output that failed ends the run; finish() below says why.
      if (paced && paced->failed()) abort_all();
      if (got == LatestQueue<LiveFrame>::Pop::kItem) {
        if (window || pipe) {
          const cv::Mat* shown = &frame.image;
          if (show_rate) {
            frame.image.copyTo(overlay);
            draw_rate(overlay, shown_rate);
            shown = &overlay;
          }
          if (window && !window->show(*shown, show_error)) throw std::runtime_error("the preview failed: " + show_error);
          if (pipe) {
            if (!pipe->write(*shown, frame.index, shown_rate)) throw std::runtime_error("the preview pipe failed: " + pipe->problem());
            ++report.piped;
          }
        }
      }
      if (window) {
        const int key = window->poll_key();
        if (key == 'q' || key == 27) {
          end.set(LiveEnd::kUserQuit);
          quit = true;
        } else if (key == 'm') {
          mirror = !mirror;
        } else if (key == 'f') {
          show_rate = !show_rate;
        } else if (!window->visible()) {
          end.set(LiveEnd::kUserQuit);  // the window was closed
          quit = true;
        }
      }
      const auto now = Clock::now();
      if (got == LatestQueue<LiveFrame>::Pop::kItem) {
        latency.add(std::chrono::duration<double, std::milli>(now - frame.captured).count());
        ++report.shown;
        ++shown_this_second;
        pool.give(std::move(frame.image));
      }
      if (now - rate_window_start >= std::chrono::seconds(1)) {
        shown_rate = static_cast<double>(shown_this_second) / std::chrono::duration<double>(now - rate_window_start).count();
        shown_this_second = 0;
        rate_window_start = now;
      }
      if (now >= next_tick) {
        next_tick = now + std::chrono::seconds(1);
        if (options.on_tick) {
          options.on_tick({captured.load(), processed.load(), report.shown,
                           static_cast<std::int64_t>(to_process.dropped() + to_output.dropped()) + over_budget.load(),
                           std::chrono::duration<double>(now - start).count()});
        }
      }
    }
  } catch (...) {
    error.capture();
    abort_all();
  }
  capture.join();
  processing.join();
  window.reset();
  error.rethrow();

  if (paced) {
    // The last processed frame lasts until the last captured frame's period ends, or, when a file
    // camera passed over its last frames (its reader behind), until the file's last frame.
    const auto stats = paced->finish(last_capture, captured.load() + camera.frames_skipped());
    report.recorded = stats.ticks;
    report.record_repeats = stats.repeats;
    report.output_late = stats.late;
    report.output_skipped = stats.skipped;
    report.output_latency = stats.latency;
    for (auto* writer : {recording.get(), stream.get()}) {
      if (writer == nullptr) continue;
      const auto result = writer->finish();
      const auto what = writer == recording.get() ? "recording " + options.record.string() : "stream " + options.stream;
      if (!result.ok) throw std::runtime_error(what + " failed: " + result.problem);
    }
  }
  report.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  report.end = end.get().value_or(LiveEnd::kCameraEnded);
  report.captured = captured.load();
  report.camera_skipped = camera.frames_skipped();
  report.processed = processed.load();
  report.dropped_before_processing = static_cast<std::int64_t>(to_process.dropped());
  report.dropped_before_output = static_cast<std::int64_t>(to_output.dropped());
  report.dropped_over_budget = over_budget.load();
  report.capture_fps = rate_between(report.captured, first_capture, last_capture);
  report.processed_fps = rate_between(report.processed, first_done, last_done);
  report.latency = latency.stats();
  return report;
}

}  // namespace dlc::pipeline
