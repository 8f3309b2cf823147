#include <fmt/format.h>
#include <fmt/ranges.h>

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <cctype>
#include <filesystem>

#include "app/commands.hpp"
#include "app/event_lines.hpp"
#include "app/exit_codes.hpp"
#include "app/job_setup.hpp"
#include "app/part_identity.hpp"
#include "face/selection.hpp"
#include "app/machine.hpp"
#include "memory/governor.hpp"
#include "memory/monitor.hpp"
#include "memory/plan.hpp"
#include "memory/units.hpp"
#include "face/dlib_face.hpp"
#include "media/image_file.hpp"
#include "media/video_probe.hpp"
#include "media/video_reader.hpp"
#include "pipeline/face_map.hpp"
#include "pipeline/image_job.hpp"
#include "pipeline/job_models.hpp"
#include "pipeline/strategy_plan.hpp"
#include "pipeline/video_job.hpp"
#include "runtime/ort_runtime.hpp"

namespace dlc::app {
namespace {

std::atomic<bool> g_stop{false};
std::atomic<int> g_signal{0};

extern "C" void on_stop_signal(int signal) {
  g_signal.store(signal);
  g_stop.store(true);
}

// Ctrl-C / SIGTERM end a video job without a half-written output: exit 130 / 143.
int video_command(const JobOptions& job, int threads, const pipeline::StrategyPlan& plan,
                  const media::VideoInfo& target, std::shared_ptr<media::VideoReader> reader,
                  std::optional<EarlyModels> early) {
  if (early && !early->swapper.valid()) early.reset();
  // A target larger than the bound may plan another strategy than the models loading: those go first.
  if (early && plan.strategy != pipeline::MemoryStrategy::kResident) {
    spdlog::debug("models: the {}x{} target plans {}: the models loaded before its report are released",
                  target.width, target.height, pipeline::strategy_name(plan.strategy));
    early->swapper.wait();
    early.reset();
  }
  pipeline::VideoJobOptions options;
  if (early) {
    options = std::move(early->options);
    apply_video_plan(options, job, threads, plan);
    options.prebuilt_swapper = std::move(early->swapper);
    early.reset();
  } else {
    options = video_job_options(job, threads, plan);
  }
  if (job.frame_range) {
    const auto range = parse_frame_range(*job.frame_range);
    if (target.frame_count_exact && range.end > target.frame_count) {
      throw pipeline::InputError(fmt::format("--frame-range {}: '{}' has {} frames (0 to {})", *job.frame_range,
                                             job.target, target.frame_count, target.frame_count - 1));
    }
    options.frame_range = range;
    options.preroll_frames = kPartPrerollFrames;
    options.output_metadata = part_tags(job, range, target.frame_count);
  }
  options.stop = &g_stop;
  options.target_info = target;
  options.reader = std::move(reader);

  auto guard = std::make_optional<JobMemoryGuard>(ram_budget_bytes(job, read_machine_facts()),
                                                  job.memory_monitor_interval_s);
  options.governor = &guard->governor();
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);

  const bool terminal = isatty(STDERR_FILENO) != 0;
  // --log-level warning (or quieter) silences the progress too.
  const bool show_progress = spdlog::get_level() <= spdlog::level::info;
  auto& tree = guard->tree();
  const auto report = pipeline::run_video_job(options, [terminal, show_progress, &tree](const pipeline::VideoProgress& p) {
    const double fps = p.seconds > 0 ? static_cast<double>(p.frames_done) / p.seconds : 0.0;
    const double eta = fps > 0 ? static_cast<double>(std::max<std::int64_t>(0, p.frames_total - p.frames_done)) / fps : 0.0;
    events::progress(p.frames_done, p.frames_total, fps, eta);
    if (!show_progress) return;
    const auto now = tree.read();
    const auto children = now.children > 0 ? fmt::format(", with ffmpeg {}", memory::format_mb(now.rss_bytes())) : "";
    fmt::print(stderr, "{}dlc: frame {}/{}{}, {:.1f} fps, ETA {:.0f} s, RSS {}{}{}", terminal ? "\r" : "", p.frames_done,
               p.total_estimated ? "~" : "", p.frames_total, fps, eta, memory::format_mb(now.own.rss_bytes), children,
               terminal ? "   " : "\n");
  });
  if (terminal && show_progress) fmt::print(stderr, "\n");
  std::string governor_note;
  if (const auto& g = guard->governor(); g.throttle_count() > 0) {
    governor_note = fmt::format("; RSS over the budget held the decoder {} times, {:.1f} s in all",
                                g.throttle_count(), static_cast<double>(g.time_held().count()) / 1000.0);
  }
  const auto tree_peak = tree.sampled_peak_bytes();
  const auto budget = guard->governor().budget_bytes();
  guard.reset();
  if (report.stopped) {
    events::note_error(fmt::format("stopped after {} frames; no output written", report.frames));
    fmt::print(stderr, "dlc: stopped after {} frames; no output written\n", report.frames);
    return 128 + g_signal.load();
  }
  if (report.truncated_input) {
    spdlog::warn("the target's tail cannot be decoded: {}; the output has the {} frames before it",
                 report.decoder_problem, report.frames);
  }
  std::string memory_note;
  if (report.strategy != pipeline::MemoryStrategy::kResident) {
    memory_note = fmt::format("; memory strategy {}, {} model releases", pipeline::strategy_name(report.strategy),
                              report.model_releases);
  }
  const auto skipped = report.faces_skipped == 0
                           ? std::string()
                           : fmt::format(", {} faces skipped (keypoints that cannot be placed)", report.faces_skipped);
  fmt::print("dlc: wrote {} ({} frames in {:.1f} s, {} without a face{}; {}{}{}{})\n", report.output.string(),
             report.frames, report.seconds, report.frames_without_face, skipped, fmt::join(report.processors, ", "),
             report.audio ? "; audio kept" : "", memory_note, governor_note);
  events::done(report.output, report.frames);
  const auto own_peak = memory::read_process_memory().value_or(memory::ProcessMemory{}).peak_bytes;
  spdlog::info("memory: peak RSS dlc {}, {} decoder {}, encoder {} {} (each its own, from the kernel); "
               "together {} (the highest reading sampled); planned {}, budget {}",
               memory::format_mb(own_peak), media::decoder_for(target, job.frame_range.has_value()),
               memory::format_mb(report.decoder_peak_bytes),
               memory::format_mb(report.encoder_peak_bytes), report.encoder, memory::format_mb(tree_peak),
               memory::format_mb(plan.plan.peak_bytes()), memory::format_mb(budget));
  return kExitOk;
}

}  // namespace

int job_command(const CliOptions& options, int threads) {
  auto job = options.job;
  const bool live = options.command == Command::Live;
  if (live && job.list_cameras) return list_cameras_command();
  if (!job.map_faces.empty()) {
    // The file names each person's source: -s beside it would be ignored.
    if (!job.source.empty()) {
      fmt::print(stderr, "dlc {}: -s and --map-faces: the mapping file names each person's source; drop -s\n",
                 live ? "live" : "run");
      return kExitUsage;
    }
    job.source = pipeline::first_mapped_source(job.map_faces).string();
  }
  if (job.source.empty() || (!live && (job.target.empty() || job.output.empty()))) {
    fmt::print(stderr, "dlc {}: {} required (see 'dlc --help')\n", live ? "live" : "run",
               live ? "-s/--source (or --map-faces) is" : "-s/--source (or --map-faces), -t/--target and -o/--output are");
    return kExitUsage;
  }
  for (const auto& [path, role] : {std::pair{job.source, "source"}, std::pair{job.target, "target"}}) {
    std::error_code ec;
    if (!path.empty() && !std::filesystem::is_regular_file(path, ec)) {
      throw pipeline::InputError(fmt::format("{} '{}' does not exist or is not a file", role, path));
    }
  }
  if (live) return live_command(job, threads);
  const bool video = !is_image(job.target);
  // An image's size is in its header: no ffprobe run (formats other than PNG/JPEG/WebP still take one).
  const auto image_size = video ? std::nullopt : media::read_image_size(job.target);
  media::VideoInfo target;
  // A video's decoder starts at once and its report gives the facts (no ffprobe before the first
  // frame); --frame-range places the decoder by the frame rate and checks the stated count, so
  // that one probes first.
  std::shared_ptr<media::VideoReader> reader;
  std::optional<EarlyModels> early;
  if (image_size) {
    target.path = job.target;
    target.width = image_size->width;
    target.height = image_size->height;
  } else if (job.frame_range) {
    target = media::probe_video(job.target);
  } else {
    reader = std::make_shared<media::VideoReader>(job.target, video_decoder_threads(),
                                                  media::VideoReader::ReportLater{});
    // While the decoder starts (its loader maps 136 libraries, ffmpeg's 215), the models load when the plan at
    // the largest size cannot choose otherwise than the video's own will.
    early = start_models_early(job, threads);
    reader->read_report();
    target = reader->info();
    // The encoder that keeps the audio waits for its duration. dlc-decode's report has it; ffmpeg's
    // does not, and ffprobe is asked before the plan, the moment that report shows there is audio.
    if (job.keep_audio && target.has_audio) reader->probe_in_background();
  }
  const auto frame_bytes = static_cast<std::uint64_t>(target.width) * static_cast<std::uint64_t>(target.height) * 3;
  // A video has workers + 2 frames in flight, an image its source and target (plan_run's shape).
  // A video's plan is the one taken at the bound with the video's own children and frames.
  const auto plan = early ? plan_memory(job, false, plan_with_video(early->bound, job, target),
                                        !early->swapper.valid())
                          : plan_memory(job, false, frame_bytes, video ? video_workers(threads) + 2 : 2,
                                        video ? video_workers(threads) : 1, video ? &target : nullptr);
  if (!plan) return kExitMemoryBudget;
  if (video) return video_command(job, threads, *plan, target, std::move(reader), std::move(early));
  if (job.frame_range) {
    fmt::print(stderr, "dlc run: --frame-range takes a video target; '{}' is an image\n", job.target);
    return kExitUsage;
  }
  // --events json: the memory lines each second while it runs (a large image with an enhancer takes
  // a while), and one measured when it is done, so an image job is plotted too.
  std::optional<JobMemoryGuard> guard;
  if (events::enabled()) guard.emplace(ram_budget_bytes(job, read_machine_facts()), 0);
  const auto report = pipeline::run_image_job(face_job_options(job, threads, *plan));
  if (guard) guard->send_memory_event();
  guard.reset();
  events::done(report.output, 1);
  if (report.processed_faces == 0 && report.skipped_faces == 0) {
    fmt::print("dlc: no face found in the target '{}': wrote it unchanged to {}\n", job.target, report.output.string());
  } else {
    const auto skipped = report.skipped_faces == 0
                             ? std::string()
                             : fmt::format(", {} skipped (keypoints that cannot be placed)", report.skipped_faces);
    fmt::print("dlc: wrote {} ({} of {} target faces{}; {}; detector {})\n", report.output.string(),
               report.processed_faces, report.target_faces, skipped, fmt::join(report.processors, ", "),
               report.detector);
  }
  return kExitOk;
}

}  // namespace dlc::app
