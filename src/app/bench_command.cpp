#include <fmt/format.h>

#include <array>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdlib.h>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "app/commands.hpp"
#include "app/exit_codes.hpp"
#include "app/job_setup.hpp"
#include "app/machine.hpp"
#include "media/subprocess.hpp"
#include "media/synthetic_clip.hpp"
#include "media/video_probe.hpp"
#include "memory/governor.hpp"
#include "memory/monitor.hpp"
#include "memory/plan.hpp"
#include "memory/units.hpp"
#include "pipeline/job_models.hpp"
#include "pipeline/model_bench.hpp"
#include "runtime/ort_runtime.hpp"
#include "runtime/stage_times.hpp"
#include "pipeline/video_job.hpp"
#include "memory/system_memory.hpp"

namespace dlc::app {
namespace {

using nlohmann::json;

// The frame the bench plans for: 720p BGR, the size of a typical webcam or phone video.
constexpr std::uint64_t kFrameBytes = 1280ULL * 720 * 3;

std::vector<std::uint64_t> file_sizes(const std::vector<pipeline::JobModel>& models) {
  std::vector<std::uint64_t> sizes;
  for (const auto& m : models) sizes.push_back(m.file_bytes);
  return sizes;
}

json report(const pipeline::ModelBenchFigures& figures, const memory::MemoryPlan& plan, std::uint64_t budget) {
  json stages = json::array();
  for (const auto& s : figures.stages) {
    stages.push_back({{"role", s.role},
                      {"file", s.file},
                      {"provider", s.provider},
                      {"load_ms", s.load_ms},
                      {"calls", s.run_ms.size()},
                      {"p50_ms", pipeline::percentile(s.run_ms, 0.50)},
                      {"p95_ms", pipeline::percentile(s.run_ms, 0.95)}});
  }
  const auto& arenas = figures.arenas;
  const auto process = memory::read_process_memory().value_or(memory::ProcessMemory{});
  return {{"frames", figures.frames},
          {"seconds", figures.seconds},
          {"fps", figures.seconds > 0 ? figures.frames / figures.seconds : 0.0},
          {"stages", stages},
          {"memory",
           {{"rss_after_load_bytes", figures.rss_after_load_bytes},
            {"peak_after_load_bytes", figures.peak_after_load_bytes},
            {"peak_is_frames_only", figures.frames_peak_measured},
            {"first_frame_peak_bytes", figures.first_frame_peak_bytes},
            {"rss_bytes", process.rss_bytes},
            {"peak_rss_bytes", process.peak_bytes},
            {"planned_peak_bytes", plan.peak_bytes()},
            {"budget_bytes", budget},
            {"arena_in_use_bytes", arenas.in_use_bytes},
            {"arena_peak_bytes", arenas.peak_bytes},
            {"arena_reserved_bytes", arenas.reserved_bytes},
            {"governor_waits", figures.governor_waits}}}};
}

void print_report(const json& r) {
  fmt::print("{:<11} {:<26} {:<8} {:>9} {:>9} {:>9} {:>6}\n", "stage", "model", "provider", "load ms", "p50 ms", "p95 ms",
             "calls");
  for (const auto& s : r["stages"]) {
    fmt::print("{:<11} {:<26} {:<8} {:>9.1f} {:>9.2f} {:>9.2f} {:>6}\n", s["role"].get<std::string>(),
               s["file"].get<std::string>(), s["provider"].get<std::string>(), s["load_ms"].get<double>(),
               s["p50_ms"].get<double>(), s["p95_ms"].get<double>(), s["calls"].get<std::size_t>());
  }
  const auto& m = r["memory"];
  const auto mb = [&](const char* key) { return memory::format_mb(m[key].get<std::uint64_t>()); };
  fmt::print("frames/s: {:.1f} over {} frames (model inference only)\n", r["fps"].get<double>(), r["frames"].get<int>());
  fmt::print("RSS: {} after loading, {} now, peak {} (VmHWM); planned peak {}; budget {}\n", mb("rss_after_load_bytes"),
             mb("rss_bytes"), mb("peak_rss_bytes"), mb("planned_peak_bytes"), mb("budget_bytes"));
  fmt::print("model arenas: {} in use, peak {}, {} reserved; governor waits: {}\n",
             memory::format_mb(static_cast<std::uint64_t>(m["arena_in_use_bytes"].get<std::int64_t>())),
             memory::format_mb(static_cast<std::uint64_t>(m["arena_peak_bytes"].get<std::int64_t>())),
             memory::format_mb(static_cast<std::uint64_t>(m["arena_reserved_bytes"].get<std::int64_t>())),
             m["governor_waits"].get<std::uint64_t>());
}

// The models each timed stage runs, for its GFLOP/s.
constexpr std::array<std::pair<runtime::Stage, std::string_view>, 4> kStageRoles{{
    {runtime::Stage::kDetect, "detector"},
    {runtime::Stage::kLandmarks, "landmarks"},
    {runtime::Stage::kSwapInference, "swapper"},
    {runtime::Stage::kEnhance, "face_enhancer"},
}};

// A folder of its own under the system's temporary folder, removed with everything in it.
class TemporaryFolder {
 public:
  TemporaryFolder() {
    auto pattern = (std::filesystem::temp_directory_path() / "dlc-bench-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("cannot make a temporary folder: " + pattern);
    path_ = pattern;
  }
  ~TemporaryFolder() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TemporaryFolder(const TemporaryFolder&) = delete;
  TemporaryFolder& operator=(const TemporaryFolder&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// The pipeline on a video, as `dlc run` runs it, timed per stage after a warm-up.
json pipeline_report(const JobOptions& job, int threads, const std::filesystem::path& target, int warmup) {
  auto run = job;
  run.target = target.string();
  const auto info = media::probe_video(target);
  if (info.frame_count > 0 && info.frame_count <= warmup) {
    throw pipeline::InputError(fmt::format("'{}' has {} frames: the bench needs more than its {} warm-up frames",
                                           target.string(), info.frame_count, warmup));
  }
  const auto frame_bytes = static_cast<std::uint64_t>(info.width) * static_cast<std::uint64_t>(info.height) * 3;
  const auto plan = plan_memory(run, false, frame_bytes, video_workers(threads) + 2, video_workers(threads), &info);
  if (!plan) return nullptr;

  runtime::OrtRuntime::instance();  // the environment and its thread pools count in the base
  const auto base = memory::current_rss_bytes();
  const TemporaryFolder scratch;
  run.output = (scratch.path() / "bench.mp4").string();
  auto options = video_job_options(run, threads, *plan);
  options.keep_audio = false;
  options.target_info = info;  // probed once
  runtime::StageTimes times;
  std::uint64_t rss_after_load = 0;
  std::chrono::steady_clock::time_point timed_start;
  std::chrono::steady_clock::time_point timed_end;
  runtime::ArenaTotals arenas;
  std::uint64_t rss_models_loaded = 0;
  options.on_models_loaded = [&] { rss_models_loaded = memory::current_rss_bytes(); };
  options.on_frame = [&](std::int64_t written) {
    timed_end = std::chrono::steady_clock::now();
    // Read while the sessions live: a session's private arena goes with it.
    arenas = runtime::OrtRuntime::instance().arena_totals();
    if (written != warmup) return;
    // Every model has run once by now: what is resident is the loaded pipeline.
    rss_after_load = memory::current_rss_bytes();
    timed_start = timed_end;
    runtime::set_stage_sink(&times);
  };
  pipeline::VideoJobReport report;
  std::uint64_t tree_peak = 0;
  {
    JobMemoryGuard guard(ram_budget_bytes(run, read_machine_facts()), run.memory_monitor_interval_s);
    options.governor = &guard.governor();
    report = pipeline::run_video_job(options);
    tree_peak = guard.tree().sampled_peak_bytes();
  }
  runtime::set_stage_sink(nullptr);
  const auto timed_frames = report.frames - warmup;
  const double seconds = std::chrono::duration<double>(timed_end - timed_start).count();

  json stages = json::array();
  for (std::size_t i = 0; i < runtime::kStageNames.size(); ++i) {
    const auto summary = times.summary(static_cast<runtime::Stage>(i));
    if (summary.count == 0) continue;
    stages.push_back({{"stage", runtime::kStageNames[i]},
                      {"calls", summary.count},
                      {"p50_ms", summary.p50_ms},
                      {"p95_ms", summary.p95_ms},
                      {"mean_ms", summary.total_ms / static_cast<double>(summary.count)},
                      {"cpu_mean_ms", summary.cpu_total_ms / static_cast<double>(summary.count)}});
  }
  json models = json::array();
  const auto search_path = models_search_path(run);
  for (const auto& [stage, role] : kStageRoles) {
    auto found = pipeline::find_role_file(pipeline::role_named(role), search_path);
    if (stage == runtime::Stage::kSwapInference) {
      const auto swapper = pipeline::choose_swapper(run.face_swapper_model, search_path);
      found = swapper ? std::optional(swapper->file) : std::nullopt;
    }
    const auto summary = times.summary(stage);
    if (!found || summary.count == 0) continue;
    json model{{"stage", runtime::kStageNames[static_cast<std::size_t>(stage)]},
               {"file", found->path.filename().string()},
               {"p50_ms", summary.p50_ms}};
    if (const auto gmacs = pipeline::known_gmacs(*found); gmacs && summary.p50_ms > 0) {
      model["gflop_per_call"] = 2 * *gmacs;
      model["gflop_per_s"] = 2 * *gmacs / (summary.p50_ms / 1000);
    }
    models.push_back(model);
  }
  const auto process = memory::read_process_memory().value_or(memory::ProcessMemory{});
  return {{"input", target.string()},
          {"width", info.width},
          {"height", info.height},
          {"warmup_frames", warmup},
          {"frames", timed_frames},
          {"seconds", seconds},
          {"fps", seconds > 0 ? static_cast<double>(timed_frames) / seconds : 0.0},
          {"threads", threads},
          {"memory_optimization", run.memory_optimization},
          {"strategy", pipeline::strategy_name(plan->strategy)},
          {"processors", report.processors},
          {"stages", stages},
          {"models", models},
          {"memory",
           {{"base_rss_bytes", base},
            {"rss_models_loaded_bytes", rss_models_loaded},
            {"rss_after_load_bytes", rss_after_load},
            // VmHWM trails RSS by the kernel's batched per-thread counters: the higher of it and
            // what was read during the run.
            {"peak_rss_bytes", std::max(process.peak_bytes, rss_after_load)},
            {"planned_peak_bytes", plan->plan.peak_bytes()},
            // The ffmpeg children's own peaks (wait4's ru_maxrss) and the tree's highest reading.
            {"decoder_peak_rss_bytes", report.decoder_peak_bytes},
            {"encoder_peak_rss_bytes", report.encoder_peak_bytes},
            {"tree_peak_rss_bytes", tree_peak},
            {"arena_in_use_bytes", arenas.in_use_bytes},
            {"arena_peak_bytes", arenas.peak_bytes},
            {"arena_reserved_bytes", arenas.reserved_bytes},
            {"model_releases", report.model_releases}}}};
}

std::string mb_of(const json& value) { return memory::format_mb(value.get<std::uint64_t>()); }
std::string mb_of_signed(const json& value) {
  return memory::format_mb(static_cast<std::uint64_t>(std::max<std::int64_t>(0, value.get<std::int64_t>())));
}

void print_pipeline_report(const json& r) {
  fmt::print("dlc bench: {} ({}x{}), {} frames after {} warm-up, {} threads, memory strategy {}, memory "
             "optimization {}\n",
             r["input"].get<std::string>(), r["width"].get<int>(), r["height"].get<int>(), r["frames"].get<int>(),
             r["warmup_frames"].get<int>(), r["threads"].get<int>(), r["strategy"].get<std::string>(),
             r["memory_optimization"].get<bool>() ? "on" : "off");
  fmt::print("{:<15} {:>7} {:>10} {:>10} {:>10}\n", "stage", "calls", "p50 ms", "p95 ms", "mean ms");
  for (const auto& s : r["stages"]) {
    fmt::print("{:<15} {:>7} {:>10.2f} {:>10.2f} {:>10.2f}\n", s["stage"].get<std::string>(),
               s["calls"].get<std::uint64_t>(), s["p50_ms"].get<double>(), s["p95_ms"].get<double>(),
               s["mean_ms"].get<double>());
  }
  for (const auto& m : r["models"]) {
    if (!m.contains("gflop_per_s")) continue;
    fmt::print("{:<15} {}: {:.1f} GFLOP per call, {:.1f} GFLOP/s\n", m["stage"].get<std::string>(),
               m["file"].get<std::string>(), m["gflop_per_call"].get<double>(), m["gflop_per_s"].get<double>());
  }
  const auto& mem = r["memory"];
  fmt::print("end to end: {:.2f} frames/s over {} frames ({:.1f} s)\n", r["fps"].get<double>(), r["frames"].get<int>(),
             r["seconds"].get<double>());
  fmt::print("RSS: base {} (before any model), {} with the models loaded, {} after the warm-up frames, peak {} "
             "(VmHWM); planned peak {}\n",
             mb_of(mem["base_rss_bytes"]), mb_of(mem["rss_models_loaded_bytes"]), mb_of(mem["rss_after_load_bytes"]),
             mb_of(mem["peak_rss_bytes"]), mb_of(mem["planned_peak_bytes"]));
  fmt::print("with its ffmpeg children: decoder peak {}, encoder peak {}, dlc and both together {} (the highest "
             "reading sampled)\n",
             mb_of(mem["decoder_peak_rss_bytes"]), mb_of(mem["encoder_peak_rss_bytes"]),
             mb_of(mem["tree_peak_rss_bytes"]));
  fmt::print("model arenas (every session shares one with memory optimization on): {} in use, peak {}, {} "
             "reserved\n",
             mb_of_signed(mem["arena_in_use_bytes"]), mb_of_signed(mem["arena_peak_bytes"]),
             mb_of_signed(mem["arena_reserved_bytes"]));
}

// --compare-memory-optimization: the same bench twice in fresh processes (a process's peak RSS
// only grows), with and without the tuned ONNX Runtime settings, side by side.
int compare_memory_optimization(const std::filesystem::path& target, bool as_json) {
  std::ifstream cmdline("/proc/self/cmdline", std::ios::binary);
  std::vector<std::string> args;
  for (std::string arg; std::getline(cmdline, arg, '\0');) args.push_back(arg);
  std::vector<std::string> base{std::filesystem::read_symlink("/proc/self/exe").string()};
  for (std::size_t i = 1; i < args.size(); ++i) {
    const auto& a = args[i];
    if (a == "--compare-memory-optimization" || a == "--json" || a == "--enable-memory-optimization" ||
        a == "--disable-memory-optimization" || a.starts_with("--target=")) {
      continue;
    }
    if (a == "-t" || a == "--target") {
      ++i;  // and its value: both runs take the same target, given below
      continue;
    }
    base.push_back(a);
  }
  base.insert(base.end(), {"--json", "-t", target.string()});
  json both = json::object();
  for (const char* flag : {"--enable-memory-optimization", "--disable-memory-optimization"}) {
    auto argv = base;
    argv.push_back(flag);
    const auto result = media::run_process(argv);
    if (result.exit_code != 0) {
      fmt::print(stderr, "{}", result.err);
      return result.exit_code;
    }
    both[flag == std::string_view("--enable-memory-optimization") ? "on" : "off"] = json::parse(result.out);
  }
  if (as_json) {
    fmt::print("{}\n", both.dump(2));
    return kExitOk;
  }
  const auto& on = both["on"];
  const auto& off = both["off"];
  fmt::print("memory optimization      on            off\n");
  fmt::print("{:<20} {:>10.2f}  {:>12.2f}\n", "frames/s", on["fps"].get<double>(), off["fps"].get<double>());
  for (const auto& [key, label] : {std::pair{"rss_models_loaded_bytes", "RSS, models loaded"},
                                   std::pair{"rss_after_load_bytes", "RSS, after warm-up"},
                                   std::pair{"peak_rss_bytes", "peak RSS (VmHWM)"},
                                   std::pair{"arena_reserved_bytes", "arenas reserved"}}) {
    fmt::print("{:<20} {:>10}  {:>12}\n", label, mb_of_signed(on["memory"][key]), mb_of_signed(off["memory"][key]));
  }
  for (std::size_t i = 0; i < on["stages"].size() && i < off["stages"].size(); ++i) {
    fmt::print("{:<20} {:>8.1f} ms  {:>9.1f} ms\n", on["stages"][i]["stage"].get<std::string>() + " p50",
               on["stages"][i]["p50_ms"].get<double>(), off["stages"][i]["p50_ms"].get<double>());
  }
  return kExitOk;
}

// dlc bench -s FACE [-t VIDEO]: the pipeline; without -t, a generated 720p clip of the source photo.
int pipeline_bench(const CliOptions& options, int threads) {
  const auto& job = options.job;
  constexpr int kWarmup = 2;
  std::optional<TemporaryFolder> scratch;
  std::filesystem::path target = job.target;
  if (target.empty()) {
    scratch.emplace();
    target = scratch->path() / "clip.mp4";
    media::make_moving_clip(job.source, target, {.frames = job.frames + kWarmup});
  }
  if (options.compare_memory_optimization) return compare_memory_optimization(target, options.json);
  const auto r = pipeline_report(job, threads, target, kWarmup);
  if (r.is_null()) return kExitMemoryBudget;
  if (options.json) {
    fmt::print("{}\n", r.dump(2));
  } else {
    print_pipeline_report(r);
  }
  return kExitOk;
}

}  // namespace

int bench_command(const CliOptions& options, int threads) {
  if (!options.job.source.empty()) return pipeline_bench(options, threads);
  const auto& job = options.job;
  const auto facts = read_machine_facts();
  const auto budget = ram_budget_bytes(job, facts);
  const auto swapper_model = job.face_swapper_model == "auto" ? std::string() : job.face_swapper_model;
  const auto models = pipeline::locate_models(pipeline::roles_for(job.frame_processors, swapper_model),
                                              models_search_path(job));
  const auto plan = pipeline::plan_job(models, memory::current_rss_bytes(), kFrameBytes, threads + 2);
  if (!plan.fits(budget)) {
    fmt::print(stderr, "dlc: the memory budget of {} cannot be met ({} planned); raise --max-memory or drop a "
               "processor\n{}", memory::format_mb(budget), memory::format_mb(plan.peak_bytes()), plan.describe(budget));
    return kExitMemoryBudget;
  }
  if (!options.json) fmt::print("{}", plan.describe(budget));
  prepare_optimized_copies(job, threads);

  const auto policy = session_policy(job, threads);
  pipeline::ModelBenchFigures figures;
  {
    JobMemoryGuard guard(budget, job.memory_monitor_interval_s);
    figures = pipeline::run_model_bench(models, policy, gpu_limits(job, policy, facts, file_sizes(models)), job.frames,
                                        &guard.governor());
  }

  const auto r = report(figures, plan, budget);
  if (options.json) {
    fmt::print("{}\n", r.dump(2));
  } else {
    print_report(r);
  }
  return kExitOk;
}

}  // namespace dlc::app
