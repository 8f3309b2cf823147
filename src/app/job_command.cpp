#include <fmt/format.h>
#include <fmt/ranges.h>

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <optional>
#include <cctype>
#include <filesystem>

#include "app/commands.hpp"
#include "app/exit_codes.hpp"
#include "face/selection.hpp"
#include "app/machine.hpp"
#include "memory/governor.hpp"
#include "memory/monitor.hpp"
#include "memory/plan.hpp"
#include "memory/units.hpp"
#include "face/dlib_face.hpp"
#include "media/video_probe.hpp"
#include "pipeline/image_job.hpp"
#include "pipeline/job_models.hpp"
#include "pipeline/video_job.hpp"
#include "runtime/ort_runtime.hpp"

namespace dlc::app {
namespace {

bool is_image(const std::filesystem::path& path) {
  auto ext = path.extension().string();
  std::ranges::transform(ext, ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char* image : {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}) {
    if (ext == image) return true;
  }
  return false;
}

pipeline::FaceJobOptions face_job_options(const JobOptions& job, int threads) {
  pipeline::FaceJobOptions options;
  options.source = job.source;
  options.target = job.target;
  options.output = job.output;
  options.many_faces = job.many_faces;
  options.mouth_mask = job.mouth_mask;
  options.map_faces = job.map_faces;
  options.target_selector = *face::parse_selector(job.face_selector);
  options.chain.frame_processors = job.frame_processors;
  options.chain.paste_mode = job.paste_back == "legacy" ? processors::PasteMode::kLegacy : processors::PasteMode::kSoftMask;
  options.chain.paste = {.opacity = job.opacity, .sharpness = job.sharpness, .poisson = job.poisson_blend};
  options.analyser = analyser_options(job, session_policy(job, threads));
  return options;
}

// --max-memory before any model loads: the job's models as they are on disk, dlib's landmark
// model when it stands in for 2d106det, and the frames in flight. Exit 5 with the plan when it
// cannot fit; the plan is logged at debug level otherwise.
std::optional<int> refuse_over_budget(const JobOptions& job, int frames_in_flight) {
  const auto search_path = models_search_path(job);
  std::vector<pipeline::JobModel> models;
  const auto add = [&](std::string_view role) {
    if (auto found = pipeline::find_role_files(pipeline::role_named(role), search_path).usable) models.push_back(*found);
  };
  add("detector");
  add("landmarks");
  const bool inswapper = pipeline::find_role_files(pipeline::role_named("swapper"), search_path).usable.has_value();
  if (inswapper) {
    add("recognizer");
    add("swapper");
  }
  for (const auto& processor : job.frame_processors) {
    if (processor != "face_swapper") add(processor);
  }
  const auto target = media::probe_video(job.target);
  const auto frame_bytes = static_cast<std::uint64_t>(target.width) * static_cast<std::uint64_t>(target.height) * 3;
  auto plan = pipeline::plan_job(models, memory::current_rss_bytes(), frame_bytes, frames_in_flight);
  std::error_code ec;
  pipeline::AnalyserOptions detector_options;
  detector_options.detector = job.face_detector;
  detector_options.search_path = search_path;
  if (const auto choice = pipeline::choose_detector(detector_options); choice.kind == "blazeface") {
    // BlazeFace's 256 input as floats in and its 896 anchors × 17 values out.
    const auto footprint = memory::estimate_model(std::filesystem::file_size(choice.model, ec),
                                                  sizeof(float) * (256 * 256 * 3 + 896 * 17));
    plan.add("detector " + choice.model.filename().string(), footprint.resident_bytes,
             "weights: file size x 1.05, arena: estimate");
  }
  const bool dlib68 = !pipeline::find_role_files(pipeline::role_named("landmarks"), search_path).usable &&
                      (!inswapper || job.mouth_mask);
  if (dlib68 && std::filesystem::exists(face::DlibLandmarks::kDefaultModel, ec)) {
    plan.add("dlib's 68-point shape predictor", std::filesystem::file_size(face::DlibLandmarks::kDefaultModel, ec),
             "file size");
  }
  const auto budget = ram_budget_bytes(job, read_machine_facts());
  if (!plan.fits(budget)) {
    fmt::print(stderr, "dlc: the memory budget of {} cannot be met ({} planned); raise --max-memory or drop a "
               "processor\n{}", memory::format_mb(budget), memory::format_mb(plan.peak_bytes()), plan.describe(budget));
    return kExitMemoryBudget;
  }
  spdlog::debug("{}", plan.describe(budget));
  return std::nullopt;
}

std::atomic<bool> g_stop{false};
std::atomic<int> g_signal{0};

extern "C" void on_stop_signal(int signal) {
  g_signal.store(signal);
  g_stop.store(true);
}

// Ctrl-C / SIGTERM end a video job without a half-written output: exit 130 / 143.
int video_command(const JobOptions& job, int threads) {
  if (!job.map_faces.empty()) {
    fmt::print(stderr, "dlc run: --map-faces works on image targets only in this build\n");
    return kExitFailure;
  }
  pipeline::VideoJobOptions options;
  static_cast<pipeline::FaceJobOptions&>(options) = face_job_options(job, threads);
  // ONNX Runtime's pool already spreads one frame over the cores; two frames in flight keep the
  // cores busy while one waits on decode or encode.
  options.workers = std::min(threads, 2);
  options.encoder = job.video_encoder;
  options.quality = job.video_quality;
  options.keep_audio = job.keep_audio;
  options.output_fps = job.output_fps;
  options.stop = &g_stop;

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
  const auto report = pipeline::run_video_job(options, [terminal, show_progress](const pipeline::VideoProgress& p) {
    if (!show_progress) return;
    const double fps = p.seconds > 0 ? static_cast<double>(p.frames_done) / p.seconds : 0.0;
    const double eta = fps > 0 ? static_cast<double>(std::max<std::int64_t>(0, p.frames_total - p.frames_done)) / fps : 0.0;
    const auto rss = memory::current_rss_bytes();
    fmt::print(stderr, "{}dlc: frame {}/{}, {:.1f} fps, ETA {:.0f} s, RSS {}{}", terminal ? "\r" : "", p.frames_done,
               p.frames_total, fps, eta, memory::format_mb(rss), terminal ? "   " : "\n");
  });
  if (terminal && show_progress) fmt::print(stderr, "\n");
  guard.reset();
  if (report.stopped) {
    fmt::print(stderr, "dlc: stopped after {} frames; no output written\n", report.frames);
    return 128 + g_signal.load();
  }
  if (report.truncated_input) {
    spdlog::warn("the target's decoder stopped early after {} frames ({}); the output has those frames",
                 report.frames, report.decoder_problem);
  }
  fmt::print("dlc: wrote {} ({} frames in {:.1f} s, {} without a face; {}{})\n", report.output.string(), report.frames,
             report.seconds, report.frames_without_face, fmt::join(report.processors, ", "),
             report.audio ? "; audio copied" : "");
  return kExitOk;
}

}  // namespace

int job_command(const CliOptions& options, int threads) {
  const auto& job = options.job;
  const bool live = options.command == Command::Live;
  if (job.source.empty() || (!live && (job.target.empty() || job.output.empty()))) {
    fmt::print(stderr, "dlc {}: {} required (see 'dlc --help')\n", live ? "live" : "run",
               live ? "-s/--source is" : "-s/--source, -t/--target and -o/--output are");
    return kExitUsage;
  }
  for (const auto& [path, role] : {std::pair{job.source, "source"}, std::pair{job.target, "target"}}) {
    std::error_code ec;
    if (!path.empty() && !std::filesystem::is_regular_file(path, ec)) {
      throw pipeline::InputError(fmt::format("{} '{}' does not exist or is not a file", role, path));
    }
  }
  if (live) {
    fmt::print(stderr, "dlc live: the live mode is not in this build yet; images and videos are ('dlc run')\n");
    return kExitFailure;
  }
  const bool video = !is_image(job.target);
  // A video has workers + 2 frames in flight, an image its source and target.
  if (const auto refused = refuse_over_budget(job, video ? std::min(threads, 2) + 2 : 2)) return *refused;
  if (video) return video_command(job, threads);
  const auto report = pipeline::run_image_job(face_job_options(job, threads));
  if (report.processed_faces == 0) {
    fmt::print("dlc: no face found in the target '{}': wrote it unchanged to {}\n", job.target, report.output.string());
  } else {
    fmt::print("dlc: wrote {} ({} of {} target faces; {}; detector {})\n", report.output.string(),
               report.processed_faces, report.target_faces, fmt::join(report.processors, ", "), report.detector);
  }
  return kExitOk;
}

}  // namespace dlc::app
