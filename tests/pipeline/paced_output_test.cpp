#include "pipeline/paced_output.hpp"

#include <gtest/gtest.h>
#include <opencv2/core.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stdexcept>

namespace dlc::pipeline {
namespace {

using media::CameraClock;
using std::chrono::milliseconds;

cv::Mat grey(double level, cv::Size size = {64, 48}) { return cv::Mat(size, CV_8UC3, cv::Scalar::all(level)); }

// A consumer that keeps the first channel of each frame's top-left pixel and its size.
struct Recorder {
  std::mutex mutex;
  std::vector<int> levels;
  std::vector<cv::Size> sizes;
  PacedConsumer consumer(cv::Size size = {}) {
    return {"recorder", size, FrameFit::kCrop, [this](const cv::Mat& frame) {
              std::lock_guard lock(mutex);
              levels.push_back(frame.at<cv::Vec3b>(frame.rows / 2, frame.cols / 2)[0]);
              sizes.push_back(frame.size());
              return true;
            }, {}};
  }
};

// The ticks of a session: one per period from the first frame's capture to the last capture.
// A frame offered once is written at every tick: the repeats cover the swapper's lateness.
TEST(PacedOutput, RepeatsTheLastFrameUntilTheSessionsLastPeriod) {
  Recorder recorder;
  PacedOutput out({25, 1}, {recorder.consumer()});
  const auto origin = CameraClock::now();
  out.offer(grey(10), origin);
  // The last camera frame 9 periods later (in the future: the rest is written at once).
  const auto stats = out.finish(origin + 9 * milliseconds(40));
  EXPECT_EQ(stats.ticks, 10);
  EXPECT_EQ(stats.repeats, 9);
  EXPECT_EQ(stats.latency.samples, 1);
  EXPECT_EQ(recorder.levels, std::vector<int>(10, 10));
}

// Whatever the timing, each tick writes the newest frame offered before it: the frames come out
// in order, the last one last, and at_least lengthens the session.
TEST(PacedOutput, WritesTheNewestFrameInOrder) {
  Recorder recorder;
  PacedOutput out({25, 1}, {recorder.consumer()});
  const auto origin = CameraClock::now();
  for (int k = 0; k < 5; ++k) out.offer(grey(10 + 10 * k), origin + k * milliseconds(40));
  const auto stats = out.finish(origin + 4 * milliseconds(40), 12);
  EXPECT_EQ(stats.ticks, 12);
  ASSERT_EQ(recorder.levels.size(), 12u);
  EXPECT_EQ(recorder.levels.back(), 50);
  for (std::size_t i = 1; i < recorder.levels.size(); ++i) EXPECT_GE(recorder.levels[i], recorder.levels[i - 1]);
  EXPECT_EQ(stats.repeats, 12 - stats.latency.samples);
}

// A consumer that blocks does not block offer(): the processing thread goes on.
TEST(PacedOutput, ASlowConsumerNeverHoldsUpOffer) {
  std::mutex mutex;
  std::condition_variable changed;
  bool entered = false;
  bool release = false;
  PacedConsumer blocking{"slow", {}, FrameFit::kCrop, [&](const cv::Mat&) {
                           std::unique_lock lock(mutex);
                           entered = true;
                           changed.notify_all();
                           changed.wait(lock, [&] { return release; });
                           return true;
                         }, {}};
  PacedOutput out({25, 1}, {blocking});
  const auto origin = CameraClock::now();
  out.offer(grey(1), origin);
  {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return entered; });  // the writer is inside the consumer
  }
  for (int k = 1; k <= 100; ++k) out.offer(grey(k % 250), origin + k * milliseconds(40));  // would hang if it waited
  {
    std::lock_guard lock(mutex);
    release = true;
  }
  changed.notify_all();
  EXPECT_GE(out.finish(origin).ticks, 1);
}

// Tick k is due k periods of the rate (29.97 fps here) after the first frame was offered, however
// long ago that frame was captured.
TEST(PacedOutput, TicksAreDueAtTheAdvertisedRate) {
  std::mutex mutex;
  std::vector<media::CameraTime> dues;
  const PacingClock clock{[] { return CameraClock::now(); }, [&](media::CameraTime due) {
                            std::lock_guard lock(mutex);
                            dues.push_back(due);
                          }};
  Recorder recorder;
  PacedOutput out({30000, 1001}, {recorder.consumer()}, false, clock);
  const auto captured = CameraClock::now() - std::chrono::seconds(5);
  const auto offered = CameraClock::now();
  out.offer(grey(10), captured);
  while (true) {
    std::lock_guard lock(mutex);
    if (dues.size() >= 5) break;
  }
  out.finish(captured);
  std::lock_guard lock(mutex);
  EXPECT_GE(dues[0], offered);
  for (std::size_t k = 0; k < 5; ++k) {
    const std::chrono::duration<double, std::micro> since = dues[k] - dues[0];
    EXPECT_NEAR(since.count(), static_cast<double>(k) * 1001.0 / 30.0 * 1000.0, 1.0) << k;
  }
}

// A clock that stands still until jump() moves it 10 s on (the consumers then 10 s behind); a tick
// due after its "now" waits 5 ms instead of forever.
struct JumpingClock {
  media::CameraTime start = CameraClock::now();
  std::atomic<bool> jumped{false};
  media::CameraTime now() const { return jumped ? start + std::chrono::seconds(10) : start; }
  PacingClock pacing() {
    return {[this] { return now(); }, [this](media::CameraTime due) {
              if (due > now()) std::this_thread::sleep_for(milliseconds(5));
            }};
  }
};

// Run until the first tick is written, then make the consumers 10 s late.
PacedStats run_late(JumpingClock& clock, std::chrono::seconds session) {
  Recorder recorder;
  PacedOutput out({25, 1}, {recorder.consumer()}, false, clock.pacing());
  out.offer(grey(10), clock.start);
  while (true) {
    std::lock_guard lock(recorder.mutex);
    if (!recorder.levels.empty()) break;
  }
  std::size_t before = 0;
  {
    std::lock_guard lock(recorder.mutex);
    before = recorder.levels.size();
  }
  clock.jumped = true;
  // Two more ticks: the first of them came after the jump, before finish() was called.
  while (true) {
    std::lock_guard lock(recorder.mutex);
    if (recorder.levels.size() >= before + 2) break;
  }
  const auto stats = out.finish(clock.start + session);
  EXPECT_EQ(recorder.levels.size(), static_cast<std::size_t>(stats.ticks));
  return stats;
}

// Consumers 10 s behind: the ticks more than kMaxLag late are skipped, not written in a burst,
// and counted. A 12 s session has 301 ticks; about 250 are skipped. (This clock's "now" stands
// still after the jump, so the writer may run ahead before finish() says where the end is: those
// count as written.)
TEST(PacedOutput, ConsumersFarBehindSkipTicksInsteadOfTrailing) {
  JumpingClock clock;
  const auto stats = run_late(clock, std::chrono::seconds(12));
  EXPECT_GE(stats.skipped, 200);
  EXPECT_EQ(stats.ticks + stats.skipped, 301);
}

TEST(PacedOutput, FitsEachConsumerToItsSizeAndStampsTheCaptureTime) {
  Recorder own;
  Recorder fixed;
  cv::Mat stamped;
  PacedConsumer keep{"keep", {640, 360}, FrameFit::kCrop, [&](const cv::Mat& frame) {
                       frame.copyTo(stamped);
                       return true;
                     }, {}};
  PacedOutput out({25, 1}, {own.consumer(), fixed.consumer({128, 72}), keep}, true);
  const auto before = std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch());
  out.offer(grey(200, {640, 480}), CameraClock::now());
  out.finish(CameraClock::now());
  EXPECT_EQ(own.sizes.front(), cv::Size(640, 480));
  EXPECT_EQ(fixed.sizes.front(), cv::Size(128, 72));
  ASSERT_FALSE(stamped.empty());
  const auto stamp = read_stamp(stamped);
  EXPECT_NEAR(static_cast<double>(stamp), static_cast<double>(static_cast<std::uint32_t>(before.count())), 1000.0);
}

TEST(PacedOutput, AFailingConsumerIsNamedByFinish) {
  PacedConsumer broken{"stream udp://x", {}, FrameFit::kCrop, [](const cv::Mat&) { return false; },
                       [] { return std::string("ffmpeg stopped taking frames"); }};
  PacedOutput out({25, 1}, {broken});
  out.offer(grey(1), CameraClock::now());
  while (!out.failed()) std::this_thread::yield();
  try {
    out.finish(CameraClock::now());
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "stream udp://x: ffmpeg stopped taking frames");
  }
}

TEST(PacedOutput, NothingOfferedWritesNothing) {
  Recorder recorder;
  PacedOutput out({25, 1}, {recorder.consumer()});
  EXPECT_EQ(out.finish(CameraClock::now(), 10).ticks, 0);
  EXPECT_TRUE(recorder.levels.empty());
}

// Crop fills the output (a 4:3 frame's sides cut for 16:9); letterbox keeps all of it inside
// black bars.
TEST(FrameFit, CropCutsTheOverflowAndLetterboxAddsBars) {
  cv::Mat in(480, 640, CV_8UC3, cv::Scalar::all(0));
  in(cv::Rect(0, 0, 640, 60)).setTo(cv::Scalar(0, 0, 255));  // a red band at the top, cut by the crop
  in(cv::Rect(0, 60, 640, 360)).setTo(cv::Scalar(255, 0, 0));  // blue middle
  cv::Mat out;
  fit_frame(in, out, {1280, 720}, FrameFit::kCrop);
  ASSERT_EQ(out.size(), cv::Size(1280, 720));
  EXPECT_GT(out.at<cv::Vec3b>(2, 640)[0], 200);  // the top row is blue: the red band was cut
  EXPECT_LT(out.at<cv::Vec3b>(2, 640)[2], 50);
  fit_frame(in, out, {1280, 720}, FrameFit::kLetterbox);
  EXPECT_EQ(out.at<cv::Vec3b>(360, 100), cv::Vec3b(0, 0, 0));   // left bar (960 wide image, 160 each side)
  EXPECT_GT(out.at<cv::Vec3b>(30, 640)[2], 200);               // the red band is kept
  EXPECT_GT(out.at<cv::Vec3b>(360, 640)[0], 200);
}

TEST(Stamp, ReadsBackWhatWasDrawn) {
  cv::Mat frame(72, 640, CV_8UC3, cv::Scalar::all(90));
  for (const std::uint32_t value : {0U, 1U, 0x80000001U, 0xdeadbeefU}) {
    draw_stamp(frame, value);
    EXPECT_EQ(read_stamp(frame), value);
  }
}

}  // namespace
}  // namespace dlc::pipeline
