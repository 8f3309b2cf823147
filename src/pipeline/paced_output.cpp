#include "pipeline/paced_output.hpp"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <exception>
#include <stdexcept>

namespace dlc::pipeline {
namespace {

using Clock = media::CameraClock;

// The system clock's milliseconds at a steady-clock moment: what a receiver on the same machine
// compares with its own clock.
std::uint32_t unix_millis_at(media::CameraTime when, media::CameraTime steady_now) {
  const auto system = std::chrono::system_clock::now() - std::chrono::duration_cast<std::chrono::system_clock::duration>(steady_now - when);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(system.time_since_epoch()).count();
  return static_cast<std::uint32_t>(static_cast<std::uint64_t>(ms) & 0xffffffffULL);
}

}  // namespace

void fit_frame(const cv::Mat& in, cv::Mat& out, cv::Size size, FrameFit fit) {
  out.create(size, CV_8UC3);
  if (in.size() == size) {
    in.copyTo(out);
    return;
  }
  const double sx = static_cast<double>(size.width) / in.cols;
  const double sy = static_cast<double>(size.height) / in.rows;
  const double scale = fit == FrameFit::kCrop ? std::max(sx, sy) : std::min(sx, sy);
  if (fit == FrameFit::kCrop) {
    // The part of the input that, scaled, covers the output exactly.
    const int w = std::min(in.cols, static_cast<int>(std::lround(size.width / scale)));
    const int h = std::min(in.rows, static_cast<int>(std::lround(size.height / scale)));
    const cv::Rect part((in.cols - w) / 2, (in.rows - h) / 2, w, h);
    cv::resize(in(part), out, size, 0, 0, cv::INTER_AREA);
    return;
  }
  const int w = std::min(size.width, static_cast<int>(std::lround(in.cols * scale)));
  const int h = std::min(size.height, static_cast<int>(std::lround(in.rows * scale)));
  const cv::Rect inner((size.width - w) / 2, (size.height - h) / 2, w, h);
  out.setTo(cv::Scalar::all(0));
  cv::Mat target = out(inner);
  cv::resize(in, target, inner.size(), 0, 0, cv::INTER_AREA);
}

void draw_stamp(cv::Mat& frame, std::uint32_t value) {
  for (int bit = 0; bit < kStampBits; ++bit) {
    const bool one = ((value >> (kStampBits - 1 - bit)) & 1U) != 0;
    const cv::Rect block(bit * kStampBlock, 0, kStampBlock, kStampBlock);
    frame(block & cv::Rect(0, 0, frame.cols, frame.rows)).setTo(cv::Scalar::all(one ? 255 : 0));
  }
}

std::uint32_t read_stamp(const cv::Mat& frame) {
  std::uint32_t value = 0;
  for (int bit = 0; bit < kStampBits; ++bit) {
    // The block's middle: its edges blur into the neighbours under compression.
    const cv::Rect middle(bit * kStampBlock + 4, 4, kStampBlock - 8, kStampBlock - 8);
    value = (value << 1) | (cv::mean(frame(middle))[0] > 127 ? 1U : 0U);
  }
  return value;
}

PacingClock steady_pacing_clock() {
  return {[] { return Clock::now(); }, [](media::CameraTime due) { std::this_thread::sleep_until(due); }};
}

PacedOutput::PacedOutput(media::Rational fps, std::vector<PacedConsumer> consumers, bool stamp, PacingClock clock)
    : fps_(fps), consumers_(std::move(consumers)), stamp_(stamp), clock_(std::move(clock)), fitted_(consumers_.size()) {
  if (!fps_.valid()) throw std::invalid_argument("PacedOutput: no frame rate");
  thread_ = std::thread([this] { run(); });
}

PacedOutput::~PacedOutput() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
    total_ticks_ = 0;
  }
  started_.notify_all();
  thread_.join();
}

void PacedOutput::offer(const cv::Mat& frame, media::CameraTime captured) {
  frame.copyTo(spare_);
  {
    std::lock_guard lock(mutex_);
    std::swap(spare_, pending_);
    pending_captured_ = captured;
    fresh_ = true;
    if (origin_) return;
    origin_ = captured;
    wall_origin_ = clock_.now();
  }
  started_.notify_all();
}

void PacedOutput::camera_at(media::CameraTime captured) {
  // Never 0, which means "not told".
  camera_latest_.store(std::max<Clock::rep>(1, captured.time_since_epoch().count()));
}

void PacedOutput::run() {
  media::CameraTime origin;
  media::CameraTime wall_origin;
  {
    std::unique_lock lock(mutex_);
    started_.wait(lock, [&] { return origin_.has_value() || stop_; });
    if (!origin_) return;
    origin = *origin_;
    wall_origin = wall_origin_;
  }
  const double period_s = static_cast<double>(fps_.den) / static_cast<double>(fps_.num);
  const auto after = [&](media::CameraTime from, std::int64_t k) {
    return from + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(period_s * static_cast<double>(k)));
  };
  for (std::int64_t k = 0;; ++k) {
    auto due = after(wall_origin, k);
    bool finishing = false;
    {
      std::lock_guard lock(mutex_);
      if (total_ticks_ && k >= *total_ticks_) {
        // A skip may have jumped past the session's end: those ticks were never due.
        stats_.skipped = std::max<std::int64_t>(0, stats_.skipped - (k - *total_ticks_));
        return;
      }
      finishing = total_ticks_.has_value();
    }
    // Once finish() has said how many, the rest go at once.
    if (!finishing) {
      const std::chrono::duration<double> lag = clock_.now() - due;
      if (lag > kMaxLag) {
        const auto skip = static_cast<std::int64_t>(lag.count() / period_s);
        k += skip;
        stats_.skipped += skip;
        due = after(wall_origin, k);
      }
      clock_.sleep_until(due);
      // A frame of this tick's period captured (half a period of slack for rounding), or the
      // camera stalled, or the end is known.
      const auto half = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(period_s / 2));
      for (;;) {
        const auto told = camera_latest_.load();
        if (told == 0) break;
        const media::CameraTime latest{Clock::duration(told)};
        if (latest + half >= after(origin, k) || clock_.now() - latest > kCameraStall) break;
        {
          std::lock_guard lock(mutex_);
          if (total_ticks_) break;
        }
        clock_.sleep_until(clock_.now() + std::chrono::milliseconds(2));
      }
    }
    {
      std::lock_guard lock(mutex_);
      if (total_ticks_ && k >= *total_ticks_) {
        // A skip may have jumped past the session's end: those ticks were never due.
        stats_.skipped = std::max<std::int64_t>(0, stats_.skipped - (k - *total_ticks_));
        return;
      }
    }
    if (!write_tick(due)) return;
  }
}

bool PacedOutput::write_tick(media::CameraTime due) {
  bool fresh = false;
  {
    std::lock_guard lock(mutex_);
    if (fresh_) {
      std::swap(current_, pending_);
      current_captured_ = pending_captured_;
      fresh_ = false;
      fresh = true;
    }
  }
  const auto started = clock_.now();
  const double period_s = static_cast<double>(fps_.den) / static_cast<double>(fps_.num);
  if (std::chrono::duration<double>(started - due).count() > period_s) ++stats_.late;
  const auto stamp = stamp_ ? unix_millis_at(current_captured_, started) : 0U;
  for (std::size_t i = 0; i < consumers_.size(); ++i) {
    auto& consumer = consumers_[i];
    const cv::Mat* out = &current_;
    const bool resize = !consumer.size.empty() && consumer.size != current_.size();
    if (resize || stamp_) {
      fit_frame(current_, fitted_[i], resize ? consumer.size : current_.size(), consumer.fit);
      if (stamp_) draw_stamp(fitted_[i], stamp);
      out = &fitted_[i];
    }
    bool ok = false;
    std::string problem;
    try {
      ok = consumer.write(*out);
      if (!ok) problem = consumer.problem ? consumer.problem() : "it stopped taking frames";
    } catch (const std::exception& e) {
      problem = e.what();
    }
    if (!ok) {
      failure_ = consumer.name + ": " + problem;
      failed_ = true;
      return false;
    }
  }
  ++stats_.ticks;
  if (fresh) {
    latency_.add(std::chrono::duration<double, std::milli>(clock_.now() - current_captured_).count());
  } else {
    ++stats_.repeats;
  }
  return true;
}

void PacedOutput::end_at(media::CameraTime last, std::int64_t at_least) {
  {
    std::lock_guard lock(mutex_);
    if (total_ticks_ || !origin_) return;
    const std::chrono::duration<double> span = last - *origin_;
    const auto periods = std::llround(std::max(0.0, span.count()) * static_cast<double>(fps_.num) / static_cast<double>(fps_.den));
    total_ticks_ = std::max<std::int64_t>(periods + 1, at_least);
  }
  started_.notify_all();
}

PacedStats PacedOutput::finish(media::CameraTime last, std::int64_t at_least) {
  if (!finished_) {
    end_at(last, at_least);
    {
      std::lock_guard lock(mutex_);
      if (!total_ticks_) total_ticks_ = 0;  // nothing was offered
      stop_ = true;
    }
    started_.notify_all();
    thread_.join();
    finished_ = true;
    stats_.latency = latency_.stats();
  }
  if (failed_) throw std::runtime_error(failure_);
  return stats_;
}

}  // namespace dlc::pipeline
