#include "pipeline/video_job.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <exception>
#include <mutex>
#include <thread>

#include "media/video_reader.hpp"
#include "media/video_writer.hpp"
#include "pipeline/frame_ring.hpp"
#include "pipeline/image_job.hpp"

namespace dlc::pipeline {
namespace {

using Clock = std::chrono::steady_clock;

// --output-fps as an exact rational where it is a whole number, else in thousandths.
media::Rational fps_rational(double fps) {
  if (std::abs(fps - std::round(fps)) < 1e-9) return {static_cast<std::int64_t>(std::round(fps)), 1};
  return {static_cast<std::int64_t>(std::llround(fps * 1000)), 1000};
}

// The first exception of any thread, rethrown once every thread has stopped.
class FirstError {
 public:
  void capture() {
    std::lock_guard lock(mutex_);
    if (!error_) error_ = std::current_exception();
  }
  void rethrow() const {
    if (error_) std::rethrow_exception(error_);
  }

 private:
  std::mutex mutex_;
  std::exception_ptr error_;
};

}  // namespace

VideoJobReport run_video_job(const VideoJobOptions& options,
                             const std::function<void(const VideoProgress&)>& progress) {
  const auto source = read_image(options.source, "source");
  media::VideoReader reader(options.target);
  const auto& info = reader.info();

  FaceAnalyser analyser(options.analyser);
  const ProcessorChain chain(source, options.source.string(), analyser, options.chain);

  VideoJobReport report;
  report.output = resolve_output(options.source, options.target, options.output);
  report.processors = chain.description();
  report.audio = options.keep_audio && info.has_audio;
  media::VideoWriterOptions out;
  out.output = report.output;
  out.width = info.width;
  out.height = info.height;
  out.fps = options.output_fps ? fps_rational(*options.output_fps) : info.fps;
  out.encoder = options.encoder;
  out.quality = options.quality;
  if (report.audio) out.audio_source = options.target;
  media::VideoWriter writer(out);

  const int workers = std::max(1, options.workers);
  FrameRing ring(static_cast<std::size_t>(workers) + 2);
  FirstError error;
  std::atomic<std::int64_t> without_face{0};
  const auto stop_requested = [&] { return options.stop != nullptr && options.stop->load(); };

  std::thread decoder([&] {
    try {
      for (std::int64_t index = 0;; ++index) {
        if (options.governor != nullptr) options.governor->wait_for_room();
        auto* slot = ring.acquire_free();
        if (slot == nullptr) return;
        if (stop_requested() || !reader.read(slot->frame)) {
          ring.end_input(slot, index);
          return;
        }
        ring.submit(slot, index);
      }
    } catch (...) {
      error.capture();
      ring.close();
    }
  });
  std::vector<std::thread> pool;
  for (int w = 0; w < workers; ++w) {
    pool.emplace_back([&] {
      try {
        while (auto* slot = ring.take_work()) {
          auto faces = analyser.detect(slot->frame);
          const auto chosen = faces_to_process(faces, options);
          if (chosen.empty()) ++without_face;
          for (const auto i : chosen) process_face(slot->frame, faces[i], chain, analyser, options.mouth_mask);
          ring.complete(slot);
        }
      } catch (...) {
        error.capture();
        ring.close();
      }
    });
  }

  const auto start = Clock::now();
  auto last_report = start;
  try {
    while (auto* slot = ring.take_next_done()) {
      if (stop_requested()) {
        ring.close();
        break;
      }
      if (!writer.write(slot->frame)) {
        ring.close();
        throw InputError(fmt::format("the encoder stopped taking frames for '{}': {}", report.output.string(),
                                     writer.finish().problem));
      }
      ring.release(slot);
      ++report.frames;
      if (progress && (Clock::now() - last_report > std::chrono::milliseconds(500))) {
        last_report = Clock::now();
        progress({report.frames, info.frame_count, std::chrono::duration<double>(last_report - start).count()});
      }
    }
  } catch (...) {
    error.capture();
    ring.close();
  }
  decoder.join();
  for (auto& t : pool) t.join();
  error.rethrow();

  report.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  report.frames_without_face = without_face.load();
  if (stop_requested()) {
    report.stopped = true;  // the writer's destructor removes the temporary
    return report;
  }
  const auto decoded = reader.finish();
  if (!decoded.clean) {
    report.truncated_input = true;
    report.decoder_problem = decoded.stderr_tail;
  }
  const auto encoded = writer.finish();
  if (!encoded.ok) {
    throw InputError(fmt::format("encoding '{}' failed: {}", report.output.string(), encoded.problem));
  }
  if (progress) progress({report.frames, report.frames, report.seconds});
  return report;
}

}  // namespace dlc::pipeline
