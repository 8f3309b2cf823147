#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "memory/plan.hpp"
#include "pipeline/model_residency.hpp"

namespace dlc::pipeline {

// A model as the plan sees it.
struct PlannedModel {
  std::string what;  // "swapper inswapper_128.onnx"
  memory::ModelFootprint footprint;
  std::string basis;
};

// A child process the job starts (the ffmpeg decoder, the encoder), as the plan sees it.
struct PlannedChild {
  std::string what;  // "encoder libx264 1280x720, 2 threads, lookahead 40"
  std::uint64_t bytes = 0;
  std::string basis;
};

// What a job holds, for planning its peak under each memory strategy.
struct JobShape {
  std::vector<PlannedModel> analysis;      // detector and landmark models: one stage together
  std::vector<PlannedModel> steps;         // the --frame-processor models in order (swapper, enhancers)
  std::optional<PlannedModel> recognizer;  // reads the source face, released before the first frame
  std::uint64_t process_bytes = 0;         // the process now (measured RSS)
  std::uint64_t frame_bytes = 0;
  int frames_in_flight = 1;                // resident and lru: the ring's frames
  int concurrent_calls = 1;                // resident and lru: workers running models at once
  // A video's ffmpeg children, running all through the job: the decoder, and the encoder in
  // each of the settings it may take, fastest first (the plan takes the first that fits).
  std::optional<PlannedChild> decoder;
  std::vector<PlannedChild> encoders;
};

struct StrategyPlan {
  MemoryStrategy strategy = MemoryStrategy::kResident;
  memory::MemoryPlan plan;
  bool fits = false;
  std::size_t chunk_frames = 0;      // stage: frames per chunk
  bool spill = false;                // stage: the chunk waits on disk, not in memory
  std::uint64_t lru_room_bytes = 0;  // lru: room for loaded models
  int workers = 1;                   // frames processed at once (stage, and lru when models take turns: 1)
  std::size_t encoder = 0;           // index into JobShape::encoders: the fastest settings that fit
  // The first run's one-time phase (empty when every optimized copy is there): the process as it
  // is and the costliest child writing a model's optimized copy, before any model loads.
  memory::MemoryPlan first_run;
};

// Stage chunks never exceed this many frames: enough to load each model rarely.
inline constexpr std::size_t kMaxChunkFrames = 64;
// A chunk held in memory has at least this many frames; when the budget holds fewer, the chunk
// (kMaxChunkFrames) is spilled to disk and memory holds two frames: model loads would dominate.
inline constexpr std::size_t kMinChunkFrames = 8;

// The planned peak of the job under one strategy: the larger of its start (the source face read
// with the analysis models and the recognizer) and its frames.
//   resident: every model, the largest session build, the frames in flight;
//   lru: the models that fit together in the room the budget leaves (at least the largest), as
//        above; when they do not all fit, one worker (two would fight over the room);
//   stage: the costliest stage alone (its build or one call), and a chunk of frames sized to the
//          budget, or spilled to disk with two frames in memory when fewer than kMinChunkFrames fit.
// Every phase holds the decoder and the encoder: the encoder in the fastest of its settings with
// which the strategy fits (its smallest when none does). A first run has one more phase before
// the others, before the children start: each model without ONNX Runtime's optimized copy has it
// written by a child dlc process, one at a time (ModelFootprint::prepare_bytes).
StrategyPlan plan_strategy(MemoryStrategy strategy, const JobShape& job, std::uint64_t budget_bytes);

struct StrategyChoice {
  std::vector<StrategyPlan> plans;  // resident, lru, stage
  std::optional<std::size_t> chosen;  // index into plans; empty: nothing fits
  bool automatic = false;             // chosen by dlc rather than asked for
};

// The strategy asked for, or (asked empty) the fastest that fits: resident, else stage; a live
// stream cannot be staged, so live takes resident, else lru.
StrategyChoice choose_strategy(const JobShape& job, std::uint64_t budget_bytes, std::optional<MemoryStrategy> asked,
                               bool live);

// One line per strategy: its predicted peak and whether it fits the budget; and on a first run,
// the one-time cost of writing the optimized copies.
std::string describe_strategies(const StrategyChoice& choice);

// The smallest budget under which a strategy fits (to name it when none does).
std::uint64_t smallest_budget(MemoryStrategy strategy, const JobShape& job);

}  // namespace dlc::pipeline
