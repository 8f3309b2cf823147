#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "app/commands.hpp"
#include "app/exit_codes.hpp"
#include "app/machine.hpp"
#include "memory/governor.hpp"
#include "memory/monitor.hpp"
#include "memory/plan.hpp"
#include "memory/units.hpp"
#include "pipeline/job_models.hpp"
#include "pipeline/model_bench.hpp"
#include "runtime/ort_runtime.hpp"

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

}  // namespace

int bench_command(const CliOptions& options, int threads) {
  const auto& job = options.job;
  const auto facts = read_machine_facts();
  const auto budget = ram_budget_bytes(job, facts);
  const auto models = pipeline::locate_models(pipeline::roles_for(job.frame_processors),
                                              models_search_path(job));
  const auto plan = pipeline::plan_job(models, memory::current_rss_bytes(), kFrameBytes, threads + 2);
  if (!plan.fits(budget)) {
    fmt::print(stderr, "dlc: the memory budget of {} cannot be met ({} planned); raise --max-memory or drop a "
               "processor\n{}", memory::format_mb(budget), memory::format_mb(plan.peak_bytes()), plan.describe(budget));
    return kExitMemoryBudget;
  }
  if (!options.json) fmt::print("{}", plan.describe(budget));

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
