#include "app/job_setup.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <system_error>

#include <unistd.h>

#include "app/event_lines.hpp"
#include "app/machine.hpp"
#include "face/dlib_face.hpp"
#include "face/selection.hpp"
#include "memory/nvml.hpp"
#include "memory/plan.hpp"
#include "memory/system_memory.hpp"
#include "memory/units.hpp"
#include "media/subprocess.hpp"
#include "media/video_reader.hpp"
#include "pipeline/job_models.hpp"
#include "runtime/onnx_file.hpp"

namespace dlc::app {
namespace {

// The detector --face-detector chooses among the files of the search path.
pipeline::DetectorChoice job_detector(const JobOptions& job, const std::vector<std::filesystem::path>& search_path) {
  pipeline::AnalyserOptions detector_options;
  detector_options.detector = job.face_detector;
  detector_options.search_path = search_path;
  return pipeline::choose_detector(detector_options);
}

// A BlazeFace model's footprint: its 256 input as floats in and its 896 anchors × 17 values out.
memory::ModelFootprint blazeface_footprint(const std::filesystem::path& model) {
  std::error_code ec;
  return memory::estimate_model(std::filesystem::file_size(model, ec), sizeof(float) * (256 * 256 * 3 + 896 * 17));
}

}  // namespace

std::vector<JobSession> job_sessions(const JobOptions& job) {
  const auto search_path = models_search_path(job);
  std::vector<JobSession> sessions;
  const auto add = [&](const pipeline::JobModel& m) {
    if (std::ranges::none_of(sessions, [&](const JobSession& s) { return s.model == m.path; })) {
      sessions.push_back({m.path, pipeline::footprint_of(m, job.face_detector_size).resident_bytes});
    }
  };
  const auto usable = [&](std::string_view role) {
    return pipeline::find_role_file(pipeline::role_named(role), search_path);
  };
  const auto choice = job_detector(job, search_path);
  if (choice.kind == "scrfd") {
    if (const auto m = usable("detector")) add(*m);
  } else if (choice.kind == "blazeface") {
    std::error_code ec;
    for (const auto& model : {choice.model, pipeline::blazeface_second_pass(choice.model)}) {
      if (std::filesystem::is_regular_file(model, ec)) sessions.push_back({model, blazeface_footprint(model).resident_bytes});
    }
  }
  for (const char* role : {"landmarks", "recognizer"}) {
    if (const auto m = usable(role)) add(*m);
  }
  for (const auto& processor : job.frame_processors) {
    if (processor == "face_swapper") {
      if (const auto swapper = pipeline::choose_swapper(job.face_swapper_model, search_path)) add(swapper->file);
    } else if (const auto m = usable(processor)) {
      add(*m);
    }
  }
  return sessions;
}

runtime::SessionPolicy job_session_policy(const JobOptions& job, int threads) {
  auto policy = session_policy(job, threads);
  if (std::ranges::find(policy.providers, "cuda") == policy.providers.end()) return policy;
  memory::MachineFacts facts;
  const memory::Nvml nvml;
  facts.gpus = nvml.devices();
  const auto sessions = job_sessions(job);
  std::vector<std::uint64_t> needs;
  for (const auto& s : sessions) needs.push_back(s.need_bytes);
  const auto limits = gpu_limits(job, policy, facts, needs);
  if (limits.empty()) {
    spdlog::debug("VRAM budget: none (no GPU {} seen through NVML)", policy.device_id);
    return policy;
  }
  for (std::size_t i = 0; i < sessions.size(); ++i) {
    policy.gpu_mem_limits[sessions[i].model] = limits[i];
    spdlog::debug("VRAM budget: {} gets {}", sessions[i].model.filename().string(), memory::format_mb(limits[i]));
  }
  spdlog::debug("VRAM budget: {} = --gpu-memory-fraction {} x {} (GPU {}), over {} sessions",
                memory::format_mb(memory::gpu_budget_bytes(job.gpu_memory_fraction, *gpu_total_bytes(facts, policy.device_id))),
                job.gpu_memory_fraction, memory::format_mb(*gpu_total_bytes(facts, policy.device_id)), policy.device_id,
                sessions.size());
  return policy;
}

pipeline::FaceJobOptions face_job_options(const JobOptions& job, int threads, const pipeline::StrategyPlan& plan) {
  pipeline::FaceJobOptions options;
  options.source = job.source;
  options.target = job.target;
  options.output = job.output;
  options.many_faces = job.many_faces;
  options.mouth_mask = job.mouth_mask;
  options.mouth_mask_size = job.mouth_mask_size;
  options.draw_mouth_mask = job.draw_mouth_mask;
  options.map_faces = job.map_faces;
  options.target_selector = *face::parse_selector(job.face_selector);
  options.chain.frame_processors = job.frame_processors;
  options.chain.swapper_model = job.face_swapper_model;
  if (job.nsfw_filter) {
    // Missing or invalid: exit 4 naming the file and where it was looked for.
    options.nsfw_model = pipeline::locate_models({&pipeline::role_named("nsfw")}, models_search_path(job)).front().path;
  }
  options.chain.paste_mode = job.paste_back == "legacy" ? processors::PasteMode::kLegacy : processors::PasteMode::kSoftMask;
  options.chain.color_correction =
      processors::color_correction_from(job.color_correction).value_or(processors::ColorCorrection::kNone);
  options.chain.paste = {.opacity = job.opacity, .sharpness = job.sharpness, .poisson = job.poisson_blend};
  options.analyser = analyser_options(job, job_session_policy(job, threads));
  options.swapper.strategy = plan.strategy;
  options.swapper.lru_room_bytes = plan.lru_room_bytes;
  options.swapper.detect_every = job.detect_every.value_or(1);
  options.tracking.smoothing = face::smoothing_preset(job.face_smoothing).value_or(std::nullopt);
  options.tracking.hold_frames = job.face_hold;
  options.reference_face = job.reference_face;
  options.reference_distance = static_cast<float>(job.reference_distance);
  return options;
}

int video_workers(int threads) { return std::min(threads, 2); }

void apply_video_plan(pipeline::VideoJobOptions& options, const JobOptions& job, int threads,
                      const pipeline::StrategyPlan& plan) {
  options.swapper.strategy = plan.strategy;
  options.swapper.lru_room_bytes = plan.lru_room_bytes;
  options.workers = std::min(video_workers(threads), plan.workers);
  options.chunk_frames = plan.chunk_frames;
  options.spill_folder.clear();
  if (plan.spill) {
    // Beside the output: the same disk as the result, removed at the end.
    const auto output = pipeline::resolve_output(job.source, job.target, job.output);
    options.spill_folder = output.parent_path() / fmt::format(".{}.dlc-frames-{}", output.stem().string(), getpid());
  }
  const auto choices = video_encoder_choices(job);
  const auto settings = choices[std::min(plan.encoder, choices.size() - 1)];
  options.encoder_threads = settings.threads;
  options.encoder_lookahead = memory::lookahead_frames(job.video_encoder, job.video_encoder_preset, settings);
}

pipeline::VideoJobOptions video_job_options(const JobOptions& job, int threads, const pipeline::StrategyPlan& plan) {
  pipeline::VideoJobOptions options;
  static_cast<pipeline::FaceJobOptions&>(options) = face_job_options(job, threads, plan);
  apply_video_plan(options, job, threads, plan);
  options.keep_frames = job.keep_frames;
  options.encoder = job.video_encoder;
  options.quality = job.video_quality;
  options.encoder_preset = job.video_encoder_preset;
  options.decoder_threads = video_decoder_threads();
  // PRODUCT.md §2: NVENC when CUDA is the provider and ffmpeg has it (checked when the writer starts).
  options.prefer_hardware_encoder = std::ranges::find(options.analyser.policy.providers, "cuda") !=
                                    options.analyser.policy.providers.end();
  options.keep_audio = job.keep_audio;
  options.output_fps = job.output_fps;
  return options;
}

std::vector<memory::EncoderSettings> video_encoder_choices(const JobOptions& job) {
  return memory::encoder_ladder(job.video_encoder, memory::usable_cpu_cores());
}

bool is_image(const std::filesystem::path& path) {
  auto ext = path.extension().string();
  std::ranges::transform(ext, ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char* image : {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}) {
    if (ext == image) return true;
  }
  return false;
}

int video_decoder_threads() { return std::clamp(memory::usable_cpu_cores(), 1, 8); }

namespace {

// The ffmpeg children of a video job, at their peaks from kFfmpegChildPeaks.
void add_video_children(pipeline::JobShape& shape, const JobOptions& job, const media::VideoInfo& video) {
  const auto size = fmt::format("{}x{}", video.width, video.height);
  const auto decoder_threads = video_decoder_threads();
  const auto decoder = media::decoder_for(video, job.frame_range.has_value());
  shape.decoder = pipeline::PlannedChild{
      fmt::format("{} decoder {}, {} thread{}", decoder, size, decoder_threads, decoder_threads == 1 ? "" : "s"),
      memory::decoder_peak_bytes(video.width, video.height, decoder_threads,
                                 decoder == media::kDlcDecode ? memory::DecoderChild::kDlcDecode
                                                              : memory::DecoderChild::kFfmpeg),
      "measured peak (H.264)"};
  const auto preset = job.video_encoder_preset.empty() ? std::string("medium") : job.video_encoder_preset;
  for (const auto& settings : video_encoder_choices(job)) {
    shape.encoders.push_back(pipeline::PlannedChild{
        fmt::format("ffmpeg encoder {} {} {}, {} thread{}, lookahead {}", job.video_encoder, preset, size,
                    settings.threads, settings.threads == 1 ? "" : "s",
                    memory::lookahead_frames(job.video_encoder, job.video_encoder_preset, settings)),
        memory::encoder_peak_bytes(job.video_encoder, job.video_encoder_preset, video.width, video.height, settings),
        "measured peak"});
  }
}

}  // namespace

void set_video(pipeline::JobShape& shape, const JobOptions& job, const media::VideoInfo& video) {
  shape.encoders.clear();
  add_video_children(shape, job, video);
  shape.frame_bytes = static_cast<std::uint64_t>(video.width) * static_cast<std::uint64_t>(video.height) * 3;
}

pipeline::JobShape job_shape(const JobOptions& job, std::uint64_t frame_bytes, int frames_in_flight,
                             int concurrent_calls, const media::VideoInfo* video) {
  const auto search_path = models_search_path(job);
  pipeline::JobShape shape;
  if (video != nullptr) add_video_children(shape, job, *video);
  shape.process_bytes = memory::current_rss_bytes();
  shape.frame_bytes = frame_bytes;
  shape.frames_in_flight = frames_in_flight;
  shape.concurrent_calls = concurrent_calls;
  const bool optimized_copies = uses_optimized_copies(job);
  const auto planned = [&job, optimized_copies](const pipeline::JobModel& m) {
    return pipeline::PlannedModel{fmt::format("{} {}", m.role->role, m.path.filename().string()),
                                  pipeline::footprint_of(m, job.face_detector_size, optimized_copies),
                                  "weights: file size x 1.05"};
  };
  const auto usable = [&](std::string_view role) {
    return pipeline::find_role_file(pipeline::role_named(role), search_path);
  };
  std::error_code ec;
  const auto choice = job_detector(job, search_path);
  if (choice.kind == "scrfd") {
    if (const auto m = usable("detector")) shape.analysis.push_back(planned(*m));
  } else if (choice.kind == "blazeface") {
    shape.analysis.push_back({"detector " + choice.model.filename().string(), blazeface_footprint(choice.model),
                              "weights: file size x 1.05"});
  }
  const auto choice_of_swapper = pipeline::choose_swapper(job.face_swapper_model, search_path);
  const auto swapper = choice_of_swapper ? std::optional(choice_of_swapper->file) : std::nullopt;
  const bool swaps = std::ranges::find(job.frame_processors, "face_swapper") != job.frame_processors.end();
  if (const auto landmarks = usable("landmarks")) {
    shape.analysis.push_back(planned(*landmarks));
  } else if ((!swapper || job.mouth_mask || job.draw_mouth_mask || choice.kind != "scrfd") &&
             std::filesystem::exists(face::DlibLandmarks::kDefaultModel, ec)) {
    const auto bytes = std::filesystem::file_size(face::DlibLandmarks::kDefaultModel, ec);
    shape.analysis.push_back({"dlib's 68-point shape predictor", {bytes, 0}, "file size"});
  }
  for (const auto& processor : job.frame_processors) {
    if (processor == "face_swapper") {
      if (swapper) shape.steps.push_back(planned(*swapper));
    } else if (const auto m = usable(processor)) {
      shape.steps.push_back(planned(*m));
    }
  }
  if (swapper && swaps) {
    if (const auto recognizer = usable("recognizer")) shape.recognizer = planned(*recognizer);
  }
  return shape;
}

bool uses_optimized_copies(const JobOptions& job) {
  if (!job.memory_optimization) return false;
  const auto providers = session_policy(job, 0).providers;
  return std::ranges::all_of(providers, [](const std::string& p) { return p == "cpu"; });
}

std::optional<std::uint64_t> prepare_in_child(const std::filesystem::path& model, int threads) {
  std::error_code ec;
  const auto dlc = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) {
    spdlog::warn("{}: cannot start dlc again to write its optimized copy (/proc/self/exe: {}); building it here",
                 model.filename().string(), ec.message());
    return std::nullopt;
  }
  // A test binary running a job in its own process is not dlc: its session writes the copy itself.
  if (dlc.filename() != "dlc") return std::nullopt;
  const auto result = media::run_process({dlc.string(), "models", "prepare", model.string(), "--execution-threads",
                                          std::to_string(threads), "--log-level", "warning"});
  const auto line_with = [](const std::string& text, std::string_view key) {
    const auto at = text.rfind(key);
    return at == std::string::npos ? std::string() : text.substr(at, text.find('\n', at) - at);
  };
  std::uint64_t kib = 0;
  if (const auto hwm = line_with(result.out, "VmHWM "); !hwm.empty()) kib = std::strtoull(hwm.c_str() + 6, nullptr, 10);
  if (result.exit_code != 0 || kib == 0) {
    auto why = result.err.empty() ? fmt::format("exit {}", result.exit_code) : result.err;
    while (!why.empty() && why.back() == '\n') why.pop_back();
    spdlog::warn("{}: the child writing its optimized copy failed ({}); building it here", model.filename().string(),
                 why.substr(why.rfind('\n') + 1));
    return std::nullopt;
  }
  return kib * 1024;
}

void prepare_optimized_copies(const JobOptions& job, int threads) {
  if (!uses_optimized_copies(job)) return;
  for (const auto& session : job_sessions(job)) {
    if (!runtime::optimized_copy_missing(session.model)) continue;
    if (const auto peak = prepare_in_child(session.model, threads)) {
      spdlog::info("{}: wrote its optimized copy once in a child dlc process (peak RSS {}), so this process maps "
                   "its weights instead of holding the model twice",
                   session.model.filename().string(), memory::format_mb(*peak));
    }
  }
}

JobPlan plan_job(const JobOptions& job, bool live, std::uint64_t frame_bytes, int frames_in_flight,
                 int concurrent_calls, const media::VideoInfo* video) {
  JobPlan planned;
  planned.shape = job_shape(job, frame_bytes, frames_in_flight, concurrent_calls, video);
  const auto cap = ram_budget(job, read_machine_facts());
  planned.budget_warning = cap.warning;
  planned.budget_bytes = cap.bytes;
  planned.choice = pipeline::choose_strategy(planned.shape, planned.budget_bytes,
                                             pipeline::parse_memory_strategy(job.memory_strategy), live);
  return planned;
}

JobPlan plan_run(const JobOptions& job, int threads, const media::VideoInfo& target) {
  const bool video = !is_image(job.target);
  const auto frame_bytes = static_cast<std::uint64_t>(target.width) * static_cast<std::uint64_t>(target.height) * 3;
  const int workers = video ? video_workers(threads) : 1;
  return plan_job(job, false, frame_bytes, video ? workers + 2 : 2, workers, video ? &target : nullptr);
}

std::optional<pipeline::StrategyPlan> plan_memory(const JobOptions& job, bool live, std::uint64_t frame_bytes,
                                                  int frames_in_flight, int concurrent_calls,
                                                  const media::VideoInfo* video) {
  return plan_memory(job, live, plan_job(job, live, frame_bytes, frames_in_flight, concurrent_calls, video));
}

JobPlan plan_with_video(const JobPlan& bound, const JobOptions& job, const media::VideoInfo& video) {
  JobPlan planned = bound;
  set_video(planned.shape, job, video);
  planned.choice = pipeline::choose_strategy(planned.shape, planned.budget_bytes,
                                             pipeline::parse_memory_strategy(job.memory_strategy), false);
  return planned;
}

media::VideoInfo bound_video() {
  media::VideoInfo bound;
  bound.width = kBoundWidth;
  bound.height = kBoundHeight;
  bound.decoder = media::kFfmpegDecoder;
  return bound;
}

std::optional<EarlyModels> start_models_early(const JobOptions& job, int threads) {
  const auto bound = bound_video();
  EarlyModels early;
  try {
    const int workers = video_workers(threads);
    const auto frame_bytes = static_cast<std::uint64_t>(kBoundWidth) * kBoundHeight * 3;
    early.bound = plan_job(job, false, frame_bytes, workers + 2, workers, &bound);
  } catch (const std::exception& e) {
    // Today's order says what is wrong, after the decoder's report.
    spdlog::debug("models: not started before the decoder's report ({})", e.what());
    return std::nullopt;
  }
  const auto& choice = early.bound.choice;
  if (!choice.chosen || choice.plans[*choice.chosen].strategy != pipeline::MemoryStrategy::kResident) {
    spdlog::debug("models: loaded after the decoder's report: at {}x{} the plan does not take resident",
                  kBoundWidth, kBoundHeight);
    return early;
  }
  early.options = video_job_options(job, threads, choice.plans[*choice.chosen]);
  early.swapper = std::async(std::launch::async, [job, options = early.options] {
                    prepare_optimized_copies(job, resolve_threads(job, std::getenv("OMP_NUM_THREADS")));
                    return pipeline::build_frame_swapper(options);
                  }).share();
  spdlog::debug("models: loading before the decoder's report (the plan at {}x{} takes resident)", kBoundWidth,
                kBoundHeight);
  return early;
}

std::optional<pipeline::StrategyPlan> plan_memory(const JobOptions& job, bool live, const JobPlan& planned,
                                                  bool prepare_copies) {
  if (!planned.budget_warning.empty()) spdlog::warn("{}", planned.budget_warning);
  const auto& shape = planned.shape;
  const auto budget = planned.budget_bytes;
  const auto asked = pipeline::parse_memory_strategy(job.memory_strategy);
  const auto& choice = planned.choice;
  const auto shown = choice.chosen.value_or(static_cast<std::size_t>(asked.value_or(pipeline::MemoryStrategy::kResident)));
  const auto& plan = choice.plans[shown];
  events::plan(choice.chosen ? std::string(pipeline::strategy_name(plan.strategy)) : std::string(), budget, plan.plan.peak_bytes(),
               choice.chosen.has_value(), plan.plan.describe(budget), pipeline::describe_strategies(choice));
  if (!choice.chosen) {
    std::string hint = "raise --max-memory or drop a processor";
    if (live) {
      hint = fmt::format("a live stream needs resident or lru: the smallest budget that works is {}",
                         memory::format_mb(pipeline::smallest_budget(pipeline::MemoryStrategy::kLru, shape)));
    }
    const auto problem = fmt::format("the memory budget of {} cannot be met ({} planned with {}); {}",
                                     memory::format_mb(budget), memory::format_mb(plan.plan.peak_bytes()),
                                     pipeline::strategy_name(plan.strategy), hint);
    events::note_error(problem);
    fmt::print(stderr, "dlc: {}\n{}{}", problem, plan.plan.describe(budget), pipeline::describe_strategies(choice));
    return std::nullopt;
  }
  if (choice.automatic && plan.strategy != pipeline::MemoryStrategy::kResident) {
    spdlog::info("memory: the budget of {} does not hold every model at once ({} planned); running with "
                 "--memory-strategy {} ({} planned)",
                 memory::format_mb(budget), memory::format_mb(choice.plans.front().plan.peak_bytes()),
                 pipeline::strategy_name(plan.strategy), memory::format_mb(plan.plan.peak_bytes()));
  }
  if (plan.encoder > 0 && plan.encoder < shape.encoders.size()) {
    spdlog::info("memory: the encoder is bounded to fit the budget of {}: {} ({}; the fastest settings, {}, need {})",
                 memory::format_mb(budget), shape.encoders[plan.encoder].what,
                 memory::format_mb(shape.encoders[plan.encoder].bytes), shape.encoders.front().what,
                 memory::format_mb(shape.encoders.front().bytes));
  }
  spdlog::debug("{}{}", plan.plan.describe(budget), pipeline::describe_strategies(choice));
  if (prepare_copies) prepare_optimized_copies(job, resolve_threads(job, std::getenv("OMP_NUM_THREADS")));
  return plan;
}

}  // namespace dlc::app
