#include "app/job_options.hpp"

#include <charconv>
#include <cstdlib>
#include <cstring>

#include "memory/system_memory.hpp"
#include "pipeline/job_models.hpp"

namespace dlc::app {

int resolve_threads(const JobOptions& job, const char* omp_num_threads) {
  if (job.execution_threads) return *job.execution_threads;
  if (omp_num_threads != nullptr) {
    int value = 0;
    const auto* end = omp_num_threads + std::strlen(omp_num_threads);
    const auto [ptr, ec] = std::from_chars(omp_num_threads, end, value);
    if (ec == std::errc{} && ptr == end && value > 0) return value;
  }
  return memory::usable_cpu_cores();
}

runtime::RuntimeOptions runtime_options(const JobOptions&, int threads) {
  return runtime::RuntimeOptions{.intra_op_threads = threads, .inter_op_threads = 1};
}

runtime::SessionPolicy session_policy(const JobOptions& job, int threads) {
  runtime::SessionPolicy policy;
  policy.memory_optimization = job.memory_optimization;
  policy.providers = job.execution_providers.empty() ? runtime::default_providers() : job.execution_providers;
  policy.intra_op_threads = threads;
  policy.without_cpu_arena = pipeline::files_without_cpu_arena();
  return policy;
}

std::vector<std::filesystem::path> models_search_path(const JobOptions& job) {
  return pipeline::models_search_path(job.models_dir, std::getenv("DLC_MODELS_DIR"), std::getenv("XDG_DATA_HOME"),
                                      std::getenv("HOME"));
}

pipeline::AnalyserOptions analyser_options(const JobOptions& job, const runtime::SessionPolicy& policy) {
  pipeline::AnalyserOptions options;
  options.detector = job.face_detector;
  options.detector_size = job.face_detector_size;
  options.detector_score = static_cast<float>(job.face_detector_score);
  options.search_path = models_search_path(job);
  options.policy = policy;
  return options;
}

}  // namespace dlc::app
