#include "pipeline/video_job.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "media/video_reader.hpp"
#include "media/video_writer.hpp"
#include "pipeline/frame_chunk.hpp"
#include "pipeline/frame_ring.hpp"
#include "pipeline/image_job.hpp"
#include "processors/nsfw_filter.hpp"
#include "runtime/stage_times.hpp"

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

// The decoder and the workers. A thread that cannot be started (std::system_error at a process
// or memory limit) stops and joins those already running and becomes an error a user can act on;
// so does leaving early by an exception: never std::terminate from a joinable std::thread.
class JobThreads {
 public:
  using Starter = std::function<std::thread(std::function<void()>)>;
  JobThreads(FrameRing& ring, Starter starter, std::size_t count) : ring_(ring), starter_(std::move(starter)) {
    threads_.reserve(count);  // so adding a started thread never throws
  }
  ~JobThreads() {
    if (std::ranges::any_of(threads_, [](const std::thread& t) { return t.joinable(); })) {
      ring_.close();
      join();
    }
  }
  JobThreads(const JobThreads&) = delete;
  JobThreads& operator=(const JobThreads&) = delete;

  void start(std::function<void()> body) {
    if (threads_.size() == threads_.capacity()) throw std::logic_error("JobThreads: more threads than reserved");
    try {
      threads_.push_back(starter_ ? starter_(std::move(body)) : std::thread(std::move(body)));
    } catch (const std::system_error& e) {
      ring_.close();
      join();
      throw std::runtime_error(fmt::format("cannot start thread {} of the video job: {}; lower --execution-threads, "
                                           "or raise the limit on processes (ulimit -u)",
                                           threads_.size() + 1, e.what()));
    }
  }
  void join() {
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

 private:
  FrameRing& ring_;
  Starter starter_;
  std::vector<std::thread> threads_;
};

bool is_staged(const VideoJobOptions& options) { return options.swapper.strategy == MemoryStrategy::kStage; }
int job_workers(const VideoJobOptions& options) { return is_staged(options) ? 1 : std::max(1, options.workers); }
std::size_t frames_per_slot(const VideoJobOptions& options) {
  return is_staged(options) ? std::max<std::size_t>(1, options.chunk_frames) : 1;
}
// Stage by stage, a chunk is decoded, processed and written in turn: one slot.
std::size_t ring_slots(const VideoJobOptions& options) {
  return is_staged(options) ? 1 : static_cast<std::size_t>(job_workers(options)) + 2;
}
// A range decodes from its pre-roll on; indices stay the whole video's (base + the job's own).
std::int64_t first_decoded(const VideoJobOptions& options) {
  const auto& range = options.frame_range;
  return range ? std::max<std::int64_t>(0, range->first - options.preroll_frames) : 0;
}

SwapperOptions swapper_options_for(const VideoJobOptions& options) {
  auto swapper_options = options.swapper;
  swapper_options.frames_in_flight = ring_slots(options) * frames_per_slot(options);
  swapper_options.first_index = first_decoded(options);
  return swapper_options;
}

}  // namespace

std::shared_ptr<FrameSwapper> build_frame_swapper(const VideoJobOptions& options) {
  return std::make_shared<FrameSwapper>(options, swapper_options_for(options));
}

VideoJobReport run_video_job(const VideoJobOptions& options,
                             const std::function<void(const VideoProgress&)>& progress) {
  const auto& range = options.frame_range;
  const std::int64_t base = first_decoded(options);
  VideoJobReport report;
  std::optional<media::FrameSpan> decoded_span;
  if (range) decoded_span = media::FrameSpan{base, range->end};
  auto reader_owned = options.reader;
  if (!reader_owned) {
    reader_owned = options.target_info
                       ? std::make_shared<media::VideoReader>(*options.target_info, options.decoder_threads, decoded_span)
                       : std::make_shared<media::VideoReader>(options.target, options.decoder_threads, decoded_span);
  }
  auto& reader = *reader_owned;
  const auto& info = reader.info();
  report.audio = options.keep_audio && info.has_audio && !range;  // a part's audio is the join's
  // The encoder that keeps the audio needs its duration, which only ffprobe gives: asked now, so
  // that it runs while the models load; otherwise after the first frame, off its path.
  if (report.audio) reader.probe_in_background();
  const auto frames_total = [&]() -> std::pair<std::int64_t, bool> {
    if (range) return {range->size(), false};
    if (!reader.probed()) return {info.frame_count, true};
    const auto& probed = reader.probed_info();
    return {probed.frame_count, !probed.frame_count_exact};
  };
  // Pre-roll frames are processed, not written, and not counted.
  const auto kept = [&range](std::int64_t index) { return !range || index >= range->first; };

  const bool staged = is_staged(options);
  const int workers = job_workers(options);
  const std::size_t per_slot = frames_per_slot(options);
  FrameRing ring(ring_slots(options));
  std::shared_ptr<FrameSwapper> swapper_owned;
  if (options.prebuilt_swapper.valid()) {
    swapper_owned = options.prebuilt_swapper.get();
    if (swapper_owned->residency().strategy() != options.swapper.strategy) {
      throw std::logic_error("run_video_job: the prebuilt frame swapper has another memory strategy");
    }
  } else {
    swapper_owned = build_frame_swapper(options);
  }
  auto& swapper = *swapper_owned;
  if (info.fps.valid()) swapper.set_fps(info.fps.value());
  if (options.on_models_loaded) options.on_models_loaded();

  report.output = resolve_output(options.source, options.target, options.output);
  report.processors = swapper.description();
  report.strategy = options.swapper.strategy;
  // Spilled, the ring's one slot keeps only the decoder's buffer; the chunk is on disk.
  std::optional<SpilledChunk> spilled;
  if (staged && !options.spill_folder.empty()) {
    spilled.emplace(options.spill_folder, cv::Size(info.width, info.height), options.keep_frames);
  }

  std::optional<processors::NsfwFilter> nsfw;
  if (!options.nsfw_model.empty()) nsfw.emplace(options.nsfw_model, options.analyser.policy);

  FirstError error;
  std::atomic<std::int64_t> without_face{0};
  std::atomic<std::int64_t> faces_skipped{0};
  const auto stop_requested = [&] { return options.stop != nullptr && options.stop->load(); };

  JobThreads threads(ring, options.start_thread, static_cast<std::size_t>(workers) + 1);
  threads.start([&] {
    try {
      for (std::int64_t index = 0;; ++index) {
        if (options.governor != nullptr) options.governor->wait_for_room();
        auto* slot = ring.acquire_free();
        if (slot == nullptr) return;
        slot->frames.resize(spilled ? 1 : per_slot);
        if (spilled) spilled->reset(index * static_cast<std::int64_t>(per_slot));
        std::size_t filled = 0;
        while (filled < per_slot && !stop_requested()) {
          auto& buffer = slot->frames[spilled ? 0 : filled];
          {
            const runtime::ScopedStage timed(runtime::Stage::kDecode);
            if (!reader.read(buffer)) break;
          }
          // Deep-Live-Cam's predict_video: every 100th frame, from the first. A hit stops the job
          // and the writer's destructor removes the temporary output.
          const auto number = base + index * static_cast<std::int64_t>(per_slot) + static_cast<std::int64_t>(filled);
          if (nsfw && number % processors::kNsfwFrameInterval == 0) {
            nsfw->check(buffer, fmt::format("frame {} of '{}'", number, options.target.string()));
          }
          if (spilled) spilled->append(buffer);
          ++filled;
        }
        if (filled == 0) {
          ring.end_input(slot, index);
          return;
        }
        if (!spilled) slot->frames.resize(filled);  // a short last chunk
        ring.submit(slot, index);
      }
    } catch (...) {
      error.capture();
      ring.close();
    }
  });
  for (int w = 0; w < workers; ++w) {
    threads.start([&] {
      try {
        while (auto* slot = ring.take_work()) {
          const auto first = base + slot->index * static_cast<std::int64_t>(per_slot);
          if (staged) {
            const auto results = spilled ? swapper.process_staged(*spilled, first, options.stop)
                                         : swapper.process_staged(slot->frames, first, options.stop);
            for (std::size_t i = 0; i < results.size(); ++i) {
              if (!kept(first + static_cast<std::int64_t>(i))) continue;
              without_face += results[i].processed == 0 ? 1 : 0;
              faces_skipped += static_cast<std::int64_t>(results[i].skipped);
            }
          } else {
            const auto r = swapper.process(slot->frames.front(), first);
            if (kept(first)) {
              without_face += r.processed == 0 ? 1 : 0;
              faces_skipped += static_cast<std::int64_t>(r.skipped);
            }
          }
          ring.complete(slot);
        }
      } catch (...) {
        error.capture();
        ring.close();
      }
    });
  }

  // The encoder starts once the decoder and the workers have: an encoder that keeps the audio
  // waits for ffprobe's durations, and the first frame is decoded and processed meanwhile. Should
  // it fail to start, the threads are stopped and joined on the way out.
  media::VideoWriterOptions out;
  out.output = report.output;
  out.width = info.width;
  out.height = info.height;
  out.fps = options.output_fps ? fps_rational(*options.output_fps) : info.fps;
  out.encoder = options.encoder;
  out.quality = options.quality;
  out.preset = options.encoder_preset;
  out.threads = options.encoder_threads;
  out.lookahead = options.encoder_lookahead;
  out.prefer_hardware = options.prefer_hardware_encoder;
  out.metadata = options.output_metadata;
  if (report.audio) {
    out.audio_source = options.target;
    out.audio_track = reader.probed_info().audio;
  }
  media::VideoWriter writer(out);
  report.encoder = writer.encoder();
  const auto start = Clock::now();
  auto last_report = start;
  try {
    while (auto* slot = ring.take_next_done()) {
      const auto count = spilled ? spilled->size() : slot->frames.size();
      const auto first = base + slot->index * static_cast<std::int64_t>(per_slot);
      for (std::size_t i = 0; i < count && !stop_requested(); ++i) {
        const auto& frame = spilled ? spilled->take(i) : slot->frames[i];
        if (!kept(first + static_cast<std::int64_t>(i))) continue;
        bool written = false;
        {
          const runtime::ScopedStage timed(runtime::Stage::kEncode);
          written = writer.write(frame);
        }
        if (!written) {
          ring.close();
          throw InputError(fmt::format("the encoder stopped taking frames for '{}': {}", report.output.string(),
                                       writer.finish().problem));
        }
        ++report.frames;
        if (report.frames == 1) reader.probe_in_background();
        if (options.on_frame) options.on_frame(report.frames);
      }
      if (stop_requested()) {  // checked per frame: a stage chunk may hold many
        ring.close();
        break;
      }
      ring.release(slot);
      if (progress && (Clock::now() - last_report > std::chrono::milliseconds(500))) {
        last_report = Clock::now();
        const auto [total, estimated] = frames_total();
        progress({report.frames, total, std::chrono::duration<double>(last_report - start).count(), estimated});
      }
    }
  } catch (...) {
    error.capture();
    ring.close();
  }
  threads.join();
  error.rethrow();

  report.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  report.frames_without_face = without_face.load();
  report.faces_skipped = faces_skipped.load();
  report.model_releases = swapper.residency().releases();
  if (stop_requested()) {
    report.stopped = true;  // the writer's destructor removes the temporary
    return report;
  }
  const auto decoded = reader.finish();
  report.decoder_peak_bytes = reader.decoder_peak_bytes();
  // ffmpeg exits 0 at a corrupt tail (the frames before it are kept, with a warning); non-zero
  // means the decoder itself failed or was killed: the frames written may stop anywhere.
  if (decoded.exit_code != 0) {
    throw InputError(fmt::format("decoding '{}' failed after {} frames: {}", options.target.string(),
                                 decoded.frames_read, decoded.problem));
  }
  if (range && decoded.truncated) {
    throw InputError(fmt::format("--frame-range {}:{} goes past the end of '{}': {}", range->first, range->end,
                                 options.target.string(), decoded.problem));
  }
  if (!decoded.clean) {
    report.truncated_input = true;
    report.decoder_problem = decoded.problem.empty() ? decoded.stderr_tail : decoded.problem;
  }
  const auto encoded = writer.finish();
  report.encoder_peak_bytes = writer.encoder_peak_bytes();
  if (!encoded.ok) {
    throw InputError(fmt::format("encoding '{}' failed: {}", report.output.string(), encoded.problem));
  }
  if (progress) progress({report.frames, report.frames, report.seconds, false});
  return report;
}

}  // namespace dlc::pipeline
