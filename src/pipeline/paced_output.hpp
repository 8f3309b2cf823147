#pragma once

#include <opencv2/core.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "media/camera_source.hpp"
#include "media/video_probe.hpp"
#include "pipeline/latency_histogram.hpp"

namespace dlc::pipeline {

// How a frame of another shape is fitted to a fixed output size, its aspect kept.
enum class FrameFit {
  kCrop,       // scaled to cover the output, the overflow cut evenly from both sides
  kLetterbox,  // scaled to fit inside the output, black bars on two sides
};
// Fills `out` (CV_8UC3, `size`, its buffer reused) with `in` fitted; a copy when the sizes agree.
void fit_frame(const cv::Mat& in, cv::Mat& out, cv::Size size, FrameFit fit);

// Draws `value` into the top-left corner as kStampBits blocks of kStampBlock pixels, most
// significant bit first, white for 1 and black for 0: big enough to survive H.264 and a decoder,
// read back by bench/live_stream.sh to measure glass-to-receiver latency.
inline constexpr int kStampBits = 32;
inline constexpr int kStampBlock = 16;
void draw_stamp(cv::Mat& frame, std::uint32_t value);
std::uint32_t read_stamp(const cv::Mat& frame);  // the inverse, for tests

// One destination of the paced stream: the recording, the network stream, the virtual camera.
struct PacedConsumer {
  std::string name;  // "recording out.mp4", for the message when it fails
  cv::Size size;     // empty: the frames' own size
  FrameFit fit = FrameFit::kCrop;
  std::function<bool(const cv::Mat&)> write;  // false: it failed; problem() says why
  std::function<std::string()> problem;
};

// The clock the output keeps time with (a test's fake advances it by hand).
struct PacingClock {
  std::function<media::CameraTime()> now;
  std::function<void(media::CameraTime)> sleep_until;
};
PacingClock steady_pacing_clock();

struct PacedStats {
  std::int64_t ticks = 0;    // frames written to each consumer
  std::int64_t repeats = 0;  // ticks that found no new frame and wrote the last one again
  std::int64_t late = 0;     // ticks written more than one period after they were due
  std::int64_t skipped = 0;  // ticks not written: the consumers fell more than kMaxLag behind
  LatencyStats latency;      // capture -> written to every consumer, once per new frame
};

// Paced output: a thread that owns the newest processed frame and writes it to every consumer
// at the advertised rate, tick k at start + k/fps (start: when the first frame was offered; the
// session's ticks are counted from its capture time), repeating the last frame when no new one came in time. A tick that comes late (a
// slow consumer) is still written, at once, so that the output has exactly one frame per period
// of the session; but when the consumers fall more than kMaxLag behind (an encoder slower than
// real time), the ticks passed over are skipped and counted, so the output never trails the
// camera by more than that. offer() only copies the frame and never waits for a consumer.
class PacedOutput {
 public:
  // stamp: draw each frame's capture time (milliseconds of the system clock, mod 2^32) with
  // draw_stamp after fitting.
  PacedOutput(media::Rational fps, std::vector<PacedConsumer> consumers, bool stamp = false,
              PacingClock clock = steady_pacing_clock());
  ~PacedOutput();
  PacedOutput(const PacedOutput&) = delete;
  PacedOutput& operator=(const PacedOutput&) = delete;

  // From one thread (the processing thread): frame is CV_8UC3 and keeps its size for the run.
  void offer(const cv::Mat& frame, media::CameraTime captured);
  // The camera's latest capture time (from the capture thread). Once told, the output keeps to
  // the camera's clock as well: tick k waits until a frame of its period has been captured (or
  // the camera has given nothing for kCameraStall), so that a camera that ends or lags behind the
  // wall clock is not outrun, and the output has no more ticks than the camera had periods.
  void camera_at(media::CameraTime captured);
  static constexpr std::chrono::milliseconds kCameraStall{1000};
  static constexpr std::chrono::milliseconds kMaxLag{1000};
  // A consumer failed (checked by the live loop, which then stops).
  bool failed() const { return failed_.load(); }
  // The session ends with round((last - origin) × fps) + 1 ticks, and at least at_least: the
  // ticks still missing are written at once (repeating the newest frame), none after. Called when
  // the camera ends, so frames still being processed do not lengthen the output; the first call
  // counts. Before the first offer it does nothing (finish decides).
  void end_at(media::CameraTime last, std::int64_t at_least = 0);
  // end_at(last, at_least) unless it was called, then waits for the thread and gives the counts.
  // Throws std::runtime_error naming the consumer when one failed. Nothing offered: nothing written.
  PacedStats finish(media::CameraTime last, std::int64_t at_least = 0);
  media::Rational fps() const { return fps_; }

 private:
  void run();
  bool write_tick(media::CameraTime due);

  media::Rational fps_;
  std::vector<PacedConsumer> consumers_;
  bool stamp_;
  PacingClock clock_;
  std::vector<cv::Mat> fitted_;  // one per consumer, reused

  // Three buffers rotate: spare_ (the offering thread's), pending_ (the newest, shared),
  // current_ (the writer thread's); so neither side copies under the lock.
  cv::Mat spare_;
  std::mutex mutex_;
  std::condition_variable started_;
  cv::Mat pending_;
  media::CameraTime pending_captured_{};
  bool fresh_ = false;
  std::optional<media::CameraTime> origin_;  // the first frame's capture: the session's ticks count from it
  media::CameraTime wall_origin_{};          // when it was offered: the ticks are written from then on
  std::optional<std::int64_t> total_ticks_;  // set by finish()
  bool stop_ = false;
  cv::Mat current_;
  media::CameraTime current_captured_{};

  std::atomic<media::CameraClock::rep> camera_latest_{0};  // time_since_epoch ticks; 0: not told
  std::atomic<bool> failed_{false};
  std::string failure_;
  PacedStats stats_;
  LatencyHistogram latency_;
  bool finished_ = false;
  std::thread thread_;
};

}  // namespace dlc::pipeline
