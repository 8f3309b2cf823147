#include "pipeline/live_job.hpp"

#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <unistd.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <array>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>

#include "media/fake_v4l2.hpp"
#include "media/opencv_live.hpp"
#include "media/v4l2_output.hpp"
#include "media/subprocess.hpp"
#include "media/video_probe.hpp"
#include "media/video_reader.hpp"
#include "pipeline/preview_pipe.hpp"
#include "support/paths.hpp"

namespace dlc::pipeline {
namespace {

constexpr std::int64_t kClipFrames = 50;  // make_test_clip: 2 s at 25 fps, 320×240

// A grey level per camera frame index, far apart for neighbouring indices.
double grey_of(std::int64_t index) { return static_cast<double>((index * 37) % 200 + 30); }

// A camera that makes `frames` numbered frames (frame k is grey_of(k), stamped k × 40 ms after
// the first) as fast as they are asked for, except that before frame k it calls gate(k): the
// tests decide what the processing has done before the camera goes on, so what is processed and
// dropped does not depend on the machine's load.
class NumberedCamera final : public media::CameraSource {
 public:
  NumberedCamera(std::int64_t frames, std::function<void(std::int64_t)> gate = {})
      : frames_(frames), gate_(std::move(gate)) {}

  bool read(cv::Mat& frame, media::CameraTime& captured) override {
    if (next_ == frames_) {
      {
        std::lock_guard lock(mutex_);
        ended_ = true;
      }
      changed_.notify_all();
      return false;
    }
    if (gate_) gate_(next_);
    if (next_ == 0) start_ = media::CameraClock::now();
    frame.create(size_, CV_8UC3);
    frame.setTo(cv::Scalar::all(grey_of(next_)));
    captured = start_ + next_ * std::chrono::milliseconds(40);
    ++next_;
    return true;
  }
  void wait_until_ended() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return ended_; });
  }
  cv::Size frame_size() const override { return size_; }
  media::Rational frame_rate() const override { return {25, 1}; }
  const std::string& name() const override { return name_; }

 private:
  std::int64_t frames_;
  std::function<void(std::int64_t)> gate_;
  std::int64_t next_ = 0;
  media::CameraTime start_;
  cv::Size size_{64, 48};
  std::string name_ = "numbered";
  std::mutex mutex_;
  std::condition_variable changed_;
  bool ended_ = false;
};

// Set once by one thread, waited for by another.
class Signal {
 public:
  void set() {
    {
      std::lock_guard lock(mutex_);
      set_ = true;
    }
    changed_.notify_all();
  }
  void wait() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return set_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool set_ = false;
};

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

// Counts that hold for any run: each camera frame is processed or dropped before processing
// (by the queue or the memory governor), each processed frame output or dropped after it.
void expect_accounted(const LiveReport& r) {
  EXPECT_EQ(r.processed + r.dropped_before_processing + r.dropped_over_budget, r.captured);
  EXPECT_EQ(r.shown + r.dropped_before_output, r.processed);
  EXPECT_EQ(r.latency.samples, r.shown);
}

// Whatever the machine's load: every frame of the file is captured or skipped by the file camera,
// and every captured one is accounted for, in the camera's order.
TEST_F(LiveJob, FileCameraFramesAreAllAccountedFor) {
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
  // A file camera skips a frame only when its reader falls a whole frame behind, and counts it.
  EXPECT_EQ(r.captured + r.camera_skipped, kClipFrames);
  EXPECT_EQ(r.dropped_over_budget, 0);
  expect_accounted(r);
  ASSERT_EQ(indices.size(), static_cast<std::size_t>(r.processed));
  for (std::size_t i = 1; i < indices.size(); ++i) EXPECT_GT(indices[i], indices[i - 1]);
  EXPECT_GT(r.capture_fps, 0.0);
  // Pacing makes the run last at least 49 frame intervals (a lower bound load cannot break), so
  // the one-second tick came.
  EXPECT_GE(ticks, 1);
}

// Drop-oldest, deterministically: frame 0 is being processed while the camera gives the other
// 49 frames; the 2-slot queue keeps the newest two, so exactly frames 0, 48 and 49 are processed.
TEST(LiveLoop, DropsTheOldestFramesWhileProcessingIsBusy) {
  Signal processing_started;
  NumberedCamera camera(50, [&](std::int64_t index) {
    if (index == 1) processing_started.wait();  // frame 0 is out of the queue
  });
  LiveOptions o;
  o.headless = true;
  std::vector<std::int64_t> indices;
  std::vector<double> greys;
  const auto r = run_live(camera, o, [&](cv::Mat& frame, std::int64_t index) {
    indices.push_back(index);
    greys.push_back(cv::mean(frame)[0]);
    if (index == 0) {
      processing_started.set();
      camera.wait_until_ended();  // every other frame has been taken from the camera meanwhile
    }
  });
  EXPECT_EQ(indices, (std::vector<std::int64_t>{0, 48, 49}));
  EXPECT_EQ(greys, (std::vector<double>{grey_of(0), grey_of(48), grey_of(49)}));  // the frames, not only the numbers
  EXPECT_EQ(r.captured, 50);
  EXPECT_EQ(r.processed, 3);
  EXPECT_EQ(r.dropped_before_processing, 47);
  EXPECT_EQ(r.end, LiveEnd::kCameraEnded);
  expect_accounted(r);
}

// The governor drops camera frames from the reading that reaches 95 % of the budget until one
// under 90 %, says so once with the figures, and the report counts them.
TEST(LiveLoop, GovernorDropsCameraFramesOverTheBudget) {
  constexpr std::uint64_t kMiB = 1ULL << 20;
  // One reading per camera frame: frames 5, 6 and 7 find RSS over the budget (1000 MiB).
  std::vector<std::uint64_t> rss(20, 500 * kMiB);
  rss[5] = 960 * kMiB;
  rss[6] = 920 * kMiB;  // over the low mark still
  rss[7] = 930 * kMiB;
  std::size_t reading = 0;
  std::vector<std::string> warnings;
  memory::RssGovernor governor(1000 * kMiB, [&] { return rss.at(reading++); }, {},
                               [&](const std::string& text) { warnings.push_back(text); });
  // The camera waits for each frame before the last to be processed or dropped: the queue never
  // drops, so every frame the governor lets through is processed. (A dropped frame needs no
  // wake-up: the governor counted it on the camera's own thread.)
  std::atomic<std::int64_t> done{0};
  std::mutex mutex;
  std::condition_variable changed;
  NumberedCamera camera(20, [&](std::int64_t index) {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return done.load() + static_cast<std::int64_t>(governor.dropped_count()) >= index; });
  });
  LiveOptions o;
  o.headless = true;
  o.governor = &governor;
  std::vector<std::int64_t> indices;
  const auto r = run_live(camera, o, [&](cv::Mat&, std::int64_t index) {
    indices.push_back(index);
    {
      std::lock_guard lock(mutex);
      ++done;
    }
    changed.notify_all();
  });
  EXPECT_EQ(indices, (std::vector<std::int64_t>{0, 1, 2, 3, 4, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19}));
  EXPECT_EQ(r.dropped_over_budget, 3);
  EXPECT_EQ(r.dropped_before_processing, 0);
  EXPECT_EQ(governor.dropped_count(), 3u);
  expect_accounted(r);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0],
            "RSS 960.0 MB reached 95 % of the 1000.0 MB budget (--max-memory): dropping camera frames until it falls "
            "under 90 % (said once; the counts come at the end)");
}

// The recording lasts as long as the session: frames 0, 48 and 49 are processed (as above), and
// the recording has 50 frames at 25 fps, 2.0 s, each the newest processed frame at its tick
// (which of them depends on the machine: the camera's clock runs ahead of the wall clock here),
// the last one last.
TEST(LiveLoop, RecordingLastsAsLongAsTheSession) {
  const auto dir = test::make_temp_dir();
  Signal processing_started;
  NumberedCamera camera(50, [&](std::int64_t index) {
    if (index == 1) processing_started.wait();
  });
  LiveOptions o;
  o.headless = true;
  o.record = dir / "session.mp4";
  const auto r = run_live(camera, o, [&](cv::Mat& frame, std::int64_t index) {
    frame.setTo(cv::Scalar(grey_of(index), grey_of(index), 250));  // the processing's mark in red
    if (index == 0) {
      processing_started.set();
      camera.wait_until_ended();
    }
  });
  EXPECT_EQ(r.processed, 3);
  EXPECT_EQ(r.recorded, 50);
  EXPECT_GE(r.record_repeats, 47);  // at most the 3 processed frames are new ticks
  EXPECT_EQ(r.record_repeats, r.recorded - r.output_latency.samples);
  const auto info = media::probe_video(o.record);
  EXPECT_TRUE(info.frame_count_exact);
  EXPECT_EQ(info.frame_count, 50);
  EXPECT_EQ(info.fps, (media::Rational{25, 1}));
  // ffprobe's duration of the stream: the session's 50 camera frame periods, within one.
  const auto probed = media::run_process({"ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                                          "stream=duration", "-of", "csv=p=0", o.record.string()});
  ASSERT_EQ(probed.exit_code, 0) << probed.err;
  EXPECT_NEAR(std::stod(probed.out), 2.0, 0.04) << probed.out;
  media::VideoReader reader(o.record);
  cv::Mat frame;
  std::int64_t previous = 0;
  for (std::int64_t k = 0; k < 50; ++k) {
    ASSERT_TRUE(reader.read(frame)) << k;
    const auto mean = cv::mean(frame);
    EXPECT_GT(mean[2], 200.0) << "frame " << k;  // processed, never a camera frame
    std::int64_t shown = -1;
    for (const std::int64_t index : {0, 48, 49}) {
      if (std::abs(mean[0] - grey_of(index)) < 6.0) shown = index;
    }
    ASSERT_GE(shown, previous) << "frame " << k << " is not the newest processed frame: " << mean[0];
    previous = shown;
  }
  EXPECT_EQ(previous, 49);
  std::filesystem::remove_all(dir);
}

// The virtual camera is a paced output like the recording: one I420 write per tick, at the fixed
// size, each the newest processed frame (fitted: the processing's red mark stays red).
TEST(LiveLoop, VirtualCameraGetsOneFixedSizeFramePerTick) {
  test::FakeV4l2 io(std::vector<test::FakeNode>{{.path = "/dev/video0", .driver = "uvcvideo", .caps = V4L2_CAP_VIDEO_CAPTURE},
                     {.path = "/dev/video4", .card = "dlc"}});
  NumberedCamera camera(20);
  LiveOptions o;
  o.headless = true;
  o.virtual_camera = "";  // the first loopback device
  o.output_size = {128, 72};
  o.v4l2 = &io;
  const auto r = run_live(camera, o, [&](cv::Mat& frame, std::int64_t) { frame.setTo(cv::Scalar(0, 0, 255)); });
  EXPECT_EQ(r.virtual_camera, "/dev/video4");
  EXPECT_EQ(r.recorded, 20);  // 20 camera frame periods
  EXPECT_EQ(io.format.fmt.pix.width, 128u);
  EXPECT_EQ(io.format.fmt.pix.height, 72u);
  ASSERT_EQ(io.writes.size(), 20u);
  for (const auto& bytes : io.writes) {
    ASSERT_EQ(bytes.size(), 128u * 72u * 3 / 2);
    // Red in I420: Y about 82, V (the last quarter) about 240.
    EXPECT_NEAR(bytes[128 * 36 + 64], 82, 4);
    EXPECT_GT(bytes[128 * 72 + 2 * 64 * 36 / 2 + 64 * 18 + 32], 200);
  }
  EXPECT_TRUE(io.open_fds.empty());
}

TEST(LiveLoop, AVirtualCameraThatCannotBeOpenedStopsTheRunBeforeTheCamera) {
  test::FakeV4l2 io(std::vector<test::FakeNode>{});
  NumberedCamera camera(20);
  LiveOptions o;
  o.headless = true;
  o.virtual_camera = "";
  o.v4l2 = &io;
  bool processed = false;
  EXPECT_THROW(run_live(camera, o, [&](cv::Mat&, std::int64_t) { processed = true; }), media::V4l2OutputError);
  EXPECT_FALSE(processed);
}

// A file camera and a callback slower than it: whatever was processed and skipped, the recording
// has one frame per frame of the file.
TEST_F(LiveJob, RecordingOfAFileCameraHasAFramePerCameraFrame) {
  auto o = options();
  o.record = dir_ / "out.mp4";
  const auto r = run_live(o, [&](cv::Mat& frame, std::int64_t) {
    frame.setTo(cv::Scalar(0, 0, 255));
    std::this_thread::sleep_for(std::chrono::milliseconds(60));  // slower than the camera: drops
  });
  EXPECT_EQ(r.recording, o.record);
  EXPECT_EQ(r.record_fps, (media::Rational{25, 1}));
  EXPECT_LT(r.processed, r.captured);
  EXPECT_EQ(r.end, LiveEnd::kCameraEnded);
  EXPECT_EQ(r.captured + r.camera_skipped, kClipFrames);
  EXPECT_EQ(r.recorded, kClipFrames);
  EXPECT_GE(r.record_repeats, r.recorded - r.processed);
  expect_accounted(r);
  const auto info = media::probe_video(o.record);
  EXPECT_TRUE(info.frame_count_exact);
  EXPECT_EQ(info.frame_count, r.recorded);
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
  // Camera time, not the wall clock: frame k is stamped k × 40 ms after frame 0, so frames 0 to
  // 12 are in the session and the first delivered frame from 13 on ends it, however slowly ffmpeg
  // started (each frame before that one was captured or, on a loaded machine, skipped).
  EXPECT_GE(r.captured, 1);
  EXPECT_LE(r.captured, 13);
  EXPECT_GE(r.captured + r.camera_skipped, 13);
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
  EXPECT_GE(r.recorded, r.processed);
  EXPECT_EQ(media::probe_video(o.record).frame_count, r.recorded);
}

// The first frame the processing callback gets with options o, and the clip's own first frame.
std::pair<cv::Mat, cv::Mat> first_processed_and_read(LiveOptions o, const std::filesystem::path& clip) {
  cv::Mat first_seen;
  o.max_frames = 1;
  run_live(o, [&](cv::Mat& frame, std::int64_t index) {
    if (index == 0) frame.copyTo(first_seen);
  });
  media::VideoReader reader(clip);
  cv::Mat first;
  reader.read(first);
  return {first_seen, first};
}

TEST_F(LiveJob, MirrorFlipsBeforeProcessing) {
  auto o = options();
  o.mirror = true;
  const auto [first_seen, first] = first_processed_and_read(o, clip_);
  ASSERT_FALSE(first_seen.empty());
  ASSERT_FALSE(first.empty());
  cv::Mat flipped;
  cv::flip(first, flipped, 1);
  EXPECT_EQ(cv::norm(first_seen, flipped, cv::NORM_INF), 0.0);
  EXPECT_GT(cv::norm(first_seen, first, cv::NORM_INF), 0.0);
}

TEST_F(LiveJob, FixBlueishSwapsRedAndBlueBeforeProcessing) {
  auto o = options();
  o.fix_blueish = true;
  const auto [first_seen, first] = first_processed_and_read(o, clip_);
  ASSERT_FALSE(first_seen.empty());
  ASSERT_FALSE(first.empty());
  cv::Mat swapped;
  cv::cvtColor(first, swapped, cv::COLOR_BGR2RGB);
  EXPECT_EQ(cv::norm(first_seen, swapped, cv::NORM_INF), 0.0);
  EXPECT_GT(cv::norm(first_seen, first, cv::NORM_INF), 0.0);
}

// Every frame the preview shows goes down the pipe, letterboxed, numbered with the camera's
// index; with show_fps the overlay is drawn into them (the frames are uniform grey before it).
TEST(LiveLoop, PreviewPipeGetsEveryShownFrameWithTheOverlay) {
  // 25 frames a second, so that the overlay's rate (measured over a second) is non-zero in the later frames.
  NumberedCamera camera(40, [](std::int64_t) { std::this_thread::sleep_for(std::chrono::milliseconds(40)); });
  std::array<int, 2> fd{};
  ASSERT_EQ(pipe(fd.data()), 0);
  std::vector<unsigned char> bytes;
  std::thread reader([&] {
    unsigned char chunk[65536];
    for (ssize_t n; (n = read(fd[0], chunk, sizeof chunk)) > 0;) bytes.insert(bytes.end(), chunk, chunk + n);
  });
  LiveOptions o;
  o.headless = true;
  o.show_fps = true;
  o.preview_pipe_fd = fd[1];
  o.preview_pipe_size = {64, 64};
  const auto r = run_live(camera, o, [](cv::Mat&, std::int64_t) {});
  close(fd[1]);
  reader.join();
  close(fd[0]);
  const std::size_t frame_bytes = kPreviewHeaderBytes + 64 * 64 * 3;
  ASSERT_GT(r.shown, 0);
  EXPECT_EQ(r.piped, r.shown);
  ASSERT_EQ(bytes.size(), static_cast<std::size_t>(r.piped) * frame_bytes);
  std::int64_t last_index = -1;
  bool any_rate = false;
  for (std::size_t at = 0; at < bytes.size(); at += frame_bytes) {
    const auto header = decode_preview_header(bytes.data() + at);
    ASSERT_TRUE(header) << "at byte " << at;
    EXPECT_EQ(header->width, 64u);
    EXPECT_GT(header->index, last_index);
    last_index = header->index;
    any_rate = any_rate || header->millifps > 0;
    const cv::Mat image(64, 64, CV_8UC3, bytes.data() + at + kPreviewHeaderBytes);
    // The grey frames (64x48) letterboxed into 64x64: bars above and below.
    EXPECT_EQ(image.at<cv::Vec3b>(2, 32), cv::Vec3b(0, 0, 0));
    cv::Scalar mean, stddev;
    cv::meanStdDev(image(cv::Rect(0, 20, 64, 24)), mean, stddev);
    EXPECT_GT(stddev[0], 0.0) << "no overlay in the frame with index " << header->index;
  }
  EXPECT_TRUE(any_rate);
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
