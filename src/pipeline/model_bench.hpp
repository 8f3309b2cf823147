#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "memory/governor.hpp"
#include "pipeline/job_models.hpp"
#include "runtime/ort_runtime.hpp"
#include "runtime/session_policy.hpp"
#include "runtime/stage_times.hpp"

namespace dlc::pipeline {

struct StageFigures {
  std::string role;
  std::string file;
  std::string provider;
  double load_ms = 0;
  std::vector<double> run_ms;  // one entry per timed call
};

struct ModelBenchFigures {
  std::vector<StageFigures> stages;
  int frames = 0;
  double seconds = 0;  // the timed frames, end to end
  std::uint64_t rss_after_load_bytes = 0;
  std::uint64_t peak_after_load_bytes = 0;  // VmHWM once loaded: the sessions' build transients
  bool frames_peak_measured = false;        // VmHWM was reset after loading: peak_rss is the frames' peak
  std::uint64_t first_frame_peak_bytes = 0;  // VmHWM over the warm-up frame (each model's first call)
  runtime::ArenaTotals arenas;  // after the last frame, while the sessions still live
  std::uint64_t governor_waits = 0;
};

// Runs a job's models the way the pipeline calls them, on inputs made from each model's own
// signature: the recognizer once (the source face) and then released, and per frame the
// detector, the swapper and the enhancer. One warm-up frame, then `frames` timed frames.
// Before each frame the governor may hold the loop until RSS is back under the budget.
// gpu_limits: the VRAM share of each model (same order as models), 0 for none.
ModelBenchFigures run_model_bench(const std::vector<JobModel>& models, const runtime::SessionPolicy& policy,
                                  const std::vector<std::uint64_t>& gpu_limits, int frames,
                                  memory::RssGovernor* governor);

using runtime::percentile;

}  // namespace dlc::pipeline
