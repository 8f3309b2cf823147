#include "pipeline/live_job.hpp"

#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string_view>
#include <thread>

#include "media/opencv_live.hpp"
#include "media/subprocess.hpp"
#include "media/video_probe.hpp"
#include "media/video_reader.hpp"
#include "support/paths.hpp"

namespace dlc::pipeline {
namespace {

constexpr std::int64_t kClipFrames = 50;  // make_test_clip: 2 s at 25 fps, 320×240
constexpr double kIntervalMs = 40.0;

class LiveJob : public testing::Test {
 protected:
  void SetUp() override {
    // These runs are headless whatever the environment: a preview would wait on a display.
    dir_ = test::make_temp_dir();
    clip_ = test::make_test_clip(dir_, "clip.mp4", false);
    // The tests do not sit next to the module, where dlc looks for it.
    setenv("DLC_LIVE_MODULE", DLC_OPENCV_LIVE, 0);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  LiveOptions options() const {
    LiveOptions o;
    o.camera.camera = clip_.string();
    o.headless = true;
    return o;
  }

  std::filesystem::path dir_;
  std::filesystem::path clip_;
};

// Counts that hold for any run: each camera frame is processed or dropped before processing,
// each processed frame output or dropped after it.
void expect_accounted(const LiveReport& r) {
  EXPECT_EQ(r.processed + r.dropped_before_processing, r.captured);
  EXPECT_EQ(r.shown + r.dropped_before_output, r.processed);
  EXPECT_EQ(r.latency.samples, r.shown);
}

TEST_F(LiveJob, FastCallbackProcessesEveryFrameAtTheFilesPace) {
  std::vector<std::int64_t> indices;
  int ticks = 0;
  auto o = options();
  o.on_tick = [&](const LiveProgress& p) {
    ++ticks;
    EXPECT_LE(p.processed, p.captured);
  };
  const auto r = run_live(o, [&](cv::Mat& frame, std::int64_t index) {
    ASSERT_EQ(frame.size(), cv::Size(320, 240));
    indices.push_back(index);
  });
  EXPECT_EQ(r.end, LiveEnd::kCameraEnded);
  EXPECT_EQ(r.camera, clip_.string());
  EXPECT_FALSE(r.preview);
  // A file camera skips a frame only when its reader falls a whole frame behind: none here
  // unless the machine stalls the capture thread, and then the skip is counted.
  EXPECT_EQ(r.captured + r.camera_skipped, kClipFrames);
  EXPECT_EQ(r.camera_skipped, 0);
  EXPECT_EQ(r.processed, r.captured);
  EXPECT_EQ(r.dropped_before_processing, 0);
  expect_accounted(r);
  ASSERT_EQ(indices.size(), static_cast<std::size_t>(r.processed));
  for (std::size_t i = 1; i < indices.size(); ++i) EXPECT_GT(indices[i], indices[i - 1]);
  EXPECT_GT(r.capture_fps, 0.0);
  EXPECT_GT(r.processed_fps, 0.0);
  // Pacing makes the run last at least 49 frame intervals, so the one-second tick came.
  EXPECT_GE(ticks, 1);
}

TEST_F(LiveJob, SlowCallbackDropsStaleFramesAndKeepsLatencyBounded) {
  // 6 s rather than 2: the run's last two frames wait for each other's callback when no newer
  // frame comes to replace them, and that tail must stay under 5 % of the samples.
  const auto clip = dir_ / "six-seconds.mp4";
  const auto made = media::run_process({"ffmpeg", "-v", "error", "-nostdin", "-f", "lavfi", "-i",
                                        "testsrc2=size=320x240:rate=25", "-t", "6", "-c:v", "libx264", "-pix_fmt",
                                        "yuv420p", clip.string()});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  auto o = options();
  o.camera.camera = clip.string();
  constexpr auto kCallback = std::chrono::milliseconds(120);  // 3 frame intervals
  const auto r = run_live(o, [&](cv::Mat&, std::int64_t) { std::this_thread::sleep_for(kCallback); });
  EXPECT_EQ(r.captured + r.camera_skipped, 150);
  EXPECT_GT(r.dropped_before_processing, 0);
  EXPECT_LT(r.processed, r.captured);
  expect_accounted(r);
  // By design a frame waits at most two slots, then one callback: the bound holds however long
  // the run, which is the point of dropping.
  EXPECT_LT(r.latency.p95_ms, 4 * kIntervalMs + 120.0);
  EXPECT_LE(r.latency.p50_ms, r.latency.p95_ms);
  EXPECT_LE(r.latency.p95_ms, r.latency.max_ms);
}

TEST_F(LiveJob, RecordsEveryProcessedFrame) {
  auto o = options();
  o.record = dir_ / "out.mp4";
  const auto r = run_live(o, [&](cv::Mat& frame, std::int64_t) {
    frame.setTo(cv::Scalar(0, 0, 255));
    std::this_thread::sleep_for(std::chrono::milliseconds(60));  // slower than the camera: drops
  });
  EXPECT_EQ(r.recording, o.record);
  EXPECT_EQ(r.record_fps, (media::Rational{25, 1}));
  EXPECT_EQ(r.dropped_before_output, 0);  // recording waits instead of dropping
  EXPECT_EQ(r.recorded, r.processed);
  EXPECT_LT(r.processed, r.captured);
  expect_accounted(r);
  const auto info = media::probe_video(o.record);
  EXPECT_TRUE(info.frame_count_exact);
  EXPECT_EQ(info.frame_count, r.processed);
  EXPECT_EQ(info.fps, (media::Rational{25, 1}));
  EXPECT_EQ(info.width, 320);
  EXPECT_EQ(info.height, 240);
  // Only the clip and the output: the temporary was renamed.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_), {}), 2);
  media::VideoReader reader(o.record);
  cv::Mat frame;
  ASSERT_TRUE(reader.read(frame));
  const auto mean = cv::mean(frame);
  EXPECT_GT(mean[2], 200.0);
  EXPECT_LT(mean[0], 50.0);
}

TEST_F(LiveJob, MissingDeviceThrowsNamingIt) {
  auto o = options();
  o.camera.camera = "/dev/video99";
  bool called = false;
  try {
    run_live(o, [&](cv::Mat&, std::int64_t) { called = true; });
    ADD_FAILURE() << "ran without a camera";
  } catch (const media::VideoError& e) {
    EXPECT_NE(std::string(e.what()).find("/dev/video99"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(called);
}

TEST_F(LiveJob, MaxFramesEndsTheRun) {
  auto o = options();
  o.max_frames = 10;
  const auto r = run_live(o, [](cv::Mat&, std::int64_t index) { EXPECT_LT(index, 10); });
  EXPECT_EQ(r.end, LiveEnd::kMaxFrames);
  EXPECT_EQ(r.captured, 10);
  expect_accounted(r);
}

TEST_F(LiveJob, DurationEndsTheRun) {
  auto o = options();
  o.duration_s = 0.5;
  const auto r = run_live(o, [](cv::Mat&, std::int64_t) {});
  EXPECT_EQ(r.end, LiveEnd::kDuration);
  // Frame k is taken k × 40 ms after the camera starts, and the camera starts after the run.
  EXPECT_GE(r.captured, 1);
  EXPECT_LE(r.captured + r.camera_skipped, 13);
  expect_accounted(r);
}

TEST_F(LiveJob, StopFlagEndsTheRunAndKeepsTheRecording) {
  std::atomic<bool> stop{false};
  auto o = options();
  o.stop = &stop;
  o.record = dir_ / "stopped.mp4";
  const auto r = run_live(o, [&](cv::Mat&, std::int64_t index) {
    if (index == 5) stop = true;
  });
  EXPECT_EQ(r.end, LiveEnd::kStopRequested);
  EXPECT_LT(r.captured, kClipFrames);
  EXPECT_EQ(media::probe_video(o.record).frame_count, r.processed);
}

TEST_F(LiveJob, MirrorFlipsBeforeProcessing) {
  cv::Mat first_seen;
  auto o = options();
  o.mirror = true;
  o.max_frames = 1;
  run_live(o, [&](cv::Mat& frame, std::int64_t index) {
    if (index == 0) frame.copyTo(first_seen);
  });
  ASSERT_FALSE(first_seen.empty());
  media::VideoReader reader(clip_);
  cv::Mat first;
  ASSERT_TRUE(reader.read(first));
  cv::Mat flipped;
  cv::flip(first, flipped, 1);
  EXPECT_EQ(cv::norm(first_seen, flipped, cv::NORM_INF), 0.0);
  EXPECT_GT(cv::norm(first_seen, first, cv::NORM_INF), 0.0);
}

TEST_F(LiveJob, CallbackErrorsReachTheCallerAndLeaveNoRecording) {
  auto o = options();
  o.record = dir_ / "failed.mp4";
  EXPECT_THROW(run_live(o,
                        [](cv::Mat&, std::int64_t index) {
                          if (index == 3) throw std::runtime_error("swap failed");
                        }),
               std::runtime_error);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_), {}), 1);  // the clip only
}

// Whether a file whose path contains `name` is mapped into this process.
bool mapped(std::string_view name) {
  std::ifstream maps("/proc/self/maps");
  for (std::string line; std::getline(maps, line);) {
    if (line.find(name) != std::string::npos) return true;
  }
  return false;
}

// A headless run on a file camera maps neither the module nor OpenCV's videoio and highgui. In a
// fresh process (the death test re-executes this binary), since another test of this one may have
// loaded the module already.
TEST_F(LiveJob, HeadlessFileRunLoadsNoOpenCvModule) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  auto o = options();
  o.max_frames = 5;
  EXPECT_EXIT(
      {
        const auto r = run_live(o, [](cv::Mat&, std::int64_t) {});
        std::filesystem::remove_all(dir_);  // the child's own clip: TearDown does not run here
        const bool loaded = media::opencv_live_loaded() || mapped("dlc_opencv_live") ||
                            mapped("libopencv_videoio") || mapped("libopencv_highgui");
        std::fprintf(stderr, "%lld frames, %s\n", static_cast<long long>(r.captured),
                     loaded ? "videoio/highgui mapped" : "no videoio/highgui");
        std::_Exit(loaded ? 1 : 0);
      },
      testing::ExitedWithCode(0), "5 frames, no videoio/highgui");
}

// Without the module a preview is refused with a warning and the run goes on headless.
TEST_F(LiveJob, PreviewWithoutTheModuleRunsHeadless) {
  const char* display = std::getenv("DISPLAY");
  if (display == nullptr || *display == '\0') GTEST_SKIP() << "DISPLAY is not set (run under Xvfb to test the preview)";
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  auto o = options();
  o.headless = false;
  o.max_frames = 5;
  EXPECT_EXIT(
      {
        setenv("DLC_LIVE_MODULE", "/nonexistent/dlc_opencv_live.so", 1);
        spdlog::set_default_logger(spdlog::stderr_logger_st("stderr"));  // death tests see stderr only
        const auto r = run_live(o, [](cv::Mat&, std::int64_t) {});
        std::filesystem::remove_all(dir_);
        std::fprintf(stderr, "%lld frames, %s\n", static_cast<long long>(r.captured),
                     r.preview ? "preview" : "headless");
        std::_Exit(0);
      },
      testing::ExitedWithCode(0), "highgui, but /nonexistent/dlc_opencv_live.so cannot be loaded.*5 frames, headless");
}

TEST_F(LiveJob, NoDisplayMeansHeadless) {
  const char* saved = std::getenv("DISPLAY");
  const std::string display = saved != nullptr ? saved : "";
  unsetenv("DISPLAY");
  auto o = options();
  o.headless = false;
  o.max_frames = 3;
  const auto r = run_live(o, [](cv::Mat&, std::int64_t) {});
  if (!display.empty()) setenv("DISPLAY", display.c_str(), 1);
  EXPECT_FALSE(r.preview);
  EXPECT_EQ(r.captured, 3);
}

// Runs only where a display is reachable (e.g. DISPLAY=:99 with Xvfb); it cannot press keys, so
// it checks that frames reach the window and the run still ends on its own.
TEST_F(LiveJob, PreviewShowsEveryFrameWhenADisplayIsThere) {
  const char* display = std::getenv("DISPLAY");
  if (display == nullptr || *display == '\0') GTEST_SKIP() << "DISPLAY is not set (run under Xvfb to test the preview)";
  auto o = options();
  o.headless = false;
  o.max_frames = 20;
  const auto r = run_live(o, [](cv::Mat&, std::int64_t) {});
  if (!r.preview) GTEST_SKIP() << "display " << display << " cannot be reached";
  EXPECT_EQ(r.end, LiveEnd::kMaxFrames);
  EXPECT_EQ(r.captured, 20);
  expect_accounted(r);
  EXPECT_GT(r.shown, 0);
  EXPECT_TRUE(media::opencv_live_loaded());
}

TEST(LatencyHistogram, PercentilesOfKnownSamples) {
  LatencyHistogram h;
  EXPECT_EQ(h.stats().samples, 0);
  for (int ms = 1; ms <= 100; ++ms) h.add(ms);
  const auto s = h.stats();
  EXPECT_EQ(s.samples, 100);
  EXPECT_NEAR(s.p50_ms, 50.0, LatencyHistogram::kBinMs);
  EXPECT_NEAR(s.p95_ms, 95.0, LatencyHistogram::kBinMs);
  EXPECT_DOUBLE_EQ(s.max_ms, 100.0);
  h.add(60'000);  // beyond the last bin: still counted, the maximum stays exact
  EXPECT_DOUBLE_EQ(h.stats().max_ms, 60'000.0);
  EXPECT_EQ(h.stats().samples, 101);
}

}  // namespace
}  // namespace dlc::pipeline
