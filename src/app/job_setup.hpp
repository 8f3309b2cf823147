#pragma once

#include <cstdint>
#include <filesystem>
#include <future>
#include <memory>
#include <optional>
#include <vector>

#include "app/job_options.hpp"
#include "media/video_probe.hpp"
#include "memory/ffmpeg_memory.hpp"
#include "pipeline/frame_swapper.hpp"
#include "pipeline/image_job.hpp"
#include "pipeline/strategy_plan.hpp"
#include "pipeline/video_job.hpp"

namespace dlc::app {

// From the command line to the pipeline's options, and the memory plan that decides the
// strategy: shared by `dlc run`, `dlc live` and `dlc bench`.

// Every ONNX session the job may create (detector, BlazeFace's second pass, landmarks, recognizer,
// swapper, enhancers) with its planned need in bytes.
struct JobSession {
  std::filesystem::path model;
  std::uint64_t need_bytes = 0;
};
std::vector<JobSession> job_sessions(const JobOptions& job);

// The sessions' policy for this job: the flags' settings and, on CUDA with a GPU that NVML sees,
// each model file's share of the one VRAM budget (--gpu-memory-fraction × the device's memory),
// in proportion to the sessions' planned needs.
runtime::SessionPolicy job_session_policy(const JobOptions& job, int threads);

// The job's options with the strategy its memory plan chose (detection on every frame unless
// --detect-every; live sets its own cadence).
pipeline::FaceJobOptions face_job_options(const JobOptions& job, int threads, const pipeline::StrategyPlan& plan);

// ONNX Runtime's pool already spreads one frame over the cores; two frames in flight keep the
// cores busy while one waits on decode or encode.
int video_workers(int threads);

// The video job's options for a planned strategy (stop flag, governor and callbacks left unset).
pipeline::VideoJobOptions video_job_options(const JobOptions& job, int threads, const pipeline::StrategyPlan& plan);

// What the job holds, from the model files on disk (nothing is loaded yet): the analysis models
// (the detector, 2d106det or dlib's 68-point predictor), the recognizer for the source face, and
// the --frame-processor models.
// A video (video non-null) adds its ffmpeg decoder and the encoder's settings ladder
// (video_encoder_choices), each at its measured peak for the video's size.
pipeline::JobShape job_shape(const JobOptions& job, std::uint64_t frame_bytes, int frames_in_flight,
                             int concurrent_calls, const media::VideoInfo* video = nullptr);

// The encoder settings a video job may take, fastest first, for this machine's cores; the plan's
// StrategyPlan::encoder indexes them.
std::vector<memory::EncoderSettings> video_encoder_choices(const JobOptions& job);
// Whether `dlc run` takes the target as an image (by its extension), else as a video.
bool is_image(const std::filesystem::path& path);
// The decoder's -threads: the usable cores, at most the 8 measured.
int video_decoder_threads();

// Whether the job's CPU sessions load ONNX Runtime's optimized copies of the models (the CPU the
// only provider, memory optimization on): then a model without one has it written first, in a child.
bool uses_optimized_copies(const JobOptions& job);

// `dlc models prepare FILE` in a child process: builds the model's session once, from its mapped
// copy, to write ONNX Runtime's optimized copy, so this process never holds the model twice
// (issue 20). Returns the child's peak RSS in bytes (its VmHWM, as it prints it); empty, after one
// warning naming the file and why, when the child fails (the session is then built here, as before).
std::optional<std::uint64_t> prepare_in_child(const std::filesystem::path& model, int threads);

// The first run: every model of the job whose optimized copy is missing gets it from
// prepare_in_child, one at a time, before the job loads any model. Nothing when the job does not
// use the copies.
void prepare_optimized_copies(const JobOptions& job, int threads);

// What plan_memory decides from: the job's shape, the budget and each strategy's plan (the one it
// takes: choice.chosen). Nothing is loaded; `dlc plan` prints it.
struct JobPlan {
  pipeline::JobShape shape;
  std::uint64_t budget_bytes = 0;
  std::string budget_warning;  // why the budget is not what was asked, if it is not
  pipeline::StrategyChoice choice;
};
JobPlan plan_job(const JobOptions& job, bool live, std::uint64_t frame_bytes, int frames_in_flight,
                 int concurrent_calls, const media::VideoInfo* video = nullptr);

// plan_job for `dlc run` on this target, as job_command plans it (a video: workers + 2 frames in
// flight; an image: its source and target).
JobPlan plan_run(const JobOptions& job, int threads, const media::VideoInfo& target);

// The plan of job as plan_job made it, its ffmpeg children and frames now those of video (the
// decoder's report): the models, the process figure and the budget as they were.
JobPlan plan_with_video(const JobPlan& planned, const JobOptions& job, const media::VideoInfo& video);

// A video's size before its decoder has reported it: the largest the ffmpeg children's measured
// peaks cover (memory/ffmpeg_memory.cpp).
inline constexpr int kBoundWidth = 3840;
inline constexpr int kBoundHeight = 2160;
// The video the plan before the report is made for: kBoundWidth x kBoundHeight, decoded by ffmpeg,
// whose measured peaks are above dlc-decode's at every size (dlc-decode's report may hand the
// video to ffmpeg: rotated, a variable rate, several video streams).
media::VideoInfo bound_video();

// A video job's models, loading while the decoder starts (issue 20: start-up; the decoder's own
// loader takes most of the time to its report). Why the strategy cannot change: the plan at the
// bound takes resident, i.e. resident fits with some encoder settings e; every line of a plan
// that depends on the video (the decoder's and the encoder's peaks, the frames in flight) does
// not decrease with its pixels, and nothing else changes (plan_with_video keeps the models, the
// process figure and the budget), so at any size up to the bound resident fits with e too, and
// the plan takes it, whether chosen (the fastest that fits) or asked for.
struct EarlyModels {
  // The plan at kBoundWidth x kBoundHeight, taken before any other work of the job (its process
  // figure is the one the video's plan shows, started or not).
  JobPlan bound;
  pipeline::VideoJobOptions options;  // the job's options with the bound's plan (when started)
  // The frame swapper being built, the first run's copies written first; not valid when the plan
  // at the bound does not take resident: the job then loads its models after the report and the
  // plan, as for a tight --max-memory.
  std::shared_future<std::shared_ptr<pipeline::FrameSwapper>> swapper;
};
// The plan at the bound, and the models started on a thread of their own when it takes resident.
// Empty when the plan cannot be made (a missing model: the job says so after the report, as before).
std::optional<EarlyModels> start_models_early(const JobOptions& job, int threads);

// The video job's options for a planned strategy, on options made for another plan (the fields a
// plan decides: the strategy, the workers, the chunks, the encoder's settings).
void apply_video_plan(pipeline::VideoJobOptions& options, const JobOptions& job, int threads,
                      const pipeline::StrategyPlan& plan);

// --max-memory before any model loads: the plan of each memory strategy, and the strategy the
// run takes (--memory-strategy, else the fastest that fits; live: resident or lru). Empty, after
// printing the plans, when nothing fits (exit 5). When it fits, the optimized copies the plan's
// first-run phase counts are written (prepare_optimized_copies) before it returns.
std::optional<pipeline::StrategyPlan> plan_memory(const JobOptions& job, bool live, std::uint64_t frame_bytes,
                                                  int frames_in_flight, int concurrent_calls,
                                                  const media::VideoInfo* video = nullptr);
// The same for a plan already made; prepare_copies false: the copies are written elsewhere (EarlyModels).
std::optional<pipeline::StrategyPlan> plan_memory(const JobOptions& job, bool live, const JobPlan& planned,
                                                  bool prepare_copies = true);

}  // namespace dlc::app
