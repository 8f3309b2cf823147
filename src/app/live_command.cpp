#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "app/live_command.hpp"

#include "app/commands.hpp"
#include "app/event_lines.hpp"
#include "app/exit_codes.hpp"
#include "app/job_setup.hpp"
#include "app/machine.hpp"
#include "processors/classic_swapper.hpp"
#include "media/camera_source.hpp"
#include "media/v4l2_device.hpp"
#include "media/video_probe.hpp"
#include "pipeline/frame_swapper.hpp"
#include "pipeline/live_job.hpp"

namespace dlc::app {
namespace {

std::atomic<bool> g_live_stop{false};

extern "C" void on_live_stop(int) { g_live_stop.store(true); }

// What the camera will deliver, before it is opened: a file's own size and rate; a device's
// --camera-size and --camera-fps, else 1280x720 at 30.
struct ExpectedCamera {
  cv::Size size{1280, 720};
  double fps = 30;
};

ExpectedCamera expect_camera(const JobOptions& job) {
  ExpectedCamera expected;
  std::error_code ec;
  if (std::filesystem::is_regular_file(job.camera, ec)) {
    const auto info = media::probe_video(job.camera);
    expected.size = {info.width, info.height};
    if (info.fps.den > 0) expected.fps = static_cast<double>(info.fps.num) / static_cast<double>(info.fps.den);
    return expected;
  }
  if (job.camera_size) expected.size = media::parse_frame_size(*job.camera_size);
  if (job.camera_fps) expected.fps = *job.camera_fps;
  return expected;
}

}  // namespace

const std::atomic<bool>& install_live_stop_handlers() {
  g_live_stop.store(false);
  struct sigaction action {};
  action.sa_handler = on_live_stop;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  return g_live_stop;
}

// dlc live: the source face first (exit 3 without one), the memory plan (exit 5 when neither
// resident nor lru fits), then the camera (exit 3 when missing or busy), then the loop until the
// camera ends, --max-frames, --duration, q/Esc or Ctrl-C (which ends it normally: exit 0, the
// recording kept).
int live_command(const JobOptions& job, int threads) {
  const auto expected = expect_camera(job);
  const auto frame_bytes = static_cast<std::uint64_t>(expected.size.area()) * 3;
  // Two 2-slot queues and the frame in processing; the recording's last frame; the preview's
  // frame-rate overlay.
  // The paced output's three frames, and a fitted frame (at --virtual-camera-size, counted in
  // camera frames) for the stream and the virtual camera each.
  const bool paced = !job.record.empty() || !job.stream.empty() || job.virtual_camera;
  const auto output_size = media::parse_frame_size(job.virtual_camera_size);
  const auto fitted = static_cast<int>((static_cast<std::uint64_t>(output_size.area()) * 3 + frame_bytes - 1) / frame_bytes);
  // The preview pipe's letterboxed frame, counted like the fitted ones.
  const auto piped = job.preview_pipe ? [&] {
    const auto size = media::parse_frame_size(*job.preview_pipe);
    return static_cast<int>((static_cast<std::uint64_t>(size.area()) * 3 + frame_bytes - 1) / frame_bytes);
  }() : 0;
  const auto frames = 5 + (paced ? 3 : 0) + (job.headless && !job.preview_pipe ? 0 : 1) + piped +
                      fitted * ((job.stream.empty() ? 0 : 1) + (job.virtual_camera ? 1 : 0));
  const auto plan = plan_memory(job, true, frame_bytes, frames, 1);
  if (!plan) return kExitMemoryBudget;

  auto face_job = face_job_options(job, threads, *plan);
  // Live's classic swapper solves its clone at half the work size (its cost caps the frame rate).
  face_job.chain.classic_clone_factor = processors::ClassicSwapper::kLiveCloneFactor;
  auto swapper_options = face_job.swapper;
  // Deep-Live-Cam's live cadence: a detection every 0.08 s of camera time, faces reused between.
  swapper_options.detect_every =
      job.detect_every.value_or(std::max(1, static_cast<int>(std::lround(0.08 * expected.fps))));
  swapper_options.frames_in_flight = 1;
  pipeline::FrameSwapper swapper(face_job, swapper_options);

  pipeline::LiveOptions options;
  options.camera.camera = job.camera;
  if (job.camera_size) options.camera.size = media::parse_frame_size(*job.camera_size);
  options.camera.fps = job.camera_fps;
  options.headless = job.headless;
  options.resizable_window = job.live_resizable;
  options.mirror = job.live_mirror;
  options.fix_blueish = job.fix_blueish_cam;
  options.show_fps = job.show_fps;
  if (job.preview_pipe) {
    options.preview_pipe_fd = STDOUT_FILENO;
    options.preview_pipe_size = media::parse_frame_size(*job.preview_pipe);
  }
  options.record = job.record;
  options.encoder = job.video_encoder;
  options.quality = job.video_quality;
  options.stream = job.stream;
  options.virtual_camera = job.virtual_camera;
  options.output_size = output_size;
  options.output_fit = job.virtual_camera_fit == "letterbox" ? pipeline::FrameFit::kLetterbox : pipeline::FrameFit::kCrop;
  options.stamp_capture_time = job.stamp_capture_time;
  options.max_frames = job.max_frames;
  options.duration_s = job.duration_s;
  auto camera = media::open_camera(options.camera);

  options.stop = &install_live_stop_handlers();
  JobMemoryGuard guard(ram_budget_bytes(job, read_machine_facts()), job.memory_monitor_interval_s);
  // Over the budget a camera frame is dropped: a camera cannot be held like a decoder.
  options.governor = &guard.governor();
  spdlog::info("live: {} {}x{} at {:.1f} fps; detecting every {} frames; {}", camera->name(),
               camera->frame_size().width, camera->frame_size().height,
               static_cast<double>(camera->frame_rate().num) / static_cast<double>(camera->frame_rate().den),
               swapper_options.detect_every, fmt::join(swapper.description(), ", "));
  std::int64_t processed = 0;
  const auto started = std::chrono::steady_clock::now();
  auto last_event = started;
  events::RecentRate rate(started);  // the events' fps: the last second's, not the run's average
  const auto report = pipeline::run_live(*camera, options, [&](cv::Mat& frame, std::int64_t) {
    if (events::enabled() && std::chrono::steady_clock::now() - last_event > std::chrono::milliseconds(500)) {
      last_event = std::chrono::steady_clock::now();
      events::progress(processed, 0, rate.per_second(last_event), 0.0);
    }
    rate.add(std::chrono::steady_clock::now());
    // Detection cadence counts processed frames: a dropped frame is not one the faces came from.
    // The tracker's clock is real time (frames come at a variable rate, some dropped): each
    // frame is taken as it comes off the 2-frame queue, its capture a frame time or so before.
    swapper.process(frame, processed++, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  });

  events::done(report.recording, report.processed);
  const auto& l = report.latency;
  // With --preview-pipe stdout carries the frames: the summary goes to stderr.
  std::FILE* out = job.preview_pipe ? stderr : stdout;
  fmt::print(out, "dlc live: {} ({}): {} frames captured at {:.1f} fps, {} processed at {:.1f} fps, {} dropped "
             "({} before processing, {} before output, {} over the memory budget); latency capture->display "
             "p50 {:.0f} ms, p95 {:.0f} ms, max {:.0f} ms\n",
             report.camera, pipeline::to_string(report.end), report.captured, report.capture_fps, report.processed,
             report.processed_fps,
             report.dropped_before_processing + report.dropped_before_output + report.dropped_over_budget,
             report.dropped_before_processing, report.dropped_before_output, report.dropped_over_budget, l.p50_ms,
             l.p95_ms, l.max_ms);
  if (paced) {
    const auto& fps = report.record_fps;
    std::vector<std::string> to;
    if (!report.recording.empty()) to.push_back("recorded to " + report.recording.string());
    if (!report.stream.empty()) to.push_back(fmt::format("streamed to {} at {}x{}", report.stream, output_size.width, output_size.height));
    if (!report.virtual_camera.empty()) {
      to.push_back(fmt::format("written to the virtual camera {} at {}x{}", report.virtual_camera, output_size.width, output_size.height));
    }
    const auto& o = report.output_latency;
    fmt::print(out, "dlc live: {} frames ({:.2f} s at {}/{} fps; {} repeat the last processed frame, the swapper being "
               "late; {} written late, {} skipped as the outputs fell over a second behind) {}; latency capture->output "
               "p50 {:.0f} ms, p95 {:.0f} ms\n",
               report.recorded,
               static_cast<double>(report.recorded) * static_cast<double>(fps.den) / static_cast<double>(fps.num),
               fps.num, fps.den, report.record_repeats, report.output_late, report.output_skipped, fmt::join(to, ", "),
               o.p50_ms, o.p95_ms);
  }
  return kExitOk;
}

int list_cameras_command() {
  media::SystemV4l2 io;
  fmt::print("{}", media::describe_cameras(media::list_cameras(io)));
  return kExitOk;
}

}  // namespace dlc::app
